//! Helpers of the market tests: the bundled models compiled and set up once per test binary, proofs
//! bound to a job, and a server per scenario on SQLite or PostgreSQL.
//!
//! The SQLite variant of each scenario runs in plain `cargo test`; the PostgreSQL variant is ignored
//! unless asked for (`cargo test -- --include-ignored`, with `ZKINFER_TEST_POSTGRES_URL` set or
//! `scripts/pg-test.sh` able to start a server), and then fails when no database can be had: it never
//! passes without running.
#![allow(dead_code)]

pub mod fault_proxy;
pub mod keys;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use zkinfer_circuits::layout::Target;
use zkinfer_market::client::Client;
use zkinfer_market::testkit::{fresh_database, Backend, TestServer};
use zkinfer_market::types::{ClaimInfo, Created, FailurePolicy};
use zkinfer_market::Config;
use zkinfer_prover::{pipeline, Device, ModelDir};

pub fn models_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("models")
}

/// digits_mlp and iris_mlp, compiled and set up.
pub struct Models {
    pub digits: PathBuf,
    pub iris: PathBuf,
}

pub fn models() -> &'static Models {
    static M: OnceLock<Models> = OnceLock::new();
    M.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("market-models-{}", std::process::id()));
        let mut out = vec![];
        for name in ["digits_mlp", "iris_mlp"] {
            let dir = root.join(name);
            std::fs::create_dir_all(&dir).expect("mkdir");
            let md = ModelDir::new(&dir);
            let src = models_src().join(name);
            pipeline::compile(
                &src.join("model.onnx"),
                &md,
                &[src.join("calibration.json")],
                Target::Resources,
            )
            .expect("compile");
            pipeline::setup(&md, None).expect("setup");
            out.push(dir);
        }
        Models {
            digits: out[0].clone(),
            iris: out[1].clone(),
        }
    })
}

/// A model's bundled input file as JSON.
pub fn input_json(name: &str) -> Value {
    let text = std::fs::read_to_string(models_src().join(name).join("input.json")).expect("input");
    serde_json::from_str(&text).expect("json")
}

/// The same input with every value shifted by `delta` (another input of the same model).
pub fn shifted(input: &Value, delta: f64) -> Value {
    let lists: Vec<Vec<f64>> = serde_json::from_value(input["input_data"].clone()).expect("lists");
    let lists: Vec<Vec<f64>> = lists
        .iter()
        .map(|l| l.iter().map(|v| v + delta).collect())
        .collect();
    serde_json::json!({ "input_data": lists })
}

/// Proves `inputs` on the model in `dir` bound to `bind_hex`; the proof file as JSON.
pub fn prove(dir: &Path, inputs: &[Vec<f64>], bind_hex: &str) -> Value {
    let bind = zkinfer_circuits::field::fr_from_hex(bind_hex).expect("bind hex");
    let p = pipeline::prove_bound(&ModelDir::new(dir), inputs, Device::Cpu, bind).expect("prove");
    serde_json::to_value(&p.proof).expect("json")
}

/// Proves the job's own input for a claim.
pub fn prove_claim(dir: &Path, s: &Scenario, job: &str, claim: &ClaimInfo) -> Value {
    let j = s.owner.job(job).expect("job");
    prove(dir, &j.input, &claim.bind)
}

/// A server with a listed digits model (price 1000, royalty 5%, fee 1%, collateral 200), a buyer with
/// 10 000 and `providers` providers with 1 000 each, 600 of it staked.
pub struct Scenario {
    pub server: TestServer,
    pub owner: Client,
    pub buyer: Client,
    pub providers: Vec<Client>,
    pub listing: String,
    _dir: tempfile::TempDir,
}

pub const PRICE: i64 = 1000;
pub const ROYALTY_BPS: i64 = 500;
pub const FEE_BPS: i64 = 100;
pub const COLLATERAL: i64 = 200;
pub const CLAIM_TIMEOUT: i64 = 60;

