//! Helpers for tests and benchmarks (this crate's and the CLI's), behind the `testkit` cargo feature: a
//! fresh SQLite or PostgreSQL database, an in-process server on 127.0.0.1 whose clock and reaper a test
//! drives, and [`on_both!`](crate::on_both) to run a test on both databases.
//!
//! Test support: the helpers that return no `Result` fail the calling test with a panic.
#![allow(clippy::panic)]

use crate::api;
use crate::audit::{audit, AuditReport};
use crate::auth::{fresh_nonce, Identity};
use crate::client::Client;
use crate::error::MarketError;
use crate::market::{Config, Market};
use crate::reaper::Reaped;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use thiserror::Error;

pub use crate::on_both;

/// `on_both!(a, b, ...)`: for each test function `fn a(b: Backend)`, a module `a` with two tests,
/// `a::sqlite` and `a::postgres`. The SQLite test runs in plain `cargo test`; the PostgreSQL one is
/// ignored unless asked for (`cargo test -- --include-ignored`, as `scripts/test.sh` does with a throwaway
/// server) and then fails when no server can be had: it never passes without running.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::testkit::Backend::Sqlite)
            }
            #[test]
            #[ignore = "needs PostgreSQL (scripts/test.sh starts one)"]
            fn postgres() {
                super::$name($crate::testkit::Backend::Postgres)
            }
        }
    )*};
}

/// Why no PostgreSQL server is available to test on.
#[derive(Debug, Clone, Error)]
pub enum NoPostgres {
    #[error("cannot run {}: {message}", script.display())]
    CannotRun { script: PathBuf, message: String },
    #[error("no ZKINFER_TEST_POSTGRES_URL and {} could not start PostgreSQL: {stderr}", script.display())]
    NotStarted { script: PathBuf, stderr: String },
}

/// Why a test database or server could not be had.
#[derive(Debug, Error)]
pub enum TestkitError {
    #[error(transparent)]
    NoPostgres(#[from] NoPostgres),
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot create a database on {url}: {source}")]
    CreateDatabase {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot start a runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot open the market: {0}")]
    Open(#[from] MarketError),
    #[error("cannot listen on 127.0.0.1: {0}")]
    Listen(#[source] std::io::Error),
}

/// A database engine to test on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The URL of a PostgreSQL server to create test databases on: `$ZKINFER_TEST_POSTGRES_URL`, or one
/// started by `scripts/pg-test.sh` (which installs Debian's package as root). `Err` says why none could be
/// had.
pub fn postgres_admin_url() -> Result<String, NoPostgres> {
    static URL: OnceLock<Result<String, NoPostgres>> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(u) = std::env::var("ZKINFER_TEST_POSTGRES_URL") {
            if !u.is_empty() {
                return Ok(u);
            }
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-test.sh");
        let out = std::process::Command::new("bash")
            .arg(&script)
            .output()
            .map_err(|e| NoPostgres::CannotRun {
                script: script.clone(),
                message: e.to_string(),
            })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("export ZKINFER_TEST_POSTGRES_URL="))
            .map(str::to_string)
            .ok_or_else(|| {
                let err = String::from_utf8_lossy(&out.stderr);
                NoPostgres::NotStarted {
                    script: script.clone(),
                    stderr: err.lines().rev().take(3).collect::<Vec<_>>().join(" / "),
                }
            })
    })
    .clone()
}

/// A new, empty database: a SQLite file in `dir`, or a new PostgreSQL database. `Err` (PostgreSQL only)
/// says why it could not be had.
pub async fn fresh_database(backend: Backend, dir: &Path) -> Result<String, TestkitError> {
    let name = format!("zkt_{}", fresh_nonce());
    match backend {
        Backend::Sqlite => Ok(format!(
            "sqlite://{}",
            dir.join(format!("{name}.db")).display()
        )),
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            sqlx::any::install_default_drivers();
            use sqlx::Connection;
            let mut c = sqlx::AnyConnection::connect(&admin)
                .await
                .map_err(|source| TestkitError::Connect {
                    url: admin.clone(),
                    source,
                })?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .map_err(|source| TestkitError::CreateDatabase {
                    url: admin.clone(),
                    source,
                })?;
            let _ = c.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            Ok(format!("{base}/{name}"))
        }
    }
}

/// An in-process market server on 127.0.0.1 with a frozen clock that the test moves (its reaper runs only
/// when [`TestServer::reap`] is called, unless `config.reaper_interval_ms` is small).
#[derive(Debug)]
pub struct TestServer {
    pub market: Arc<Market>,
    pub url: String,
    pub db_url: String,
    rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server on a fresh database, or says why it cannot (PostgreSQL unavailable).
    pub fn start(backend: Backend, dir: &Path, config: Config) -> Result<Self, TestkitError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .map_err(TestkitError::Runtime)?;
        let db_url = rt.block_on(fresh_database(backend, dir))?;
        let clock = crate::clock::Clock::frozen_at(crate::clock::system_now());
        Self::serve(rt, db_url, config, clock)
    }

