//! Loaded verifying keys, within a memory budget. Each loaded key holds a reservation of its load cost
//! ([`crate::key_limits::load_cost`]) on one semaphore of the budget's size (in KiB), taken *before* the key
//! is parsed and given back when the last user of the key drops it. A load that does not fit evicts the
//! least recently used keys from the cache; if the keys still in use leave no room, it waits a while and
//! then fails with a 503 (the server is busy), so no number or size of listings can make the server
//! allocate more than the budget for keys. Parsing runs on the blocking pool, never on a request's task.

use crate::error::MarketError;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zkinfer_verifier::{VerifierArtifacts, VerifyError};

/// A loaded key with its memory reservation.
#[derive(Debug)]
pub struct LoadedKey {
    art: VerifierArtifacts,
    /// Bytes reserved for it.
    pub cost: u64,
    _reservation: OwnedSemaphorePermit,
}

impl Deref for LoadedKey {
    type Target = VerifierArtifacts;
    fn deref(&self) -> &VerifierArtifacts {
        &self.art
    }
}

#[derive(Debug)]
struct Entry {
    key: Arc<LoadedKey>,
    last_used: u64,
}

/// The cache of loaded keys (by `settings:vk:params` hashes) and the budget they share.
#[derive(Debug)]
pub struct KeyCache {
    budget_kib: u32,
    reservations: Arc<Semaphore>,
    entries: Mutex<HashMap<String, Entry>>,
    tick: AtomicU64,
    wait: Duration,
}

fn kib(bytes: u64) -> u32 {
    u32::try_from(bytes.div_ceil(1024)).unwrap_or(u32::MAX)
}

impl KeyCache {
    /// A cache whose keys take at most `budget` bytes together; a load waits at most `wait` for room.
    pub fn new(budget: u64, wait: Duration) -> Self {
        let budget_kib = kib(budget);
        Self {
            budget_kib,
            reservations: Arc::new(Semaphore::new(budget_kib as usize)),
            entries: Mutex::new(HashMap::new()),
            tick: AtomicU64::new(0),
            wait,
        }
    }

    /// A cached key, marked as just used.
    pub fn get(&self, id: &str) -> Option<Arc<LoadedKey>> {
        let t = self.tick.fetch_add(1, Ordering::Relaxed);
        let mut c = self.entries.lock().ok()?;
        let e = c.get_mut(id)?;
        e.last_used = t;
        Some(e.key.clone())
    }

    /// Keys held by the cache now.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// Whether the cache holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the budget reserved now (cached keys and loads in progress).
    pub fn reserved(&self) -> u64 {
        u64::from(self.budget_kib).saturating_sub(self.reservations.available_permits() as u64)
            * 1024
    }

    /// Drops the least recently used cached key; false when none is left.
    fn evict_one(&self) -> bool {
        let Ok(mut c) = self.entries.lock() else {
            return false;
        };
        let oldest = c
            .iter()
            .min_by_key(|(_, e)| e.last_used)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                c.remove(&k);
                true
            }
            None => false,
        }
    }

    /// Reserves `cost` bytes: evicts cached keys as needed, then waits for keys in use to be dropped.
    async fn reserve(&self, cost: u64) -> Result<OwnedSemaphorePermit, MarketError> {
        let n = kib(cost);
        if n > self.budget_kib {
            return Err(MarketError::KeyBudgetBusy {
                cost,
                budget: u64::from(self.budget_kib) * 1024,
            });
        }
        loop {
            if let Ok(p) = self.reservations.clone().try_acquire_many_owned(n) {
                return Ok(p);
            }
            if !self.evict_one() {
                break;
            }
        }
        tokio::time::timeout(self.wait, self.reservations.clone().acquire_many_owned(n))
            .await
            .ok()
            .and_then(Result::ok)
            .ok_or(MarketError::KeyBudgetBusy {
                cost,
                budget: u64::from(self.budget_kib) * 1024,
            })
    }

    /// The key `id`, from the cache or loaded by `load` (on the blocking pool) within `cost` bytes of the
    /// budget. `load`'s error is returned as it is; the reservation is then given back.
    pub async fn get_or_load<F>(
        &self,
        id: &str,
        cost: u64,
        load: F,
    ) -> Result<Result<Arc<LoadedKey>, VerifyError>, MarketError>
    where
        F: FnOnce() -> Result<VerifierArtifacts, VerifyError> + Send + 'static,
    {
        if let Some(k) = self.get(id) {
            return Ok(Ok(k));
        }
        let reservation = self.reserve(cost).await?;
        let loaded =
            tokio::task::spawn_blocking(load)
                .await
                .map_err(|source| MarketError::Task {
                    what: "key loading",
                    source,
                })?;
        let art = match loaded {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        let key = Arc::new(LoadedKey {
            art,
            cost,
            _reservation: reservation,
        });
        let t = self.tick.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut c) = self.entries.lock() {
            // a concurrent load of the same key may have won: keep one
            let e = c.entry(id.to_string()).or_insert(Entry {
                key: key.clone(),
                last_used: t,
            });
            e.last_used = t;
            return Ok(Ok(e.key.clone()));
        }
        Ok(Ok(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iris() -> Result<VerifierArtifacts, VerifyError> {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../verifier/tests/fixtures/iris"
        );
        VerifierArtifacts::load_dir(std::path::Path::new(dir))
    }

    const MIB: u64 = 1 << 20;

    #[tokio::test]
    async fn keys_stay_within_the_budget() {
        let cache = KeyCache::new(16 * MIB, Duration::from_millis(200));
        let a = cache.get_or_load("a", 10 * MIB, iris).await;
        let a = a.expect("room").expect("loads");
        assert_eq!(cache.reserved(), 10 * MIB);
        drop(a);
        // b does not fit beside a: a (unused) is evicted
        let b = cache.get_or_load("b", 10 * MIB, iris).await;
        let b = b.expect("room").expect("loads");
        assert_eq!((cache.len(), cache.reserved()), (1, 10 * MIB));
        assert!(cache.get("a").is_none() && cache.get("b").is_some());
        // c does not fit while b is in use: evicting b from the cache frees nothing until b is dropped
        let c = cache.get_or_load("c", 10 * MIB, iris).await;
        assert!(matches!(c, Err(MarketError::KeyBudgetBusy { .. })), "{c:?}");
        assert!(cache.reserved() <= 16 * MIB);
        drop(b);
        let c = cache.get_or_load("c", 10 * MIB, iris).await;
        assert!(matches!(c, Ok(Ok(_))));
        // a key larger than the whole budget is refused at once
        let d = cache.get_or_load("d", 17 * MIB, iris).await;
        assert!(matches!(d, Err(MarketError::KeyBudgetBusy { .. })));
        // a failed load gives its reservation back
        let bad = cache
            .get_or_load("e", 4 * MIB, || {
                VerifierArtifacts::from_bytes(b"{}", b"", b"")
            })
            .await;
        assert!(matches!(bad, Ok(Err(_))));
        assert_eq!(cache.reserved(), 10 * MIB);
    }
}
