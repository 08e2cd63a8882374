//! Every bundled model and LeNet-5: the Solidity verifier in both layouts, deployed in revm; an EVM-transcript
//! proof is accepted, and a tampered input, output, settings digest, binding value or proof byte reverts.
//! Prints one `EVM-RESULT {json}` line per model (sizes and gas; bench/results/evm.md is made from them).

mod common;

use halo2_proofs::halo2curves::bn256::Fr;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_evm::contracts::build;
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::generate::encode_calldata;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Chain, MAX_CODE_SIZE, U256};
use zkinfer_evm::solc::Solc;
use zkinfer_verifier::VerifierArtifacts;

fn check_model(name: &str) {
    let (_tmp, md, input) = common::model_dir(name);
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let bind = Fr::from(0x5eed_u64);
    let (instances, proof) = common::evm_proof(&md, &input, bind);
    assert_eq!(instances.len(), art.settings.num_instances());
    assert_eq!(instances[art.settings.bind_instance()], bind);
    let deployer = address(0xde9);
    let mut report = serde_json::json!({ "model": name, "k": art.settings.k, "instances": instances.len(), "proof_bytes": proof.len() });
    for layout in Layout::ALL {
        let v = build(&art, layout, &solc).expect("verifier builds");
        // measured on a chain without EIP-170, so the inline layout's size and gas are known too
        let mut chain = Chain::new().without_code_size_limit();
        let d = v.deploy(&mut chain, deployer).expect("deploys");
        assert_eq!(d.verifier_size, v.deployed.len());
        let ok = d
            .verify(&mut chain, deployer, &encode_calldata(&instances, &proof))
            .expect("runs");
        assert!(
            ok.is_success(),
            "{name} {}: valid proof refused: {ok}",
            layout.name()
        );
        report[layout.name()] = serde_json::json!({
            "verifier_bytes": d.verifier_size,
            "data_bytes": d.data_size,
            "deploy_gas": d.deploy_gas,
            "verify_gas": ok.gas_used,
        });
        if layout != Layout::Split {
            continue;
        }
        // the split layout on a real chain's rules: deployable when both contracts are under EIP-170's limit
        let fits = d.verifier_size < MAX_CODE_SIZE && d.data_size < MAX_CODE_SIZE;
        report["fits_eip170"] = fits.into();
        let mut real = Chain::new();
        let deployed = v.deploy(&mut real, deployer);
        assert_eq!(deployed.is_ok(), fits, "{name}: {deployed:?}");
        // the tamper cases run on the real chain when it fits, else on the measuring chain
        let (d, mut chain) = match deployed {
            Ok(d) => (d, real),
            Err(_) => (d, chain),
        };
        let settings = &art.settings;
        let first_output: usize = settings.inputs.iter().map(|s| s.numel()).sum();
        for (what, index) in [
            ("input 0", 0),
            ("output 0", first_output),
            ("settings digest", settings.digest_instance()),
            ("binding value", settings.bind_instance()),
        ] {
            let mut bad = instances.clone();
            bad[index] += Fr::one();
            let out = d
                .verify(&mut chain, deployer, &encode_calldata(&bad, &proof))
                .expect("runs");
            assert!(!out.is_success(), "{name}: tampered {what} accepted");
        }
        for at in [0, proof.len() / 2, proof.len() - 1] {
            let mut bad = proof.clone();
            bad[at] ^= 1;
            let out = d
                .verify(&mut chain, deployer, &encode_calldata(&instances, &bad))
                .expect("runs");
            assert!(
                !out.is_success(),
                "{name}: proof byte {at} flipped, accepted"
            );
        }
        let out = d
            .verify(&mut chain, deployer, &encode_calldata(&instances, &proof))
            .expect("runs");
        assert!(out.is_success(), "{name}: {out}");
    }
    // the exported files (the layout `zkinfer export-evm` picks) deploy and accept the proof too
    let out_dir = _tmp.path().join("evm");
    let e = export(&md.path, &out_dir, None, &solc).expect("export");
    let m = &e.manifest;
    assert_eq!(m.num_instances, instances.len());
    assert_eq!(
        m.settings_digest,
        fr_to_hex(&instances[art.settings.digest_instance()])
    );
    assert!(m.ceremony.is_none(), "a development SRS names no ceremony");
    let code = ExportedCode::load(&out_dir).expect("reads back");
    assert_eq!(code.manifest.layout, m.layout);
    let mut chain = Chain::new().without_code_size_limit();
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
    println!("EVM-RESULT {report}");
}

macro_rules! model_tests {
    ($($test:ident => $name:expr,)*) => { $(#[test] fn $test() { check_model($name); })* };
}

model_tests! {
    digits_mlp => "digits_mlp",
    iris_mlp => "iris_mlp",
    digits_cnn => "digits_cnn",
    lenet5 => "testdata/lenet5",
    cnn_conv_pool_sigmoid => "testdata/cnn_conv_pool_sigmoid",
    mlp_flatten_gemm => "testdata/mlp_flatten_gemm",
    mlp_matmul_stack => "testdata/mlp_matmul_stack",
    mlp_shape_ops => "testdata/mlp_shape_ops",
    ops_zoo => "testdata/ops_zoo",
}
