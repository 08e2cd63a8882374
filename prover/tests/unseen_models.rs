//! MLPs the compiler was never written against (random weights, made by models/generate.py), proved and
//! verified through the pipeline, with outputs within 5% of onnxruntime's (recorded in expected.json).

mod common;

use common::{compile_and_setup, max_err, models};
use zkinfer_prover::{pipeline, Device};
use zkinfer_verifier::VerifierArtifacts;

fn check(name: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata").join(name);
    let md = compile_and_setup(&src, tmp.path());
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    let p = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let v = VerifierArtifacts::load_dir(&md.path)
        .expect("artifacts")
        .verify(&p.proof, "proof")
        .expect("well-formed");
    assert!(v.valid, "{name}: {:?}", v.reason);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    let want: Vec<f64> = expected["outputs"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let (err, mag) = max_err(&v.outputs[0], &want);
    assert!(
        err <= 0.05 * mag,
        "{name}: max error {err} against onnxruntime, output magnitude {mag}"
    );
}

#[test]
fn matmul_add_relu_stack() {
    check("mlp_matmul_stack");
}

#[test]
fn flatten_gemm_transb_alpha_beta() {
    check("mlp_flatten_gemm");
}

#[test]
fn shape_ops_constants_and_residual_add() {
    check("mlp_shape_ops");
}

/// A CNN the compiler was never written against (Conv -> Relu -> MaxPool -> Flatten -> MatMul -> Add ->
/// Sigmoid, random weights), through the `zkinfer` command exactly as a user runs it.
#[test]
fn cnn_conv_relu_maxpool_matmul_sigmoid_through_the_cli() {
    use std::process::Command;
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata/cnn_conv_pool_sigmoid");
    let dir = tmp.path().join("cnn");
    let proof = tmp.path().join("proof.json");
    let s = |p: &std::path::Path| p.to_str().expect("utf-8").to_string();
    let run = |args: Vec<String>| {
        let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
            .args(&args)
            .output()
            .expect("runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success(), "zkinfer {args:?}: {text}");
        text
    };
    let input = s(&src.join("input.json"));
    run(vec![
        "compile".into(),
        s(&src.join("model.onnx")),
        "--out".into(),
        s(&dir),
        "--sample".into(),
        s(&src.join("calibration.json")),
    ]);
    run(vec!["setup".into(), s(&dir)]);
    run(vec![
        "prove".into(),
        s(&dir),
        "--input".into(),
        input.clone(),
        "--proof".into(),
        s(&proof),
    ]);
    let verdict = run(vec![
        "verify".into(),
        s(&dir),
        "--proof".into(),
        s(&proof),
        "--input".into(),
        input,
    ]);
    assert!(verdict.starts_with("valid"), "{verdict}");
    let p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).expect("proof")).expect("json");
    let got: Vec<f64> = p["outputs"][0][0]
        .as_array()
        .expect("nested [1, 5]")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    let want: Vec<f64> = expected["outputs"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let (err, mag) = max_err(&got, &want);
    assert!(
        err <= 0.05 * mag,
        "max error {err} against onnxruntime {want:?}, proved {got:?}"
    );
}
