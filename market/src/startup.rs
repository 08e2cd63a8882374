//! What a server does when it opens its database, before it serves anything: restores the dev clock's
//! offset (market time never steps back across a restart), gives running claims the downtime back
//! ([`crate::downtime`]) and freezes the listings whose artifacts it no longer accepts ([`crate::freeze`]),
//! telling the operator in the log.

use crate::db::Db;
use crate::error::MarketError;
use crate::market::Market;

/// The meta key of the dev clock's offset (seconds over the system clock).
pub const META_CLOCK_OFFSET: &str = "clock_offset";

pub(crate) async fn get_meta(db: &Db, key: &str) -> Result<Option<String>, MarketError> {
    Ok(sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?)
}

pub(crate) async fn set_meta(db: &Db, key: &str, value: &str) -> Result<(), MarketError> {
    let _writer = db.write_guard().await;
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(&db.pool)
    .await?;
    Ok(())
}

impl Market {
    /// The start-up steps (see the module documentation).
    pub(crate) async fn start_up(&self) -> Result<(), MarketError> {
        let offset = get_meta(&self.db, META_CLOCK_OFFSET)
            .await?
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if offset != 0 {
            self.clock.set_offset(offset);
            tracing::info!(target: "zkinfer_market::events", offset_secs = offset, "market clock: the dev clock's offset restored");
        }
        if let Some(d) = self.account_for_downtime().await? {
            if d.secs > 0 {
                tracing::info!(target: "zkinfer_market::events", downtime_secs = d.secs, claims_extended = d.extended, "the server was away: running claims get the downtime added to their deadlines");
            }
        }
        let f = self.freeze_unaccepted().await?;
        if f.sets > 0 {
            tracing::warn!(target: "zkinfer_market::events", listings = f.listings, artifact_sets = f.sets, jobs_refunded = f.refunded, claims_released = f.released, policy = ?self.srs_policy(), max_k = self.config.max_k, key_memory_mib = self.config.key_memory >> 20, "this server no longer accepts some listings' artifacts: they are frozen");
        }
        Ok(())
    }

    /// Moves the market clock forward by `secs` and records the new offset and the server alive at the new
    /// time, so that a restart keeps the offset and does not count the jump as downtime.
    pub async fn advance_clock(&self, secs: i64) -> Result<(), MarketError> {
        self.clock.advance(secs);
        set_meta(
            &self.db,
            META_CLOCK_OFFSET,
            &self.clock.offset().to_string(),
        )
        .await?;
        self.record_alive().await
    }
}
