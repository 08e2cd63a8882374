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
use zkinfer_market::types::Job;
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
        let (settings, settings_bytes) = md.settings()?;
        let vk = md.vk_bytes()?;
        if !md.has("pk.bin") {
            anyhow::bail!("{}: no pk.bin: run `zkinfer setup` first", d.display());
        }
        let model = Arc::new(md.compiled_model(&settings)?);
        let id = zkinfer_verifier::artifacts::model_id(&settings_bytes, &vk);
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
pub fn run(cfg: &WorkerConfig, mut log: impl FnMut(&str)) -> anyhow::Result<WorkerReport> {
    let client = Client::new(&cfg.server, Some(cfg.identity.clone()));
    let me = client.key();
    let market_id = client
        .info()
        .map_err(|e| anyhow::anyhow!("{}: {e}", cfg.server))?
        .market_id;
    let mut served = load(&cfg.models)?;
    log(&format!(
        "provider {me} serving {} model(s) on market {market_id}",
        served.len()
    ));
    let mut report = WorkerReport::default();
    let mut skip: HashSet<String> = HashSet::new();
    let mut idle_since = Instant::now();
    loop {
        if cfg
            .max_jobs
            .is_some_and(|m| report.settled + report.rejected >= m)
        {
            return Ok(report);
        }
        let mut candidates: Vec<Job> = Vec::new();
        for id in served.keys() {
            match client.jobs(&format!("state=OPEN&model_id={id}&limit=100")) {
                Ok(js) => candidates.extend(js),
                Err(e) => log(&format!("poll failed: {e}")),
            }
        }
        candidates.retain(|j| !skip.contains(&j.id) && j.price + j.bounty >= cfg.min_value);
        // highest value first (a reopened job's bounty raises it), then oldest
        candidates.sort_by_key(|j| (-(j.price + j.bounty), j.created_at));
        let mut worked = false;
        for job in candidates {
            let Some(s) = served.get_mut(&job.model_id) else {
                continue;
            };
            if (job.claim_timeout as f64) < s.estimate.as_secs_f64() * cfg.safety {
                log(&format!(
                    "skip {}: claim timeout {} s is too short to prove safely",
                    job.id, job.claim_timeout
                ));
                skip.insert(job.id.clone());
                report.skipped += 1;
                continue;
            }
            if let Err(e) =
                zkinfer_circuits::witness::generate(&s.model.quant, &s.model.plan, &job.input)
            {
                log(&format!("skip {}: pre-check failed: {e}", job.id));
                skip.insert(job.id.clone());
                report.skipped += 1;
                continue;
            }
            let claim = match client.claim(&job.id) {
                Ok(c) => c,
                Err(e) if e.status == 409 => {
                    report.lost_races += 1;
                    continue;
                }
                Err(e) => {
                    log(&format!("claim {} failed: {e}", job.id));
                    skip.insert(job.id.clone());
                    continue;
                }
            };
            worked = true;
            let bind = zkinfer_market::bind::bind(&market_id, &job.id, &me);
            if zkinfer_circuits::field::fr_to_hex(&bind) != claim.bind {
                log(&format!(
                    "abandon {}: the server's binding value differs from ours",
                    job.id
                ));
                let _ = client.abandon(&job.id, &claim.claim_id);
                report.abandoned += 1;
                skip.insert(job.id.clone());
                continue;
            }
            let t = Instant::now();
            let proof = match pipeline::prove_bound(&s.dir, &job.input, cfg.device, bind) {
                Ok(p) => p,
                Err(e) => {
                    log(&format!("abandon {}: proving failed: {e}", job.id));
                    let _ = client.abandon(&job.id, &claim.claim_id);
                    report.abandoned += 1;
                    skip.insert(job.id.clone());
                    continue;
                }
            };
            s.estimate = t.elapsed();
            let value = serde_json::to_value(&proof.proof)?;
            match submit_with_retries(&client, &job.id, &claim.claim_id, value) {
                Ok(r) if r.status == "VALID" => {
                    report.settled += 1;
                    report.earned += r.paid;
                    log(&format!(
                        "settled {}: paid {} (proved in {:.2} s)",
                        job.id,
                        r.paid,
                        s.estimate.as_secs_f64()
                    ));
                }
                Ok(r) => {
                    report.rejected += 1;
                    log(&format!(
                        "submission for {} judged {}: {}",
                        job.id,
                        r.status,
                        r.reason.unwrap_or_default()
                    ));
                }
                Err(e) => log(&format!("submit {} failed: {e}", job.id)),
            }
            skip.insert(job.id.clone());
            break; // poll again: the market may have changed while proving
        }
        if worked {
            idle_since = Instant::now();
        } else {
            if cfg.idle_exit.is_some_and(|d| idle_since.elapsed() >= d) {
                return Ok(report);
            }
            std::thread::sleep(cfg.poll);
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
