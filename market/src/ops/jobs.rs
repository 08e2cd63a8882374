//! Jobs and claims: create, cancel, claim, abandon, and the expiries every transaction applies lazily (the
//! sealed inputs of hashed-input jobs: `sealed.rs`).

use super::accounts::get_listing;
use super::sealed::release_claim;
use crate::bind::bind_hex;
use crate::db::write_tx;
use crate::error::MarketError;
use crate::ledger::{self, Postings};
use crate::market::{load_job, lock_job, random_id, require_signer, Market, Signer};
use crate::state::op;
use crate::store::{end_claim, move_job};
use crate::types::{
    AbandonReq, CancelReq, ClaimInfo, ClaimReq, ClaimStatus, CreateJobReq, Created, FailurePolicy,
    Job, JobState, SubmissionStatus, CANCELLED, CLAIMED, OPEN, REFUNDED,
};
use sqlx::AnyConnection;
use zkinfer_circuits::settings::Visibility;
use zkinfer_market_types::sealed::sealed_input_limit;

/// What a job creation names its input by.
enum GivenInput {
    /// Values (public-input listings).
    Values(Vec<Vec<f64>>),
    /// Commitments, one per input tensor (hashed-input listings).
    Commitments(Vec<String>),
}

/// Whether a model's inputs are hashed (`true`) or public (`false`); a model this market cannot take jobs
/// on is refused with the reason: a private input (nobody could name what the job is about), inputs partly
/// public and partly hashed, or an output that is not public (the buyer pays for outputs it can read).
pub(crate) fn hashed_inputs(settings: &zkinfer_verifier::Settings) -> Result<bool, MarketError> {
    let refuse = |reason: String| Err(MarketError::UnsupportedVisibility { reason });
    if let Some(w) = settings.weight_inputs().first() {
        // the market pins no weights commitment: judge refuses every proof of such a model
        return refuse(format!(
            "the model's weights are committed ('{}', ...): this market pins no weights commitment and cannot \
             judge its proofs, compile with --weights fixed",
            w.name
        ));
    }
    if let Some(io) = settings
        .inputs
        .iter()
        .find(|io| io.visibility == Visibility::Private)
    {
        return refuse(format!(
            "input '{}' is private: a job must name its input (public values or hashed commitments), compile with --input-visibility public or hashed",
            io.name
        ));
    }
    if let Some(io) = settings
        .outputs
        .iter()
        .find(|io| io.visibility != Visibility::Public)
    {
        return refuse(format!(
            "output '{}' is {}: the market pays for outputs its buyer can read, compile with public outputs",
            io.name,
            io.visibility.name()
        ));
    }
    let hashed = settings
        .inputs
        .iter()
        .filter(|io| io.visibility == Visibility::Hashed)
        .count();
    if hashed != 0 && hashed != settings.inputs.len() {
        return refuse(
            "some inputs are public and some hashed: the market takes models whose inputs are all public or all hashed".into(),
        );
    }
    Ok(hashed != 0)
}

/// The job's commitments in canonical form (lower-case `0x` hex of 64 digits), after checking there is one
/// per input and each is a field element.
fn canonical_commitments(
    settings: &zkinfer_verifier::Settings,
    given: &[String],
) -> Result<Vec<String>, MarketError> {
    if given.len() != settings.inputs.len() {
        return Err(MarketError::InputCount {
            expected: settings.inputs.len(),
            given: given.len(),
        });
    }
    given
        .iter()
        .enumerate()
        .map(|(index, h)| {
            let ok = h.starts_with("0x") && h.len() <= 66;
            match zkinfer_circuits::poseidon::fr_from_be_hex(h).filter(|_| ok) {
                Some(fr) => Ok(zkinfer_circuits::poseidon::fr_to_be_hex(&fr)),
                None => Err(MarketError::BadCommitment {
                    index,
                    reason: "not a 0x big-endian hex field element below the BN254 scalar order"
                        .into(),
                }),
            }
        })
        .collect()
}

