//! Nonces that stay spent. A signed request's nonce is recorded the moment its signature is accepted, in a
//! statement of its own that commits at once, before the operation runs: a request that is then refused
//! (a claim that lost a race, a cancel of a claimed job, a listing over the limits) or whose transaction
//! rolls back still used its nonce, so nobody who saw it can replay it once the state has changed. Signed
//! GETs spend theirs the same way. A nonce is kept [`crate::market::nonce_retention`] seconds of the
//! server's clock, longer than a signature is accepted for.

use crate::error::MarketError;
use crate::market::{Market, Signer};

impl Market {
    /// Records `s`'s nonce with the server's (system) clock; a second use by the same key (on any path)
    /// is a replay.
    pub async fn spend_nonce(&self, s: &Signer) -> Result<(), MarketError> {
        // (SQLite: one writer at a time, as for every write)
        let _writer = self.db.write_guard().await;
        let done = sqlx::query(
            "INSERT INTO nonces (signer, nonce, at) VALUES ($1, $2, $3) ON CONFLICT (signer, nonce) DO NOTHING",
        )
        .bind(&s.key)
        .bind(&s.nonce)
        .bind(crate::clock::system_now())
        .execute(&self.db.pool)
        .await?;
        if done.rows_affected() != 1 {
            return Err(MarketError::Replay {
                nonce: s.nonce.clone(),
            });
        }
        Ok(())
    }
}
