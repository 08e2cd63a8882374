//! Native, JavaScript and Solidity Poseidon agree: the commitment of `circuits/src/poseidon/mod.rs` computed by
//! `zkinfer_circuits::poseidon::commit`, by `tools/poseidon-js/commit.js` (npm `poseidon-lite`) and by
//! `evm/contracts/PoseidonCommitment.sol` (`ZkinferPoseidonCommitment` on npm `poseidon-solidity`'s
//! `PoseidonT6`, compiled with the pinned solc 0.8.19 and run in revm) is the same field element for the
//! spec's test vectors and for seeded random vectors of 0 to 1,000 values (0 and 2^24 - 1 among them) under
//! random salts; so is the raw Poseidon hash (5 inputs in all three; 1 to 5 inputs native against
//! JavaScript; PoseidonT6 compiled here and the creation code the package publishes agree). The contract refuses a value of 2^24 and a salt that is not a field element.
//!
//! Needs Node.js, the pinned npm packages (`eval "$(bash scripts/install-poseidon-js.sh)"`, which sets
//! `ZKINFER_POSEIDON_JS`) and solc (`eval "$(bash scripts/install-solc.sh)"`): ignored by plain `cargo test`,
//! run by `scripts/test.sh` (`--include-ignored`), where a missing tool fails it.
#![allow(clippy::unwrap_used, clippy::panic)]

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::{Field, PrimeField};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use zkinfer_circuits::poseidon::{commit, fr_from_be_hex, fr_to_be_hex, hash};
use zkinfer_evm::runtime::{address, keccak256, Address, Chain, Outcome, U256};
use zkinfer_evm::solc::{Optimizer, Solc, Source};

const IGNORE: &str = "needs node, poseidon-lite, poseidon-solidity and solc (scripts/install-poseidon-js.sh, scripts/install-solc.sh)";
/// The directory `scripts/install-poseidon-js.sh` prints.
const POSEIDON_JS_ENV: &str = "ZKINFER_POSEIDON_JS";
const COMMITMENT_SOURCE: &str = include_str!("../contracts/PoseidonCommitment.sol");
/// Largest committable value.
const MAX_VALUE: i128 = (1 << 24) - 1;
/// BN254's scalar modulus, big-endian hex.
const MODULUS: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

/// `tools/poseidon-js` with its pinned packages installed: `ZKINFER_POSEIDON_JS`, else the source tree's.
/// Panics (the test fails, it does not skip) when they are not there.
fn poseidon_js_dir() -> PathBuf {
    let dir = std::env::var(POSEIDON_JS_ENV).map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/poseidon-js"),
        PathBuf::from,
    );
    for need in [
        "commit.js",
        "node_modules/poseidon-lite/package.json",
        "node_modules/poseidon-solidity/PoseidonT6.sol",
    ] {
        assert!(
            dir.join(need).is_file(),
            "no {} ({IGNORE}: run `eval \"$(bash scripts/install-poseidon-js.sh)\"`, which sets {POSEIDON_JS_ENV})",
            dir.join(need).display()
        );
    }
    dir
}

