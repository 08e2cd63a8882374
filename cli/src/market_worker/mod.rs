//! `zkinfer market work`: the provider loop.
//!
//! At start-up it checks every served folder (`check`: keys made for the settings, SRS and verifier
//! artifacts readable, a listing on the market pinning the model id) and refuses to start otherwise, so a
//! broken folder costs no collateral. It then resumes the claims this provider still holds (a restart
//! after a crash): proves and submits each while its claim has time left, abandons it otherwise. Then it
//! polls: every OPEN job of the served models, all pages, most urgent first (deadline, then highest value,
//! then id: first come, first served), pre-checks each locally (witness generation: the input fits every
//! layer), claims (losing a race is normal), proves bound to (market, job, this key) and submits with
//! idempotent retries. A proving failure about one input abandons that job; any other (a key, settings,
//! SRS or device failure) also stops claiming for that model, and the loop ends when no model is left.
//! Every claim, proof, submission and abandonment is logged with `tracing` (target `zkinfer::work`).

mod check;

use check::{about_one_input, check_served, Served};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tracing::{error, info, warn};
use zkinfer_market::auth::Identity;
use zkinfer_market::client::{Client, ClientError, JobQuery};
use zkinfer_market::types::{Job, SubmissionStatus};
use zkinfer_prover::{pipeline, Device};

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
    /// Claims held at start-up that were proved and submitted.
    pub resumed: usize,
    pub earned: i64,
    /// Models the loop stopped claiming for: (model id, why).
    pub disabled: Vec<(String, String)>,
}

/// Page size of the loop's job queries (the server's largest).
const PAGE: i64 = 500;

