//! `zkinfer market work`: the provider loop. Poll the market for open jobs of the models served here,
//! pre-check each locally (witness generation: the input fits every layer), claim (losing a race is
//! normal), prove bound to (market, job, this key), submit with idempotent retries, and abandon at once
//! when local proving fails, so the job reopens sooner. Reopened jobs carry a bounty and rank first.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_market::auth::Identity;
use zkinfer_market::client::{Client, ClientError};
use zkinfer_market::types::{ClaimInfo, Job};
use zkinfer_prover::{pipeline, Device, ModelDir};

/// The provider loop's settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub server: String,
    pub identity: Identity,
    /// Model directories (compiled and set up: settings.json, model.json, pk.bin, vk.bin, kzg.srs).
    pub models: Vec<PathBuf>,
    pub device: Device,
    pub poll: Duration,
    /// Stop after this many judged submissions.
    pub max_jobs: Option<usize>,
    /// Stop after this long without any job to take.
    pub idle_exit: Option<Duration>,
    /// Ignore jobs paying less than this (price + bounty).
    pub min_value: i64,
    /// Claim only when the claim timeout exceeds the estimated proving time times this.
    pub safety: f64,
}

/// What the loop did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerReport {
    pub settled: usize,
    pub rejected: usize,
    pub abandoned: usize,
    pub lost_races: usize,
    pub skipped: usize,
    pub earned: i64,
}

struct Served {
    dir: ModelDir,
    model: Arc<CompiledModel>,
    estimate: Duration,
}

fn load(dirs: &[PathBuf]) -> anyhow::Result<HashMap<String, Served>> {
    let mut out = HashMap::new();
    for d in dirs {
        let md = ModelDir::new(d);
        let (settings, _) = md.settings()?;
        if !md.has("pk.bin") {
            anyhow::bail!("{}: no pk.bin: run `zkinfer setup` first", d.display());
        }
        let model = Arc::new(md.compiled_model(&settings)?);
        let id = zkinfer_verifier::VerifierArtifacts::load_dir(d)?.model_id;
        out.insert(
            id,
            Served {
                dir: md,
                model,
                estimate: Duration::from_secs(2),
            },
        );
    }
    Ok(out)
}

/// Runs the loop; `log` receives one line per event.
pub fn run(cfg: &WorkerConfig, log: impl FnMut(&str)) -> anyhow::Result<WorkerReport> {
    let mut w = Worker::connect(cfg, log)?;
    let mut idle_since = Instant::now();
    loop {
        if cfg
            .max_jobs
            .is_some_and(|m| w.report.settled + w.report.rejected >= m)
        {
            return Ok(w.report);
        }
        let mut worked = false;
        for job in w.candidates() {
            match w.work_on(&job)? {
                Outcome::NotTaken => {}
                Outcome::Abandoned => worked = true,
                Outcome::Submitted => {
                    worked = true;
                    break; // poll again: the market may have changed while proving
                }
            }
        }
        if worked {
            idle_since = Instant::now();
        } else {
            if cfg.idle_exit.is_some_and(|d| idle_since.elapsed() >= d) {
                return Ok(w.report);
            }
            std::thread::sleep(cfg.poll);
        }
    }
}

/// What became of one candidate job.
enum Outcome {
    /// Skipped, or claimed by another provider first.
    NotTaken,
    /// Claimed, then given up (proving failed or the binding differs).
    Abandoned,
    /// Claimed, proved and submitted (whatever the judgement).
    Submitted,
}

/// The provider loop's state.
struct Worker<'a, L: FnMut(&str)> {
    cfg: &'a WorkerConfig,
    client: Client,
    me: String,
    market_id: String,
    served: HashMap<String, Served>,
    report: WorkerReport,
    /// Jobs not to look at again.
    skip: HashSet<String>,
    log: L,
}

impl<'a, L: FnMut(&str)> Worker<'a, L> {
    fn connect(cfg: &'a WorkerConfig, mut log: L) -> anyhow::Result<Self> {
        let client = Client::new(&cfg.server, Some(cfg.identity.clone()));
        let me = client.key();
        let market_id = client
            .info()
            .map_err(|e| anyhow::anyhow!("{}: {e}", cfg.server))?
            .market_id;
        let served = load(&cfg.models)?;
        log(&format!(
            "provider {me} serving {} model(s) on market {market_id}",
            served.len()
        ));
        Ok(Self {
            cfg,
            client,
            me,
            market_id,
            served,
            report: WorkerReport::default(),
            skip: HashSet::new(),
            log,
        })
    }

