//! `zkinfer market loadbench`: settlements per second of a market server (in-process HTTP on
//! 127.0.0.1) on SQLite or PostgreSQL, and the share of submission time spent verifying proofs.
//!
//! Proving is not what is measured (a provider's cost, ~0.7 s per proof here): the benchmark creates and
//! claims every job, proves each bound proof first, then times `clients` threads submitting all of them
//! at once over HTTP. Each submission is two transactions around one verification.

use anyhow::{anyhow, Result};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use zkinfer_market::auth::Identity;
use zkinfer_market::client::Client;
use zkinfer_market::types::{ClaimInfo, FailurePolicy, Job};
use zkinfer_prover::{pipeline, Device, ModelDir};

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub backend: String,
    pub jobs: usize,
    pub clients: usize,
    pub creates_per_s: f64,
    pub claims_per_s: f64,
    pub settlements_per_s: f64,
    /// Mean server time per submission (both transactions and the verification), ms.
    pub submit_ms_mean: f64,
    /// Mean verification time, ms.
    pub verify_ms_mean: f64,
    /// Verification time / submission handling time, on the server.
    pub verify_share: f64,
    pub settled: u64,
    pub audit_ok: bool,
}

fn par<T: Send, R: Send>(items: Vec<T>, threads: usize, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let chunks: Vec<Vec<T>> = {
        let mut cs: Vec<Vec<T>> = (0..threads).map(|_| Vec::new()).collect();
        for (i, it) in items.into_iter().enumerate() {
            cs[i % threads].push(it);
        }
        cs
    };
    std::thread::scope(|s| {
        let hs: Vec<_> = chunks
            .into_iter()
            .map(|c| s.spawn(|| c.into_iter().map(&f).collect::<Vec<R>>()))
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Runs the benchmark.
pub fn run(
    db: &str,
    model_dir: &Path,
    input: &Path,
    jobs: usize,
    clients: usize,
    mut log: impl FnMut(&str),
) -> Result<BenchReport> {
    let clients = clients.max(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let config = zkinfer_market::Config {
        dev_mint: true,
        // the benchmark's model directory is set up with a development SRS
        dev_srs: true,
        max_open_claims: jobs as i64 + 1,
        min_claim_window: 1,
        ..Default::default()
    };
    let market = rt.block_on(zkinfer_market::Market::open(db, config, Default::default()))?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let url = format!("http://{}", listener.local_addr()?);
    rt.spawn(zkinfer_market::api::serve(market.clone(), listener));
    let backend = market.info().backend;
    let input: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(input)?)?;
    let owner = Client::new(&url, Some(Identity::generate()));
    let buyer = Client::new(&url, Some(Identity::generate()));
    let providers: Vec<Client> = (0..clients)
        .map(|_| Client::new(&url, Some(Identity::generate())))
        .collect();
    let listing = format!("bench-{}", &zkinfer_market::auth::fresh_nonce()[..8]);
    owner
        .list_model(&listing, model_dir, 1000, 500, 100, 3600)
        .map_err(|e| anyhow!("list: {e}"))?;
    buyer.mint(1000 * jobs as i64).map_err(|e| anyhow!("{e}"))?;
    for p in &providers {
        p.mint(100 * jobs as i64).map_err(|e| anyhow!("{e}"))?;
        p.stake(&listing, 100 * jobs as i64)
            .map_err(|e| anyhow!("{e}"))?;
    }
    log(&format!(
        "{backend}: creating {jobs} jobs with {clients} clients"
    ));
    let t = Instant::now();
    let created: Vec<Result<Job>> = par((0..jobs).collect(), clients, |i| {
        buyer
            .create_job(
                &listing,
                input.clone(),
                3600,
                FailurePolicy::Reopen,
                &format!("{listing}-{i}"),
            )
            .map(|c| c.job)
            .map_err(|e| anyhow!("create: {e}"))
    });
    let creates_per_s = jobs as f64 / t.elapsed().as_secs_f64();
    let created: Vec<Job> = created.into_iter().collect::<Result<_>>()?;
    let t = Instant::now();
    let pairs: Vec<(usize, Job)> = created
        .into_iter()
        .enumerate()
        .map(|(i, j)| (i % clients, j))
        .collect();
    let claimed: Vec<Result<(usize, Job, ClaimInfo)>> = par(pairs, clients, |(p, j)| {
        let c = providers[p]
            .claim(&j.id)
            .map_err(|e| anyhow!("claim: {e}"))?;
        Ok((p, j, c))
    });
    let claims_per_s = jobs as f64 / t.elapsed().as_secs_f64();
    let claimed: Vec<(usize, Job, ClaimInfo)> = claimed.into_iter().collect::<Result<_>>()?;
    log(&format!(
        "{backend}: proving {jobs} bound proofs (not timed)"
    ));
    let md = ModelDir::new(model_dir);
    let mut proofs = Vec::with_capacity(jobs);
    for (p, j, c) in claimed {
        let bind =
            zkinfer_circuits::field::fr_from_hex(&c.bind).ok_or_else(|| anyhow!("bad bind"))?;
        let pr = pipeline::prove_bound(&md, &j.input, Device::Cpu, bind)?;
        proofs.push((p, j.id, c.claim_id, serde_json::to_value(&pr.proof)?));
    }
    let before = market.stats();
    log(&format!(
        "{backend}: submitting {jobs} proofs from {clients} clients"
    ));
    let providers = Arc::new(providers);
    let t = Instant::now();
    let results = par(proofs, clients, |(p, job, claim, proof)| {
        providers[p].submit(&job, &claim, proof)
    });
    let secs = t.elapsed().as_secs_f64();
    let after = market.stats();
    let settled = results
        .iter()
        .filter(|r| matches!(r, Ok(r) if r.status == "VALID"))
        .count();
    if settled != jobs {
        let bad: Vec<String> = results
            .iter()
            .filter_map(|r| match r {
                Ok(r) if r.status == "VALID" => None,
                Ok(r) => Some(format!("{}: {:?}", r.status, r.reason)),
                Err(e) => Some(e.to_string()),
            })
            .take(3)
            .collect();
        return Err(anyhow!("only {settled}/{jobs} settled: {bad:?}"));
    }
    let n = (after.submissions - before.submissions).max(1) as f64;
    let submit_us = (after.submit_us - before.submit_us) as f64;
    let verify_us = (after.verify_us - before.verify_us) as f64;
    let audit = rt.block_on(zkinfer_market::audit::audit(&market.db))?;
    Ok(BenchReport {
        backend,
        jobs,
        clients,
        creates_per_s,
        claims_per_s,
        settlements_per_s: jobs as f64 / secs,
        submit_ms_mean: submit_us / n / 1e3,
        verify_ms_mean: verify_us / n / 1e3,
        verify_share: if submit_us > 0.0 {
            verify_us / submit_us
        } else {
            0.0
        },
        settled: (after.settled - before.settled),
        audit_ok: audit.ok(),
    })
}
