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
//!
//! ## Bounds
//!
//! Every money computation fits `i64` by construction ([`limits`]): a price, collateral, mint, stake or
//! unstake is at most [`limits::MAX_AMOUNT`] (10^15); royalty + market fee ≤ 10 000 bps, checked when a
//! listing and when a job is made; at most [`limits::MAX_SUPPLY`] (10^18) is ever minted, so every balance
//! and every sum of balances is ≤ 10^18; settlement shares are computed in `i128`. Out-of-bounds requests
//! are 4xx with a message, never 500. Request timestamps are 0 to [`auth::MAX_TIMESTAMP`] and within
//! `auth_skew` of the server's clock; nonces are kept [`market::nonce_retention`] seconds of that clock.
//!
//! ## Trust
//!
//! - Identities are ed25519 keys, verified strictly: small-order and non-canonical keys and non-canonical
//!   signatures are refused, so no one can sign for an account without its secret key.
//! - Only a `--dev-mint` server mints (to the signer's own account): a production market has no mint
//!   endpoint, and money enters it only through a mint the operator controls.
//! - The operator runs the database: it could rewrite balances, but every movement is a ledger entry and
//!   [`audit::audit`] recomputes each balance from the entries, checks that money is conserved (held =
//!   minted − burned) and that no job, claim or submission is stuck. The operator cannot forge a
//!   participant's signed request, nor settle a job without a proof that verifies and is bound to
//!   (market, job, provider).

pub mod api;
pub mod audit;
pub mod clock;
pub mod db;
pub mod downtime;
pub mod error;
mod extract;
pub mod freeze;
pub mod key_cache;
pub mod key_limits;
pub mod ledger;
pub mod limits;
pub mod liveness;
pub mod logging;
pub mod market;
mod nonces;
mod ops;
pub mod reaper;
mod startup;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod verify;

/// The blocking HTTP client (crate `zkinfer-market-client`).
pub use zkinfer_market_client as client;
/// The wire format (crate `zkinfer-market-types`).
pub use zkinfer_market_types::{auth, bind, state, types, wire};

pub use error::MarketError;
pub use market::{Config, Market};
pub use ops::{JobFilter, MAX_JOBS_PAGE};