/// Runs `commit.js` on a JSON array of requests; its answers, parsed.
fn js(dir: &Path, requests: &Value) -> Vec<Fr> {
    let mut child = Command::new("node")
        .arg(dir.join("commit.js"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run node ({IGNORE}): {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(requests.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "commit.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answers.len(), requests.as_array().unwrap().len());
    answers
        .iter()
        .map(|h| {
            assert_eq!(h.len(), 66, "0x and 64 digits: {h}");
            fr_from_be_hex(h).unwrap_or_else(|| panic!("not a field element: {h}"))
        })
        .collect()
}

/// A JavaScript request for the commitment.
fn js_commit(values: &[i128], salt: &Fr) -> Value {
    json!({ "values": values, "salt": fr_to_be_hex(salt) })
}

fn word(f: &Fr) -> U256 {
    U256::from_le_slice(f.to_repr().as_ref())
}

fn fr_of_word(w: &[u8]) -> Fr {
    assert_eq!(w.len(), 32, "one uint256 returned: 0x{}", hex::encode(w));
    fr_from_be_hex(&format!("0x{}", hex::encode(w))).expect("below the modulus")
}

fn selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature);
    [h[0], h[1], h[2], h[3]]
}

/// The optimiser setting both contracts are compiled with. PoseidonT6 is made of 32-byte constants: at solc's
/// default 200 runs the constant optimiser rebuilds them from shorter code and one hash costs about 2.5 times
/// the gas (about 183,000 against 72,000); at many runs they stay `PUSH32`s, as in the package's own
/// deployment, and the library still fits EIP-170.
const OPTIMIZER: Optimizer = Optimizer::On { runs: 1_000_000 };

/// PoseidonT6 (compiled here, and the package's published creation code) and `ZkinferPoseidonCommitment`
/// deployed on an in-memory chain.
struct Solidity {
    chain: Chain,
    from: Address,
    poseidon: Address,
    published: Address,
    committer: Address,
}

impl Solidity {
    fn deploy(js_dir: &Path) -> Self {
        let t6 =
            std::fs::read_to_string(js_dir.join("node_modules/poseidon-solidity/PoseidonT6.sol"))
                .unwrap();
        let solc = Solc::locate().unwrap_or_else(|e| panic!("{IGNORE}: {e}"));
        let out = solc
            .compile(
                &[
                    Source::solidity("PoseidonT6.sol", t6),
                    Source::solidity("PoseidonCommitment.sol", COMMITMENT_SOURCE),
                ],
                OPTIMIZER,
            )
            .unwrap();
        let mut chain = Chain::new();
        let from = address(0xc0de);
        let poseidon = chain
            .deploy(
                from,
                &out.contract("PoseidonT6").unwrap().creation,
                &[],
                U256::ZERO,
            )
            .unwrap();
        let committer = chain
            .deploy(
                from,
                &out.contract("ZkinferPoseidonCommitment").unwrap().creation,
                &poseidon.address.into_word().0,
                U256::ZERO,
            )
            .unwrap();
        // the creation code poseidon-solidity publishes (its deterministic deployment on public chains)
        let node = Command::new("node")
            .arg("-e")
            .arg("process.stdout.write(require(process.argv[1]).PoseidonT6.bytecode)")
            .arg(js_dir.join("node_modules/poseidon-solidity"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run node ({IGNORE}): {e}"));
        assert!(
            node.status.success(),
            "{}",
            String::from_utf8_lossy(&node.stderr)
        );
        let bytecode = String::from_utf8(node.stdout).unwrap();
        let published = chain
            .deploy(
                from,
                &hex::decode(bytecode.trim_start_matches("0x")).unwrap(),
                &[],
                U256::ZERO,
            )
            .unwrap();
        println!(
            "PoseidonT6: {} bytes (published: {} bytes); ZkinferPoseidonCommitment: {} bytes; solc {}",
            poseidon.code_size, published.code_size, committer.code_size, out.version
        );
        Self {
            chain,
            from,
            poseidon: poseidon.address,
            published: published.address,
            committer: committer.address,
        }
    }

    /// `PoseidonT6.hash(inputs)`, called directly on `at`; the hash and the transaction's gas.
    fn hash5_at(&self, at: Address, inputs: &[Fr; 5]) -> (Fr, u64) {
        let mut data = selector("hash(uint256[5])").to_vec();
        for x in inputs {
            data.extend_from_slice(&word(x).to_be_bytes::<32>());
        }
        let out = self.chain.view(self.from, at, &data).unwrap();
        assert!(out.is_success(), "PoseidonT6.hash: {out}");
        (fr_of_word(&out.output), out.gas_used)
    }

    /// `PoseidonT6.hash(inputs)` of the library compiled here, checked against the published one.
    fn hash5(&self, inputs: &[Fr; 5]) -> (Fr, u64) {
        let (h, gas) = self.hash5_at(self.poseidon, inputs);
        let (published, _) = self.hash5_at(self.published, inputs);
        assert_eq!(
            h, published,
            "PoseidonT6 compiled here against the published bytecode"
        );
        (h, gas)
    }

    /// `commit(values, salt)` as a transaction (its gas is the transaction's, 21,000 and calldata included).
    fn commit(&mut self, values: &[U256], salt: U256) -> Outcome {
        let mut data = selector("commit(uint256[],uint256)").to_vec();
        for w in [U256::from(64), salt, U256::from(values.len())]
            .iter()
            .chain(values)
        {
            data.extend_from_slice(&w.to_be_bytes::<32>());
        }
        self.chain
            .call(self.from, self.committer, &data, U256::ZERO)
            .unwrap()
    }

    fn commit_ok(&mut self, values: &[i128], salt: &Fr) -> (Fr, u64) {
        let words: Vec<U256> = values
            .iter()
            .map(|&v| U256::from(u64::try_from(v).unwrap()))
            .collect();
        let out = self.commit(&words, word(salt));
        assert!(out.is_success(), "commit of {} values: {out}", values.len());
        (fr_of_word(&out.output), out.gas_used)
    }
}

/// The spec's test vectors (`circuits/src/poseidon/mod.rs`).
fn spec_vectors() -> Vec<(Vec<i128>, Fr, &'static str)> {
    vec![
        (
            vec![],
            Fr::zero(),
            "0x2066be41bebe6caf7e079360abe14fbf9118c62eabc42e2fe75e342b160a95bc",
        ),
        (
            vec![1, 16_777_215, 0, 8_388_608, 5],
            Fr::from(42),
            "0x19aa0c1a281df711a8b2299bb1325a0513dbfc1fb05f47ced584911b464f377f",
        ),
        (
            vec![3; 45],
            Fr::from(7),
            "0x083a52d74d65d681a1114d218cdd1b0ce6674a6a310e469e78b85d4a3077bdb5",
        ),
    ]
}

/// Seeded vectors: every length twice, values uniform in [0, 2^24) with 0 and 2^24 - 1 mixed in, random salts;
/// then edge cases (all zeros, all maxima, salt p - 1).
fn random_vectors() -> Vec<(Vec<i128>, Fr)> {
    let mut rng = StdRng::seed_from_u64(0x5eed_c0de);
    let mut cases = Vec::new();
    for len in [0usize, 1, 9, 10, 11, 45, 100, 1000] {
        for _ in 0..2 {
            let values = (0..len)
                .map(|_| match rng.gen_range(0..8) {
                    0 => 0,
                    1 => MAX_VALUE,
                    _ => rng.gen_range(0..=MAX_VALUE),
                })
                .collect();
            cases.push((values, Fr::random(&mut rng)));
        }
    }
    cases.push((vec![0], Fr::zero()));
    cases.push((vec![MAX_VALUE], Fr::one()));
    cases.push((vec![MAX_VALUE; 10], -Fr::one()));
    cases.push((vec![0; 11], Fr::random(&mut rng)));
    cases.push((vec![MAX_VALUE; 1000], -Fr::one()));
    cases
}

#[test]
#[ignore = "needs node, poseidon-lite, poseidon-solidity and solc (scripts/install-poseidon-js.sh, scripts/install-solc.sh)"]
fn native_javascript_and_solidity_agree() {
    let dir = poseidon_js_dir();
    let mut sol = Solidity::deploy(&dir);

    // the spec's test vectors, native
    for (values, salt, expected) in spec_vectors() {
        assert_eq!(
            fr_to_be_hex(&commit(&values, salt).unwrap()),
            expected,
            "native commit of {} values",
            values.len()
        );
    }

    // commitments: native == JavaScript == Solidity
    let cases: Vec<(Vec<i128>, Fr)> = spec_vectors()
        .into_iter()
        .map(|(v, s, _)| (v, s))
        .chain(random_vectors())
        .collect();
    let requests = Value::Array(cases.iter().map(|(v, s)| js_commit(v, s)).collect());
    let from_js = js(&dir, &requests);
    let mut gas = Vec::new();
    for ((values, salt), js_commitment) in cases.iter().zip(&from_js) {
        let native = commit(values, *salt).unwrap();
        let (solidity, gas_used) = sol.commit_ok(values, salt);
        assert_eq!(
            fr_to_be_hex(js_commitment),
            fr_to_be_hex(&native),
            "JavaScript against native: {} values, salt {}",
            values.len(),
            fr_to_be_hex(salt)
        );
        assert_eq!(
            fr_to_be_hex(&solidity),
            fr_to_be_hex(&native),
            "Solidity against native: {} values, salt {}",
            values.len(),
            fr_to_be_hex(salt)
        );
        gas.push((values.len(), gas_used));
    }
    gas.sort_unstable();
    gas.dedup_by_key(|(n, _)| *n);
    for (n, g) in &gas {
        println!("ZkinferPoseidonCommitment.commit of {n:>4} values: {g:>9} gas (transaction)");
    }
    println!("{} commitments agree", cases.len());

    // raw hashes: 5 inputs in all three, 1 to 5 inputs native against JavaScript
    let mut rng = StdRng::seed_from_u64(0x5eed_4a54);
    let mut inputs: Vec<Vec<Fr>> = vec![
        vec![Fr::from(1), Fr::from(2)],
        vec![Fr::zero(); 5],
        vec![-Fr::one(); 5],
        (1..=5).map(Fr::from).collect(),
    ];
    for k in 1..=5 {
        for _ in 0..4 {
            inputs.push((0..k).map(|_| Fr::random(&mut rng)).collect());
        }
    }
    let requests = Value::Array(
        inputs
            .iter()
            .map(|xs| json!({ "hash": xs.iter().map(fr_to_be_hex).collect::<Vec<_>>() }))
            .collect(),
    );
    let from_js = js(&dir, &requests);
    let mut hash_gas = 0;
    for (xs, js_hash) in inputs.iter().zip(&from_js) {
        let native = hash(xs).unwrap();
        assert_eq!(
            fr_to_be_hex(js_hash),
            fr_to_be_hex(&native),
            "Poseidon({}) JavaScript against native",
            xs.len()
        );
        if let Ok(five) = <[Fr; 5]>::try_from(xs.as_slice()) {
            let (h, gas) = sol.hash5(&five);
            assert_eq!(
                fr_to_be_hex(&h),
                fr_to_be_hex(&native),
                "Poseidon(5) Solidity against native"
            );
            hash_gas = gas;
        }
    }
    println!("PoseidonT6.hash called directly: {hash_gas} gas (transaction)");
    assert_eq!(
        fr_to_be_hex(&hash(&[Fr::from(1), Fr::from(2)]).unwrap()),
        "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
    );
}

#[test]
#[ignore = "needs node, poseidon-lite, poseidon-solidity and solc (scripts/install-poseidon-js.sh, scripts/install-solc.sh)"]
fn out_of_range_values_and_salts_are_refused() {
    let dir = poseidon_js_dir();
    let mut sol = Solidity::deploy(&dir);
    let value_error = selector("ValueOutOfRange(uint256,uint256)");
    let salt_error = selector("SaltOutOfField(uint256)");
    let too_big = U256::from(1u64 << 24);

    // 2^24 anywhere (first, in a partial last element, far in) reverts with its index and value
    for (len, at) in [(1usize, 0usize), (15, 14), (100, 57)] {
        let mut values = vec![U256::from(MAX_VALUE as u64); len];
        values[at] = too_big;
        let out = sol.commit(&values, U256::from(7));
        assert!(!out.is_success(), "2^24 at {at} of {len} accepted");
        let mut expected = value_error.to_vec();
        expected.extend_from_slice(&U256::from(at).to_be_bytes::<32>());
        expected.extend_from_slice(&too_big.to_be_bytes::<32>());
        assert_eq!(
            out.output,
            expected,
            "revert data: {:?}",
            out.revert_reason()
        );
    }
    // so does a value that would wrap into a lower slot, and the largest uint256
    for v in [U256::from(1u64 << 48), U256::MAX] {
        let out = sol.commit(&[U256::ZERO, v], U256::ZERO);
        assert_eq!(out.output.get(..4), Some(&value_error[..]), "{out}");
    }
    // a salt of p (or more) is not a field element: refused, never reduced
    let p = U256::from_str_radix(MODULUS.trim_start_matches("0x"), 16).unwrap();
    for salt in [p, U256::MAX] {
        let out = sol.commit(&[U256::from(1)], salt);
        let mut expected = salt_error.to_vec();
        expected.extend_from_slice(&salt.to_be_bytes::<32>());
        assert_eq!(out.output, expected, "{out}");
    }
    let ok = sol.commit(&[U256::from(1)], p - U256::from(1));
    assert!(ok.is_success(), "salt p - 1: {ok}");

    // the native commitment and commit.js refuse them too
    assert!(commit(&[MAX_VALUE + 1], Fr::zero()).is_err());
    assert!(commit(&[-1], Fr::zero()).is_err());
    for bad in [
        json!({ "values": [1 << 24], "salt": "0x0" }),
        json!({ "values": [-1], "salt": "0x0" }),
        json!({ "values": [1], "salt": MODULUS }),
    ] {
        let out = Command::new("node")
            .arg(dir.join("commit.js"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin
                    .take()
                    .unwrap()
                    .write_all(bad.to_string().as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert!(!out.status.success(), "commit.js accepted {bad}");
    }
}