    /// The open jobs of the served models worth taking: highest value first (a reopened job's bounty
    /// raises it), then oldest.
    fn candidates(&mut self) -> Vec<Job> {
        let mut candidates: Vec<Job> = Vec::new();
        for id in self.served.keys() {
            match self
                .client
                .jobs(&format!("state=OPEN&model_id={id}&limit=100"))
            {
                Ok(js) => candidates.extend(js),
                Err(e) => (self.log)(&format!("poll failed: {e}")),
            }
        }
        candidates
            .retain(|j| !self.skip.contains(&j.id) && j.price + j.bounty >= self.cfg.min_value);
        candidates.sort_by_key(|j| (-(j.price + j.bounty), j.created_at));
        candidates
    }

    /// Marks a job as not to be taken, saying why.
    fn pass(&mut self, job: &Job, why: &str) -> Outcome {
        (self.log)(&format!("skip {}: {why}", job.id));
        self.skip.insert(job.id.clone());
        self.report.skipped += 1;
        Outcome::NotTaken
    }

    /// Gives up a claim, saying why.
    fn abandon(&mut self, job: &Job, claim: &ClaimInfo, why: &str) -> Outcome {
        (self.log)(&format!("abandon {}: {why}", job.id));
        let _ = self.client.abandon(&job.id, &claim.claim_id);
        self.report.abandoned += 1;
        self.skip.insert(job.id.clone());
        Outcome::Abandoned
    }

    /// Pre-checks, claims, proves and submits one job.
    fn work_on(&mut self, job: &Job) -> anyhow::Result<Outcome> {
        let Some(s) = self.served.get(&job.model_id) else {
            return Ok(Outcome::NotTaken);
        };
        let (dir, model, estimate) = (s.dir.clone(), s.model.clone(), s.estimate);
        if (job.claim_timeout as f64) < estimate.as_secs_f64() * self.cfg.safety {
            let why = format!(
                "claim timeout {} s is too short to prove safely",
                job.claim_timeout
            );
            return Ok(self.pass(job, &why));
        }
        if let Err(e) = zkinfer_circuits::witness::generate(&model.quant, &model.plan, &job.input) {
            return Ok(self.pass(job, &format!("pre-check failed: {e}")));
        }
        let claim = match self.client.claim(&job.id) {
            Ok(c) => c,
            Err(e) if e.status == 409 => {
                self.report.lost_races += 1;
                return Ok(Outcome::NotTaken);
            }
            Err(e) => {
                (self.log)(&format!("claim {} failed: {e}", job.id));
                self.skip.insert(job.id.clone());
                return Ok(Outcome::NotTaken);
            }
        };
        let bind = zkinfer_market::bind::bind(&self.market_id, &job.id, &self.me);
        if zkinfer_circuits::field::fr_to_hex(&bind) != claim.bind {
            let why = "the server's binding value differs from ours";
            return Ok(self.abandon(job, &claim, why));
        }
        let t = Instant::now();
        let proof = match pipeline::prove_bound(&dir, &job.input, self.cfg.device, bind) {
            Ok(p) => p,
            Err(e) => {
                let why = format!("proving failed: {}", e.chain());
                return Ok(self.abandon(job, &claim, &why));
            }
        };
        let took = t.elapsed();
        if let Some(s) = self.served.get_mut(&job.model_id) {
            s.estimate = took;
        }
        let value = serde_json::to_value(&proof.proof)?;
        self.submit(job, &claim, value, took);
        self.skip.insert(job.id.clone());
        Ok(Outcome::Submitted)
    }

    /// Submits a proof and records the judgement.
    fn submit(&mut self, job: &Job, claim: &ClaimInfo, proof: serde_json::Value, took: Duration) {
        match submit_with_retries(&self.client, &job.id, &claim.claim_id, proof) {
            Ok(r) if r.status == "VALID" => {
                self.report.settled += 1;
                self.report.earned += r.paid;
                (self.log)(&format!(
                    "settled {}: paid {} (proved in {:.2} s)",
                    job.id,
                    r.paid,
                    took.as_secs_f64()
                ));
            }
            Ok(r) => {
                self.report.rejected += 1;
                (self.log)(&format!(
                    "submission for {} judged {}: {}",
                    job.id,
                    r.status,
                    r.reason.unwrap_or_default()
                ));
            }
            Err(e) => (self.log)(&format!("submit {} failed: {e}", job.id)),
        }
    }
}

/// Submits, retrying the same proof (idempotent on the server) while the server cannot be reached.
pub fn submit_with_retries(
    client: &Client,
    job: &str,
    claim: &str,
    proof: serde_json::Value,
) -> Result<zkinfer_market::types::SubmitResult, ClientError> {
    let mut delay = Duration::from_millis(200);
    let mut last = None;
    for _ in 0..40 {
        match client.submit(job, claim, proof.clone()) {
            Err(e) if e.is_transport() || e.status >= 500 => {
                last = Some(e);
                std::thread::sleep(delay);
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| ClientError {
        status: 0,
        code: "transport".into(),
        message: "gave up".into(),
        body: serde_json::Value::Null,
    }))
}
