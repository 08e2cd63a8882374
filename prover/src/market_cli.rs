//! `zkinfer market …`: the market server, its audit, the client commands and the provider loop.
//! Exit codes: 0 success, 1 a rejected proof or a failed audit, 2 any error.

use anyhow::{anyhow, Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use zkinfer_market::auth::Identity;
use zkinfer_market::client::Client;
use zkinfer_market::types::FailurePolicy;
use zkinfer_prover::Device;

#[derive(Args)]
pub struct MarketArgs {
    #[command(subcommand)]
    cmd: MarketCmd,
}

/// Where the server is and who signs.
#[derive(Args, Clone)]
struct Conn {
    /// The market server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Key file (from `zkinfer market keygen`) to sign with.
    #[arg(long)]
    key: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum PolicyArg {
    Reopen,
    Refund,
}

#[derive(Subcommand)]
enum MarketCmd {
    /// Generate an ed25519 identity into a new key file (prints the public key, the account name).
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the market server (HTTP JSON API and the reaper).
    Serve {
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
        /// Fault injection for tests: pause between verifying a proof and settling it.
        #[arg(long, default_value_t = 0, hide = true)]
        settle_delay_ms: u64,
    },
    /// Check the ledger invariants; exit 1 when one fails.
    Audit {
        #[arg(long)]
        db: String,
        #[arg(long)]
        json: bool,
    },
    /// Market parameters.
    Info(#[command(flatten)] Conn),
    /// Dev mode: mint money into your account.
    Mint {
        #[command(flatten)]
        c: Conn,
        #[arg(long)]
        amount: i64,
    },
    /// Dev mode: move the market clock forward.
    AdvanceClock {
        #[command(flatten)]
        c: Conn,
        secs: i64,
    },
    /// List (or re-list) a model from its directory's settings.json, vk.bin and verifier_params.bin.
    ListModel {
        #[command(flatten)]
        c: Conn,
        dir: PathBuf,
        /// The listing's name.
        #[arg(long)]
        id: String,
        #[arg(long)]
        price: i64,
        #[arg(long, default_value_t = 0)]
        royalty_bps: i64,
        /// Collateral each claim locks from the provider's stake.
        #[arg(long)]
        collateral: i64,
        /// Seconds a claimant has to submit.
        #[arg(long, default_value_t = 60)]
        claim_timeout: i64,
    },
    /// The listed models.
    Models(#[command(flatten)] Conn),
    /// Stake for a model (registers you as its provider).
    Stake {
        #[command(flatten)]
        c: Conn,
        #[arg(long)]
        model: String,
        #[arg(long)]
        amount: i64,
    },
    /// Start unbonding stake (refused while you hold a claim on the model).
    Unstake {
        #[command(flatten)]
        c: Conn,
        #[arg(long)]
        model: String,
        #[arg(long)]
        amount: i64,
    },
    /// Create a job: the price is escrowed at once.
    CreateJob {
        #[command(flatten)]
        c: Conn,
        #[arg(long)]
        model: String,
        /// Input in EZKL's format ({"input_data": [[...]]}).
        #[arg(long)]
        input: PathBuf,
        /// Seconds until the job expires.
        #[arg(long, default_value_t = 600)]
        deadline: i64,
        #[arg(long, value_enum, default_value = "reopen")]
        policy: PolicyArg,
        /// Idempotency key: creating again with it returns the same job.
        #[arg(long)]
        index: String,
    },
    /// Cancel an open job (escrow back).
    Cancel {
        #[command(flatten)]
        c: Conn,
        job: String,
    },
    /// Claim a job (prints the claim and its binding value).
    Claim {
        #[command(flatten)]
        c: Conn,
        job: String,
    },
    /// Give up a claim (slashed like a timeout).
    Abandon {
        #[command(flatten)]
        c: Conn,
        job: String,
        #[arg(long)]
        claim: String,
    },
    /// Submit a proof file for a claimed job (exit 1 if rejected).
    Submit {
        #[command(flatten)]
        c: Conn,
        job: String,
        #[arg(long)]
        claim: String,
        #[arg(long)]
        proof: PathBuf,
    },
    /// List jobs.
    Jobs {
        #[command(flatten)]
        c: Conn,
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        model: Option<String>,
    },
    /// Show a job; with --result (signed by the buyer) its verified outputs.
    Show {
        #[command(flatten)]
        c: Conn,
        job: String,
        #[arg(long)]
        result: bool,
    },
    /// Balances of an account (default: the --key's).
    Balance {
        #[command(flatten)]
        c: Conn,
        account: Option<String>,
    },
    /// The provider loop: poll, pre-check, claim, prove with the job's binding, submit.
    Work {
        #[command(flatten)]
        c: Conn,
        /// Model directories served (compiled and set up).
        #[arg(long = "models", num_args = 1.., required = true)]
        models: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "cpu")]
        device: Device,
        #[arg(long, default_value_t = 500)]
        poll_ms: u64,
        /// Stop after this many judged submissions.
        #[arg(long)]
        max_jobs: Option<usize>,
        /// Stop after this many seconds without work.
        #[arg(long)]
        idle_exit: Option<u64>,
        /// Ignore jobs worth less (price + bounty).
        #[arg(long, default_value_t = 0)]
        min_value: i64,
    },
    /// Load benchmark: settlements per second and the share of time in proof verification.
    Loadbench {
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
    },
}

fn client(c: &Conn) -> Result<Client> {
    let id = c
        .key
        .as_ref()
        .map(|k| Identity::load(k).map_err(|e| anyhow!(e)))
        .transpose()?;
    Ok(Client::new(&c.server, id))
}

fn print<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs a `zkinfer market` command.
pub fn run(args: MarketArgs) -> Result<ExitCode> {
    match args.cmd {
        MarketCmd::Keygen { out } => {
            let id = Identity::generate();
            id.save(&out).map_err(|e| anyhow!(e))?;
            println!("{}", id.public_hex());
        }
        MarketCmd::Serve {
            db,
            addr,
            dev_mint,
            dev_clock,
            fee_bps,
            max_open_claims,
            min_claim_window,
            unbonding_secs,
            reaper_ms,
            max_body,
            settle_delay_ms,
        } => {
            let config = zkinfer_market::Config {
                fee_bps,
                dev_mint,
                dev_clock,
                max_open_claims,
                min_claim_window,
                unbonding_secs,
                reaper_interval_ms: reaper_ms,
                max_body,
                settle_delay_ms,
                ..Default::default()
            };
            if !(0..=10_000).contains(&fee_bps) {
                anyhow::bail!("--fee-bps must be 0..=10000");
            }
            runtime()?.block_on(async move {
                let market = zkinfer_market::Market::open(&db, config, Default::default()).await?;
                let listener = tokio::net::TcpListener::bind(&addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                println!(
                    "market {} listening on http://{} ({} database{}{})",
                    market.market_id,
                    listener.local_addr()?,
                    market.info().backend,
                    if dev_mint { ", dev mint" } else { "" },
                    if dev_clock { ", dev clock" } else { "" }
                );
                zkinfer_market::api::serve(market, listener).await?;
                anyhow::Ok(())
            })?;
        }
        MarketCmd::Audit { db, json } => {
            let report = runtime()?.block_on(async move {
                let db = zkinfer_market::db::Db::connect(&db).await?;
                let r = zkinfer_market::audit::audit(&db).await;
                db.close().await;
                anyhow::Ok(r?)
            })?;
            if json {
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
            if !report.ok() {
                return Ok(ExitCode::from(1));
            }
        }
        MarketCmd::Info(c) => print(&client(&c)?.info()?)?,
        MarketCmd::Mint { c, amount } => print(&client(&c)?.mint(amount)?)?,
        MarketCmd::AdvanceClock { c, secs } => print(&client(&c)?.advance_clock(secs)?)?,
        MarketCmd::ListModel {
            c,
            dir,
            id,
            price,
            royalty_bps,
            collateral,
            claim_timeout,
        } => print(&client(&c)?.list_model(
            &id,
            &dir,
            price,
            royalty_bps,
            collateral,
            claim_timeout,
        )?)?,
        MarketCmd::Models(c) => print(&client(&c)?.models()?)?,
        MarketCmd::Stake { c, model, amount } => print(&client(&c)?.stake(&model, amount)?)?,
        MarketCmd::Unstake { c, model, amount } => print(&client(&c)?.unstake(&model, amount)?)?,
        MarketCmd::CreateJob {
            c,
            model,
            input,
            deadline,
            policy,
            index,
        } => {
            let text =
                std::fs::read_to_string(&input).with_context(|| input.display().to_string())?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", input.display()))?;
            let policy = match policy {
                PolicyArg::Reopen => FailurePolicy::Reopen,
                PolicyArg::Refund => FailurePolicy::Refund,
            };
            print(&client(&c)?.create_job(&model, v, deadline, policy, &index)?)?
        }
        MarketCmd::Cancel { c, job } => print(&client(&c)?.cancel(&job)?)?,
        MarketCmd::Claim { c, job } => print(&client(&c)?.claim(&job)?)?,
        MarketCmd::Abandon { c, job, claim } => print(&client(&c)?.abandon(&job, &claim)?)?,
        MarketCmd::Submit {
            c,
            job,
            claim,
            proof,
        } => {
            let text =
                std::fs::read_to_string(&proof).with_context(|| proof.display().to_string())?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not JSON", proof.display()))?;
            let r =
                zkinfer_prover::market_worker::submit_with_retries(&client(&c)?, &job, &claim, v)?;
            print(&r)?;
            if r.status != "VALID" {
                return Ok(ExitCode::from(1));
            }
        }
        MarketCmd::Jobs { c, state, model } => {
            let mut q = vec![];
            if let Some(s) = state {
                q.push(format!("state={s}"));
            }
            if let Some(m) = model {
                q.push(format!("listing_id={m}"));
            }
            print(&client(&c)?.jobs(&q.join("&"))?)?
        }
        MarketCmd::Show { c, job, result } => {
            let cl = client(&c)?;
            print(&if result {
                cl.job_result(&job)?
            } else {
                cl.job(&job)?
            })?
        }
        MarketCmd::Balance { c, account } => {
            let cl = client(&c)?;
            let who = account.unwrap_or_else(|| cl.key());
            if who.is_empty() {
                anyhow::bail!("give an account or --key");
            }
            print(&cl.balances(&who)?)?
        }
        MarketCmd::Work {
            c,
            models,
            device,
            poll_ms,
            max_jobs,
            idle_exit,
            min_value,
        } => {
            let key = c.key.clone().ok_or_else(|| anyhow!("work needs --key"))?;
            let cfg = zkinfer_prover::market_worker::WorkerConfig {
                server: c.server.clone(),
                identity: Identity::load(&key).map_err(|e| anyhow!(e))?,
                models,
                device,
                poll: Duration::from_millis(poll_ms),
                max_jobs,
                idle_exit: idle_exit.map(Duration::from_secs),
                min_value,
                safety: 2.0,
            };
            let r = zkinfer_prover::market_worker::run(&cfg, |l| println!("{l}"))?;
            println!(
                "done: {} settled, {} rejected, {} abandoned, {} races lost, {} skipped, earned {}",
                r.settled, r.rejected, r.abandoned, r.lost_races, r.skipped, r.earned
            );
        }
        MarketCmd::Loadbench {
            db,
            model_dir,
            input,
            jobs,
            clients,
        } => {
            let r =
                zkinfer_prover::market_bench::run(&db, &model_dir, &input, jobs, clients, |l| {
                    println!("{l}")
                })?;
            print(&r)?;
            if !r.audit_ok {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
