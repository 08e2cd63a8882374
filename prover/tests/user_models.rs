//! The classes of user models of issue 32 (models/testdata/user_models, made by models/gen_user_models.py)
//! compile, prove and verify through the pipeline, with proved outputs within each model's bound of
//! onnxruntime's output (about twice the error measured when the fixture was made; compiler/tests/
//! user_models.rs checks the same bounds without proving).

mod common;

use common::{max_err, models};
use std::path::PathBuf;
use zkinfer_circuits::layout::Target;
use zkinfer_prover::{pipeline, ModelDir};

fn dir() -> PathBuf {
    models().join("testdata/user_models")
}

fn prove_and_verify(name: &str, bound: f64) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path().join("m"));
    let calibration = dir().join(format!("{name}.calibration.json"));
    let summary = pipeline::compile(
        &dir().join(format!("{name}.onnx")),
        &md,
        &[calibration],
        Target::Resources,
    )
    .map_err(|e| format!("{name}: {e}"))
    .expect("compile");
    assert!(
        summary.accuracy.max_abs_error <= bound,
        "{name}: {summary:?}"
    );
    pipeline::setup(&md, None).expect("setup");
    let (_, v) = common::prove_and_verify(&md, &dir().join(format!("{name}.input.json")), name);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).expect("expected"))
            .expect("json");
    for (i, out) in v.outputs.iter().enumerate() {
        let want: Vec<f64> = expected[name]["outputs"][i]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect();
        let (err, mag) = max_err(out, &want);
        println!("USER_MODEL {name} output {i}: error {err:.5} of magnitude {mag:.4}");
        assert!(
            err <= bound,
            "{name}: output {i} error {err} against onnxruntime above {bound} (magnitude {mag})"
        );
    }
}

#[test]
fn bidirectional_lstm() {
    prove_and_verify("lstm_bidirectional", 0.012);
}

#[test]
fn boolean_inputs() {
    prove_and_verify("bool_mask_input", 0.0001);
    prove_and_verify("bool_only_input", 0.0001);
}

#[test]
fn causal_attention_with_a_minus_infinity_mask() {
    prove_and_verify("causal_attention", 0.045);
}

#[test]
fn where_constant_conditions_and_one_hot() {
    prove_and_verify("where_const_sides", 0.0002);
    prove_and_verify("one_hot", 0.0001);
}

#[test]
fn integer_div_and_a_model_tract_refuses() {
    prove_and_verify("integer_div", 1e-9);
    prove_and_verify("stale_value_info", 0.0001);
}

#[test]
fn top_k_values_and_indices() {
    prove_and_verify("top_k", 0.0001);
}

#[test]
fn calibration_on_the_edge() {
    // a tight range that rounding escapes, the log of an exact zero selected away, weights near 1e12 and
    // 1e6-scale features by 1e6-scale weights (bounds and measurements: compiler/tests/user_models.rs)
    prove_and_verify("softmax_residual", 0.024);
    prove_and_verify("log_zero_masked", 0.054);
    prove_and_verify("gemm_large_weights", 2.0e8);
    prove_and_verify("gemm_large_features", 1.5e8);
}