    /// Opens the market on `db_url` and serves it on a new port.
    fn serve(
        rt: tokio::runtime::Runtime,
        db_url: String,
        config: Config,
        clock: crate::clock::Clock,
    ) -> Result<Self, TestkitError> {
        let market = rt.block_on(Market::open(&db_url, config, clock))?;
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .map_err(TestkitError::Listen)?;
        let url = format!(
            "http://{}",
            listener.local_addr().map_err(TestkitError::Listen)?
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = rt.spawn(api::serve_until(market.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            market,
            url,
            db_url,
            rt,
            stop: Some(stop),
            served: Some(served),
        })
    }

    /// Shuts the server down gracefully (requests in flight finish, the shutdown time is recorded) and
    /// starts a new one on the same database with `config`, `downtime_secs` of market time later (its
    /// clock stands still at the old one's time plus the downtime until moved). A new URL.
    pub fn restart(mut self, config: Config, downtime_secs: i64) -> Result<Self, TestkitError> {
        let base = self.market.now() - self.market.clock.offset() + downtime_secs;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = self.rt.block_on(served);
        }
        let db_url = std::mem::take(&mut self.db_url);
        Self::serve(
            self.rt,
            db_url,
            config,
            crate::clock::Clock::frozen_at(base),
        )
    }

    /// [`TestServer::restart`] for a test: a server that cannot be started fails it.
    pub fn restarted(self, config: Config, downtime_secs: i64) -> Self {
        self.restart(config, downtime_secs)
            .unwrap_or_else(|e| panic!("cannot restart the test server: {e}"))
    }

    /// [`TestServer::start`] for a test: a server that cannot be started (PostgreSQL's included, whether
    /// `ZKINFER_TEST_POSTGRES_URL` names an unreachable one or `scripts/pg-test.sh` cannot start one)
    /// fails the test, so a test never passes without running.
    pub fn started(backend: Backend, dir: &Path, config: Config) -> Self {
        Self::start(backend, dir, config)
            .unwrap_or_else(|e| panic!("cannot start the {backend:?} test server: {e}"))
    }

    /// A test configuration: dev mint, a reaper that runs only when asked, small windows.
    pub fn test_config() -> Config {
        Config {
            dev_mint: true,
            dev_clock: true,
            dev_srs: true,
            reaper_interval_ms: 3_600_000,
            min_claim_window: 5,
            unbonding_secs: 100,
            ..Config::default()
        }
    }

    /// A client with a fresh identity.
    pub fn client(&self) -> Client {
        Client::new(&self.url, Some(Identity::generate()))
    }

    /// Moves the market clock (as `POST /v1/dev/clock` does: the offset is recorded).
    pub fn advance(&self, secs: i64) {
        self.block_on(self.market.advance_clock(secs))
            .unwrap_or_else(|e| panic!("advance the clock: {e}"));
    }

    /// One reaper pass.
    pub fn reap(&self) -> Reaped {
        self.rt
            .block_on(self.market.reap_once(false))
            .unwrap_or_else(|e| panic!("reaper: {e}"))
    }

    /// The audit report.
    pub fn audit(&self) -> AuditReport {
        self.rt
            .block_on(audit(&self.market.db))
            .unwrap_or_else(|e| panic!("audit: {e}"))
    }

