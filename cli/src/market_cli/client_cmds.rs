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

/// `zkinfer market create-job --model M (--input FILE | --commitments FILE | --openings FILE) --index KEY`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["input", "commitments", "openings"])))]
pub(super) struct CreateJobArgs {
    #[command(flatten)]
    c: Conn,
    #[arg(long)]
    model: String,
    /// Input in EZKL's format ({"input_data": [[...]]}) (public-input models).
    #[arg(long)]
    input: Option<PathBuf>,
    /// Hashed-input models: the commitments, a JSON list of 0x hex (one per input tensor) or an object
    /// with such a "commitments" list.
    #[arg(long)]
    commitments: Option<PathBuf>,
    /// Hashed-input models: an openings file (proof.openings.json); only its input commitments are sent,
    /// never the values or salts (those go to the claimant later with `seal`).
    #[arg(long)]
    openings: Option<PathBuf>,
    /// Seconds until the job expires.
    #[arg(long, default_value_t = 600)]
    deadline: i64,
    #[arg(long, value_enum, default_value = "reopen")]
    policy: PolicyArg,
    /// Idempotency key: creating again with it returns the same job.
    #[arg(long)]
    index: String,
}

/// An openings file's input openings only (what a buyer seals), checked to open their commitments.
fn input_openings(path: &Path) -> Result<zkinfer_verifier::openings_file::OpeningsFile> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    let mut f =
        zkinfer_verifier::openings_file::OpeningsFile::parse(&bytes, &path.display().to_string())?;
    f.openings
        .retain(|o| o.kind == zkinfer_verifier::openings_file::TensorKind::Input);
    f.openings.sort_by_key(|o| o.index);
    if f.openings.is_empty() {
        return Err(anyhow!(
            "{}: no input openings (was the model compiled with --input-visibility hashed?)",
            path.display()
        ));
    }
    Ok(f)
}

/// The commitments of an openings file's inputs, in input order, canonical (lower-case 0x hex).
fn commitments_of(f: &zkinfer_verifier::openings_file::OpeningsFile) -> Vec<String> {
    f.openings
        .iter()
        .map(|o| {
            zkinfer_circuits::poseidon::fr_from_be_hex(&o.commitment)
                .map(|fr| zkinfer_circuits::poseidon::fr_to_be_hex(&fr))
                .unwrap_or_else(|| o.commitment.clone())
        })
        .collect()
}

impl CreateJobArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let client = self.c.client()?;
        let (policy, index) = (self.policy.into(), self.index.as_str());
        if let Some(input) = &self.input {
            let v = read_json(input)?;
            return print(&client.create_job(&self.model, v, self.deadline, policy, index)?);
        }
        let commitments = match (&self.commitments, &self.openings) {
            (Some(path), _) => {
                let v = read_json(path)?;
                let list = v.get("commitments").cloned().unwrap_or(v);
                serde_json::from_value::<Vec<String>>(list).with_context(|| {
                    format!("{}: not a list of 0x hex commitments", path.display())
                })?
            }
            (None, Some(path)) => commitments_of(&input_openings(path)?),
            (None, None) => return Err(anyhow!("give --input, --commitments or --openings")),
        };
        print(&client.create_hashed_job(&self.model, commitments, self.deadline, policy, index)?)
    }
}

/// `zkinfer market seal JOB --openings FILE`: the buyer seals the openings of the job's inputs to its
/// current claimant (only the claimant can open them; the server stores the ciphertext).
#[derive(Debug, Args)]
pub(super) struct SealArgs {
    #[command(flatten)]
    c: Conn,
    job: String,
    /// The openings file whose input commitments the job names (proof.openings.json).
    #[arg(long)]
    openings: PathBuf,
}

impl SealArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let client = self.c.client()?;
        let f = input_openings(&self.openings)?;
        let job = client.job(&self.job)?;
        let ours = commitments_of(&f);
        if job.commitments.as_ref() != Some(&ours) {
            return Err(anyhow!(
                "{}: its input commitments {ours:?} are not job {}'s {:?}",
                self.openings.display(),
                job.id,
                job.commitments
            ));
        }
        let plaintext = serde_json::to_vec(&f)?;
        print(&client.seal_input(&self.job, &plaintext)?)
    }
}

/// `zkinfer market open-input JOB --out FILE`: the claimant fetches the sealed input of its claim, opens
/// it, checks that it opens the job's commitments and writes it as an openings file for
/// `zkinfer prove DIR --input FILE --bind BIND`. Exit 3 while the buyer has not posted it.
#[derive(Debug, Args)]
pub(super) struct OpenInputArgs {
    #[command(flatten)]
    c: Conn,
    job: String,
    #[arg(long)]
    out: PathBuf,
}

impl OpenInputArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let client = self.c.client()?;
        let plaintext = match client.open_sealed_input(&self.job) {
            Err(e) if e.status == 404 => {
                eprintln!("{}", e.message);
                return Ok(ExitCode::from(3));
            }
            other => other?,
        };
        let job = client.job(&self.job)?;
        let f = zkinfer_verifier::openings_file::OpeningsFile::parse(&plaintext, "sealed input")
            .map_err(|e| {
                anyhow!(
                    "{e}; refuse it with `zkinfer market refuse-input {} --claim CLAIM`",
                    self.job
                )
            })?;
        if job.commitments.as_ref() != Some(&commitments_of(&f)) {
            return Err(anyhow!(
                "the sealed input does not open job {}'s commitments; refuse it with `zkinfer market refuse-input {} --claim CLAIM`",
                job.id,
                job.id
            ));
        }
        std::fs::write(&self.out, f.to_json()).with_context(|| self.out.display().to_string())?;
        print(
            &serde_json::json!({"job_id": job.id, "openings": self.out, "claim_deadline": job.claim_deadline}),
        )
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
            "done: {} settled, {} rejected, {} abandoned, {} sealed inputs refused, {} races lost, {} skipped, \
             {} resumed, earned {}, collateral lost {}",
            r.settled,
            r.rejected,
            r.abandoned,
            r.refused,
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
