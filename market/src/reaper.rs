//! The reaper: applies due expiries (claims past their deadline, jobs past theirs), finishes submissions
//! left pending by a crash, releases unbonded stake and forgets old nonces. Every transaction that
//! touches a job also applies its expiries lazily; the reaper makes sure nothing waits for a visitor.

use crate::db::write_tx;
use crate::error::MarketError;
use crate::market::Market;
use crate::types::{JobState, SubmissionStatus};
use std::sync::Arc;
use std::time::Duration;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reaped {
    pub expired: usize,
    pub resumed: usize,
    pub released: usize,
}

impl Market {
    /// One pass. `resume_all` re-verifies every pending submission (at start-up, when no request can be
    /// verifying one); otherwise only those pending longer than the grace period.
    pub async fn reap_once(&self, resume_all: bool) -> Result<Reaped, MarketError> {
        let now = self.now();
        let mut out = Reaped::default();
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE (state = $2 AND claim_deadline < $1) OR (state = $3 AND deadline < $1) ORDER BY id LIMIT 500",
        )
        .bind(now)
        .bind(JobState::Claimed.as_str())
        .bind(JobState::Open.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        // one job that cannot be settled (records that disagree) must not hold up every other job's expiry
        for id in due {
            match self.apply_expiries(&id, now).await {
                Ok(expired) => out.expired += usize::from(expired),
                Err(e) => {
                    tracing::error!(target: "zkinfer_market::events", job = %id, error = %e, "reaper: cannot apply a job's expiries")
                }
            }
        }
        let cutoff = if resume_all {
            i64::MAX
        } else {
            now - self.config.pending_grace_secs
        };
        let pending: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM submissions WHERE status = $2 AND received_at <= $1 ORDER BY received_at LIMIT 500",
        )
        .bind(cutoff)
        .bind(SubmissionStatus::Pending.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        for id in pending {
            match self.process_submission(&id).await {
                Ok(_) => out.resumed += 1,
                Err(e) => {
                    tracing::error!(target: "zkinfer_market::events", submission = %id, error = %e, "reaper: cannot finish a pending submission")
                }
            }
        }
        // jobs pinned to artifacts found unacceptable since start-up (a key that no longer loads)
        self.release_frozen_jobs().await?;
        out.released = write_tx!(self.db, tx, {
            crate::ops::release_unbonded_all(tx, now).await
        })?;
        // nonces are stamped with the server clock when accepted (never the request's own timestamp)
        let horizon = crate::clock::system_now()
            .saturating_sub(crate::market::nonce_retention(self.config.auth_skew));
        sqlx::query("DELETE FROM nonces WHERE at < $1")
            .bind(horizon)
            .execute(&self.db.pool)
            .await?;
        Ok(out)
    }
}

/// Runs the reaper until the task is dropped: one pass resuming every pending submission, then one pass
/// per `config.reaper_interval_ms`.
pub async fn run(market: Arc<Market>) {
    match market.reap_once(true).await {
        Ok(r) if r.resumed > 0 => {
            tracing::info!(target: "zkinfer_market::events", resumed = r.resumed, "reaper: resumed pending submissions")
        }
        Ok(_) => {}
        Err(e) => tracing::error!(target: "zkinfer_market::events", error = %e, "reaper"),
    }
    let mut tick = tokio::time::interval(Duration::from_millis(
        market.config.reaper_interval_ms.max(10),
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match market.reap_once(false).await {
            Ok(r) if r != Reaped::default() => tracing::info!(
                target: "zkinfer_market::events",
                expired = r.expired,
                resumed = r.resumed,
                released = r.released,
                "reaper pass"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(target: "zkinfer_market::events", error = %e, "reaper"),
        }
    }
}
