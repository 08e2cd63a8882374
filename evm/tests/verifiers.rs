//! Every bundled model and LeNet-5: the Solidity verifier in both layouts, deployed in revm under EIP-170's
//! code-size limit; an EVM-transcript proof made by the prover's pipeline (`zkinfer prove --transcript evm`) is
//! accepted, and a tampered input, output, settings digest, binding value, instance count, proof byte or calldata
//! length reverts.
//! Prints one `EVM-RESULT {json}` line per model; the ignored `measure_evm_verifiers` runs every model and
//! writes bench/results/evm_verifiers.{json,md} from those reports.

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::settings::Settings;
use zkinfer_evm::contracts::{build, DeployedVerifier};
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::generate::encode_calldata;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Chain, MAX_CODE_SIZE, U256};
use zkinfer_evm::solc::Solc;
use zkinfer_verifier::VerifierArtifacts;

/// Every way to tamper with a valid call: each must revert.
fn assert_rejects_tampering(
    name: &str,
    what_layout: &str,
    chain: &mut Chain,
    d: &DeployedVerifier,
    settings: &Settings,
    instances: &[Fr],
    proof: &[u8],
) {
    let deployer = address(0xde9);
    let first_output: usize = settings.inputs.iter().map(|s| s.numel()).sum();
    let last = instances.len() - 1;
    for (what, index) in [
        ("input 0", 0),
        ("input (last)", first_output - 1),
        ("output 0", first_output),
        ("settings digest", settings.digest_instance()),
        ("binding value", settings.bind_instance()),
        ("last instance", last),
    ] {
        let mut bad = instances.to_vec();
        bad[index] += Fr::one();
        let out = d
            .verify(chain, deployer, &encode_calldata(&bad, proof))
            .expect("runs");
        assert!(
            !out.is_success(),
            "{name} {what_layout}: tampered {what} accepted"
        );
    }
    // one instance too few or too many, and the proof cut short
    let short = encode_calldata(&instances[..last], proof);
    let long = encode_calldata(&[instances, &[Fr::one()]].concat(), proof);
    let cut = encode_calldata(instances, &proof[..proof.len() - 32]);
    // bytes after the proof: the calldata must be exactly the instances and the proof
    let trailing = [encode_calldata(instances, proof), vec![0u8; 32]].concat();
    for (what, calldata) in [
        ("short", short),
        ("long", long),
        ("cut", cut),
        ("trailing", trailing),
    ] {
        let out = d.verify(chain, deployer, &calldata).expect("runs");
        assert!(
            !out.is_success(),
            "{name} {what_layout}: {what} calldata accepted"
        );
    }
    for at in [0, proof.len() / 2, proof.len() - 1] {
        let mut bad = proof.to_vec();
        bad[at] ^= 1;
        let out = d
            .verify(chain, deployer, &encode_calldata(instances, &bad))
            .expect("runs");
        assert!(
            !out.is_success(),
            "{name} {what_layout}: proof byte {at} flipped, accepted"
        );
    }
    let out = d
        .verify(chain, deployer, &encode_calldata(instances, proof))
        .expect("runs");
    assert!(out.is_success(), "{name} {what_layout}: {out}");
}

