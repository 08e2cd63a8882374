//! The server-side commands of `zkinfer market`: keygen, serve, audit and the load benchmark.

use super::{print, runtime};
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_market::auth::Identity;

/// `zkinfer market keygen --out FILE`.
#[derive(Debug, Args)]
pub(super) struct KeygenArgs {
    #[arg(long)]
    out: PathBuf,
}

impl KeygenArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let id = Identity::generate();
        id.save(&self.out).map_err(|e| anyhow!(e))?;
        println!("{}", id.public_hex());
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer market serve --db DB`.
#[derive(Debug, Args)]
pub(super) struct ServeArgs {
    /// SQLite file (or sqlite://PATH) or postgres://USER@HOST/DB.
    #[arg(long)]
    db: String,
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: String,
    /// Enable the dev-mode mint (tests and demos).
    #[arg(long)]
    dev_mint: bool,
    /// Enable POST /v1/dev/clock, which moves the market clock forward (tests and demos).
    #[arg(long)]
    dev_clock: bool,
    /// Accept listings whose keys rest on a development SRS (`zkinfer setup` without `--srs`). Whoever
    /// made it may know its secret and forge proofs this market would pay for: tests and demos only.
    #[arg(long)]
    dev_srs: bool,
    /// Market fee in basis points of the price, paid to the treasury on settlement.
    #[arg(long, default_value_t = 100)]
    fee_bps: i64,
    #[arg(long, default_value_t = 4)]
    max_open_claims: i64,
    /// Seconds a claim needs before the job deadline.
    #[arg(long, default_value_t = 10)]
    min_claim_window: i64,
    #[arg(long, default_value_t = 60)]
    unbonding_secs: i64,
    #[arg(long, default_value_t = 1000)]
    reaper_ms: u64,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 2 << 20)]
    max_body: usize,
    /// Largest k a listing may have: its verifying key takes about 576 · 2^k bytes to load (k = 19:
    /// 306 MB). Listings over it are refused before their key is parsed.
    #[arg(long, default_value_t = zkinfer_market::key_limits::DEFAULT_MAX_K)]
    max_k: u32,
    /// Memory all loaded verifying keys may take together, in MiB; a listing whose key alone would take
    /// more is refused, and loads wait (then answer 503) while keys in use fill it.
    #[arg(long, default_value_t = zkinfer_market::key_limits::DEFAULT_KEY_MEMORY >> 20)]
    key_memory_mb: u64,
    /// Fault injection for tests: pause between verifying a proof and settling it.
    #[arg(long, default_value_t = 0, hide = true)]
    settle_delay_ms: u64,
}

impl ServeArgs {
    fn config(&self) -> zkinfer_market::Config {
        zkinfer_market::Config {
            fee_bps: self.fee_bps,
            dev_mint: self.dev_mint,
            dev_clock: self.dev_clock,
            dev_srs: self.dev_srs,
            max_open_claims: self.max_open_claims,
            min_claim_window: self.min_claim_window,
            unbonding_secs: self.unbonding_secs,
            reaper_interval_ms: self.reaper_ms,
            max_body: self.max_body,
            settle_delay_ms: self.settle_delay_ms,
            max_k: self.max_k,
            key_memory: self.key_memory_mb.saturating_mul(1 << 20),
            ..Default::default()
        }
    }

    pub(super) fn run(self) -> Result<ExitCode> {
        if !(0..=10_000).contains(&self.fee_bps) {
            bail!("--fee-bps must be 0..=10000");
        }
        super::malloc_arenas::with_two_arenas()?;
        let config = self.config();
        // timestamped logs of every request and state change (RUST_LOG filters; default info)
        zkinfer_market::logging::init();
        runtime()?.block_on(async move {
            let market = zkinfer_market::Market::open(&self.db, config, Default::default()).await?;
            let listener = tokio::net::TcpListener::bind(&self.addr)
                .await
                .with_context(|| format!("cannot listen on {}", self.addr))?;
            println!(
                "market {} listening on http://{} ({} database{}{}{})",
                market.market_id,
                listener.local_addr()?,
                market.info().backend,
                if self.dev_mint { ", dev mint" } else { "" },
                if self.dev_clock { ", dev clock" } else { "" },
                if self.dev_srs {
                    ", DEVELOPMENT SRS ACCEPTED: proofs may be forgeable"
                } else {
                    ""
                }
            );
            zkinfer_market::api::serve(market, listener).await?;
            anyhow::Ok(())
        })?;
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer market audit --db DB [--json]`.
#[derive(Debug, Args)]
pub(super) struct AuditArgs {
    #[arg(long)]
    db: String,
    #[arg(long)]
    json: bool,
}

impl AuditArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let db = self.db;
        let report = runtime()?.block_on(async move {
            let db = zkinfer_market::db::Db::connect(&db).await?;
            let r = zkinfer_market::audit::audit(&db).await;
            db.close().await;
            anyhow::Ok(r?)
        })?;
        if self.json {
            print(&report)?;
        } else {
            println!(
                "{} accounts, {} entries, {} jobs; minted {}, burned {}; held {:?}",
                report.accounts,
                report.entries,
                report.jobs,
                report.minted,
                report.burned,
                report.held
            );
            for p in &report.problems {
                println!("FAIL: {p}");
            }
            println!(
                "{}",
                if report.ok() {
                    "audit passed"
                } else {
                    "AUDIT FAILED"
                }
            );
        }
        Ok(if report.ok() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// `zkinfer market loadbench --db DB --model-dir DIR --input FILE`.
#[derive(Debug, Args)]
pub(super) struct LoadbenchArgs {
    /// Database (a fresh SQLite file or PostgreSQL database).
    #[arg(long)]
    db: String,
    /// A compiled and set-up model directory.
    #[arg(long)]
    model_dir: PathBuf,
    #[arg(long)]
    input: PathBuf,
    #[arg(long, default_value_t = 64)]
    jobs: usize,
    #[arg(long, default_value_t = 8)]
    clients: usize,
}

impl LoadbenchArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let r = crate::market_bench::run(
            &self.db,
            &self.model_dir,
            &self.input,
            self.jobs,
            self.clients,
            |l| println!("{l}"),
        )?;
        print(&r)?;
        Ok(if r.audit_ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
