//! `zkinfer market work`: the provider loop.
//!
//! At start-up it checks every served folder (`check`: keys made for the settings, `pk.bin` the key of the
//! listed `vk.bin`, `kzg.srs` the listed SRS, a sample proof that verifies against the listing's artifacts,
//! a listing on the market pinning the model id) and refuses to start otherwise, so a broken folder costs
//! no collateral. Each round it first finishes the claims this provider holds (after a restart, or a claim
//! whose answer was lost in an outage): proves and submits each while its claim has time left, abandons it
//! at once otherwise or when its model is not served (any more) here, so that the buyer's job is not held
//! until the claim times out. Then it polls: every OPEN job of the served models, all pages, most urgent
//! first (deadline, then highest value, then id), skips jobs that pay the provider nothing or less than
//! `min_value`, pre-checks each locally (witness generation: the input fits every layer), claims (losing a
//! race is normal; a failure of the server is retried with backoff, never taken as a reason to drop the
//! job), proves bound to (market, job, this key), verifies its own proof against the listing's artifacts
//! and only then submits, with idempotent retries.
//!
//! A proving failure about one input abandons that job. Any other failure (a key, settings, SRS or device
//! failure, our own proof not verifying, or the market rejecting a proof that verifies here) stops claiming
//! for that model, says why, and the loop ends when no model is left. [`WorkerReport::lost`] counts the
//! collateral slashed from the provider; the CLI exits non-zero when it is not zero or a model was
//! stopped. Every claim, proof, submission and abandonment is logged with `tracing` (target
//! `zkinfer::work`).

mod check;
mod losses;
mod own_check;
mod retry;
mod sealed;

pub use retry::submit_with_retries;

use check::{about_one_input, check_served, model_key, Served};
use own_check::{prove_checked, OwnCheckError};
use retry::{claim_with_retries, is_transient, RetryLater};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tracing::{error, info, warn};
use zkinfer_market::auth::Identity;
use zkinfer_market::client::{Client, JobQuery};
use zkinfer_market::types::{ClaimInfo, Job, SubmissionStatus};
use zkinfer_prover::pipeline::ProveSummary;
use zkinfer_prover::Device;

/// The provider loop's settings.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub server: String,
    pub identity: Identity,
    /// Model directories (compiled and set up: settings.json, model.json, vk.bin, kzg.srs; pk.bin if setup
    /// stored it).
    pub models: Vec<PathBuf>,
    pub device: Device,
    pub poll: Duration,
    /// Stop after this many judged submissions.
    pub max_jobs: Option<usize>,
    /// Stop after this long without any job to take.
    pub idle_exit: Option<Duration>,
    /// Ignore jobs paying the provider less than this (its share of the price after royalty and fee, plus
    /// the bounty). Jobs paying nothing are ignored whatever this is.
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
    /// Claims found held (at start-up, or a claim whose answer was lost) that were proved and submitted.
    pub resumed: usize,
    /// Sealed inputs of hashed-input jobs refused as unusable (not openable with this key, not the job's
    /// commitments, or not an input the model takes): the job is refunded, no collateral is lost.
    pub refused: usize,
    pub earned: i64,
    /// Collateral slashed from this provider while the loop ran (abandoned, rejected and timed-out claims),
    /// from the market's ledger (the loop's own count when the ledger cannot be read).
    pub lost: i64,
    /// Models the loop stopped claiming for: (model id, why).
    pub disabled: Vec<(String, String)>,
}

/// Page size of the loop's job queries (the server's largest).
const PAGE: i64 = 500;

/// The job id a start-up sample proof is bound to: no job has it, so the proof can be used for nothing.
const SAMPLE_JOB: &str = "zkinfer-work-sample-proof";

/// Runs the loop: start-up checks, then rounds of held claims and polling until `max_jobs`, `idle_exit`
/// or no model left to serve. `Err` when the start-up check fails (nothing was claimed) or the server's
/// binding value differs from ours.
pub fn run(cfg: &WorkerConfig) -> anyhow::Result<WorkerReport> {
    let mut w = Worker::connect(cfg)?;
    let served = w.serve();
    w.count_losses();
    served.map(|()| w.report)
}

