//! The provider loop (`zkinfer market work`) against an in-process server, on SQLite and PostgreSQL: it
//! resumes the claim it held before a restart (or abandons it when no time is left), refuses to start with
//! a folder that cannot prove for a listing (and so loses nothing), and serves the most urgent job first.

mod market_common;

use market_common::*;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkinfer_cli::market_worker::{run, WorkerConfig, WorkerReport};
use zkinfer_market::client::Client;
use zkinfer_market::testkit::Backend;
use zkinfer_market::types::FailurePolicy;
use zkinfer_prover::Device;

on_both!(
    restarted_provider_resumes_its_claim,
    bad_folder_refuses_to_start,
    folder_failure_stops_claiming,
    most_urgent_job_first
);

/// A log sink for one thread's `tracing` events.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl LogBuf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).to_string()
    }
}

/// A copy of a model folder.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for f in std::fs::read_dir(from).expect("dir") {
        let f = f.expect("entry");
        std::fs::copy(f.path(), to.join(f.file_name())).expect("copy");
    }
}

fn worker(s: &Scenario, p: &Client, models: &[&Path], max_jobs: Option<usize>) -> WorkerConfig {
    WorkerConfig {
        server: s.server.url.clone(),
        identity: p.identity().expect("identity").clone(),
        models: models.iter().map(|m| m.to_path_buf()).collect(),
        device: Device::Cpu,
        poll: Duration::from_millis(50),
        max_jobs,
        idle_exit: Some(Duration::from_secs(2)),
        min_value: 0,
        safety: 2.0,
    }
}

fn restarted_provider_resumes_its_claim(b: Backend) {
    let Some(s) = scenario(b, 1, config()) else {
        return;
    };
    let p = &s.providers[0];
    let before = s.avail(p);
    // claims made before a "crash": one will run out of time, the other has most of its window left
    let short = s.job("short", 3600, FailurePolicy::Reopen);
    p.claim(&short).expect("claim");
    s.server.advance(CLAIM_TIMEOUT - 10);
    let held = s.job("held", 3600, FailurePolicy::Reopen);
    p.claim(&held).expect("claim");
    s.server.advance(8); // `short` has 2 s left: too little to prove safely; `held` has 52 s
    let r = run(&worker(&s, p, &[&models().digits], None)).expect("run");
    assert_eq!(
        (r.resumed, r.settled, r.abandoned),
        (1, 1, 1),
        "resumes the claim with time left, gives up the other at once: {r:?}"
    );
    assert_eq!(s.owner.job(&held).expect("job").state, "SETTLED");
    assert_eq!(
        s.owner.job(&short).expect("job").state,
        "OPEN",
        "the job given up is open again at once, not after its claim times out"
    );
    assert_eq!(s.avail(p), before + SHARE);
    assert_eq!(s.stake(p), 600 - COLLATERAL, "one collateral slashed");
    s.assert_audit();
}

fn bad_folder_refuses_to_start(b: Backend) {
    let Some(s) = scenario(b, 1, config()) else {
        return;
    };
    let p = &s.providers[0];
    let job = s.job("j", 3600, FailurePolicy::Reopen);
    let (avail, stake) = (s.avail(p), s.stake(p));
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("digits");
    copy_dir(&models().digits, &bad);
    // a proving key made for other settings (the iris model's)
    std::fs::copy(models().iris.join("pk.bin"), bad.join("pk.bin")).expect("copy pk");
    let e = run(&worker(&s, p, &[&bad], None)).expect_err("must refuse to start");
    assert!(format!("{e:#}").contains("proving key"), "{e:#}");
    // a folder that proves, but for a model no listing pins
    let e = run(&worker(&s, p, &[&models().iris], None)).expect_err("must refuse to start");
    assert!(format!("{e:#}").contains("no listing"), "{e:#}");
    assert_eq!(
        s.owner.job(&job).expect("job").state,
        "OPEN",
        "nothing claimed"
    );
    assert_eq!((s.avail(p), s.stake(p)), (avail, stake), "nothing lost");
    s.assert_audit();
}

fn most_urgent_job_first(b: Backend) {
    let Some(s) = scenario(b, 2, config()) else {
        return;
    };
    let (p, other) = (&s.providers[0], &s.providers[1]);
    s.buyer.mint(200_000).expect("mint");
    let mut jobs = Vec::new();
    for i in 0..109 {
        jobs.push(s.job(&format!("late{i}"), 3600, FailurePolicy::Reopen));
    }
    // a reopened job carries a bounty, which made the old loop take it first
    let c = other.claim(&jobs[0]).expect("claim");
    other.abandon(&jobs[0], &c.claim_id).expect("abandon");
    assert!(s.owner.job(&jobs[0]).expect("job").bounty > 0);
    // the 110th job, created last, has the earliest deadline
    s.server.advance(2);
    let urgent = s.job("urgent", 600, FailurePolicy::Reopen);
    let r: WorkerReport = run(&worker(&s, p, &[&models().digits], Some(1))).expect("run");
    assert_eq!(r.settled, 1, "{r:?}");
    assert_eq!(
        s.owner.job(&urgent).expect("job").state,
        "SETTLED",
        "the job with the earliest deadline is served first"
    );
    assert_eq!(s.owner.job(&jobs[0]).expect("job").state, "OPEN");
    s.assert_audit();
}

/// A proving failure that is not about the job's input (here the proving key replaced after start-up)
/// costs one collateral: the loop stops claiming for the model instead of claiming, failing and abandoning
/// job after job.
fn folder_failure_stops_claiming(b: Backend) {
    let Some(s) = scenario(b, 1, config()) else {
        return;
    };
    let p = &s.providers[0];
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("digits");
    copy_dir(&models().digits, &dir);
    let mut cfg = worker(&s, p, &[&dir], None);
    cfg.idle_exit = Some(Duration::from_secs(60));
    let log = LogBuf::default();
    let sink = log.clone();
    let h = std::thread::spawn(move || {
        let sub = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let _g = tracing::subscriber::set_default(sub);
        run(&cfg)
    });
    let t = Instant::now();
    while !log.text().contains("provider loop started") {
        assert!(t.elapsed() < Duration::from_secs(60), "{}", log.text());
        assert!(!h.is_finished(), "{}", log.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    // the folder breaks after the start-up check
    std::fs::copy(models().iris.join("pk.bin"), dir.join("pk.bin")).expect("copy pk");
    let jobs: Vec<String> = (0..3)
        .map(|i| s.job(&format!("j{i}"), 3600, FailurePolicy::Reopen))
        .collect();
    let r = h.join().expect("join").expect("run");
    let text = log.text();
    assert_eq!(r.abandoned, 1, "{r:?}\n{text}");
    assert_eq!(r.disabled.len(), 1, "{r:?}");
    assert!(r.disabled[0].1.contains("other settings"), "{r:?}");
    assert!(text.contains("stopped claiming for this model"), "{text}");
    for j in &jobs {
        assert_eq!(s.owner.job(j).expect("job").state, "OPEN");
    }
    assert_eq!(
        s.stake(p),
        600 - COLLATERAL,
        "one collateral lost, not the stake"
    );
    s.assert_audit();
}
