//! The market: configuration, shared state and the helpers every operation uses. The operations
//! themselves are in `ops/` (listings and stakes, jobs and claims, submissions, queries, expiry).

use crate::clock::Clock;
use crate::db::Db;
use crate::error::{MarketError, MAX_AMOUNT};
use crate::types::Stats;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Market parameters (server flags).
#[derive(Debug, Clone)]
pub struct Config {
    /// Market fee, in basis points of the price, paid to the treasury on settlement.
    pub fee_bps: i64,
    /// Allow `POST /v1/dev/mint` (tests and demos).
    pub dev_mint: bool,
    /// Allow `POST /v1/dev/clock` (moves the market clock forward; tests and demos).
    pub dev_clock: bool,
    /// Accept listings whose verifier params are a development SRS (not a pinned public ceremony). Whoever
    /// made such params may know their secret and forge proofs that this market would pay for: tests and
    /// demos only.
    pub dev_srs: bool,
    /// Open claims one provider may hold at once.
    pub max_open_claims: i64,
    /// A claim needs at least this many seconds before the job deadline; a failed claim reopens the job
    /// only if this much time is left.
    pub min_claim_window: i64,
    /// Seconds unstaked money waits before it is available again.
    pub unbonding_secs: i64,
    /// Allowed distance between a request's timestamp and the server clock, in seconds.
    pub auth_skew: i64,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Largest proof, in bytes.
    pub max_proof_bytes: usize,
    /// Period of the reaper task.
    pub reaper_interval_ms: u64,
    /// The reaper re-verifies a submission left pending this long (its request died with a crash).
    pub pending_grace_secs: i64,
    /// Fault injection for tests: sleep this long between verifying a proof and settling it.
    pub settle_delay_ms: u64,
    /// Largest k a listing may have (`--max-k`; see [`crate::key_limits`]).
    pub max_k: u32,
    /// Bytes all loaded verifying keys may take together (`--key-memory-mb`); a listing whose key alone
    /// would take more is refused.
    pub key_memory: u64,
    /// How long a key load waits for room in the key memory budget before answering 503.
    pub key_wait_ms: u64,
    /// How often the server records that it is alive (for downtime accounting, see [`crate::downtime`]).
    pub heartbeat_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            fee_bps: 100,
            dev_mint: false,
            dev_clock: false,
            dev_srs: false,
            max_open_claims: 4,
            min_claim_window: 10,
            unbonding_secs: 60,
            auth_skew: 120,
            max_body: 2 << 20,
            max_proof_bytes: 1 << 20,
            reaper_interval_ms: 1000,
            pending_grace_secs: 30,
            settle_delay_ms: 0,
            max_k: crate::key_limits::DEFAULT_MAX_K,
            key_memory: crate::key_limits::DEFAULT_KEY_MEMORY,
            key_wait_ms: 10_000,
            heartbeat_ms: 1_000,
        }
    }
}

impl Config {
    /// Checks the parameters are within the bounds the market's arithmetic relies on.
    pub fn validate(&self) -> Result<(), MarketError> {
        let bad = |what: &str| Err(MarketError::BadConfig { what: what.into() });
        if !(0..=crate::limits::BPS).contains(&self.fee_bps) {
            return bad("fee_bps must be 0 to 10000");
        }
        if !(1..=3600).contains(&self.auth_skew) {
            // (nonce_retention and the skew check rely on a small skew)
            return bad("auth_skew must be 1 to 3600 seconds");
        }
        if !(1..=10_000).contains(&self.max_open_claims) {
            return bad("max_open_claims must be 1 to 10000");
        }
        if !(0..=86_400).contains(&self.min_claim_window)
            || !(0..=365 * 86_400).contains(&self.unbonding_secs)
            || !(0..=86_400).contains(&self.pending_grace_secs)
        {
            return bad("min_claim_window, pending_grace_secs (≤ 1 day) and unbonding_secs (≤ 1 year) must be ≥ 0");
        }
        if !(4..=27).contains(&self.max_k) {
            return bad("max_k must be 4 to 27");
        }
        if !((16 << 20)..=(1 << 50)).contains(&self.key_memory) {
            return bad("key_memory must be 16 MiB to 1 PiB");
        }
        if !(1..=3_600_000).contains(&self.heartbeat_ms) {
            return bad("heartbeat_ms must be 1 to 3600000");
        }
        Ok(())
    }

