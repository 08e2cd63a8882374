//! Hashed-input jobs on the market, with real proofs of iris compiled with `--input-visibility hashed`, on
//! SQLite and on PostgreSQL: the buyer names the input by its commitment, seals the openings to the
//! claimant, the claimant opens them, proves the commitment bound to its claim and is paid; nobody else
//! can fetch or open the sealed input; values for a hashed listing and commitments for a public one are
//! refused; a proof of another commitment is rejected; a claim whose input never came is released without
//! slashing; the sealed input's size is bounded; the provider loop (`zkinfer market work`) claims hashed
//! jobs, waits for their sealed inputs, proves and is paid, and refuses an input that is not the job's.

mod market_common;

use market_common::*;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Visibility;
use zkinfer_cli::market_worker::{run, WorkerConfig};
use zkinfer_market::auth::Identity;
use zkinfer_market::client::Client;
use zkinfer_market::testkit::{Backend, TestServer};
use zkinfer_market::types::FailurePolicy;
use zkinfer_prover::pipeline::{self, ProveOptions};
use zkinfer_prover::{Device, ModelDir};
use zkinfer_verifier::openings_file::{OpeningsFile, TensorKind};

on_both!(
    a_hashed_job_is_sealed_opened_proved_and_paid,
    unsealed_claims_are_released_and_sealed_inputs_are_bounded,
    the_provider_loop_serves_sealed_inputs
);

/// iris compiled with hashed inputs, set up once per test binary.
fn hashed_iris() -> &'static PathBuf {
    static D: OnceLock<PathBuf> = OnceLock::new();
    D.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("market-hashed-iris-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let md = ModelDir::new(&dir);
        let src = models_src().join("iris_mlp");
        let opts = CompileOptions {
            target: Target::Resources,
            inputs: Visibility::Hashed,
            ..CompileOptions::default()
        };
        pipeline::compile_with(
            &src.join("model.onnx"),
            &md,
            &[src.join("calibration.json")],
            &opts,
        )
        .expect("compile");
        pipeline::setup(&md, None).expect("setup");
        dir
    })
}

/// The buyer's openings of `inputs` (a fresh salt each time): its input openings only.
fn openings(inputs: &[Vec<f64>]) -> OpeningsFile {
    let opts = ProveOptions {
        device: Device::Cpu,
        bind: Default::default(),
        transcript: Default::default(),
    };
    let p = pipeline::prove_with(&ModelDir::new(hashed_iris()), inputs, &opts).expect("prove");
    let mut f = p.openings;
    f.openings.retain(|o| o.kind == TensorKind::Input);
    f
}

fn commitments(f: &OpeningsFile) -> Vec<String> {
    f.openings
        .iter()
        .map(|o| o.commitment.to_lowercase())
        .collect()
}

fn iris_input(delta: f64) -> Vec<Vec<f64>> {
    serde_json::from_value(shifted(&input_json("iris_mlp"), delta)["input_data"].clone())
        .expect("lists")
}

/// The claimant proves `f`'s openings bound to `bind`.
fn prove_opened(f: &OpeningsFile, bind: &str) -> serde_json::Value {
    let opts = ProveOptions {
        device: Device::Cpu,
        bind: zkinfer_circuits::field::fr_from_hex(bind).expect("bind"),
        transcript: Default::default(),
    };
    let p = pipeline::prove_opened(&ModelDir::new(hashed_iris()), &f.inputs(), &opts)
        .expect("prove opened");
    serde_json::to_value(&p.proof).expect("json")
}

struct Hashed {
    server: TestServer,
    buyer: Client,
    /// (client, its identity)
    providers: Vec<(Client, Identity)>,
    _dir: tempfile::TempDir,
}

