//! zkinfer's marketplace server: a buyer escrows the price of an inference; a staked provider claims the
//! job, proves it with a proof *bound* to (market, job, provider) and is paid only when the market's own
//! verification passes; a bad proof or a missed deadline costs the provider collateral.
//!
//! The marketplace is three crates, so that a client links none of the server's dependencies:
//!
//! | crate | directory | holds | links |
//! |---|---|---|---|
//! | `zkinfer-market-types` | `market/types/` | the wire format: request/response types, identities and signatures, the binding value, error codes | serde, ed25519, sha2 |
//! | `zkinfer-market-client` | `market/client/` | the blocking HTTP client | the types, ureq |
//! | `zkinfer-market` (this one) | `market/` | the server | both, tokio, axum, sqlx, the verifier |
//!
//! This crate re-exports the other two under their old paths ([`types`], [`auth`], [`bind`], [`client`]).
//!
//! - [`market::Market`]: the ledger and job logic over a [`db::Db`] (SQLite or PostgreSQL, one schema).
//! - [`api`]: the HTTP JSON API (axum), [`reaper`]: the periodic expiry and recovery task.
//! - [`client::Client`]: a blocking HTTP client that signs requests ([`auth`]).
//! - [`bind::bind`]: the binding value a proof must carry; [`audit::audit`]: the ledger invariants.
//! - `testkit` (cargo feature `testkit`): in-process test servers on fresh databases, for tests only.
//!
//! The README's "Marketplace" section shows how to run it.

pub mod api;
pub mod audit;
pub mod clock;
pub mod db;
pub mod error;
mod extract;
pub mod ledger;
pub mod limits;
pub mod liveness;
pub mod logging;
pub mod market;
mod ops;
pub mod reaper;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod verify;

/// The blocking HTTP client (crate `zkinfer-market-client`).
pub use zkinfer_market_client as client;
/// The wire format (crate `zkinfer-market-types`).
pub use zkinfer_market_types::{auth, bind, types, wire};

pub use error::MarketError;
pub use market::{Config, Market};
pub use ops::{JobFilter, MAX_JOBS_PAGE};