/// How many times a job creation starts over when its listing is re-listed meanwhile.
const MAX_RELISTING_RETRIES: u32 = 20;

/// Why a claim ended without a settlement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A well-formed proof that failed verification: half the collateral to the buyer, half burned.
    Invalid,
    /// The claim deadline passed with no submission: half burned, half to the job's bounty.
    TimedOut,
    /// The claimant gave up: treated as a timeout, only sooner.
    Abandoned,
}

impl Market {
    /// Creates a job: pins the listing's artifacts and terms, checks the input against the calibrated
    /// range and escrows the price. Idempotent on (buyer, client_index).
    pub async fn create_job(&self, s: &Signer, req: &CreateJobReq) -> Result<Created, MarketError> {
        require_signer(s, &req.buyer, "buyer")?;
        if req.client_index.is_empty() || req.client_index.len() > 128 {
            return Err(MarketError::BadClientIndex {
                len: req.client_index.len(),
            });
        }
        if !(1..=30 * 86_400).contains(&req.deadline_secs) {
            return Err(MarketError::DeadlineOutOfRange {
                deadline_secs: req.deadline_secs,
            });
        }
        let given =
            match &req.commitments {
                Some(c) if req.input.is_null() => GivenInput::Commitments(c.clone()),
                Some(_) => return Err(MarketError::BadInput {
                    reason:
                        "give the input either as values (\"input\") or as commitments, not both"
                            .into(),
                }),
                None => {
                    let text = serde_json::to_string(&req.input).unwrap_or_default();
                    let parsed = zkinfer_circuits::input_data::InputData::parse(&text, "input")
                        .map_err(|e| MarketError::BadInput {
                            reason: zkinfer_circuits::error::display_chain(&e),
                        })?;
                    GivenInput::Values(parsed.inputs)
                }
            };
        // a re-listing between the read of the listing and the transaction starts over with the new one
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_job_once(req, &given).await {
                Err(MarketError::ListingChanged { .. }) if attempt < MAX_RELISTING_RETRIES => {}
                other => return other,
            }
        }
    }

    /// One try of [`Self::create_job`] on the listing as it is now.
    async fn create_job_once(
        &self,
        req: &CreateJobReq,
        given: &GivenInput,
    ) -> Result<Created, MarketError> {
        let now = self.now();
        // the listing is read once outside the transaction to check the input (CPU work), and again
        // inside: a re-listing in between is detected and the whole request starts over
        let listing = {
            let mut conn = self.db.pool.acquire().await?;
            get_listing(&mut conn, &req.listing_id).await?
        };
        let art = self
            .artifacts(
                &listing.id,
                &listing.settings_hash,
                &listing.vk_hash,
                &listing.params_hash,
            )
            .await?;
        let (canonical, commitments, sealed_max) = job_input(&art.settings, &listing.id, given)?;
        let input_json = serde_json::to_string(&canonical).unwrap_or_default();
        let commitments_json = commitments
            .as_ref()
            .map(|c| serde_json::to_string(c).unwrap_or_default());
        let job_id = random_id("j");
        let created = write_tx!(self.db, tx, {
            let l = get_listing(tx, &req.listing_id).await?;
            if l.revision != listing.revision {
                return Err(MarketError::ListingChanged { listing_id: l.id });
            }
            // the terms settle without overflow (the fee may have changed since the listing was made)
            crate::limits::split_price(l.price, l.royalty_bps, self.config.fee_bps)?;
            let deadline = now + req.deadline_secs;
            if req.deadline_secs < self.config.min_claim_window {
                return Err(MarketError::DeadlineTooClose {
                    deadline_secs: req.deadline_secs,
                    min_window: self.config.min_claim_window,
                });
            }
            let inserted = sqlx::query(
                    "INSERT INTO jobs (id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claims, commitments, sealed_max) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 0, $18, $19, 0, $20, $21) ON CONFLICT (buyer, client_index) DO NOTHING",
                )
                .bind(&job_id).bind(&req.buyer).bind(&req.client_index).bind(&l.id).bind(&l.owner)
                .bind(&l.model_id).bind(&l.settings_hash).bind(&l.vk_hash).bind(&l.params_hash)
                .bind(l.price).bind(l.royalty_bps).bind(self.config.fee_bps).bind(l.collateral)
                .bind(l.claim_timeout).bind(&input_json).bind(req.policy.as_str()).bind(JobState::INITIAL.as_str()).bind(now).bind(deadline)
                .bind(&commitments_json).bind(sealed_max)
                .execute(&mut *tx)
                .await?;
            if inserted.rows_affected() == 0 {
                let id: String = sqlx::query_scalar(
                    "SELECT id FROM jobs WHERE buyer = $1 AND client_index = $2",
                )
                .bind(&req.buyer)
                .bind(&req.client_index)
                .fetch_one(&mut *tx)
                .await?;
                let job = load_job(tx, &id).await?;
                if job.listing_id != req.listing_id
                    || job.input != canonical
                    || job.commitments != commitments
                {
                    return Err(MarketError::ClientIndexReused {
                        client_index: req.client_index.clone(),
                        job_id: job.id,
                    });
                }
                return Ok(Created {
                    created: false,
                    job: strip(job),
                });
            }
            let mut p = Postings::new();
            p.add(
                (&ledger::avail(&req.buyer), &req.buyer),
                (&ledger::escrow(&job_id), &job_id),
                l.price,
                "escrow",
            )?;
            p.apply(tx, Some(&job_id), now).await?;
            Ok(Created {
                created: true,
                job: load_job(tx, &job_id).await.map(strip)?,
            })
        })?;
        if created.created {
            let j = &created.job;
            crate::event!(job = %j.id, buyer = %j.buyer, listing = %j.listing_id, price = j.price, deadline = j.deadline, "job created: price escrowed");
        }
        Ok(created)
    }

    /// Cancels an open job: escrow back to the buyer; any bounty is burned (a buyer never profits from
    /// a provider's failure).
    pub async fn cancel(
        &self,
        s: &Signer,
        job_id: &str,
        req: &CancelReq,
    ) -> Result<Job, MarketError> {
        let now = self
            .start_job_request(s, &req.buyer, "buyer", job_id)
            .await?;
        let job = write_tx!(self.db, tx, {
            let mut job = lock_signed_job(tx, job_id, now, self.config.min_claim_window).await?;
            if job.buyer != req.buyer {
                return Err(MarketError::OnlyBuyerCancels { job_id: job.id });
            }
            match job.state {
                OPEN => {}
                CLAIMED => return Err(MarketError::CancelWhileClaimed { job_id: job.id }),
                _ => {
                    return Err(MarketError::AlreadyFinished {
                        job_id: job.id,
                        state: job.state,
                    })
                }
            }
            close_job(tx, &mut job, CANCELLED, op::CANCEL, now).await?;
            Ok(strip(job))
        })?;
        crate::event!(job = %job.id, buyer = %job.buyer, price = job.price, "job cancelled: escrow refunded");
        Ok(job)
    }

    /// Claims an open job: exactly one concurrent claim wins (conditional update on the job's version).
    pub async fn claim(
        &self,
        s: &Signer,
        job_id: &str,
        req: &ClaimReq,
    ) -> Result<ClaimInfo, MarketError> {
        let now = self
            .start_job_request(s, &req.provider, "provider", job_id)
            .await?;
        let info = write_tx!(self.db, tx, {
            let mut job = lock_signed_job(tx, job_id, now, self.config.min_claim_window).await?;
            if job.state != OPEN {
                return Err(MarketError::WrongState {
                    job_id: job.id,
                    state: job.state,
                    expected: OPEN,
                });
            }
            let set =
                crate::verify::artifact_set(&job.settings_hash, &job.vk_hash, &job.params_hash);
            if let Some(reason) = self.frozen_reason(&set) {
                return Err(MarketError::Frozen {
                    listing_id: job.listing_id,
                    reason,
                });
            }
            if job.deadline - now < self.config.min_claim_window {
                return Err(MarketError::TooCloseToDeadline {
                    job_id: job.id,
                    left: job.deadline - now,
                    need: self.config.min_claim_window,
                });
            }
            // one claim per provider at a time: the provider's row is locked for the rest of the
            // transaction (PostgreSQL; SQLite serialises writers anyway), so its concurrent claims on
            // different jobs count each other's claims before the cap check
            lock_provider(tx, &req.provider).await?;
            let open: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM claims WHERE provider = $1 AND status = $2",
            )
            .bind(&req.provider)
            .bind(ClaimStatus::Active.as_str())
            .fetch_one(&mut *tx)
            .await?;
            if open >= self.config.max_open_claims {
                return Err(MarketError::ClaimCap {
                    provider: req.provider.clone(),
                    cap: self.config.max_open_claims,
                });
            }
            let stake_acct = ledger::stake(&req.provider, &job.listing_id);
            let staked = ledger::balance(tx, &stake_acct).await?;
            // a positive stake, even for a zero-collateral listing
            if staked <= 0 {
                return Err(MarketError::NoStake {
                    provider: req.provider.clone(),
                    listing_id: job.listing_id,
                });
            }
            let claim_id = random_id("c");
            let deadline = (now + job.claim_timeout).min(job.deadline);
            job.claim_id = Some(claim_id.clone());
            job.claimant = Some(req.provider.clone());
            job.claim_deadline = Some(deadline);
            job.claims += 1;
            move_job(tx, &mut job, CLAIMED, op::CLAIM).await?;
            sqlx::query(
                    "INSERT INTO claims (id, job_id, provider, listing_id, collateral, claimed_at, deadline, status, cap) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&claim_id).bind(job_id).bind(&req.provider).bind(&job.listing_id)
                .bind(job.collateral).bind(now).bind(deadline).bind(ClaimStatus::INITIAL.as_str())
                .bind(self.config.max_open_claims)
                .execute(&mut *tx)
                .await?;
            let mut p = Postings::new();
            p.add(
                (&stake_acct, &req.provider),
                (&ledger::coll(&claim_id), &req.provider),
                job.collateral,
                "lock collateral",
            )?;
            p.apply(tx, Some(job_id), now).await?;
            Ok(ClaimInfo {
                claim_id: claim_id.clone(),
                job_id: job_id.to_string(),
                provider: req.provider.clone(),
                collateral: job.collateral,
                claimed_at: now,
                deadline,
                status: ClaimStatus::Active,
                bind: bind_hex(&self.market_id, job_id, &req.provider),
            })
        })?;
        crate::event!(job = %info.job_id, claim = %info.claim_id, provider = %info.provider, collateral = info.collateral, deadline = info.deadline, "job claimed");
        Ok(info)
    }

    /// The claimant gives up (e.g. its local proving failed): slashed like a timeout, the job reopens
    /// sooner.
    pub async fn abandon(
        &self,
        s: &Signer,
        job_id: &str,
        req: &AbandonReq,
    ) -> Result<Job, MarketError> {
        let now = self
            .start_job_request(s, &req.provider, "provider", job_id)
            .await?;
        let job = write_tx!(self.db, tx, {
            let mut job = lock_signed_job(tx, job_id, now, self.config.min_claim_window).await?;
            if job.state != CLAIMED || job.claim_id.as_deref() != Some(req.claim_id.as_str()) {
                return Err(MarketError::NotActiveClaim {
                    job_id: job.id,
                    claim_id: req.claim_id.clone(),
                });
            }
            if job.claimant.as_deref() != Some(req.provider.as_str()) {
                return Err(MarketError::OnlyClaimantAbandons { job_id: job.id });
            }
            if has_pending(tx, &req.claim_id).await? {
                return Err(MarketError::AbandonWhileVerifying {
                    claim_id: req.claim_id.clone(),
                });
            }
            if req.input_unusable {
                if !job.is_hashed() {
                    return Err(MarketError::NotHashedJob { job_id: job.id });
                }
                if job.sealed_at.is_none() {
                    return Err(MarketError::NothingSealed {
                        claim_id: req.claim_id.clone(),
                    });
                }
                release_claim(tx, &mut job, op::INPUT_REFUSED, now, None).await?;
            } else {
                fail_claim(
                    tx,
                    &mut job,
                    Failure::Abandoned,
                    now,
                    self.config.min_claim_window,
                )
                .await?;
            }
            Ok(strip(job))
        })?;
        if req.input_unusable {
            crate::event!(job = %job.id, claim = %req.claim_id, provider = %req.provider, new_state = %job.state, "sealed input refused as unusable: claim released with its collateral, job refunded");
        } else {
            crate::event!(job = %job.id, claim = %req.claim_id, provider = %req.provider, new_state = %job.state, "claim abandoned: collateral slashed (half burned, half to the bounty)");
        }
        Ok(job)
    }
}

