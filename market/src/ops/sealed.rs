//! Sealed inputs of hashed-input jobs: the buyer posts the openings sealed to the claimant (the claim's
//! proving window starts then), the claimant alone fetches them, and a claim whose input never came or was
//! refused as unusable ends without anyone's fault ([`release_claim`]).

use super::jobs::{close_job, lock_signed_job, strip};
use crate::db::write_tx;
use crate::error::MarketError;
use crate::ledger::{self, Postings};
use crate::market::{load_job, Market, Signer};
use crate::state::op;
use crate::store::{end_claim, move_job};
use crate::types::{ClaimStatus, Job, SealReq, SealedInput, CLAIMED, OPEN, REFUNDED};
use sqlx::{AnyConnection, Row};
use zkinfer_market_types::sealed::SEAL_OVERHEAD;

impl Market {
    /// The buyer of a hashed-input job posts its openings sealed to the current claimant (`sealed`, at
    /// most the job's `sealed_max` bytes, already checked by the API before the body was read). The claim
    /// deadline starts now: min(now + claim timeout, job deadline).
    pub async fn seal_input(
        &self,
        s: &Signer,
        job_id: &str,
        req: &SealReq,
    ) -> Result<Job, MarketError> {
        let now = self
            .start_job_request(s, &req.buyer, "buyer", job_id)
            .await?;
        let sealed = hex::decode(req.sealed.trim()).map_err(|source| MarketError::NotHex {
            field: "sealed",
            source,
        })?;
        let job = write_tx!(self.db, tx, {
            let mut job = lock_signed_job(tx, job_id, now, self.config.min_claim_window).await?;
            if job.buyer != req.buyer {
                return Err(MarketError::OnlyBuyerSeals { job_id: job.id });
            }
            let Some(limit) = job.sealed_max.filter(|_| job.is_hashed()) else {
                return Err(MarketError::NotHashedJob { job_id: job.id });
            };
            if sealed.len() < SEAL_OVERHEAD {
                return Err(MarketError::SealedTooSmall {
                    bytes: sealed.len(),
                    min: SEAL_OVERHEAD,
                });
            }
            if sealed.len() as u64 > limit as u64 {
                return Err(MarketError::SealedTooLarge {
                    what: "the sealed input has",
                    bytes: sealed.len() as u64,
                    limit: limit as u64,
                });
            }
            if job.state != CLAIMED {
                return Err(MarketError::WrongState {
                    job_id: job.id,
                    state: job.state,
                    expected: CLAIMED,
                });
            }
            // sealed to the claimant of this claim: a re-claim since the buyer looked needs a new sealing
            if job.claim_id.as_deref() != Some(req.claim_id.as_str()) {
                return Err(MarketError::NotActiveClaim {
                    job_id: job.id,
                    claim_id: req.claim_id.clone(),
                });
            }
            if job.sealed_at.is_some() {
                return Err(MarketError::AlreadySealed {
                    claim_id: req.claim_id.clone(),
                });
            }
            if job.deadline - now < self.config.min_claim_window {
                return Err(MarketError::TooCloseToDeadline {
                    job_id: job.id,
                    left: job.deadline - now,
                    need: self.config.min_claim_window,
                });
            }
            let provider = job.claimant.clone().unwrap_or_default();
            sqlx::query(
                "INSERT INTO sealed_inputs (claim_id, job_id, provider, sealed, posted_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&req.claim_id)
            .bind(&job.id)
            .bind(&provider)
            .bind(sealed.as_slice())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            // the claimant's time to prove starts when it can read the input
            let deadline = (now + job.claim_timeout).min(job.deadline);
            job.claim_deadline = Some(deadline);
            crate::market::save_job(tx, &mut job).await?;
            sqlx::query("UPDATE claims SET deadline = $1 WHERE id = $2")
                .bind(deadline)
                .bind(&req.claim_id)
                .execute(&mut *tx)
                .await?;
            job.sealed_at = Some(now);
            Ok(strip(job))
        })?;
        crate::event!(job = %job.id, claim = %req.claim_id, provider = ?job.claimant, bytes = sealed.len(), claim_deadline = ?job.claim_deadline, "sealed input posted: the claim window starts");
        Ok(job)
    }

    /// The sealed input of a hashed-input job, for its current claimant only.
    pub async fn sealed_input(
        &self,
        signer: &str,
        job_id: &str,
    ) -> Result<SealedInput, MarketError> {
        let now = self.now();
        self.apply_expiries(job_id, now).await?;
        let mut c = self.db.pool.acquire().await?;
        let job = load_job(&mut c, job_id).await?;
        if !job.is_hashed() {
            return Err(MarketError::NotHashedJob { job_id: job.id });
        }
        if job.state != CLAIMED || job.claimant.as_deref() != Some(signer) {
            return Err(MarketError::OnlyClaimantReadsInput { job_id: job.id });
        }
        let claim_id = job.claim_id.clone().unwrap_or_default();
        let row = sqlx::query(
            "SELECT provider, sealed, posted_at FROM sealed_inputs WHERE claim_id = $1 AND job_id = $2",
        )
        .bind(&claim_id)
        .bind(&job.id)
        .fetch_optional(&mut *c)
        .await?
        .ok_or_else(|| MarketError::NoSealedInput {
            job_id: job.id.clone(),
        })?;
        let provider: String = row.try_get("provider")?;
        if provider != signer {
            return Err(MarketError::OnlyClaimantReadsInput { job_id: job.id });
        }
        let sealed: Vec<u8> = row.try_get("sealed")?;
        Ok(SealedInput {
            job_id: job.id,
            claim_id,
            provider,
            sealed: hex::encode(sealed),
            posted_at: row.try_get("posted_at")?,
            claim_deadline: job.claim_deadline.unwrap_or_default(),
        })
    }
}

/// Ends the active claim of a hashed-input job without anyone's fault (`how`: [`op::INPUT_NOT_SEALED`] or
/// [`op::INPUT_REFUSED`]): the whole collateral back to the provider's stake, the claim RELEASED, and the
/// job reopened when `reopen_window` is given and that much time is left, or else refunded.
pub(crate) async fn release_claim(
    tx: &mut AnyConnection,
    job: &mut Job,
    how: &'static str,
    now: i64,
    reopen_window: Option<i64>,
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
    let mut p = Postings::new();
    p.add(
        (&coll_acct, &provider),
        (&ledger::stake(&provider, &job.listing_id), &provider),
        coll,
        if how == op::INPUT_REFUSED {
            "release collateral (input refused)"
        } else {
            "release collateral (input not sealed)"
        },
    )?;
    p.apply(tx, Some(&job.id), now).await?;
    end_claim(tx, &claim, ClaimStatus::Released, how, now).await?;
    job.claim_id = None;
    job.claimant = None;
    job.claim_deadline = None;
    job.sealed_at = None;
    if reopen_window.is_some_and(|w| job.deadline - now >= w) {
        move_job(tx, job, OPEN, how).await
    } else {
        close_job(tx, job, REFUNDED, how, now).await
    }
}