/// Checks `name` compiled with `--logrows min_k`; `expect_fit`: whether the verifier `export-evm` ships fits
/// EIP-170. Returns the model's report (sizes and gas of both layouts).
fn check_model(name: &str, min_k: u32, expect_fit: bool) -> serde_json::Value {
    let (_tmp, md, input) = common::model_dir(name, min_k);
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let bind = Fr::from(0x5eed_u64);
    let (instances, proof) = common::evm_proof(&md, &input, bind);
    assert_eq!(instances.len(), art.settings.num_instances());
    assert_eq!(instances[art.settings.bind_instance()], bind);
    let deployer = address(0xde9);
    let mut report = serde_json::json!({ "model": name, "logrows": min_k, "k": art.settings.k, "instances": instances.len(), "proof_bytes": proof.len() });
    for layout in Layout::ALL {
        let v = build(&art, layout, &solc).expect("verifier builds");
        // on a chain that enforces EIP-170 when every contract fits (the tamper cases run there too), else on
        // one without the limit, to measure it
        let fits = v.deployed.len() < MAX_CODE_SIZE
            && v.laid_out
                .data
                .as_ref()
                .is_none_or(|d| d.len() < MAX_CODE_SIZE);
        let mut chain = if fits {
            Chain::new()
        } else {
            Chain::new().without_code_size_limit()
        };
        let d = v.deploy(&mut chain, deployer).expect("deploys");
        assert_eq!(d.verifier_size, v.deployed.len());
        if !fits {
            // an oversize layout really is refused where the limit holds
            assert!(v.deploy(&mut Chain::new(), deployer).is_err());
        }
        let ok = d
            .verify(&mut chain, deployer, &encode_calldata(&instances, &proof))
            .expect("runs");
        assert!(
            ok.is_success(),
            "{name} {}: valid proof refused: {ok}",
            layout.name()
        );
        report["solc"] = v.solc_version.clone().into();
        report[layout.name()] = serde_json::json!({
            "fits_eip170": fits,
            "verifier_bytes": d.verifier_size,
            "data_bytes": d.data_size,
            "deploy_gas": d.deploy_gas,
            "verify_gas": ok.gas_used,
        });
        assert_rejects_tampering(
            name,
            layout.name(),
            &mut chain,
            &d,
            &art.settings,
            &instances,
            &proof,
        );
    }
    // the exported files (the layout `zkinfer export-evm` picks) deploy under EIP-170 and accept the proof
    let out_dir = _tmp.path().join("evm");
    let e = export(&md.path, &out_dir, None, &solc).expect("export");
    let m = &e.manifest;
    let fits = m.verifier.deployed_bytes < MAX_CODE_SIZE
        && m.data
            .as_ref()
            .is_none_or(|d| d.deployed_bytes < MAX_CODE_SIZE);
    assert_eq!(m.fits_eip170, fits);
    assert_eq!(
        fits, expect_fit,
        "{name}: exported verifier {} bytes, data {:?}",
        m.verifier.deployed_bytes, m.data
    );
    assert_eq!(m.num_instances, instances.len());
    assert_eq!(
        m.settings_digest,
        fr_to_hex(&instances[art.settings.digest_instance()])
    );
    assert!(m.ceremony.is_none(), "a development SRS names no ceremony");
    let code = ExportedCode::load(&out_dir).expect("reads back");
    assert_eq!(code.manifest.layout, m.layout);
    let mut chain = if fits {
        Chain::new()
    } else {
        Chain::new().without_code_size_limit()
    };
    let at = code.deploy(&mut chain, deployer).expect("deploys");
    let out = chain
        .call(
            deployer,
            at,
            &encode_calldata(&instances, &proof),
            U256::ZERO,
        )
        .expect("runs");
    assert!(out.is_success(), "{name}: exported verifier: {out}");
    report["exported_layout"] = m.layout.name().into();
    report["exported_fits_eip170"] = fits.into();
    println!("EVM-RESULT {report}");
    report
}

macro_rules! model_tests {
    ($($test:ident => $name:expr, $min_k:expr;)*) => {
        $(
            #[test]
            #[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
            fn $test() { check_model($name, $min_k, true); }
        )*
        /// Every model of the tests above: name, `--logrows`, whether the shipped verifier fits.
        const MODELS: &[(&str, u32, bool)] = &[$(($name, $min_k, true),)* ("testdata/lenet5", 0, false)];
    };
}

// The fewest rows each model needs, except the CNNs with limb lanes: at their fewest rows the chooser widens
// the circuit instead (digits_cnn at k = 9 has 4 limb lanes, LeNet-5 at k = 12 a 16x8 tile and 4 lanes), and the
// verifier's per-column arithmetic alone is over 24 kB even after the split. With `--logrows 11` (digits_cnn:
// one lane, a 4x4 tile) and `--logrows 15` (LeNet-5: one lane, a 4x4 tile) their verifiers fit.
model_tests! {
    digits_mlp => "digits_mlp", 0;
    iris_mlp => "iris_mlp", 0;
    digits_cnn => "digits_cnn", DIGITS_CNN_MIN_K;
    lenet5 => "testdata/lenet5", LENET5_MIN_K;
    cnn_conv_pool_sigmoid => "testdata/cnn_conv_pool_sigmoid", 0;
    mlp_flatten_gemm => "testdata/mlp_flatten_gemm", 0;
    mlp_matmul_stack => "testdata/mlp_matmul_stack", 0;
    mlp_shape_ops => "testdata/mlp_shape_ops", 0;
    ops_zoo => "testdata/ops_zoo", 0;
}