/// Locks a provider for the rest of the transaction: its `avail` account row (created empty if needed),
/// taken after the job's row and before any posting (which lock accounts in name order, `avail:` first).
pub(crate) async fn lock_provider(
    tx: &mut AnyConnection,
    provider: &str,
) -> Result<(), MarketError> {
    let name = ledger::avail(provider);
    sqlx::query(
        "INSERT INTO accounts (name, kind, owner, balance) VALUES ($1, 'avail', $2, 0) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&name)
    .bind(provider)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE accounts SET balance = balance WHERE name = $1")
        .bind(&name)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// The start of a signed request's transaction on one job: locks the job and applies what is due on it at
/// `now` (claim windows of `window` seconds). (The request's nonce was spent when it was accepted.)
pub(crate) async fn lock_signed_job(
    tx: &mut AnyConnection,
    job_id: &str,
    now: i64,
    window: i64,
) -> Result<Job, MarketError> {
    let mut job = lock_job(tx, job_id).await?;
    expire_due(tx, &mut job, now, window).await?;
    Ok(job)
}

impl Market {
    /// The start of a signed request on the job `job_id`: `s` must be `account`, the request's `field`; the
    /// expiries due now are applied ([`Self::apply_expiries`]). Returns now (the market clock).
    pub(super) async fn start_job_request(
        &self,
        s: &Signer,
        account: &str,
        field: &'static str,
        job_id: &str,
    ) -> Result<i64, MarketError> {
        require_signer(s, account, field)?;
        let now = self.now();
        self.apply_expiries(job_id, now).await?;
        Ok(now)
    }

    /// Applies the expiries of a job due at `now` in a transaction of their own (so that a request that
    /// then fails does not roll them back) and logs them. Returns whether anything changed.
    pub(crate) async fn apply_expiries(&self, job_id: &str, now: i64) -> Result<bool, MarketError> {
        let window = self.config.min_claim_window;
        let (before, after) = write_tx!(self.db, tx, {
            let mut job = match lock_job(tx, job_id).await {
                Err(MarketError::NoJob { .. }) => return Ok((None, None)),
                other => other?,
            };
            let before = (
                job.state,
                job.claim_id.clone(),
                job.claimant.clone(),
                job.is_hashed() && job.sealed_at.is_none(),
            );
            let changed = expire_due(tx, &mut job, now, window).await?;
            Ok((Some(before), changed.then_some(job)))
        })?;
        if let (Some((state, claim, provider, unsealed)), Some(job)) = (before, &after) {
            if state == CLAIMED && unsealed {
                crate::event!(job = %job.id, claim = ?claim, provider = ?provider, new_state = %job.state, "claim released: the buyer never posted the sealed input (collateral returned in full)");
            } else if state == CLAIMED {
                crate::event!(job = %job.id, claim = ?claim, provider = ?provider, new_state = %job.state, "claim timed out: collateral slashed (half burned, half to the bounty)");
            }
            if job.state == REFUNDED {
                crate::event!(job = %job.id, buyer = %job.buyer, price = job.price, "job refunded (deadline passed)");
            }
        }
        Ok(after.is_some())
    }
}

/// A job without its outputs (which only its buyer sees).
pub(crate) fn strip(mut job: Job) -> Job {
    job.outputs = None;
    job
}

/// The input as the circuit will see it: each value rounded onto the input's fixed-point grid, after
/// checking counts and the calibrated range (the verifier's own encoder).
pub(crate) fn canonical_input(
    settings: &zkinfer_verifier::Settings,
    inputs: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>, MarketError> {
    if inputs.len() != settings.inputs.len() {
        return Err(MarketError::InputCount {
            expected: settings.inputs.len(),
            given: inputs.len(),
        });
    }
    settings
        .inputs
        .iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (spec, v))| {
            let stored = zkinfer_verifier::instances::encode(spec, v, &format!("input {i}"), false)
                .map_err(|e| MarketError::BadInput {
                    reason: e.to_string(),
                })?;
            Ok(stored
                .into_iter()
                .map(|q| spec.encoding.dequantise(q))
                .collect())
        })
        .collect()
}

pub(crate) async fn has_pending(
    tx: &mut AnyConnection,
    claim_id: &str,
) -> Result<bool, MarketError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM submissions WHERE claim_id = $1 AND status = $2",
    )
    .bind(claim_id)
    .bind(SubmissionStatus::Pending.as_str())
    .fetch_one(&mut *tx)
    .await?;
    Ok(n > 0)
}