    /// The audit report at market time (its liveness checks follow the test's clock).
    pub fn audit_now(&self) -> AuditReport {
        let opts = crate::audit::AuditOptions::at(self.market.now());
        self.rt
            .block_on(crate::audit::audit_with(&self.market.db, opts))
            .unwrap_or_else(|e| panic!("audit: {e}"))
    }

    /// Runs a future on the server's runtime.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Number of ledger entries.
    pub fn entries(&self) -> i64 {
        self.block_on(
            self.market
                .db
                .scalar_i64("SELECT CAST(COUNT(*) AS BIGINT) FROM entries"),
        )
        .unwrap_or(-1)
    }
}

/// Listings and jobs written straight into the database (no model needed), and a settlement without a
/// proof: for tests of the money paths, the claim cap and the audit, which need no verification.
impl TestServer {
    /// Writes a listing owned by `owner` with the given terms (dummy artifact hashes).
    pub fn seed_listing(
        &self,
        owner: &str,
        id: &str,
        price: i64,
        royalty_bps: i64,
        collateral: i64,
    ) -> Result<(), MarketError> {
        let now = self.market.now();
        self.block_on(async {
            sqlx::query(
                "INSERT INTO listings (id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, collateral, claim_timeout, revision, created_at, updated_at) VALUES ($1, $2, 'seeded', 's', 'v', 'p', $3, $4, $5, 60, 1, $6, $6)",
            )
            .bind(id).bind(owner).bind(price).bind(royalty_bps).bind(collateral).bind(now)
            .execute(&self.market.db.pool)
            .await?;
            Ok(())
        })
    }

    /// Writes an OPEN job of `buyer` on a seeded listing, escrowing its price from the buyer's available
    /// balance (which must hold it), with its deadline `deadline_secs` from now; returns its id.
    pub fn seed_job(
        &self,
        buyer: &str,
        listing_id: &str,
        deadline_secs: i64,
    ) -> Result<String, MarketError> {
        use crate::db::write_tx;
        use crate::ledger::{self, Postings};
        let now = self.market.now();
        let job_id = crate::market::random_id("j");
        let fee_bps = self.market.config.fee_bps;
        self.block_on(async {
            write_tx!(self.market.db, tx, {
                let l = crate::ops::get_listing(tx, listing_id).await?;
                crate::limits::split_price(l.price, l.royalty_bps, fee_bps)?;
                sqlx::query(
                    "INSERT INTO jobs (id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claims) VALUES ($1, $2, $1, $3, $4, $5, 's', 'v', 'p', $6, $7, $8, $9, $10, '[[0.5]]', 'reopen', $13, 0, $11, $12, 0)",
                )
                .bind(&job_id).bind(buyer).bind(&l.id).bind(&l.owner).bind(&l.model_id)
                .bind(l.price).bind(l.royalty_bps).bind(fee_bps).bind(l.collateral)
                .bind(l.claim_timeout).bind(now).bind(now + deadline_secs)
                .bind(crate::types::JobState::INITIAL.as_str())
                .execute(&mut *tx)
                .await?;
                let mut p = Postings::new();
                p.add(
                    (&ledger::avail(buyer), buyer),
                    (&ledger::escrow(&job_id), &job_id),
                    l.price,
                    "escrow",
                )?;
                p.apply(tx, Some(&job_id), now).await?;
                Ok(job_id.clone())
            })
        })
    }

    /// Settles a CLAIMED job as if its claimant's proof had verified (a VALID submission is recorded),
    /// through the market's own settlement.
    pub fn settle_unverified(&self, job_id: &str) -> Result<(), MarketError> {
        self.settle_unverified_as(job_id, None)
    }

