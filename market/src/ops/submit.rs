//! Submissions: record (transaction 1), verify (no transaction held), settle or slash (transaction 2).
//! A submission received by the claim deadline is judged however long verification takes; a crash between
//! the two transactions leaves it PENDING, and the reaper (or a retry of the same proof) finishes it.

use super::jobs::{fail_claim, lock_signed_job, Failure};
use crate::db::write_tx;
use crate::error::MarketError;
use crate::ledger::{self, Postings};
use crate::market::{load_job, lock_job, random_id, require_signer, Market, Signer};
use crate::state::op;
use crate::store::{decide_submission, end_claim, move_job};
use crate::types::{
    ClaimStatus, SubmissionStatus as Sub, SubmitReq, SubmitResult, CLAIMED, SETTLED,
};
use crate::verify::{judge, Outcome};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use std::time::Instant;
use zkinfer_verifier::ProofFile;

enum Step {
    Verify(String),
    Done(SubmitResult),
}

/// The submitted job is CLAIMED by this provider, under this claim, and its claim deadline has not passed.
fn submitter_holds_the_claim(
    job: crate::types::Job,
    req: &SubmitReq,
    received_at: i64,
) -> Result<(), MarketError> {
    if job.state != CLAIMED {
        return Err(MarketError::WrongState {
            job_id: job.id,
            state: job.state,
            expected: CLAIMED,
        });
    }
    if job.claimant.as_deref() != Some(req.provider.as_str()) {
        return Err(MarketError::OnlyClaimantSubmits { job_id: job.id });
    }
    if job.claim_id.as_deref() != Some(req.claim_id.as_str()) {
        return Err(MarketError::NotActiveClaim {
            job_id: job.id,
            claim_id: req.claim_id.clone(),
        });
    }
    if let Some(deadline) = job.claim_deadline.filter(|d| received_at > *d) {
        return Err(MarketError::ClaimDeadlinePassed {
            claim_id: req.claim_id.clone(),
            deadline,
        });
    }
    Ok(())
}

impl Market {
    /// The submitted proof file as stored (its JSON text) and the SHA-256 of its proof bytes, after the
    /// checks that need no database: a readable proof file, a proof neither empty nor over the limit.
    fn proof_body_and_hash(&self, req: &SubmitReq) -> Result<(String, String), MarketError> {
        let body = serde_json::to_string(&req.proof).unwrap_or_default();
        let proof =
            ProofFile::parse(body.as_bytes(), "proof").map_err(MarketError::MalformedProof)?;
        let bytes = proof
            .proof_bytes("proof")
            .map_err(MarketError::MalformedProof)?;
        if bytes.is_empty() {
            return Err(MarketError::EmptyProof);
        }
        if bytes.len() > self.config.max_proof_bytes {
            return Err(MarketError::ProofTooLarge {
                bytes: bytes.len(),
                limit: self.config.max_proof_bytes,
            });
        }
        Ok((body, hex::encode(Sha256::digest(&bytes))))
    }