/// What became of one candidate job.
enum Outcome {
    /// Skipped, or claimed by another provider first, or to be tried again later.
    NotTaken,
    /// Claimed, then given up (proving failed, or our own proof did not verify), or its sealed input
    /// refused.
    Abandoned,
    /// Claimed a hashed-input job: it is proved once its buyer posts the sealed input.
    Claimed,
    /// Claimed, proved and submitted (whatever the judgement).
    Submitted,
}

/// The provider loop's state.
struct Worker<'a> {
    cfg: &'a WorkerConfig,
    client: Client,
    me: String,
    market_id: String,
    /// Keyed by [`model_key`].
    served: HashMap<String, Served>,
    report: WorkerReport,
    /// Jobs not to look at again.
    skip: HashSet<String>,
    /// Jobs whose claim failed because the server could not answer, and when to try them again.
    retry: RetryLater,
    /// The provider's latest ledger entry at start-up: slashes after it are [`WorkerReport::lost`].
    ledger_mark: Option<i64>,
    /// Held claims on hashed-input jobs whose buyer has not posted the sealed input yet (last round).
    awaiting: usize,
}

impl<'a> Worker<'a> {
    /// Rounds of held claims and polling until `max_jobs`, `idle_exit` or no model left to serve.
    fn serve(&mut self) -> anyhow::Result<()> {
        let cfg = self.cfg;
        let mut idle_since = Instant::now();
        loop {
            let mut worked = self.finish_held()?;
            if cfg
                .max_jobs
                .is_some_and(|m| self.report.settled + self.report.rejected >= m)
            {
                return Ok(());
            }
            if self.served.values().all(|s| s.disabled.is_some()) {
                error!(target: "zkinfer::work", "no model left to serve: stopping");
                return Ok(());
            }
            for job in self.candidates() {
                match self.work_on(&job)? {
                    Outcome::NotTaken => {}
                    Outcome::Abandoned | Outcome::Submitted | Outcome::Claimed => {
                        worked = true;
                        break; // poll again: a model may have been stopped, the market may have changed
                    }
                }
            }
            // a claim waiting for its sealed input is work in hand: leaving would let its proving window
            // start with nobody to prove
            if worked || self.awaiting > 0 {
                idle_since = Instant::now();
            } else {
                if cfg.idle_exit.is_some_and(|d| idle_since.elapsed() >= d) {
                    return Ok(());
                }
                std::thread::sleep(cfg.poll);
            }
        }
    }

    /// Sets [`WorkerReport::lost`] from the market's ledger (every slash since start-up, timeouts
    /// included); keeps the loop's own count when the ledger cannot be read, and the larger of the two.
    fn count_losses(&mut self) {
        let Some(mark) = self.ledger_mark else {
            return;
        };
        match losses::slashed_since(&self.client, &self.me, mark) {
            Ok(l) => self.report.lost = self.report.lost.max(l),
            Err(e) => warn!(
                target: "zkinfer::work",
                error = %e, "cannot read the ledger: the collateral lost is the loop's own count"
            ),
        }
    }