    /// [`TestServer::settle_unverified`], recording the submission under the hash of `proof` (a proof
    /// file's JSON), as `submit` would: submitting that proof again is then a repeat of a VALID one.
    pub fn settle_unverified_as(
        &self,
        job_id: &str,
        proof: Option<&serde_json::Value>,
    ) -> Result<(), MarketError> {
        use sha2::Digest;
        let hash = match proof {
            Some(p) => {
                let text = serde_json::to_string(p).unwrap_or_default();
                let f = zkinfer_verifier::ProofFile::parse(text.as_bytes(), "proof")
                    .map_err(MarketError::MalformedProof)?;
                let bytes = f
                    .proof_bytes("proof")
                    .map_err(MarketError::MalformedProof)?;
                Some(hex::encode(sha2::Sha256::digest(&bytes)))
            }
            None => None,
        };
        use crate::db::write_tx;
        let now = self.market.now();
        self.block_on(async {
            write_tx!(self.market.db, tx, {
                let mut job = crate::market::lock_job(tx, job_id).await?;
                let (Some(claim), Some(provider)) = (job.claim_id.clone(), job.claimant.clone())
                else {
                    return Err(MarketError::NoActiveClaim {
                        job_id: job_id.to_string(),
                    });
                };
                let sid = crate::market::random_id("s");
                sqlx::query(
                    "INSERT INTO submissions (id, job_id, claim_id, provider, proof_hash, body, received_at, status, decided_at) VALUES ($1, $2, $3, $4, $6, '{}', $5, $7, $5)",
                )
                .bind(&sid).bind(job_id).bind(&claim).bind(&provider).bind(now)
                .bind(hash.clone().unwrap_or_else(|| sid.clone()))
                .bind(crate::types::SubmissionStatus::Valid.as_str())
                .execute(&mut *tx)
                .await?;
                crate::ops::settle(tx, &mut job, &claim, &sid, vec![], now).await
            })
        })
    }

    /// Moves a job to `to` by the operation `op` through the market's checked transition (and nothing
    /// else: no money moves): for tests of the transition table, which refuses what it does not list.
    pub fn transition_job(
        &self,
        job_id: &str,
        to: crate::types::JobState,
        op: &'static str,
    ) -> Result<(), MarketError> {
        use crate::db::write_tx;
        self.block_on(async {
            write_tx!(self.market.db, tx, {
                let mut job = crate::market::lock_job(tx, job_id).await?;
                crate::store::move_job(tx, &mut job, to, op).await
            })
        })
    }
}

/// Sends the headers of a POST announcing a `declared_len`-byte body and only its first byte, then reads
/// the response: how a server answers an oversized upload without the client having to push it all (an
/// HTTP client writing the whole body gets a broken pipe once the server has answered and closed).
pub fn post_oversized(
    url: &str,
    path: &str,
    declared_len: usize,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {declared_len}\r\n\r\n{{"
    )?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
            }
            Err(e) if buf.is_empty() => return Err(e),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The verifier's iris fixture (settings, vk, verifier params): a real listing's artifacts.
pub fn iris_artifacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris")
}

/// The iris artifacts with `k` in settings.json, in the vk's settings digest and halo2 header and in the
/// params, written to `dir/name`: a hostile listing that passes every structural check and claims a
/// domain of 2^k rows.
pub fn artifacts_with_k(dir: &Path, name: &str, k: u32) -> PathBuf {
    use sha2::{Digest, Sha256};
    let read = |f: &str| {
        std::fs::read(iris_artifacts().join(f)).unwrap_or_else(|e| panic!("read {f}: {e}"))
    };
    let out = dir.join(name);
    std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("mkdir {out:?}: {e}"));
    let mut settings: serde_json::Value =
        serde_json::from_slice(&read("settings.json")).unwrap_or_else(|e| panic!("json: {e}"));
    settings["k"] = k.into();
    let settings = serde_json::to_vec_pretty(&settings).unwrap_or_else(|e| panic!("json: {e}"));
    let mut vk = read("vk.bin");
    vk[12..44].copy_from_slice(&Sha256::digest(&settings));
    vk[45..49].copy_from_slice(&k.to_le_bytes());
    let mut params = read("verifier_params.bin");
    params[12..16].copy_from_slice(&k.to_le_bytes());
    for (f, bytes) in [
        ("settings.json", &settings),
        ("vk.bin", &vk),
        ("verifier_params.bin", &params),
    ] {
        std::fs::write(out.join(f), bytes).unwrap_or_else(|e| panic!("write {f}: {e}"));
    }
    out
}
