//! `zkinfer market …`: the market server, its audit, the client commands and the provider loop.
//! Exit codes: 0 success; 1 a rejected proof, a failed audit, a job that ended without a result
//! (`show --result`), or a provider loop that lost collateral or stopped serving a model; 2 any error (an
//! unknown account, a refused request, an unreachable server, a provider loop whose start-up check
//! failed); 3 `show --result` on a job not settled yet (or `--wait` timed out).

mod client_cmds;
mod malloc_arenas;
mod query_cmds;
mod server_cmds;

use anyhow::{anyhow, Result};
use clap::{Args, Subcommand};
use client_cmds::{
    ClaimArgs, CreateJobArgs, JobArgs, ListModelArgs, OpenInputArgs, SealArgs, StakeArgs,
    SubmitArgs, WorkArgs,
};
use query_cmds::{BalanceArgs, HistoryArgs, JobsArgs, ShowArgs};
use serde::Serialize;
use server_cmds::{AuditArgs, KeygenArgs, LoadbenchArgs, ServeArgs};
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_market::auth::Identity;
use zkinfer_market::client::Client;

#[derive(Debug, Args)]
pub struct MarketArgs {
    #[command(subcommand)]
    cmd: MarketCmd,
}

/// Where the server is and who signs.
#[derive(Debug, Args, Clone)]
struct Conn {
    /// The market server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    server: String,
    /// Key file (from `zkinfer market keygen`) to sign with.
    #[arg(long)]
    key: Option<PathBuf>,
}

impl Conn {
    /// A client of the server, signing with the key when one is given.
    fn client(&self) -> Result<Client> {
        let id = self
            .key
            .as_ref()
            .map(|k| Identity::load(k).map_err(|e| anyhow!(e)))
            .transpose()?;
        Ok(Client::new(&self.server, id))
    }
}

#[derive(Debug, Subcommand)]
enum MarketCmd {
    /// Generate an ed25519 identity into a new key file (prints the public key, the account name).
    Keygen(KeygenArgs),
    /// Run the market server (HTTP JSON API and the reaper).
    Serve(ServeArgs),
    /// Check the ledger invariants; exit 1 when one fails.
    Audit(AuditArgs),
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
    ListModel(ListModelArgs),
    /// The listed models.
    Models(#[command(flatten)] Conn),
    /// Stake for a model (registers you as its provider).
    Stake(StakeArgs),
    /// Start unbonding stake (refused while you hold a claim on the model).
    Unstake(StakeArgs),
    /// Create a job: the price is escrowed at once.
    CreateJob(CreateJobArgs),
    /// Cancel an open job (escrow back).
    Cancel(JobArgs),
    /// Claim a job (prints the claim and its binding value).
    Claim(JobArgs),
    /// Give up a claim (slashed like a timeout).
    Abandon(ClaimArgs),
    /// Buyer of a hashed-input job: seal the openings of its inputs to the current claimant.
    Seal(SealArgs),
    /// Claimant of a hashed-input job: fetch and open the sealed input into an openings file (exit 3: not
    /// posted yet).
    OpenInput(OpenInputArgs),
    /// Claimant of a hashed-input job: refuse an unusable sealed input (claim released with its whole
    /// collateral, job refunded).
    RefuseInput(ClaimArgs),
    /// Submit a proof file for a claimed job (exit 1 if rejected).
    Submit(SubmitArgs),
    /// List jobs, most urgent first, without their inputs unless --with-input.
    Jobs(JobsArgs),
    /// Show a job; with --result (signed by the buyer) its verified outputs (exit 3: not ready).
    Show(ShowArgs),
    /// Balances of an account (default: the --key's): available, stakes, collateral, unbonding, escrow;
    /// `treasury`: the market's totals. Exit 2 for an unknown account.
    Balance(BalanceArgs),
    /// An account's ledger entries, oldest first: earnings, slashes with their reasons, escrows, refunds.
    #[command(alias = "entries")]
    History(HistoryArgs),
    /// Minted, burned, treasury and held totals of the market.
    Totals(#[command(flatten)] Conn),
    /// The provider loop: poll, pre-check, claim, prove with the job's binding, submit.
    Work(WorkArgs),
    /// Load benchmark: settlements per second and the share of time in proof verification.
    Loadbench(LoadbenchArgs),
}

/// Prints a value as pretty JSON.
fn print<T: Serialize>(v: &T) -> Result<ExitCode> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(ExitCode::SUCCESS)
}

/// A tokio runtime for the server commands.
fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Runs a `zkinfer market` command.
pub fn run(args: MarketArgs) -> Result<ExitCode> {
    match args.cmd {
        MarketCmd::Keygen(a) => a.run(),
        MarketCmd::Serve(a) => a.run(),
        MarketCmd::Audit(a) => a.run(),
        MarketCmd::Info(c) => print(&c.client()?.info()?),
        MarketCmd::Mint { c, amount } => print(&c.client()?.mint(amount)?),
        MarketCmd::AdvanceClock { c, secs } => print(&c.client()?.advance_clock(secs)?),
        MarketCmd::ListModel(a) => a.run(),
        MarketCmd::Models(c) => print(&c.client()?.models()?),
        MarketCmd::Stake(a) => print(&a.c.client()?.stake(&a.model, a.amount)?),
        MarketCmd::Unstake(a) => print(&a.c.client()?.unstake(&a.model, a.amount)?),
        MarketCmd::CreateJob(a) => a.run(),
        MarketCmd::Cancel(a) => print(&a.c.client()?.cancel(&a.job)?),
        MarketCmd::Claim(a) => print(&a.c.client()?.claim(&a.job)?),
        MarketCmd::Abandon(a) => print(&a.c.client()?.abandon(&a.job, &a.claim)?),
        MarketCmd::Seal(a) => a.run(),
        MarketCmd::OpenInput(a) => a.run(),
        MarketCmd::RefuseInput(a) => print(&a.c.client()?.refuse_input(&a.job, &a.claim)?),
        MarketCmd::Submit(a) => a.run(),
        MarketCmd::Jobs(a) => a.run(),
        MarketCmd::Show(a) => a.run(),
        MarketCmd::Balance(a) => a.run(),
        MarketCmd::History(a) => a.run(),
        MarketCmd::Totals(c) => print(&c.client()?.totals()?),
        MarketCmd::Work(a) => a.run(),
        MarketCmd::Loadbench(a) => a.run(),
    }
}
