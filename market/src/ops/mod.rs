//! The market's operations, each one database transaction (submissions: two, with verification between).

mod accounts;
mod jobs;
mod query;
mod sealed;
mod submit;

#[cfg(feature = "testkit")]
pub(crate) use accounts::get_listing;
pub(crate) use jobs::close_job;
pub use query::{JobFilter, MAX_JOBS_PAGE};
#[cfg(feature = "testkit")]
pub(crate) use submit::settle;

/// Releases every due unbonding.
pub(crate) async fn release_unbonded_all(
    tx: &mut sqlx::AnyConnection,
    now: i64,
) -> Result<usize, crate::error::MarketError> {
    accounts::release_unbonded(tx, None, now).await
}