    /// This configuration with its key memory budget at most half of `ceiling`, the most memory the
    /// process may have ([`zkinfer_verifier::process_memory_ceiling`]: `ulimit -v`, a cgroup's
    /// `memory.max`), and never under 16 MiB: a budget past what the process can map would let a listing's
    /// key load fail an allocation and abort the server. The other half holds the program, its threads'
    /// stacks and its allocator's arenas.
    pub fn within_memory_ceiling(mut self, ceiling: Option<u64>) -> Self {
        if let Some(ceiling) = ceiling {
            let most = (ceiling / 2).max(16 << 20);
            if self.key_memory > most {
                tracing::warn!(target: "zkinfer_market::events", key_memory_mib = self.key_memory >> 20, ceiling_mib = ceiling >> 20, lowered_to_mib = most >> 20, "the key memory budget is more than half of what this process may map (ulimit -v or the cgroup's memory.max): lowered");
                self.key_memory = most;
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_out_of_bounds_are_refused() {
        assert!(Config::default().validate().is_ok());
        for c in [
            Config {
                fee_bps: 10_001,
                ..Config::default()
            },
            Config {
                fee_bps: -1,
                ..Config::default()
            },
            Config {
                auth_skew: 0,
                ..Config::default()
            },
            Config {
                auth_skew: i64::MAX,
                ..Config::default()
            },
            Config {
                max_open_claims: 0,
                ..Config::default()
            },
            Config {
                unbonding_secs: -1,
                ..Config::default()
            },
        ] {
            assert!(
                matches!(c.validate(), Err(MarketError::BadConfig { .. })),
                "{c:?}"
            );
        }
    }

    #[test]
    fn the_key_budget_fits_half_the_memory_ceiling() {
        let budget = |ceiling| Config::default().within_memory_ceiling(ceiling).key_memory;
        assert_eq!(budget(None), DEFAULT_KEY_MEMORY_FOR_TEST);
        assert_eq!(budget(Some(4 << 30)), DEFAULT_KEY_MEMORY_FOR_TEST);
        assert_eq!(budget(Some(700 << 20)), 350 << 20);
        assert_eq!(budget(Some(1 << 20)), 16 << 20);
    }
    const DEFAULT_KEY_MEMORY_FOR_TEST: u64 = crate::key_limits::DEFAULT_KEY_MEMORY;
}

/// Who signed a request (checked by the API layer, which also spends its nonce: `market/src/nonces.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub key: String,
    pub nonce: String,
    pub timestamp: i64,
}

/// The market service.
#[derive(Debug)]
pub struct Market {
    pub db: Db,
    pub clock: Clock,
    pub config: Config,
    pub market_id: String,
    /// Loaded verifying keys, within the key memory budget.
    pub keys: crate::key_cache::KeyCache,
    /// Artifact sets (`settings:vk:params` hashes) this server no longer accepts, with why: found at
    /// start-up ([`crate::freeze`]).
    pub(crate) frozen: Mutex<HashMap<String, String>>,
    pub(crate) stats: Mutex<Stats>,
}

/// A random id with a prefix: `j…` jobs, `c…` claims, `s…` submissions.
pub fn random_id(prefix: &str) -> String {
    use rand::RngCore;
    let mut b = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut b);
    format!("{prefix}{}", hex::encode(b))
}

impl Market {
    /// Opens the market on a database (migrating it).
    pub async fn open(
        db_url: &str,
        config: Config,
        clock: Clock,
    ) -> Result<Arc<Self>, MarketError> {
        config.validate()?;
        let config = config.within_memory_ceiling(zkinfer_verifier::process_memory_ceiling());
        let db = Db::connect(db_url).await?;
        let market_id: String =
            sqlx::query_scalar("SELECT value FROM meta WHERE key = 'market_id'")
                .fetch_one(&db.pool)
                .await?;
        crate::liveness::record_parameters(&db, &config).await?;
        let keys = crate::key_cache::KeyCache::new(
            config.key_memory,
            std::time::Duration::from_millis(config.key_wait_ms),
        );
        let market = Arc::new(Self {
            db,
            clock,
            config,
            market_id,
            keys,
            frozen: Mutex::new(HashMap::new()),
            stats: Mutex::new(Stats::default()),
        });
        market.start_up().await?;
        Ok(market)
    }

    /// The limits a listing's artifacts are checked against before its key is parsed.
    pub fn key_limits(&self) -> crate::key_limits::KeyLimits {
        crate::key_limits::KeyLimits {
            max_k: self.config.max_k,
            memory_budget: self.config.key_memory,
            policy: self.srs_policy(),
        }
    }

    /// Which SRSs this market's listings and verdicts may rest on.
    pub fn srs_policy(&self) -> zkinfer_verifier::SrsPolicy {
        if self.config.dev_srs {
            zkinfer_verifier::SrsPolicy::AllowDevelopment
        } else {
            zkinfer_verifier::SrsPolicy::CeremonyOnly
        }
    }

    /// Current market time.
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Counters since start.
    pub fn stats(&self) -> Stats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(crate) fn bump_stats(&self, f: impl FnOnce(&mut Stats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }
}

/// How long (server clock, seconds) a nonce is kept: a request accepted at server time `r` has a
/// timestamp `t` with |t − r| ≤ skew, and a replay is accepted only while the server clock is within
/// skew of `t`, so until `r + 2·skew`; one extra minute covers a server clock stepping back.
pub fn nonce_retention(auth_skew: i64) -> i64 {
    auth_skew.saturating_mul(2).saturating_add(60)
}

/// Checks the account named in a body is the signer.
pub(crate) fn require_signer(
    signer: &Signer,
    account: &str,
    field: &'static str,
) -> Result<(), MarketError> {
    if signer.key != account {
        return Err(MarketError::NotSigner {
            signer: signer.key.clone(),
            field,
            account: account.to_string(),
        });
    }
    Ok(())
}

pub(crate) fn short(k: &str) -> &str {
    k.get(..16).unwrap_or(k)
}

/// Checks a money amount from a request.
pub(crate) fn check_amount(
    got: i64,
    what: &'static str,
    allow_zero: bool,
) -> Result<(), MarketError> {
    if got < 0 || (got == 0 && !allow_zero) || got > MAX_AMOUNT {
        return Err(MarketError::AmountOutOfRange {
            what,
            got,
            allow_zero,
        });
    }
    Ok(())
}

pub(crate) use crate::store::{job_from_row, load_job, lock_job, save_job, JOB_COLS};