/// `zkinfer compile --logrows` for LeNet-5's deployable verifier.
const LENET5_MIN_K: u32 = 15;

/// `zkinfer compile --logrows` for the digits CNN's deployable verifier.
const DIGITS_CNN_MIN_K: u32 = 11;

/// LeNet-5 at its fewest rows: valid and tampered proofs behave in both layouts (measured without the limit),
/// and `export-evm` reports that neither layout fits (the CLI refuses it unless `--allow-oversize`).
#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn lenet5_fewest_rows_is_oversize() {
    check_model("testdata/lenet5", 0, false);
}

/// Runs every model's check and writes bench/results/evm_verifiers.json and .md from the reports: the sizes
/// are exact, the gas is one valid proof's transaction.
#[test]
#[ignore = "benchmark: writes bench/results/evm_verifiers.{json,md} (several minutes; run on purpose)"]
fn measure_evm_verifiers() {
    let reports: Vec<serde_json::Value> = MODELS
        .iter()
        .map(|(name, min_k, fit)| check_model(name, *min_k, *fit))
        .collect();
    let solc = reports[0]["solc"].clone();
    let json = serde_json::json!({
        "what": "Solidity verifier per bundled model: vendored snark-verifier 0.2.7 generator (KZG + SHPLONK, EVM transcript; vendor/snark-verifier/ZKINFER-PATCH.md), solc optimiser off, revm 27.1.0 (Prague). verify_gas: the whole transaction of one valid proof (21,000 base + calldata + execution); deploy_gas: both contracts of the split layout. Bytes: deployed runtime code (EIP-170 limit 24,576).",
        "command": "cargo test --release -p zkinfer-evm --test verifiers -- --ignored measure_evm_verifiers",
        "solc": solc,
        "limit_bytes": MAX_CODE_SIZE,
        "models": reports,
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/results");
    std::fs::write(
        dir.join("evm_verifiers.json"),
        serde_json::to_string_pretty(&json).expect("json") + "\n",
    )
    .expect("write json");
    std::fs::write(dir.join("evm_verifiers.md"), bench_markdown(&json)).expect("write md");
}

/// The markdown table of [`measure_evm_verifiers`]'s JSON.
fn bench_markdown(json: &serde_json::Value) -> String {
    let n = |v: &serde_json::Value| {
        let s = v.as_u64().unwrap_or(0).to_string();
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let mut md =
        String::from("# EVM verifiers: deployed size and verification gas per bundled model\n\n");
    md.push_str(&format!(
        "Written by `{}` (do not edit by hand). {}\n\n",
        json["command"].as_str().unwrap_or(""),
        json["what"].as_str().unwrap_or("")
    ));
    md.push_str(&format!(
        "solc {}.\n\n",
        json["solc"].as_str().unwrap_or("")
    ));
    md.push_str("| model | `--logrows` | k | instances | proof bytes | inline: verifier bytes | inline: verify gas | inline: deploy gas | split: verifier + data bytes | split: verify gas | split: deploy gas | `export-evm` ships | fits EIP-170 |\n");
    md.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for m in json["models"].as_array().into_iter().flatten() {
        let logrows = match m["logrows"].as_u64() {
            Some(0) | None => "fewest".to_string(),
            Some(k) => k.to_string(),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} + {} | {} | {} | {} | {} |\n",
            m["model"].as_str().unwrap_or(""),
            logrows,
            m["k"],
            m["instances"],
            n(&m["proof_bytes"]),
            n(&m["inline"]["verifier_bytes"]),
            n(&m["inline"]["verify_gas"]),
            n(&m["inline"]["deploy_gas"]),
            n(&m["split"]["verifier_bytes"]),
            n(&m["split"]["data_bytes"]),
            n(&m["split"]["verify_gas"]),
            n(&m["split"]["deploy_gas"]),
            m["exported_layout"].as_str().unwrap_or(""),
            if m["exported_fits_eip170"] == true {
                "yes"
            } else {
                "**no**"
            },
        ));
    }
    md.push_str("\nThe split layout's verifier checks its data contract's code hash on every call (`EXTCODEHASH`); both layouts refuse a non-canonical scalar word (value >= r) instead of reducing it.\n");
    md
}