/// Applies the expiries due at `now`: a claim past its deadline with no submission being verified is
/// slashed (and the job reopened, if `min_window` seconds are left, or refunded), an open job past its
/// deadline is refunded. Returns whether anything changed.
pub(crate) async fn expire_due(
    tx: &mut AnyConnection,
    job: &mut Job,
    now: i64,
    min_window: i64,
) -> Result<bool, MarketError> {
    let mut changed = false;
    if job.state == CLAIMED && job.claim_deadline.is_some_and(|d| now > d) {
        let claim = job.claim_id.clone().unwrap_or_default();
        if !has_pending(tx, &claim).await? {
            if job.is_hashed() && job.sealed_at.is_none() {
                // the buyer never gave the claimant its input: not the provider's fault
                release_claim(tx, job, op::INPUT_NOT_SEALED, now, Some(min_window)).await?;
            } else {
                fail_claim(tx, job, Failure::TimedOut, now, min_window).await?;
            }
            changed = true;
        }
    }
    if job.state == OPEN && now > job.deadline {
        close_job(tx, job, REFUNDED, op::EXPIRE, now).await?;
        changed = true;
    }
    Ok(changed)
}

/// Ends the active claim without settlement: slashes its collateral and reopens the job (policy reopen
/// and at least `min_window` seconds left) or refunds it.
pub(crate) async fn fail_claim(
    tx: &mut AnyConnection,
    job: &mut Job,
    why: Failure,
    now: i64,
    min_window: i64,
) -> Result<(), MarketError> {
    let claim = job
        .claim_id
        .clone()
        .ok_or_else(|| MarketError::NoActiveClaim {
            job_id: job.id.clone(),
        })?;
    let provider = job.claimant.clone().unwrap_or_default();
    let coll_acct = ledger::coll(&claim);
    let coll = ledger::balance(tx, &coll_acct).await?;
    let half = coll / 2;
    let mut p = Postings::new();
    let (status, how) = match why {
        Failure::Invalid => {
            p.add(
                (&coll_acct, &provider),
                (&ledger::avail(&job.buyer), &job.buyer),
                half,
                "slash invalid: buyer",
            )?;
            p.add(
                (&coll_acct, &provider),
                (ledger::BURN, ""),
                coll - half,
                "slash invalid: burn",
            )?;
            (ClaimStatus::SlashedInvalid, op::INVALID_PROOF)
        }
        Failure::TimedOut | Failure::Abandoned => {
            p.add(
                (&coll_acct, &provider),
                (ledger::BURN, ""),
                half,
                "slash timeout: burn",
            )?;
            p.add(
                (&coll_acct, &provider),
                (&ledger::bounty(&job.id), &job.id),
                coll - half,
                "slash timeout: bounty",
            )?;
            if why == Failure::TimedOut {
                (ClaimStatus::SlashedTimeout, op::TIMEOUT)
            } else {
                (ClaimStatus::Abandoned, op::ABANDON)
            }
        }
    };
    p.apply(tx, Some(&job.id), now).await?;
    end_claim(tx, &claim, status, how, now).await?;
    job.claim_id = None;
    job.claimant = None;
    job.claim_deadline = None;
    let reopen = job.policy == FailurePolicy::Reopen && job.deadline - now >= min_window;
    if reopen {
        move_job(tx, job, OPEN, how).await
    } else {
        close_job(tx, job, REFUNDED, how, now).await
    }
}

