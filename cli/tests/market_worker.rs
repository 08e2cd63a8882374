//! The provider loop (`zkinfer market work`) against an in-process server, on SQLite and PostgreSQL: it
//! resumes the claim it held before a restart (or abandons it when no time is left), refuses to start with
//! a folder that cannot prove for a listing (and so loses nothing), keys of a second `zkinfer setup`
//! included, checks its own proofs before submitting so that a folder broken after start-up costs one
//! collateral at most, retries claims the server could not answer, refuses jobs that pay it nothing,
//! releases at once a claim on a model it does not serve, exits non-zero after losing collateral, and
//! serves the most urgent job first.

mod market_common;

use market_common::fault_proxy::FaultProxy;
use market_common::keys::{copy_dir, second_setup};
use market_common::*;
use std::io::Write;
use std::path::Path;
use std::process::Command;
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
    second_setup_keys_refuse_to_start,
    folder_failure_stops_claiming,
    keys_swapped_after_start_cost_one_collateral,
    claims_the_server_could_not_answer_are_retried,
    jobs_paying_nothing_are_refused,
    claim_on_unserved_model_released_and_loss_exits_nonzero,
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

/// `dir/pk.bin`, written from the folder's own vk.bin if setup did not store it (`zkinfer setup --store-pk`):
/// the stored key that a worker loads instead of rebuilding one, here to be copied where it does not belong.
fn stored_pk(dir: &std::path::Path) -> std::path::PathBuf {
    let md = zkinfer_prover::ModelDir::new(dir);
    if !md.file("pk.bin").exists() {
        let (settings, bytes) = md.settings().expect("settings");
        let model = std::sync::Arc::new(md.compiled_model(&settings).expect("model"));
        let params = md.params(settings.k).expect("params");
        let pk = md
            .proving_key(&settings, &bytes, &params, &model)
            .expect("pk from vk");
        md.write_pk(&pk, &bytes).expect("write pk");
    }
    md.file("pk.bin")
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

/// Runs the loop on its own thread, its log captured, and waits until it has started (its start-up
/// checks passed).
fn start_logged(
    cfg: WorkerConfig,
) -> (
    std::thread::JoinHandle<anyhow::Result<WorkerReport>>,
    LogBuf,
) {
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
        assert!(t.elapsed() < Duration::from_secs(120), "{}", log.text());
        assert!(!h.is_finished(), "{}", log.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    (h, log)
}

fn restarted_provider_resumes_its_claim(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let before = s.avail(p);
    // claims made before a "crash": one will run out of time, the other has most of its window left
    let short = s.job("short", 3600, FailurePolicy::Reopen);
    p.claim(&short).expect("claim");
    s.server.advance(CLAIM_TIMEOUT - 10);
    let held = s.job("held", 3600, FailurePolicy::Reopen);
    p.claim(&held).expect("claim");
    s.server.advance(8); // `short` has 2 s left, `held` has 52 s
    let mut cfg = worker(&s, p, &[&models().digits], None);
    // 2 s is too little to prove safely: the claim must be left 20 times the proving time (the loop
    // measures it with its start-up sample proof: well under a second here, and not 2.5 s)
    cfg.safety = 20.0;
    let r = run(&cfg).expect("run");
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
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let job = s.job("j", 3600, FailurePolicy::Reopen);
    let (avail, stake) = (s.avail(p), s.stake(p));
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("digits");
    copy_dir(&models().digits, &bad);
    // a proving key made for other settings (the iris model's)
    std::fs::copy(stored_pk(&models().iris), bad.join("pk.bin")).expect("copy pk");
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
    let s = scenario(b, 2, config());
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
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("digits");
    copy_dir(&models().digits, &dir);
    let mut cfg = worker(&s, p, &[&dir], None);
    cfg.idle_exit = Some(Duration::from_secs(60));
    let (h, log) = start_logged(cfg);
    // the folder breaks after the start-up check
    std::fs::copy(stored_pk(&models().iris), dir.join("pk.bin")).expect("copy pk");
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

/// Defect: the keys of a second `zkinfer setup` of the listed model (readable, made for the same
/// settings) passed the start-up check; the loop then claimed, was rejected and slashed job after job.
/// Now the check compares the key inside pk.bin with the listed vk.bin and the SRS with the listed one,
/// and refuses to start: nothing is claimed, nothing lost.
fn second_setup_keys_refuse_to_start(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let job = s.job("j", 3600, FailurePolicy::Reopen);
    let (avail, stake) = (s.avail(p), s.stake(p));
    let tmp = tempfile::tempdir().expect("tmp");
    let other = second_setup(&models().digits, &tmp.path().join("other"));
    // the listed folder with the proving key of the second setup
    let wrong_pk = tmp.path().join("wrong-pk");
    copy_dir(&models().digits, &wrong_pk);
    std::fs::copy(stored_pk(&other), wrong_pk.join("pk.bin")).expect("copy pk");
    let e = run(&worker(&s, p, &[&wrong_pk], None)).expect_err("must refuse to start");
    assert!(
        format!("{e:#}").contains("pk.bin is not the proving key of vk.bin"),
        "{e:#}"
    );
    // its proving key and SRS
    std::fs::copy(other.join("kzg.srs"), wrong_pk.join("kzg.srs")).expect("copy srs");
    let e = run(&worker(&s, p, &[&wrong_pk], None)).expect_err("must refuse to start");
    assert!(format!("{e:#}").contains("pk.bin"), "{e:#}");
    // the listed keys with the second setup's SRS
    let wrong_srs = tmp.path().join("wrong-srs");
    copy_dir(&models().digits, &wrong_srs);
    std::fs::copy(other.join("kzg.srs"), wrong_srs.join("kzg.srs")).expect("copy srs");
    let e = run(&worker(&s, p, &[&wrong_srs], None)).expect_err("must refuse to start");
    assert!(format!("{e:#}").contains("kzg.srs is not the SRS"), "{e:#}");
    assert_eq!(
        s.owner.job(&job).expect("job").state,
        "OPEN",
        "nothing claimed"
    );
    assert_eq!((s.avail(p), s.stake(p)), (avail, stake), "nothing lost");
    s.assert_audit();
}

/// Defect: with a wrong but loadable pk.bin the loop submitted proof after proof, each rejected and
/// slashed (stake 600 -> 0 in three claims). Now it verifies its own proof against the listing's
/// artifacts before submitting: the keys swapped after start-up cost the one claim being worked on, the
/// loop stops claiming for the model, says why, and reports the loss.
fn keys_swapped_after_start_cost_one_collateral(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let tmp = tempfile::tempdir().expect("tmp");
    let other = second_setup(&models().digits, &tmp.path().join("other"));
    let dir = tmp.path().join("digits");
    copy_dir(&models().digits, &dir);
    let mut cfg = worker(&s, p, &[&dir], None);
    cfg.idle_exit = Some(Duration::from_secs(60));
    let (h, log) = start_logged(cfg);
    std::fs::copy(stored_pk(&other), dir.join("pk.bin")).expect("copy pk");
    let jobs: Vec<String> = (0..3)
        .map(|i| s.job(&format!("j{i}"), 3600, FailurePolicy::Reopen))
        .collect();
    let r = h.join().expect("join").expect("run");
    let text = log.text();
    assert_eq!(
        (r.abandoned, r.rejected, r.settled),
        (1, 0, 0),
        "{r:?}\n{text}"
    );
    assert_eq!(r.lost, COLLATERAL, "{r:?}");
    assert_eq!(r.disabled.len(), 1, "{r:?}");
    assert!(
        r.disabled[0]
            .1
            .contains("does not verify against the listing's verifying key"),
        "{r:?}"
    );
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

/// Defect: a claim the server could not answer (an outage right after a poll) made the loop skip that
/// job for good. Now it retries with backoff: every job is taken once the server answers again.
fn claims_the_server_could_not_answer_are_retried(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    let proxy = FaultProxy::start(&s.server.url);
    let jobs: Vec<String> = (0..2)
        .map(|i| s.job(&format!("j{i}"), 3600, FailurePolicy::Reopen))
        .collect();
    // more failed claims than one round of retries: each job fails at least once
    proxy.drop_next_claims(6);
    let mut cfg = worker(&s, p, &[&models().digits], Some(2));
    cfg.server = proxy.url.clone();
    cfg.idle_exit = Some(Duration::from_secs(30));
    let r = run(&cfg).expect("run");
    assert_eq!(proxy.dropped(), 6);
    assert_eq!((r.settled, r.lost), (2, 0), "{r:?}");
    for j in &jobs {
        assert_eq!(s.owner.job(j).expect("job").state, "SETTLED");
    }
    assert_eq!(s.avail(p), 400 + 2 * SHARE);
    s.assert_audit();
}

/// Defect: the loop claimed jobs whose price leaves the provider nothing after royalty and fee, risking
/// collateral for no pay. Now it skips them (and serves the jobs that pay).
fn jobs_paying_nothing_are_refused(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    // the same model listed again with a royalty that leaves nothing after the market's fee
    s.owner
        .list_model(
            "free",
            &models().digits,
            PRICE,
            10_000 - FEE_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("list");
    p.stake("free", 300).expect("stake");
    // the job paying nothing is the most urgent: the old loop took it first
    let free = s
        .buyer
        .create_job(
            "free",
            input_json("digits_mlp"),
            600,
            FailurePolicy::Reopen,
            "free",
        )
        .expect("create")
        .job
        .id;
    let paid = s.job("paid", 3600, FailurePolicy::Reopen);
    let r = run(&worker(&s, p, &[&models().digits], Some(1))).expect("run");
    assert_eq!((r.settled, r.skipped), (1, 1), "{r:?}");
    assert_eq!(s.owner.job(&paid).expect("job").state, "SETTLED");
    assert_eq!(
        s.owner.job(&free).expect("job").state,
        "OPEN",
        "never claimed"
    );
    s.assert_audit();
}

/// Defects: a claim held on a model the loop does not serve (any more) was left to time out, holding
/// the buyer's job until then; and the loop exited 0 after losing collateral. Now it gives the claim up
/// at once (the same collateral a timeout costs) and `zkinfer market work` exits 1, saying what it lost.
fn claim_on_unserved_model_released_and_loss_exits_nonzero(b: Backend) {
    let s = scenario(b, 1, config());
    let p = &s.providers[0];
    s.owner
        .list_model(
            "iris",
            &models().iris,
            PRICE,
            ROYALTY_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("list");
    p.stake("iris", 300).expect("stake");
    let iris = s
        .buyer
        .create_job(
            "iris",
            input_json("iris_mlp"),
            3600,
            FailurePolicy::Reopen,
            "iris",
        )
        .expect("create")
        .job
        .id;
    p.claim(&iris).expect("claim");
    let tmp = tempfile::tempdir().expect("tmp");
    let key = tmp.path().join("provider.key");
    p.identity()
        .expect("identity")
        .save(&key)
        .expect("save key");
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["market", "work", "--server", &s.server.url])
        .arg("--key")
        .arg(&key)
        .arg("--models")
        .arg(&models().digits)
        .args(["--poll-ms", "50", "--idle-exit", "1"])
        .output()
        .expect("run zkinfer market work");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("lost {COLLATERAL} of collateral")),
        "{stdout}"
    );
    assert!(
        stderr.contains("which this loop does not serve"),
        "{stderr}"
    );
    assert_eq!(
        s.owner.job(&iris).expect("job").state,
        "OPEN",
        "the claim is given up at once, not left to time out"
    );
    let b = p.balances(&p.key()).expect("balances");
    assert_eq!(b.stakes.get("iris").copied(), Some(300 - COLLATERAL));
    s.assert_audit();
}
