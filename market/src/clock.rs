//! The market's clock: whole seconds since the Unix epoch. Deadlines use it; tests and dev servers can move
//! it forward (an offset over the system clock) instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch by the system clock.
pub use zkinfer_market_types::auth::system_now;

/// The system clock plus an adjustable offset (0 unless a test or a `--dev-clock` server moves it); or,
/// for tests, a frozen instant plus the offset, so deadlines fall exactly where a test puts them.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
    frozen: Option<i64>,
}

impl Clock {
    pub fn new() -> Self {
        Self::default()
    }

    /// A clock standing still at `t` until moved.
    pub fn frozen_at(t: i64) -> Self {
        Self {
            offset: Arc::default(),
            frozen: Some(t),
        }
    }

    /// Now, in market time.
    pub fn now(&self) -> i64 {
        self.frozen.unwrap_or_else(system_now) + self.offset.load(Ordering::SeqCst)
    }

    /// Moves market time forward by `secs` (negative moves it back).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }

    /// Sets the offset from the system clock.
    pub fn set_offset(&self, secs: i64) {
        self.offset.store(secs, Ordering::SeqCst);
    }

    pub fn offset(&self) -> i64 {
        self.offset.load(Ordering::SeqCst)
    }
}