    fn connect(cfg: &'a WorkerConfig) -> anyhow::Result<Self> {
        let client = Client::new(&cfg.server, Some(cfg.identity.clone()));
        let me = client.key();
        let market_id = client
            .info()
            .map_err(|e| anyhow::anyhow!("{}: {e}", cfg.server))?
            .market_id;
        let sample_bind = zkinfer_market::bind::bind(&market_id, SAMPLE_JOB, &me);
        let served = check_served(&client, &cfg.models, cfg.device, sample_bind)?;
        for (id, s) in &served {
            info!(
                target: "zkinfer::work",
                model = %id, dir = %s.path.display(), sample_proof_verified = s.proved_once, "serving"
            );
        }
        let ledger_mark = match losses::ledger_mark(&client, &me) {
            Ok(m) => Some(m),
            Err(e) => {
                warn!(target: "zkinfer::work", error = %e, "cannot read the ledger: losses are the loop's own count");
                None
            }
        };
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
            retry: RetryLater::default(),
            ledger_mark,
            awaiting: 0,
        })
    }

    /// The served, not stopped, model of a job.
    fn serving(&self, job: &Job) -> Option<&Served> {
        self.served
            .get(&model_key(&job.model_id))
            .filter(|s| s.disabled.is_none())
    }

    /// Stops claiming for a model, saying why.
    fn disable(&mut self, model_id: &str, why: String) {
        error!(target: "zkinfer::work", model = %model_id, reason = %why, "stopped claiming for this model");
        if let Some(s) = self.served.get_mut(&model_key(model_id)) {
            if s.disabled.is_none() {
                s.disabled = Some(why.clone());
                self.report.disabled.push((model_id.to_string(), why));
            }
        }
    }

    /// Finishes the claims this provider holds (after a restart, or a claim whose answer was lost):
    /// proves and submits each while its claim has time left; abandons it at once when too little is
    /// left or its model is not served here (any more), so that the job is not held until the claim times
    /// out (the same collateral is slashed either way). Whether anything was done.
    fn finish_held(&mut self) -> anyhow::Result<bool> {
        let q = JobQuery {
            state: Some("CLAIMED".into()),
            party: Some(self.me.clone()),
            limit: Some(PAGE),
            include_input: true,
            ..Default::default()
        };
        let held = match self.client.all_jobs(&q) {
            Ok(h) => h,
            Err(e) => {
                warn!(target: "zkinfer::work", error = %e, "cannot list the claims held: trying again next round");
                return Ok(false);
            }
        };
        let mut worked = false;
        self.awaiting = 0;
        for job in held {
            if job.claimant.as_deref() != Some(self.me.as_str()) {
                continue;
            }
            let Some(claim_id) = job.claim_id.clone() else {
                continue;
            };
            // a hashed claim still waiting for its input is not work done this round
            worked |= !(job.is_hashed() && job.sealed_at.is_none());
            let Some(estimate) = self.serving(&job).map(|s| s.estimate) else {
                let why = match self.served.get(&model_key(&job.model_id)) {
                    Some(s) => format!(
                        "held claim on a model this loop stopped serving ({})",
                        s.disabled.clone().unwrap_or_default()
                    ),
                    None => format!(
                        "held claim on model {} which this loop does not serve",
                        job.model_id
                    ),
                };
                self.abandon(&job, &claim_id, &why);
                continue;
            };
            let now = match self.client.info() {
                Ok(i) => i.now,
                Err(e) => {
                    warn!(target: "zkinfer::work", error = %e, "cannot read the market's clock: trying again next round");
                    return Ok(worked);
                }
            };
            let left = job.claim_deadline.unwrap_or(now) - now;
            if job.is_hashed() {
                // claimed by this loop, then proved here once the buyer posts the sealed input
                if self.finish_sealed(&job, &claim_id, left)?.is_none() {
                    self.awaiting += 1;
                }
                continue;
            }
            if (left as f64) <= estimate.as_secs_f64() * self.cfg.safety {
                self.abandon(
                    &job,
                    &claim_id,
                    &format!("held claim has {left} s left: too little to prove"),
                );
                continue;
            }
            info!(target: "zkinfer::work", job = %job.id, claim = %claim_id, seconds_left = left, "finishing held claim");
            if let Outcome::Submitted = self.prove_and_submit(&job, &claim_id, None)? {
                self.report.resumed += 1;
            }
        }
        Ok(worked)
    }

    /// Every open job of the served (not stopped) models worth looking at, all pages, most urgent first:
    /// deadline, then highest value (a reopened job's bounty raises it), then id.
    fn candidates(&mut self) -> Vec<Job> {
        let mut candidates: Vec<Job> = Vec::new();
        let ids: Vec<String> = self
            .served
            .values()
            .filter(|s| s.disabled.is_none())
            .map(|s| s.listing.model_id.clone())
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
        candidates.retain(|j| !self.skip.contains(&j.id) && self.retry.ready(&j.id));
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

    /// Gives up a claim (its collateral is slashed), saying why.
    fn abandon(&mut self, job: &Job, claim_id: &str, why: &str) -> Outcome {
        match self.client.abandon(&job.id, claim_id) {
            Ok(_) => {
                self.report.lost += job.collateral;
                warn!(
                    target: "zkinfer::work",
                    job = %job.id, claim = claim_id, reason = why, collateral_lost = job.collateral,
                    "abandoned"
                )
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

    /// What the provider is paid for this job when its proof settles it (its share of the price after
    /// royalty and market fee, plus the bounty), or why the terms cannot be read.
    fn pay(job: &Job) -> Result<i64, String> {
        zkinfer_market::limits::split_price(job.price, job.royalty_bps, job.fee_bps)
            .map(|s| s.provider.saturating_add(job.bounty))
            .map_err(|e| e.to_string())
    }

    /// Why a job's terms rule it out for this loop, if they do: a hashed input while no proof of the folder
    /// has verified yet (the input arrives only after the claim, so the folder must have shown that it
    /// proves for the listing first), pay that cannot be read, is nothing or is below `--min-value`, or a
    /// claim timeout too short to prove safely.
    fn why_not_take(&self, job: &Job, estimate: Duration, proved_once: bool) -> Option<String> {
        if job.is_hashed() && !proved_once {
            return Some(
                "its input is hashed (sealed to the claimant after the claim) and no proof of this \
                 folder has verified against the listing yet"
                    .into(),
            );
        }
        match Self::pay(job) {
            Err(e) => return Some(format!("its terms cannot be read: {e}")),
            Ok(p) if p <= 0 => {
                return Some(format!(
                "it pays the provider nothing (price {}, royalty {} bps, fee {} bps, bounty {}) \
                     while a claim risks {} of collateral",
                job.price, job.royalty_bps, job.fee_bps, job.bounty, job.collateral
            ))
            }
            Ok(p) if p < self.cfg.min_value => {
                return Some(format!(
                    "it pays {p}, less than --min-value {}",
                    self.cfg.min_value
                ))
            }
            Ok(_) => {}
        }
        ((job.claim_timeout as f64) < estimate.as_secs_f64() * self.cfg.safety).then(|| {
            format!(
                "claim timeout {} s is too short to prove safely",
                job.claim_timeout
            )
        })
    }

    /// Pre-checks, claims, proves, checks and submits one job.
    fn work_on(&mut self, job: &Job) -> anyhow::Result<Outcome> {
        let Some(s) = self.serving(job) else {
            return Ok(Outcome::NotTaken);
        };
        let (model, estimate, proved_once) = (s.model.clone(), s.estimate, s.proved_once);
        if let Some(why) = self.why_not_take(job, estimate, proved_once) {
            return Ok(self.pass(job, &why));
        }
        if job.is_hashed() {
            return self.claim_checked(job).map(|c| match c {
                Some(_) => Outcome::Claimed,
                None => Outcome::NotTaken,
            });
        }
        if let Err(e) = zkinfer_circuits::witness::generate(&model.quant, &model.plan, &job.input) {
            return Ok(self.pass(job, &format!("pre-check failed: {e}")));
        }
        // no proof of this folder has verified yet (the start-up sample was not an input of the
        // model): prove this job's input first, bound to the claim we are about to make, and claim
        // only when that proof verifies against the listing
        let ready = if proved_once {
            None
        } else {
            match self.prove_own(job) {
                Ok(p) => Some(p),
                Err(OwnCheckError::Prove(e)) if about_one_input(&e) => {
                    return Ok(self.pass(job, &format!("proving failed: {}", e.chain())));
                }
                Err(e) => {
                    self.disable(&job.model_id, e.to_string());
                    return Ok(Outcome::NotTaken);
                }
            }
        };
        let Some(claim) = self.claim_checked(job)? else {
            return Ok(Outcome::NotTaken);
        };
        self.prove_and_submit(job, &claim.claim_id, ready)
    }

    /// Claims a job (retrying what the server could not answer) and checks the server's binding value
    /// against ours. `None` when the job was not claimed (a lost race, a refusal, or to be tried later).
    fn claim_checked(&mut self, job: &Job) -> anyhow::Result<Option<ClaimInfo>> {
        let claim = match claim_with_retries(&self.client, &job.id) {
            Ok(c) => c,
            Err(e) if is_transient(&e) => {
                let wait = self.retry.failed(&job.id);
                warn!(
                    target: "zkinfer::work",
                    job = %job.id, error = %e, retry_in_s = wait.as_secs(),
                    "claim failed: the server could not answer, trying again later"
                );
                return Ok(None);
            }
            Err(e) if e.status == 409 => {
                self.retry.forget(&job.id);
                // an earlier claim of ours may have been taken though its answer was lost: the next
                // round's held claims show it (and finish it)
                self.report.lost_races += 1;
                return Ok(None);
            }
            Err(e) => {
                self.retry.forget(&job.id);
                warn!(target: "zkinfer::work", job = %job.id, error = %e, "claim refused");
                self.skip.insert(job.id.clone());
                return Ok(None);
            }
        };
        self.retry.forget(&job.id);
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
        Ok(Some(claim))
    }

    /// Proves a job's input bound to (market, job, this key) and verifies the proof against the
    /// listing's artifacts.
    fn prove_own(&mut self, job: &Job) -> Result<ProveSummary, OwnCheckError> {
        let Some(s) = self.served.get(&model_key(&job.model_id)) else {
            return Err(OwnCheckError::Prove(zkinfer_prover::ProverError::Input {
                message: format!("model {} is not served here", job.model_id),
            }));
        };
        let (dir, listing) = (s.dir.clone(), s.listing.clone());
        let bind = zkinfer_market::bind::bind(&self.market_id, &job.id, &self.me);
        info!(target: "zkinfer::work", job = %job.id, model = %job.model_id, "proving");
        let t = Instant::now();
        let p = prove_checked(&dir, &listing, &job.input, self.cfg.device, bind)?;
        let took = t.elapsed();
        info!(target: "zkinfer::work", job = %job.id, seconds = took.as_secs_f64(), "proved and checked");
        if let Some(s) = self.served.get_mut(&model_key(&job.model_id)) {
            s.estimate = took;
            s.proved_once = true;
        }
        Ok(p)
    }

    /// Submits the proof of a claimed job (proving it first unless `ready`); abandons the claim when
    /// proving fails or our own proof does not verify against the listing, and stops serving the model
    /// when the failure is not about this input.
    fn prove_and_submit(
        &mut self,
        job: &Job,
        claim_id: &str,
        ready: Option<ProveSummary>,
    ) -> anyhow::Result<Outcome> {
        let proof = match ready {
            Some(p) => p,
            None => match self.prove_own(job) {
                Ok(p) => p,
                Err(e) => {
                    let why = e.to_string();
                    let out = self.abandon(job, claim_id, &why);
                    if !matches!(&e, OwnCheckError::Prove(p) if about_one_input(p)) {
                        self.disable(&job.model_id, why);
                    }
                    return Ok(out);
                }
            },
        };
        let value = serde_json::to_value(&proof.proof)?;
        self.submit(job, claim_id, value);
        self.skip.insert(job.id.clone());
        Ok(Outcome::Submitted)
    }

    /// Submits a proof (that verified here) and records the judgement. A rejection cannot be explained
    /// (the proof verified against the listing's artifacts), so it stops claiming for the model.
    fn submit(&mut self, job: &Job, claim_id: &str, proof: serde_json::Value) {
        match submit_with_retries(&self.client, &job.id, claim_id, proof) {
            Ok(r) if r.status == SubmissionStatus::Valid => {
                self.report.settled += 1;
                self.report.earned += r.paid;
                info!(target: "zkinfer::work", job = %job.id, paid = r.paid, "submitted: settled");
            }
            Ok(r) => {
                self.report.rejected += 1;
                let reason = r.reason.unwrap_or_default();
                warn!(
                    target: "zkinfer::work",
                    job = %job.id, status = %r.status.as_str(), reason = %reason, "submitted: rejected"
                );
                // an INVALID proof is slashed; a SUPERSEDED one came after its claim ended (timed out,
                // or released by the market): the ledger says which, at the end
                if r.status == SubmissionStatus::Invalid {
                    self.report.lost += job.collateral;
                }
                if matches!(
                    r.status,
                    SubmissionStatus::Invalid | SubmissionStatus::Malformed
                ) {
                    self.disable(
                        &job.model_id,
                        format!(
                            "the market judged a proof {} that verifies here against the listing's \
                             artifacts ({reason}): the server and this folder disagree, claiming more \
                             would risk more collateral",
                            r.status.as_str()
                        ),
                    );
                }
            }
            Err(e) if is_transient(&e) => warn!(
                target: "zkinfer::work",
                job = %job.id, error = %e, "submit failed: the server could not answer; the claim is finished next round"
            ),
            Err(e) => {
                warn!(target: "zkinfer::work", job = %job.id, error = %e, "submit refused");
                self.disable(
                    &job.model_id,
                    format!("the market refused the submission of a proof that verifies here: {e}"),
                );
            }
        }
    }
}