    /// Submits a proof for a claimed job; `received_at` is the server's receive time (market clock).
    pub async fn submit(
        &self,
        s: &Signer,
        job_id: &str,
        req: &SubmitReq,
        received_at: i64,
    ) -> Result<SubmitResult, MarketError> {
        let t0 = Instant::now();
        require_signer(s, &req.provider, "provider")?;
        let (body, hash) = self.proof_body_and_hash(req)?;
        let window = self.config.min_claim_window;
        // expiries due at receipt are applied and committed on their own, so that a late submission,
        // which then fails, does not roll back the expiry of its claim with it
        self.apply_expiries(job_id, received_at).await?;
        let step = write_tx!(self.db, tx, {
            let job = lock_signed_job(tx, job_id, received_at, window).await?;
            let prior = sqlx::query(
                    "SELECT id, status, reason FROM submissions WHERE job_id = $1 AND provider = $2 AND proof_hash = $3 AND status <> $4 ORDER BY received_at DESC, id LIMIT 1",
                )
                .bind(job_id)
                .bind(&req.provider)
                .bind(&hash)
                .bind(Sub::Malformed.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(p) = prior {
                let id: String = p.try_get("id")?;
                let status: Sub = p.try_get::<String, _>("status")?.parse()?;
                let reason: Option<String> = p.try_get("reason")?;
                match status {
                    Sub::Pending => return Ok(Step::Verify(id)),
                    Sub::Valid => return Ok(Step::Done(stored_result(tx, &id).await?)),
                    _ if job.state != CLAIMED
                        || job.claimant.as_deref() != Some(req.provider.as_str()) =>
                    {
                        return Err(MarketError::AlreadyJudged {
                            submission_id: id,
                            status,
                            reason,
                        })
                    }
                    _ => {}
                }
            }
            submitter_holds_the_claim(job, req, received_at)?;
            let pending: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM submissions WHERE claim_id = $1 AND status = $2",
                )
                .bind(&req.claim_id)
                .bind(Sub::Pending.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if pending > 0 {
                return Err(MarketError::SubmissionPending {
                    claim_id: req.claim_id.clone(),
                });
            }
            let elsewhere: Option<String> = sqlx::query_scalar(
                    "SELECT job_id FROM submissions WHERE proof_hash = $1 AND job_id <> $2 AND status IN ($3, $4) LIMIT 1",
                )
                .bind(&hash)
                .bind(job_id)
                .bind(Sub::Pending.as_str())
                .bind(Sub::Valid.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(other) = elsewhere {
                return Err(MarketError::ProofUsedElsewhere { job_id: other });
            }
            let id = random_id("s");
            sqlx::query(
                    "INSERT INTO submissions (id, job_id, claim_id, provider, proof_hash, body, received_at, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(&id).bind(job_id).bind(&req.claim_id).bind(&req.provider).bind(&hash)
                .bind(&body).bind(received_at).bind(Sub::INITIAL.as_str())
                .execute(&mut *tx)
                .await?;
            crate::event!(job = %job_id, submission = %id, provider = %req.provider, claim = %req.claim_id, "proof received: verifying");
            Ok(Step::Verify(id))
        })?;
        let result = match step {
            Step::Done(r) => r,
            Step::Verify(id) => self.process_submission(&id).await?,
        };
        // counted once per submission: a repeated one (same proof again) adds no count
        let total = t0.elapsed().as_micros() as u64;
        self.bump_stats(|st| st.submit_us += total);
        Ok(result)
    }

    /// Verifies a recorded submission and settles or slashes (idempotent: a decided one returns its result).
    pub async fn process_submission(&self, id: &str) -> Result<SubmitResult, MarketError> {
        let (job_id, provider, body, status) = {
            let r =
                sqlx::query("SELECT job_id, provider, body, status FROM submissions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.db.pool)
                    .await?
                    .ok_or_else(|| MarketError::NoSubmission { id: id.to_string() })?;
            let v: (String, String, String, Sub) = (
                r.try_get("job_id")?,
                r.try_get("provider")?,
                r.try_get("body")?,
                r.try_get::<String, _>("status")?.parse::<Sub>()?,
            );
            v
        };
        if status != Sub::Pending {
            let mut conn = self.db.pool.acquire().await?;
            return stored_result(&mut conn, id).await;
        }
        let job = {
            let mut conn = self.db.pool.acquire().await?;
            load_job(&mut conn, &job_id).await?
        };
        let art = match self
            .artifacts(
                &job.listing_id,
                &job.settings_hash,
                &job.vk_hash,
                &job.params_hash,
            )
            .await
        {
            Ok(a) => a,
            // the server no longer accepts these artifacts: never judge (and slash) against them
            Err(MarketError::Frozen { reason, .. }) => {
                self.release_frozen_job(&job_id, &reason).await?;
                let mut conn = self.db.pool.acquire().await?;
                return stored_result(&mut conn, id).await;
            }
            Err(e) => return Err(e),
        };
        let proof = ProofFile::parse(body.as_bytes(), "proof").map_err(|source| {
            MarketError::StoredSubmission {
                id: id.to_string(),
                source,
            }
        })?;
        let t = Instant::now();
        let market_id = self.market_id.clone();
        let srs = self.srs_policy();
        let job_for_judge = job.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            judge(&art, &job_for_judge, &provider, &market_id, &proof, srs)
        })
        .await
        .map_err(|source| MarketError::Task {
            what: "verification",
            source,
        })?;
        let verify_us = t.elapsed().as_micros() as i64;
        self.bump_stats(|st| st.verify_us += verify_us as u64);
        if self.config.settle_delay_ms > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(
                self.config.settle_delay_ms,
            ))
            .await;
        }
        let now = self.now();
        let window = self.config.min_claim_window;
        let (result, decided) = write_tx!(self.db, tx, {
            let mut job = lock_job(tx, &job_id).await?;
            let claim_id: String =
                sqlx::query_scalar("SELECT claim_id FROM submissions WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            let active = job.state == CLAIMED && job.claim_id.as_deref() == Some(claim_id.as_str());
            let (status, reason) = match (&outcome, active) {
                (Outcome::Malformed(r), _) => (Sub::Malformed, Some(r.clone())),
                (_, false) => (
                    Sub::Superseded,
                    Some(format!("the claim is no longer active (job {})", job.state)),
                ),
                (Outcome::Valid { .. }, true) => (Sub::Valid, None),
                (Outcome::Invalid(r), true) => (Sub::Invalid, Some(r.clone())),
            };
            let decided =
                decide_submission(tx, id, status, reason.as_deref(), now, verify_us).await?;
            if decided {
                match (&outcome, status) {
                    (Outcome::Valid { outputs }, Sub::Valid) => {
                        settle(tx, &mut job, &claim_id, id, outputs.clone(), now).await?
                    }
                    (_, Sub::Invalid) => {
                        fail_claim(tx, &mut job, Failure::Invalid, now, window).await?
                    }
                    _ => {}
                }
            }
            Ok((stored_result(tx, id).await?, decided))
        })?;
        if decided {
            crate::event!(job = %result.job_id, submission = %result.submission_id, status = %result.status, job_state = %result.job_state, paid = result.paid, verify_us = result.verify_us, reason = ?result.reason, "{}", match result.status {
                Sub::Valid => "submission valid: job settled",
                Sub::Invalid => "submission invalid: collateral slashed (half to the buyer, half burned)",
                _ => "submission judged",
            });
            self.bump_stats(|st| {
                st.submissions += 1;
                match result.status {
                    Sub::Valid => st.settled += 1,
                    Sub::Invalid => st.rejected += 1,
                    _ => {}
                }
            });
        }
        Ok(result)
    }
}

/// Pays a valid proof: escrow to the owner's royalty, the market fee and the provider; the bounty to the
/// provider; the collateral back to its stake; the outputs released to the buyer.
pub(crate) async fn settle(
    tx: &mut AnyConnection,
    job: &mut crate::types::Job,
    claim_id: &str,
    submission_id: &str,
    outputs: Vec<Vec<f64>>,
    now: i64,
) -> Result<(), MarketError> {
    let provider = job.claimant.clone().unwrap_or_default();
    let escrow = ledger::escrow(&job.id);
    let bounty_acct = ledger::bounty(&job.id);
    let coll_acct = ledger::coll(claim_id);
    let split = crate::limits::split_price(job.price, job.royalty_bps, job.fee_bps)?;
    let (royalty, fee, share) = (split.royalty, split.fee, split.provider);
    let bounty = ledger::balance(tx, &bounty_acct).await?;
    let coll = ledger::balance(tx, &coll_acct).await?;
    let mut p = Postings::new();
    let pa = ledger::avail(&provider);
    p.add(
        (&escrow, &job.id),
        (&ledger::avail(&job.owner), &job.owner),
        royalty,
        "royalty",
    )?;
    p.add((&escrow, &job.id), (ledger::TREASURY, ""), fee, "fee")?;
    p.add((&escrow, &job.id), (&pa, &provider), share, "pay provider")?;
    p.add(
        (&bounty_acct, &job.id),
        (&pa, &provider),
        bounty,
        "pay bounty",
    )?;
    p.add(
        (&coll_acct, &provider),
        (&ledger::stake(&provider, &job.listing_id), &provider),
        coll,
        "unlock collateral",
    )?;
    job.outputs = Some(outputs);
    job.submission_id = Some(submission_id.to_string());
    job.finished_at = Some(now);
    move_job(tx, job, SETTLED, op::SETTLE).await?;
    end_claim(tx, claim_id, ClaimStatus::Settled, op::SETTLE, now).await?;
    p.apply(tx, Some(&job.id), now).await
}

/// The stored outcome of a submission.
pub(crate) async fn stored_result(
    tx: &mut AnyConnection,
    id: &str,
) -> Result<SubmitResult, MarketError> {
    let r = sqlx::query(
        "SELECT job_id, provider, status, reason, verify_us FROM submissions WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let (job_id, provider): (String, String) = (r.try_get("job_id")?, r.try_get("provider")?);
    let status: Sub = r.try_get::<String, _>("status")?.parse()?;
    let reason: Option<String> = r.try_get("reason")?;
    let verify_us: Option<i64> = r.try_get("verify_us")?;
    let job = load_job(tx, &job_id).await?;
    let valid = status == Sub::Valid;
    let paid = if valid {
        sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM entries WHERE job_id = $1 AND credit = $2 AND reason IN ('pay provider', 'pay bounty')",
        )
        .bind(&job_id)
        .bind(ledger::avail(&provider))
        .fetch_one(&mut *tx)
        .await?
    } else {
        0
    };
    Ok(SubmitResult {
        job_id,
        submission_id: id.to_string(),
        status,
        reason,
        job_state: job.state,
        outputs: if valid { job.outputs } else { None },
        paid,
        verify_us: verify_us.unwrap_or(0),
    })
}
