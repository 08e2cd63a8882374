//! The client commands of `zkinfer market` that take more than one call, and the provider loop.

use super::{print, Conn};
use anyhow::{anyhow, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;
use zkinfer_market::auth::Identity;
use zkinfer_market::types::FailurePolicy;
use zkinfer_prover::Device;

/// What happens to a job whose claim fails (`--policy`).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum PolicyArg {
    Reopen,
    Refund,
}

impl From<PolicyArg> for FailurePolicy {
    fn from(p: PolicyArg) -> Self {
        match p {
            PolicyArg::Reopen => FailurePolicy::Reopen,
            PolicyArg::Refund => FailurePolicy::Refund,
        }
    }
}

/// Reads a JSON file.
fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
}

/// `zkinfer market list-model DIR --id ID --price P --collateral C`.
#[derive(Debug, Args)]
pub(super) struct ListModelArgs {
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
}

impl ListModelArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        print(&self.c.client()?.list_model(
            &self.id,
            &self.dir,
            self.price,
            self.royalty_bps,
            self.collateral,
            self.claim_timeout,
        )?)
    }
}

/// `zkinfer market stake|unstake --model M --amount A`.
#[derive(Debug, Args)]
pub(super) struct StakeArgs {
    #[command(flatten)]
    pub(super) c: Conn,
    #[arg(long)]
    pub(super) model: String,
    #[arg(long)]
    pub(super) amount: i64,
}

/// `zkinfer market create-job --model M --input FILE --index KEY`.
#[derive(Debug, Args)]
pub(super) struct CreateJobArgs {
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
}

impl CreateJobArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let v = read_json(&self.input)?;
        print(&self.c.client()?.create_job(
            &self.model,
            v,
            self.deadline,
            self.policy.into(),
            &self.index,
        )?)
    }
}

/// `zkinfer market cancel|claim JOB`.
#[derive(Debug, Args)]
pub(super) struct JobArgs {
    #[command(flatten)]
    pub(super) c: Conn,
    pub(super) job: String,
}

/// `zkinfer market abandon JOB --claim CLAIM`.
#[derive(Debug, Args)]
pub(super) struct ClaimArgs {
    #[command(flatten)]
    pub(super) c: Conn,
    pub(super) job: String,
    #[arg(long)]
    pub(super) claim: String,
}

/// `zkinfer market submit JOB --claim CLAIM --proof FILE`.
#[derive(Debug, Args)]
pub(super) struct SubmitArgs {
    #[command(flatten)]
    c: Conn,
    job: String,
    #[arg(long)]
    claim: String,
    #[arg(long)]
    proof: PathBuf,
}

impl SubmitArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let v = read_json(&self.proof)?;
        let r = crate::market_worker::submit_with_retries(
            &self.c.client()?,
            &self.job,
            &self.claim,
            v,
        )?;
        print(&r)?;
        Ok(if r.status == "VALID" {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// `zkinfer market work --key K --models DIR...`: the provider loop.
#[derive(Debug, Args)]
pub(super) struct WorkArgs {
    #[command(flatten)]
    c: Conn,
    /// Model directories served (compiled and set up).
    #[arg(long = "models", num_args = 1.., required = true)]
    models: Vec<PathBuf>,
    /// Where proofs are computed: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: Device,
    #[arg(long, default_value_t = 500)]
    poll_ms: u64,
    /// Stop after this many judged submissions.
    #[arg(long)]
    max_jobs: Option<usize>,
    /// Stop after this many seconds without work.
    #[arg(long)]
    idle_exit: Option<u64>,
    /// Ignore jobs paying the provider less (its share of the price after royalty and fee, plus the
    /// bounty). Jobs paying nothing are always ignored.
    #[arg(long, default_value_t = 0)]
    min_value: i64,
}

impl WorkArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let key = self
            .c
            .key
            .clone()
            .ok_or_else(|| anyhow!("work needs --key"))?;
        let cfg = crate::market_worker::WorkerConfig {
            server: self.c.server.clone(),
            identity: Identity::load(&key).map_err(|e| anyhow!(e))?,
            models: self.models,
            device: self.device,
            poll: Duration::from_millis(self.poll_ms),
            max_jobs: self.max_jobs,
            idle_exit: self.idle_exit.map(Duration::from_secs),
            min_value: self.min_value,
            safety: 2.0,
        };
        zkinfer_market::logging::init();
        let r = crate::market_worker::run(&cfg)?;
        println!(
            "done: {} settled, {} rejected, {} abandoned, {} races lost, {} skipped, {} resumed, earned {}, \
             collateral lost {}",
            r.settled,
            r.rejected,
            r.abandoned,
            r.lost_races,
            r.skipped,
            r.resumed,
            r.earned,
            r.lost
        );
        for (model, why) in &r.disabled {
            println!("stopped serving model {model}: {why}");
        }
        if r.lost > 0 {
            println!(
                "lost {} of collateral to {} abandoned and {} rejected claims (see the log above for why)",
                r.lost, r.abandoned, r.rejected
            );
        }
        // 1: money was lost or a served model failed (see the log); the provider should look at why
        Ok(if r.disabled.is_empty() && r.lost == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}
