//! Embedding lookups (Gather by computed indices), LRN, Pow with a computed exponent or base, and
//! sequences (models/testdata/lookup_ops, made by models/generate.py): each model compiles, calibrated on
//! its own input, and the circuit's exact integer inference is within 5% (of the largest output magnitude)
//! of onnxruntime's output. An index outside the table has no witness, and a computed position is named.

use std::path::{Path, PathBuf};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_compiler::accuracy::quantised_outputs;
use zkinfer_compiler::compile_onnx;
use zkinfer_compiler::error::CompileError;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/testdata/lookup_ops")
}

fn nums(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect()
}

fn inputs(name: &str) -> Vec<Vec<f64>> {
    let path = dir().join(format!("{name}.input.json"));
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(path).expect("input")).expect("json");
    v["input_data"]
        .as_array()
        .expect("list")
        .iter()
        .map(nums)
        .collect()
}

fn model(name: &str) -> CompiledModel {
    let sample = dir().join(format!("{name}.input.json"));
    let compiled = compile_onnx(
        &dir().join(format!("{name}.onnx")),
        &[sample],
        &CompileOptions::default(),
    )
    .map_err(|e| format!("{name}: {e}"))
    .expect("compiles");
    CompiledModel::new(compiled.quant.clone(), &compiled.settings).expect("plans")
}

fn check(name: &str) {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).expect("expected"))
            .expect("json");
    let want = nums(&expected[name]);
    let got = quantised_outputs(&model(name), &inputs(name)).expect("inference");
    assert_eq!(got[0].len(), want.len(), "{name}: output size");
    let err = got[0]
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let mag = want.iter().map(|v| v.abs()).fold(0.0, f64::max);
    assert!(
        err <= 0.05 * mag,
        "{name}: max error {err} against onnxruntime, magnitude {mag}: {:?} vs {want:?}",
        got[0]
    );
}

#[test]
fn embedding_lookup_by_computed_indices_with_negative_ones() {
    check("embedding");
    check("embedding_axis1");
}

#[test]
fn an_index_outside_the_table_has_no_witness() {
    let m = model("embedding");
    let valid = inputs("embedding");
    // the table has 5 rows: -5..=4 are indices, 5 and -6 are not
    for bad in [5.0, -6.0] {
        let mut x = valid.clone();
        x[0][1] = bad;
        let err = quantised_outputs(&m, &x).expect_err("an index outside the table");
        let msg = err.to_string();
        // no row is hot: the count of index 1 (element 2 of the [index, (s, 2 - s)] check) is 0, and
        // the log table has no row for it
        assert!(
            msg.contains("Gather_0") && msg.contains("element 2") && msg.contains("Log(0)"),
            "index {bad}: {msg}"
        );
    }
}

#[test]
fn lrn_window_of_channels() {
    check("lrn");
}

#[test]
fn pow_with_computed_exponent_or_base() {
    check("pow_computed");
    check("pow_const_base");
}

#[test]
fn a_negative_base_with_a_computed_exponent_is_named() {
    let mut x = inputs("pow_computed");
    x[0][3] = -0.5;
    let sample =
        std::env::temp_dir().join(format!("zkinfer-pow-sample-{}.json", std::process::id()));
    let data = serde_json::json!({ "input_data": x });
    std::fs::write(&sample, data.to_string()).expect("writes");
    let result = compile_onnx(
        &dir().join("pow_computed.onnx"),
        std::slice::from_ref(&sample),
        &CompileOptions::default(),
    );
    let _ = std::fs::remove_file(&sample);
    let err = result.expect_err("a negative base");
    assert!(
        matches!(&err, CompileError::Node { op, message, .. } if op == "Pow"
            && message.contains("positive base") && message.contains("-0.5 at element 3")),
        "{err}"
    );
}

#[test]
fn sequences_split_insert_erase_at_length_concat() {
    check("sequence_concat");
    check("sequence_at_length");
    // the output is a constant of the model (4 pieces): stated by the proof, not refused
    check("sequence_length");
}

#[test]
fn a_computed_sequence_position_is_named() {
    // SequenceAt's position taken from the model's (integer) input cannot be resolved at compile time
    let err = zkinfer_compiler::onnx::lower(&dir().join("sequence_computed_position.onnx"))
        .expect_err("a computed position");
    assert!(
        matches!(&err, CompileError::Node { op, message, .. } if op == "SequenceAt"
            && message.contains("position") && message.contains("computed")),
        "{err}"
    );
}
