//! zkinfer's marketplace: a buyer escrows the price of an inference; a staked provider claims the job, proves
//! it with a proof *bound* to (market, job, provider) and is paid only when the market's own verification
//! passes; a bad proof or a missed deadline costs the provider collateral.
//!
//! - [`market::Market`]: the ledger and job logic over a [`db::Db`] (SQLite or PostgreSQL, one schema).
//! - [`api`]: the HTTP JSON API (axum), [`reaper`]: the periodic expiry and recovery task.
//! - [`client::Client`]: a blocking HTTP client that signs requests ([`auth`]).
//! - [`bind::bind`]: the binding value a proof must carry; [`audit::audit`]: the ledger invariants.
//!
//! The design (state machine, money flows, attack cases) is `shared/design/market.md`; the README's
//! "Marketplace" section shows how to run it.

pub mod api;
pub mod audit;
pub mod auth;
pub mod bind;
pub mod client;
pub mod clock;
pub mod db;
pub mod error;
pub mod ledger;
pub mod market;
mod ops;
pub mod reaper;
pub mod testkit;
pub mod types;
pub mod verify;

pub use error::MarketError;
pub use market::{Config, Market};
