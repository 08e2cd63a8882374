//! Outages count for no one. While it runs, the server records the market time at which it was last alive
//! (`meta.alive_at`: every `heartbeat_ms`, when the dev clock moves, and at a graceful shutdown). At
//! start-up, the time since then was downtime: every ACTIVE claim whose deadline had not passed when the
//! server went away gets the downtime added to its deadline, so a provider whose proof was ready loses
//! nothing to an outage (a crash included: the extension is then at most one heartbeat too generous).
//! Open jobs whose deadline fell inside the downtime are refunded as usual: the buyer gets the escrow back.

use crate::db::write_tx;
use crate::error::MarketError;
use crate::market::Market;
use crate::types::{ClaimStatus, JobState};

/// The meta key of the last market time the server was seen alive.
pub const META_ALIVE_AT: &str = "alive_at";

/// What start-up found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Downtime {
    /// Seconds since the server was last alive.
    pub secs: i64,
    /// Claims whose deadline was extended by it.
    pub extended: u64,
}

impl Market {
    /// Records that the server is alive now (market time).
    pub async fn record_alive(&self) -> Result<(), MarketError> {
        crate::startup::set_meta(&self.db, META_ALIVE_AT, &self.now().to_string()).await
    }

    /// Extends the deadlines of the claims that were running when the server was last alive by the time it
    /// has been away since, then records it alive. `None` on a fresh database.
    pub async fn account_for_downtime(&self) -> Result<Option<Downtime>, MarketError> {
        let now = self.now();
        let last = crate::startup::get_meta(&self.db, META_ALIVE_AT)
            .await?
            .and_then(|v| v.parse::<i64>().ok());
        let out = match last {
            Some(alive_at) if now > alive_at => {
                let secs = now - alive_at;
                let extended = write_tx!(self.db, tx, {
                    let n = sqlx::query(
                        "UPDATE claims SET deadline = deadline + $1 WHERE status = $3 AND deadline >= $2",
                    )
                    .bind(secs)
                    .bind(alive_at)
                    .bind(ClaimStatus::Active.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    sqlx::query(
                        "UPDATE jobs SET claim_deadline = claim_deadline + $1, version = version + 1 WHERE state = $3 AND claim_deadline >= $2",
                    )
                    .bind(secs)
                    .bind(alive_at)
                    .bind(JobState::Claimed.as_str())
                    .execute(&mut *tx)
                    .await?;
                    Ok(n)
                })?;
                Some(Downtime { secs, extended })
            }
            Some(_) => Some(Downtime::default()),
            None => None,
        };
        self.record_alive().await?;
        Ok(out)
    }
}

/// Records the server alive every `config.heartbeat_ms` until the task is dropped.
pub async fn heartbeat(market: std::sync::Arc<Market>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(
        market.config.heartbeat_ms.max(1),
    ));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = market.record_alive().await {
            tracing::warn!(target: "zkinfer_market::events", error = %e, "cannot record the heartbeat");
        }
    }
}
