//! Frozen listings: policy changes never punish past work. When this server no longer accepts the artifacts
//! a listing or job pins (a restart without `--dev-srs` for a development SRS, a lower `--max-k` or
//! `--key-memory-mb`, a verifier that now refuses the key), those artifacts are *frozen*:
//!
//! - the listing takes no new jobs (409 `frozen`), and claims on its jobs are refused;
//! - its open jobs are refunded to their buyers;
//! - its claimed jobs' claims are RELEASED: the collateral goes back to the provider's stake in full, a
//!   submission being verified is SUPERSEDED (never judged against an SRS the server refuses), and the job
//!   is refunded;
//! - the operator is told at start-up: one warning per frozen listing, with the reason.
//!
//! The start-up scan ([`Market::freeze_unaccepted`]) checks every listing's and every unfinished job's
//! artifacts the way a new listing is checked ([`crate::key_limits::precheck`]), without parsing keys; a
//! key that fails to load later is frozen when that is found ([`Market::artifacts`]), and the reaper
//! releases its jobs.

use crate::db::write_tx;
use crate::error::MarketError;
use crate::key_limits::precheck;
use crate::ledger::{self, Postings};
use crate::market::{lock_job, save_job, Market};
use crate::ops::close_job;
use crate::state::op;
use crate::store::{end_claim, supersede_pending};
use crate::types::{ClaimStatus, CLAIMED, OPEN, REFUNDED};
use crate::verify::artifact_set;
use sqlx::Row;

/// What the start-up scan found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Frozen {
    /// Artifact sets frozen.
    pub sets: usize,
    /// Listings whose current artifacts are frozen.
    pub listings: usize,
    /// Open jobs refunded.
    pub refunded: usize,
    /// Claims released (collateral returned).
    pub released: usize,
}

impl Market {
    /// Why the artifact set `set` is frozen, if it is.
    pub(crate) fn frozen_reason(&self, set: &str) -> Option<String> {
        self.frozen.lock().ok()?.get(set).cloned()
    }

    /// Whether the artifacts pinned by these hashes are frozen.
    pub fn is_frozen(&self, s: &str, v: &str, p: &str) -> bool {
        self.frozen_reason(&artifact_set(s, v, p)).is_some()
    }

    /// Freezes an artifact set.
    pub(crate) fn freeze(&self, set: &str, reason: String) {
        if let Ok(mut f) = self.frozen.lock() {
            if !f.contains_key(set) {
                tracing::warn!(target: "zkinfer_market::events", artifacts = %set, %reason, "artifacts frozen: no new jobs; open jobs refunded, claims released without slashing");
                f.insert(set.to_string(), reason);
            }
        }
    }