pub fn scenario(b: Backend, providers: usize, config: Config) -> Scenario {
    let dir = tempfile::tempdir().expect("tmp");
    let server = TestServer::start(b, dir.path(), config).expect(
        "a test server (PostgreSQL: set ZKINFER_TEST_POSTGRES_URL or let scripts/pg-test.sh start one)",
    );
    let m = models();
    let owner = server.client();
    owner
        .list_model(
            "digits",
            &m.digits,
            PRICE,
            ROYALTY_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("list");
    let buyer = server.client();
    buyer.mint(10_000).expect("mint");
    let providers: Vec<Client> = (0..providers)
        .map(|_| {
            let p = server.client();
            p.mint(1000).expect("mint");
            p.stake("digits", 600).expect("stake");
            p
        })
        .collect();
    Scenario {
        server,
        owner,
        buyer,
        providers,
        listing: "digits".into(),
        _dir: dir,
    }
}

impl Scenario {
    /// Creates a digits job with the bundled input.
    pub fn job(&self, index: &str, deadline: i64, policy: FailurePolicy) -> String {
        self.job_with(index, input_json("digits_mlp"), deadline, policy)
    }
    pub fn job_with(
        &self,
        index: &str,
        input: Value,
        deadline: i64,
        policy: FailurePolicy,
    ) -> String {
        let c: Created = self
            .buyer
            .create_job(&self.listing, input, deadline, policy, index)
            .expect("create");
        assert!(c.created);
        c.job.id
    }
    pub fn avail(&self, c: &Client) -> i64 {
        c.balances(&c.key()).expect("balances").available
    }
    pub fn stake(&self, c: &Client) -> i64 {
        c.balances(&c.key())
            .expect("balances")
            .stakes
            .get(&self.listing)
            .copied()
            .unwrap_or(0)
    }
    pub fn assert_audit(&self) {
        let a = self.server.audit();
        assert!(a.ok(), "audit: {:?}", a.problems);
    }
}

pub fn config() -> Config {
    Config {
        fee_bps: FEE_BPS,
        ..TestServer::test_config()
    }
}

/// Two #[test]s per scenario, on SQLite and on PostgreSQL (ignored unless asked for): the market test
/// kit's macro.
pub use zkinfer_market::on_both;

/// What the provider gets of a settled job at the scenario's price, royalty and fee.
pub const SHARE: i64 = PRICE - PRICE * ROYALTY_BPS / 10_000 - PRICE * FEE_BPS / 10_000;

/// The flat output lists of a proof file.
pub fn outputs_of(proof: &Value) -> Vec<Vec<f64>> {
    proof["outputs"]
        .as_array()
        .expect("outputs")
        .iter()
        .map(|o| zkinfer_verifier::proof_file::flatten(o, "outputs").expect("numbers"))
        .collect()
}

/// Every input list reversed (another input, same values and range).
pub fn reversed(input: &[Vec<f64>]) -> Vec<Vec<f64>> {
    input
        .iter()
        .map(|l| l.iter().rev().copied().collect())
        .collect()
}

/// A fresh database of this backend for a `zkinfer market serve` process. A database that cannot be had
/// fails the test (PostgreSQL: set `ZKINFER_TEST_POSTGRES_URL` or let `scripts/pg-test.sh` start one).
pub fn server_database(b: Backend, dir: &Path) -> String {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    rt.block_on(fresh_database(b, dir)).expect(
        "a fresh test database (PostgreSQL: set ZKINFER_TEST_POSTGRES_URL or let scripts/pg-test.sh start one)",
    )
}

/// A TCP port free on 127.0.0.1 (just now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits (up to 30 s) until a `zkinfer market serve` process at `url` answers.
pub fn wait_up(url: &str) {
    let c = Client::new(url, None);
    let t = Instant::now();
    while c.info().is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the server did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