/// Refunds or cancels a job (state `state` by the operation `how`): escrow back to the buyer, bounty burned.
pub(crate) async fn close_job(
    tx: &mut AnyConnection,
    job: &mut Job,
    state: JobState,
    how: &'static str,
    now: i64,
) -> Result<(), MarketError> {
    let escrow = ledger::escrow(&job.id);
    let bounty = ledger::bounty(&job.id);
    let (e, b) = (
        ledger::balance(tx, &escrow).await?,
        ledger::balance(tx, &bounty).await?,
    );
    let mut p = Postings::new();
    p.add(
        (&escrow, &job.id),
        (&ledger::avail(&job.buyer), &job.buyer),
        e,
        "refund",
    )?;
    p.add(
        (&bounty, &job.id),
        (ledger::BURN, ""),
        b,
        "burn unclaimed bounty",
    )?;
    job.finished_at = Some(now);
    move_job(tx, job, state, how).await?;
    p.apply(tx, Some(&job.id), now).await
}

/// A job's input as the market stores it, by the listing's input visibility: canonical values (public
/// inputs), or canonical commitments and the bound on the sealed input that may follow (hashed inputs).
/// Values for a hashed listing and commitments for a public one are refused.
fn job_input(
    settings: &zkinfer_circuits::settings::Settings,
    listing_id: &str,
    given: &GivenInput,
) -> Result<JobInput, MarketError> {
    let hashed = hashed_inputs(settings)?;
    match (given, hashed) {
        (GivenInput::Values(v), false) => Ok((canonical_input(settings, v)?, None, None)),
        (GivenInput::Values(_), true) => Err(MarketError::HashedInputNeedsCommitments {
            listing_id: listing_id.to_string(),
        }),
        (GivenInput::Commitments(_), false) => Err(MarketError::CommitmentsForPublicInput {
            listing_id: listing_id.to_string(),
        }),
        (GivenInput::Commitments(c), true) => {
            let tensors: Vec<(usize, usize)> = settings
                .inputs
                .iter()
                .map(|io| (io.name.len(), io.numel()))
                .collect();
            let limit = i64::try_from(sealed_input_limit(&tensors)).unwrap_or(i64::MAX);
            Ok((
                Vec::new(),
                Some(canonical_commitments(settings, c)?),
                Some(limit),
            ))
        }
    }
}

/// Canonical input values, canonical commitments, the sealed input's size bound.
type JobInput = (Vec<Vec<f64>>, Option<Vec<String>>, Option<i64>);