fn hashed_scenario(b: Backend) -> Hashed {
    let dir = tempfile::tempdir().expect("tmp");
    let server = TestServer::start(b, dir.path(), config()).expect("a test server");
    let owner = server.client();
    owner
        .list_model(
            "iris-h",
            hashed_iris(),
            PRICE,
            ROYALTY_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("a hashed-input listing is accepted");
    owner
        .list_model(
            "iris",
            &models().iris,
            PRICE,
            ROYALTY_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("list public");
    let buyer = server.client();
    buyer.mint(10_000).expect("mint");
    let providers = (0..2)
        .map(|_| {
            let id = Identity::generate();
            let c = Client::new(&server.url, Some(id.clone()));
            c.mint(1000).expect("mint");
            c.stake("iris-h", 600).expect("stake");
            (c, id)
        })
        .collect();
    Hashed {
        server,
        buyer,
        providers,
        _dir: dir,
    }
}

fn stake(c: &Client) -> i64 {
    c.balances(&c.key())
        .expect("b")
        .stakes
        .get("iris-h")
        .copied()
        .unwrap_or(0)
}

fn a_hashed_job_is_sealed_opened_proved_and_paid(b: Backend) {
    let s = hashed_scenario(b);
    let ((p, p_id), (q, q_id)) = (&s.providers[0], &s.providers[1]);
    let f = openings(&iris_input(0.0));
    let ours = commitments(&f);

    // values for a hashed listing, commitments for a public one: 422 naming the problem
    let e = s
        .buyer
        .create_job(
            "iris-h",
            input_json("iris_mlp"),
            600,
            FailurePolicy::Reopen,
            "v",
        )
        .expect_err("values refused");
    assert_eq!((e.status, e.code.as_str()), (422, "unprocessable"), "{e:?}");
    assert!(e.message.contains("commitments"), "{}", e.message);
    let e = s
        .buyer
        .create_hashed_job("iris", ours.clone(), 600, FailurePolicy::Reopen, "c")
        .expect_err("commitments refused");
    assert_eq!(e.status, 422, "{e:?}");
    assert!(e.message.contains("public inputs"), "{}", e.message);
    let e = s
        .buyer
        .create_hashed_job(
            "iris-h",
            vec![format!("0x{}", "f".repeat(64))],
            600,
            FailurePolicy::Reopen,
            "r",
        )
        .expect_err("not below r");
    assert!(
        e.status == 422 && e.message.contains("scalar order"),
        "{e:?}"
    );

    let job = s
        .buyer
        .create_hashed_job("iris-h", ours.clone(), 600, FailurePolicy::Reopen, "h1")
        .expect("create")
        .job;
    assert_eq!(job.commitments.as_ref(), Some(&ours));
    assert!(job.input.is_empty());
    let claim = p.claim(&job.id).expect("claim");
    // nothing posted yet: the claimant waits
    assert_eq!(p.sealed_input(&job.id).expect_err("not yet").status, 404);
    let plaintext = serde_json::to_vec(&f).expect("json");
    let sealed_job = s.buyer.seal_input(&job.id, &plaintext).expect("seal");
    assert!(sealed_job.sealed_at.is_some());
    assert_eq!(
        s.buyer
            .seal_input(&job.id, &plaintext)
            .expect_err("twice")
            .status,
        409
    );
    // the server hands it to the claimant only; another key cannot open it
    for other in [q, &s.buyer] {
        assert_eq!(
            other
                .sealed_input(&job.id)
                .expect_err("not the claimant")
                .status,
            403
        );
    }
    let got = p.sealed_input(&job.id).expect("fetch");
    let bytes = hex::decode(&got.sealed).expect("hex");
    assert!(
        q_id.open_sealed(&bytes).is_err(),
        "another provider cannot decrypt it"
    );
    let opened = p_id.open_sealed(&bytes).expect("the claimant opens it");
    let g = OpeningsFile::parse(&opened, "sealed").expect("openings");
    assert_eq!(commitments(&g), ours);
    let proof = prove_opened(&g, &claim.bind);
    let stake_before = stake(p);
    let r = p.submit(&job.id, &claim.claim_id, proof).expect("judged");
    assert_eq!(r.status, "VALID", "{r:?}");
    assert_eq!(r.paid, SHARE);
    assert_eq!(stake(p), stake_before + COLLATERAL);
    // the claim ended: the sealed input is gone
    assert_eq!(p.sealed_input(&job.id).expect_err("ended").status, 403);

    // a proof of another commitment (the first input's, bound to this claim) is rejected
    let f2 = openings(&iris_input(0.25));
    let job2 = s
        .buyer
        .create_hashed_job("iris-h", commitments(&f2), 600, FailurePolicy::Reopen, "h2")
        .expect("create")
        .job;
    let claim2 = q.claim(&job2.id).expect("claim");
    s.buyer
        .seal_input(&job2.id, &serde_json::to_vec(&f2).expect("json"))
        .expect("seal");
    let wrong = prove_opened(&f, &claim2.bind);
    let r = q.submit(&job2.id, &claim2.claim_id, wrong).expect("judged");
    assert_eq!(r.status, "INVALID", "{r:?}");
    let why = r.reason.unwrap_or_default();
    assert!(why.contains("another input"), "{why}");
    eprintln!("rejection: {why}");
    // reopened: the next claimant needs its own sealing (the old ciphertext was for q)
    let claim3 = p.claim(&job2.id).expect("re-claim");
    assert_eq!(
        p.sealed_input(&job2.id).expect_err("not resealed").status,
        404
    );
    s.buyer
        .seal_input(&job2.id, &serde_json::to_vec(&f2).expect("json"))
        .expect("seal again");
    let mine = p_id
        .open_sealed(&hex::decode(p.sealed_input(&job2.id).expect("fetch").sealed).expect("hex"))
        .expect("open");
    let proof = prove_opened(
        &OpeningsFile::parse(&mine, "s").expect("parse"),
        &claim3.bind,
    );
    let r = p.submit(&job2.id, &claim3.claim_id, proof).expect("judged");
    assert_eq!(r.status, "VALID", "{r:?}");
    let a = s.server.audit();
    assert!(a.ok(), "audit: {:?}", a.problems);
}

fn unsealed_claims_are_released_and_sealed_inputs_are_bounded(b: Backend) {
    let s = hashed_scenario(b);
    let ((p, _), (q, q_id)) = (&s.providers[0], &s.providers[1]);
    let f = openings(&iris_input(0.0));
    let job = s
        .buyer
        .create_hashed_job("iris-h", commitments(&f), 3600, FailurePolicy::Reopen, "x")
        .expect("create")
        .job;
    let limit = job.sealed_max.expect("a bound") as usize;
    let claim = p.claim(&job.id).expect("claim");
    // the buyer never posts the input: past the claim deadline the claim is released, not slashed
    s.server.advance(CLAIM_TIMEOUT + 1);
    s.server.reap();
    let j = s.buyer.job(&job.id).expect("job");
    assert_eq!(j.state, "OPEN", "{j:?}");
    assert_eq!(stake(p), 600, "the whole collateral is back");
    assert_eq!(p.balances(&p.key()).expect("b").collateral, 0);
    let hist = p.entries(&p.key(), 0, 100).expect("entries");
    assert!(hist.iter().all(|e| !e.reason.contains("slash")), "{hist:?}");
    assert!(
        hist.iter()
            .any(|e| e.reason == "release collateral (input not sealed)"),
        "{hist:?}"
    );
    assert_eq!(
        s.buyer
            .post_sealed(&job.id, &claim.claim_id, &[0u8; 64])
            .expect_err("old claim")
            .status,
        409
    );

    // sizes: over the job's bound (413, refused before the body is read), under a sealed box's (422)
    let claim = q.claim(&job.id).expect("claim");
    let e = s
        .buyer
        .post_sealed(&job.id, &claim.claim_id, &vec![7u8; limit + 1])
        .expect_err("too large");
    assert_eq!((e.status, e.code.as_str()), (413, "too_large"), "{e:?}");
    let e = s
        .buyer
        .post_sealed(&job.id, &claim.claim_id, &[7u8; 10])
        .expect_err("too small");
    assert_eq!(e.status, 422, "{e:?}");
    // an unusable input (not for this key): the claimant refuses it, nobody pays
    let buyer_before = s.buyer.balances(&s.buyer.key()).expect("b").available;
    s.buyer
        .post_sealed(&job.id, &claim.claim_id, &[7u8; 200])
        .expect("garbage of a valid size is stored");
    let got = q.sealed_input(&job.id).expect("fetch");
    assert!(q_id
        .open_sealed(&hex::decode(got.sealed).expect("hex"))
        .is_err());
    let j = q.refuse_input(&job.id, &claim.claim_id).expect("refuse");
    assert_eq!(j.state, "REFUNDED");
    assert_eq!(stake(q), 600);
    assert_eq!(
        s.buyer.balances(&s.buyer.key()).expect("b").available,
        buyer_before + PRICE
    );
    let a = s.server.audit();
    assert!(a.ok(), "audit: {:?}", a.problems);
}

/// Waits until `job` is claimed (by the provider loop on its thread), then returns the job.
fn claimed(
    s: &Hashed,
    job: &str,
    loop_: &std::thread::JoinHandle<anyhow::Result<zkinfer_cli::market_worker::WorkerReport>>,
) -> zkinfer_market::types::Job {
    let t = Instant::now();
    loop {
        let j = s.buyer.job(job).expect("job");
        if j.state == "CLAIMED" {
            return j;
        }
        assert!(
            !loop_.is_finished(),
            "the loop stopped before claiming {job}"
        );
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "{job} never claimed: {j:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn the_provider_loop_serves_sealed_inputs(b: Backend) {
    let s = hashed_scenario(b);
    let (p, p_id) = &s.providers[0];
    let f = openings(&iris_input(0.0));
    let job = s
        .buyer
        .create_hashed_job("iris-h", commitments(&f), 3600, FailurePolicy::Reopen, "w1")
        .expect("create")
        .job;
    let cfg = WorkerConfig {
        server: s.server.url.clone(),
        identity: p_id.clone(),
        models: vec![hashed_iris().clone()],
        device: Device::Cpu,
        poll: Duration::from_millis(50),
        max_jobs: Some(1),
        idle_exit: Some(Duration::from_secs(2)),
        min_value: 0,
        safety: 2.0,
    };
    let stake_before = stake(p);
    let h = std::thread::spawn(move || run(&cfg));
    let j = claimed(&s, &job.id, &h);
    assert_eq!(j.claimant.as_deref(), Some(p.key().as_str()));
    // the loop waits for the input past its idle time: the claim is work in hand
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !h.is_finished(),
        "the loop left a claim waiting for its input"
    );
    s.buyer
        .seal_input(&job.id, &serde_json::to_vec(&f).expect("json"))
        .expect("seal");
    let r = h.join().expect("thread").expect("run");
    assert_eq!(
        (r.settled, r.rejected, r.abandoned, r.lost),
        (1, 0, 0, 0),
        "{r:?}"
    );
    assert_eq!(s.buyer.job(&job.id).expect("job").state, "SETTLED");
    assert_eq!(r.earned, SHARE);
    assert_eq!(stake(p), stake_before, "the collateral is back");

    // an input that opens other commitments than the job's: refused, refunded, nothing slashed
    let other = openings(&iris_input(0.25));
    let job = s
        .buyer
        .create_hashed_job("iris-h", commitments(&f), 3600, FailurePolicy::Reopen, "w2")
        .expect("create")
        .job;
    let buyer_before = s.buyer.balances(&s.buyer.key()).expect("b").available;
    let cfg2 = WorkerConfig {
        server: s.server.url.clone(),
        identity: p_id.clone(),
        models: vec![hashed_iris().clone()],
        device: Device::Cpu,
        poll: Duration::from_millis(50),
        max_jobs: None,
        idle_exit: Some(Duration::from_secs(2)),
        min_value: 0,
        safety: 2.0,
    };
    let stake_before = stake(p);
    let h = std::thread::spawn(move || run(&cfg2));
    claimed(&s, &job.id, &h);
    s.buyer
        .seal_input(&job.id, &serde_json::to_vec(&other).expect("json"))
        .expect("seal");
    let r = h.join().expect("thread").expect("run");
    assert_eq!((r.refused, r.settled, r.lost), (1, 0, 0), "{r:?}");
    assert_eq!(s.buyer.job(&job.id).expect("job").state, "REFUNDED");
    assert_eq!(stake(p), stake_before, "no collateral lost");
    assert_eq!(
        s.buyer.balances(&s.buyer.key()).expect("b").available,
        buyer_before + PRICE
    );
    let a = s.server.audit();
    assert!(a.ok(), "audit: {:?}", a.problems);
}
