//! Embedding lookups (Gather by computed indices), LRN, Pow with a computed exponent or base, and
//! sequences (models/testdata/lookup_ops, made by models/generate.py): each model compiles, calibrated on
//! its own input, and the circuit's exact integer inference is within the model's measured bound (`BOUNDS`,
//! relative to the largest output magnitude; the rule is in prover/tests/common/accuracy.rs) of
//! onnxruntime's output. An index outside the table has no witness, and a computed position is named.

#[path = "../../prover/tests/common/accuracy.rs"]
mod accuracy;

use accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
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
    let m = model(name);
    let got = quantised_outputs(&m, &inputs(name)).expect("inference");
    assert_eq!(got[0].len(), want.len(), "{name}: output size");
    let step = 1.0 / m.quant.tensors[m.quant.outputs[0]].encoding.unit();
    println!("{name}: {:?} vs onnxruntime {want:?}", got[0]);
    assert_accuracy(BOUNDS, name, &[OutputError::of(&got[0], &want, step)]);
}

/// `(model, measured, bound)`: relative error (max |circuit - onnxruntime| / max |onnxruntime|) measured on
/// the model's input, and the bound: 2 x measured, at least one output step / magnitude, at most the 5% it
/// replaces (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[
    ("embedding", 2.074e-3, 4.5e-3),
    ("embedding_axis1", 2.049e-3, 4.2e-3),
    ("lrn", 4.493e-3, 9.0e-3),
    ("pow_computed", 6.117e-3, 1.3e-2),
    ("pow_const_base", 2.721e-3, 5.5e-3),
    ("sequence_concat", 2.053e-5, 4.2e-5),
    ("sequence_at_length", 1.450e-5, 3.2e-5),
    ("sequence_length", 0.0, 6.2e-5),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
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
        // integer indices are looked up against the table (the gather chip): the index has no entry
        assert!(
            msg.contains("Gather_0")
                && msg.contains(&format!(
                    "the index {bad} is not an element of the axis of 5"
                )),
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
