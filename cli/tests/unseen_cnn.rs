//! A model the compiler was never written against, through the `zkinfer` command exactly as a user runs it
//! (the library-level unseen models are prover/tests/unseen_models.rs).

mod common;

use common::{max_err, models, s, text, zkinfer};

/// The relative error `max |proved - onnxruntime| / max |onnxruntime|` allowed: twice the measured error,
/// never under one step of the output's encoding (the rule of prover/tests/common/accuracy.rs).
const BOUND: f64 = 0.031;

/// A CNN (Conv -> Relu -> MaxPool -> Flatten -> MatMul -> Add -> Sigmoid, random weights): compile, setup,
/// prove and verify through the CLI, and the proved outputs match onnxruntime's.
#[test]
fn cnn_conv_relu_maxpool_matmul_sigmoid_through_the_cli() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata/cnn_conv_pool_sigmoid");
    let dir = tmp.path().join("cnn");
    let proof = tmp.path().join("proof.json");
    let run = |args: &[&str]| {
        let o = zkinfer(args);
        assert!(o.status.success(), "zkinfer {args:?}: {}", text(&o));
        text(&o)
    };
    let input = src.join("input.json");
    run(&[
        "compile",
        s(&src.join("model.onnx")),
        "--out",
        s(&dir),
        "--sample",
        s(&src.join("calibration.json")),
    ]);
    run(&["setup", s(&dir)]);
    run(&["prove", s(&dir), "--input", s(&input), "--proof", s(&proof)]);
    let verdict = run(&[
        "verify",
        "--allow-dev-srs",
        s(&dir),
        "--proof",
        s(&proof),
        "--input",
        s(&input),
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
    let settings: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("settings.json")).expect("settings"))
            .expect("json");
    let scale = settings["outputs"][0]["encoding"]["scale"]
        .as_i64()
        .expect("output scale");
    let step = 2f64.powi(-(scale as i32));
    println!(
        "ACCURACY cnn_conv_pool_sigmoid (CLI): relative error {:.3e}, one step {:.3e}, bound {BOUND:.3e}",
        err / mag,
        step / mag
    );
    assert!(
        err <= BOUND * mag,
        "relative error {} above its bound {BOUND}: against onnxruntime {want:?}, proved {got:?}",
        err / mag
    );
}