/// Runs the loop: start-up checks, resumption of held claims, then polling until `max_jobs`, `idle_exit`
/// or no model left to serve. `Err` when the start-up check fails (nothing was claimed) or the server's
/// binding value differs from ours.
pub fn run(cfg: &WorkerConfig) -> anyhow::Result<WorkerReport> {
    let mut w = Worker::connect(cfg)?;
    w.resume()?;
    let mut idle_since = Instant::now();
    loop {
        if cfg
            .max_jobs
            .is_some_and(|m| w.report.settled + w.report.rejected >= m)
        {
            return Ok(w.report);
        }
        if w.served.values().all(|s| s.disabled.is_some()) {
            error!(target: "zkinfer::work", "no model left to serve: stopping");
            return Ok(w.report);
        }
        let mut worked = false;
        for job in w.candidates() {
            match w.work_on(&job)? {
                Outcome::NotTaken => {}
                Outcome::Abandoned => {
                    worked = true;
                    break; // a model may have been disabled: poll again
                }
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
    /// Claimed, then given up (proving failed).
    Abandoned,
    /// Claimed, proved and submitted (whatever the judgement).
    Submitted,
}

/// The provider loop's state.
struct Worker<'a> {
    cfg: &'a WorkerConfig,
    client: Client,
    me: String,
    market_id: String,
    served: HashMap<String, Served>,
    report: WorkerReport,
    /// Jobs not to look at again.
    skip: HashSet<String>,
}

impl<'a> Worker<'a> {
    fn connect(cfg: &'a WorkerConfig) -> anyhow::Result<Self> {
        let client = Client::new(&cfg.server, Some(cfg.identity.clone()));
        let me = client.key();
        let market_id = client
            .info()
            .map_err(|e| anyhow::anyhow!("{}: {e}", cfg.server))?
            .market_id;
        let served = check_served(&client, &cfg.models, cfg.device)?;
        for (id, s) in &served {
            info!(target: "zkinfer::work", model = %id, dir = %s.path.display(), "serving");
        }
        info!(
            target: "zkinfer::work",
            provider = %me, market = %market_id, models = served.len(), "provider loop started"
        );
        Ok(Self {
            cfg,
            client,
            me,
            market_id,
            served,
            report: WorkerReport::default(),
            skip: HashSet::new(),
        })
    }

    /// Resumes the claims this provider holds (after a restart): proves and submits each while its claim
    /// has time left, abandons it otherwise. Claims on models not served here are left alone.
    fn resume(&mut self) -> anyhow::Result<()> {
        let q = JobQuery {
            state: Some("CLAIMED".into()),
            party: Some(self.me.clone()),
            limit: Some(PAGE),
            include_input: true,
            ..Default::default()
        };
        let held = self
            .client
            .all_jobs(&q)
            .map_err(|e| anyhow::anyhow!("cannot list the claims held: {e}"))?;
        for job in held {
            if job.claimant.as_deref() != Some(self.me.as_str()) {
                continue;
            }
            let Some(claim_id) = job.claim_id.clone() else {
                continue;
            };
            self.skip.insert(job.id.clone());
            let Some(estimate) = self.served.get(&job.model_id).map(|s| s.estimate) else {
                warn!(
                    target: "zkinfer::work",
                    job = %job.id, model = %job.model_id, "holding a claim on a model not served here: left alone"
                );
                continue;
            };
            let now = self
                .client
                .info()
                .map_err(|e| anyhow::anyhow!("{}: {e}", self.cfg.server))?
                .now;
            let left = job.claim_deadline.unwrap_or(now) - now;
            if (left as f64) <= estimate.as_secs_f64() * self.cfg.safety {
                self.abandon(
                    &job,
                    &claim_id,
                    &format!("held claim has {left} s left: too little to prove"),
                );
                continue;
            }
            info!(target: "zkinfer::work", job = %job.id, claim = %claim_id, seconds_left = left, "resuming held claim");
            if let Outcome::Submitted = self.prove_and_submit(&job, &claim_id)? {
                self.report.resumed += 1;
            }
        }
        Ok(())
    }

    /// Every open job of the served (not disabled) models worth taking, all pages, most urgent first:
    /// deadline, then highest value (a reopened job's bounty raises it), then id.
    fn candidates(&mut self) -> Vec<Job> {
        let mut candidates: Vec<Job> = Vec::new();
        let ids: Vec<String> = self
            .served
            .iter()
            .filter(|(_, s)| s.disabled.is_none())
            .map(|(id, _)| id.clone())
            .collect();
        for id in ids {
            let q = JobQuery {
                state: Some("OPEN".into()),
                model_id: Some(id),
                limit: Some(PAGE),
                include_input: true,
                ..Default::default()
            };
            match self.client.all_jobs(&q) {
                Ok(js) => candidates.extend(js),
                Err(e) => warn!(target: "zkinfer::work", error = %e, "poll failed"),
            }
        }
        candidates
            .retain(|j| !self.skip.contains(&j.id) && j.price + j.bounty >= self.cfg.min_value);
        candidates.sort_by(|a, b| {
            (a.deadline, -(a.price + a.bounty), &a.id).cmp(&(
                b.deadline,
                -(b.price + b.bounty),
                &b.id,
            ))
        });
        candidates
    }

    /// Marks a job as not to be taken, saying why.
    fn pass(&mut self, job: &Job, why: &str) -> Outcome {
        info!(target: "zkinfer::work", job = %job.id, reason = why, "skipped");
        self.skip.insert(job.id.clone());
        self.report.skipped += 1;
        Outcome::NotTaken
    }

    /// Gives up a claim, saying why.
    fn abandon(&mut self, job: &Job, claim_id: &str, why: &str) -> Outcome {
        match self.client.abandon(&job.id, claim_id) {
            Ok(_) => {
                warn!(target: "zkinfer::work", job = %job.id, claim = claim_id, reason = why, "abandoned")
            }
            Err(e) => warn!(
                target: "zkinfer::work",
                job = %job.id, claim = claim_id, reason = why, error = %e, "abandon refused"
            ),
        }
        self.report.abandoned += 1;
        self.skip.insert(job.id.clone());
        Outcome::Abandoned
    }

    /// Pre-checks, claims, proves and submits one job.
    fn work_on(&mut self, job: &Job) -> anyhow::Result<Outcome> {
        let Some(s) = self.served.get(&job.model_id) else {
            return Ok(Outcome::NotTaken);
        };
        if s.disabled.is_some() {
            return Ok(Outcome::NotTaken);
        }
        let (model, estimate) = (s.model.clone(), s.estimate);
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
                warn!(target: "zkinfer::work", job = %job.id, error = %e, "claim failed");
                self.skip.insert(job.id.clone());
                return Ok(Outcome::NotTaken);
            }
        };
        info!(
            target: "zkinfer::work",
            job = %job.id, claim = %claim.claim_id, deadline = claim.deadline, price = job.price, "claimed"
        );
        let bind = zkinfer_market::bind::bind(&self.market_id, &job.id, &self.me);
        if zkinfer_circuits::field::fr_to_hex(&bind) != claim.bind {
            self.abandon(
                job,
                &claim.claim_id,
                "the server's binding value differs from ours",
            );
            anyhow::bail!(
                "the server's binding value for job {} differs from ours (market {}): stopping",
                job.id,
                self.market_id
            );
        }
        self.prove_and_submit(job, &claim.claim_id)
    }

    /// Proves a claimed job bound to (market, job, this key) and submits the proof; abandons the claim
    /// when proving fails, and stops serving the model when the failure is not about this input.
    fn prove_and_submit(&mut self, job: &Job, claim_id: &str) -> anyhow::Result<Outcome> {
        let Some(dir) = self.served.get(&job.model_id).map(|s| s.dir.clone()) else {
            return Ok(Outcome::NotTaken);
        };
        let bind = zkinfer_market::bind::bind(&self.market_id, &job.id, &self.me);
        info!(target: "zkinfer::work", job = %job.id, model = %job.model_id, "proving");
        let t = Instant::now();
        let proof = match pipeline::prove_bound(&dir, &job.input, self.cfg.device, bind) {
            Ok(p) => p,
            Err(e) => {
                let why = format!("proving failed: {}", e.chain());
                let out = self.abandon(job, claim_id, &why);
                if !about_one_input(&e) {
                    error!(
                        target: "zkinfer::work",
                        model = %job.model_id, reason = %why, "stopped claiming for this model"
                    );
                    if let Some(s) = self.served.get_mut(&job.model_id) {
                        s.disabled = Some(why.clone());
                    }
                    self.report.disabled.push((job.model_id.clone(), why));
                }
                return Ok(out);
            }
        };
        let took = t.elapsed();
        info!(target: "zkinfer::work", job = %job.id, seconds = took.as_secs_f64(), "proved");
        if let Some(s) = self.served.get_mut(&job.model_id) {
            s.estimate = took;
        }
        let value = serde_json::to_value(&proof.proof)?;
        self.submit(job, claim_id, value);
        self.skip.insert(job.id.clone());
        Ok(Outcome::Submitted)
    }

    /// Submits a proof and records the judgement.
    fn submit(&mut self, job: &Job, claim_id: &str, proof: serde_json::Value) {
        match submit_with_retries(&self.client, &job.id, claim_id, proof) {
            Ok(r) if r.status == SubmissionStatus::Valid => {
                self.report.settled += 1;
                self.report.earned += r.paid;
                info!(target: "zkinfer::work", job = %job.id, paid = r.paid, "submitted: settled");
            }
            Ok(r) => {
                self.report.rejected += 1;
                warn!(
                    target: "zkinfer::work",
                    job = %job.id, status = %r.status.as_str(), reason = %r.reason.unwrap_or_default(),
                    "submitted: rejected"
                );
            }
            Err(e) => warn!(target: "zkinfer::work", job = %job.id, error = %e, "submit failed"),
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