    /// The start-up scan: freezes every artifact set of a listing or an unfinished job that this server no
    /// longer accepts, tells the operator, and releases the jobs pinned to them.
    pub async fn freeze_unaccepted(&self) -> Result<Frozen, MarketError> {
        let mut out = Frozen::default();
        let sets = sqlx::query(
            "SELECT DISTINCT settings_hash, vk_hash, params_hash FROM listings UNION SELECT DISTINCT settings_hash, vk_hash, params_hash FROM jobs WHERE state IN ($1, $2)",
        )
        .bind(OPEN.as_str())
        .bind(CLAIMED.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        let limits = self.key_limits();
        for r in sets {
            let (s, v, p): (String, String, String) = (
                r.try_get("settings_hash")?,
                r.try_get("vk_hash")?,
                r.try_get("params_hash")?,
            );
            let reason = match self.artifact_bytes(&s, &v, &p).await {
                // (seeded test listings have no stored artifacts: nothing to judge them by)
                Err(MarketError::ArtifactMissing { .. }) => continue,
                Err(e) => Some(e.to_string()),
                Ok([sb, vb, pb]) => precheck(&sb, &vb, &pb, &limits)
                    .err()
                    .map(|e| e.to_string()),
            };
            if let Some(reason) = reason {
                self.freeze(&artifact_set(&s, &v, &p), reason);
                out.sets += 1;
            }
        }
        let listings = sqlx::query("SELECT id, settings_hash, vk_hash, params_hash FROM listings")
            .fetch_all(&self.db.pool)
            .await?;
        for r in listings {
            let (id, s, v, p): (String, String, String, String) = (
                r.try_get("id")?,
                r.try_get("settings_hash")?,
                r.try_get("vk_hash")?,
                r.try_get("params_hash")?,
            );
            if let Some(reason) = self.frozen_reason(&artifact_set(&s, &v, &p)) {
                out.listings += 1;
                tracing::warn!(target: "zkinfer_market::events", listing = %id, %reason, "listing frozen: this server no longer accepts its artifacts; it takes no new jobs, its open jobs are refunded and its claims released without slashing");
            }
        }
        let (refunded, released) = self.release_frozen_jobs().await?;
        out.refunded = refunded;
        out.released = released;
        Ok(out)
    }

    /// Refunds the open jobs and releases the claims pinned to frozen artifacts: (refunded, released).
    pub(crate) async fn release_frozen_jobs(&self) -> Result<(usize, usize), MarketError> {
        let sets: Vec<(String, String)> = match self.frozen.lock() {
            Ok(f) => f.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => return Ok((0, 0)),
        };
        let (mut refunded, mut released) = (0, 0);
        for (set, reason) in sets {
            let mut parts = set.splitn(3, ':');
            let (s, v, p) = (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            );
            let jobs: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM jobs WHERE settings_hash = $1 AND vk_hash = $2 AND params_hash = $3 AND state IN ($4, $5) ORDER BY id",
            )
            .bind(s)
            .bind(v)
            .bind(p)
            .bind(OPEN.as_str())
            .bind(CLAIMED.as_str())
            .fetch_all(&self.db.pool)
            .await?;
            for id in jobs {
                match self.release_frozen_job(&id, &reason).await? {
                    Some(true) => released += 1,
                    Some(false) => refunded += 1,
                    None => {}
                }
            }
        }
        Ok((refunded, released))
    }

    /// Ends a job pinned to frozen artifacts without anyone's fault: its claim (if any) is released with its
    /// collateral, a pending submission superseded, and the escrow refunded. `Some(true)`: a claim was
    /// released; `Some(false)`: an open job refunded; `None`: the job had finished meanwhile.
    pub(crate) async fn release_frozen_job(
        &self,
        job_id: &str,
        reason: &str,
    ) -> Result<Option<bool>, MarketError> {
        let now = self.now();
        let why = format!("released: this server no longer accepts the job's artifacts ({reason})");
        let done = write_tx!(self.db, tx, {
            let mut job = lock_job(tx, job_id).await?;
            let claim = match job.state {
                OPEN => None,
                CLAIMED => job.claim_id.clone(),
                _ => return Ok(None),
            };
            if let Some(claim) = &claim {
                let provider = job.claimant.clone().unwrap_or_default();
                let coll_acct = ledger::coll(claim);
                let coll = ledger::balance(tx, &coll_acct).await?;
                let mut p = Postings::new();
                p.add(
                    (&coll_acct, &provider),
                    (&ledger::stake(&provider, &job.listing_id), &provider),
                    coll,
                    "release collateral (frozen)",
                )?;
                p.apply(tx, Some(&job.id), now).await?;
                end_claim(tx, claim, ClaimStatus::Released, op::RELEASE_FROZEN, now).await?;
                supersede_pending(tx, claim, op::RELEASE_FROZEN, &why, now).await?;
                job.claim_id = None;
                job.claimant = None;
                job.claim_deadline = None;
                save_job(tx, &mut job).await?;
            }
            close_job(tx, &mut job, REFUNDED, op::RELEASE_FROZEN, now).await?;
            Ok(Some(claim.is_some()))
        })?;
        match done {
            Some(true) => {
                crate::event!(job = %job_id, %reason, "claim released without slashing (frozen artifacts), job refunded")
            }
            Some(false) => crate::event!(job = %job_id, %reason, "job refunded (frozen artifacts)"),
            None => {}
        }
        Ok(done)
    }
}
