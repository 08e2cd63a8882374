//! The ops added for PyTorch exports and the table (models/testdata/front_ops, made by
//! models/generate.py): each model compiles, and the circuit's exact integer inference of its input is within
//! the model's measured bound (`BOUNDS`, relative to the largest output magnitude; the rule is in
//! prover/tests/common/accuracy.rs) of onnxruntime's output.

#[path = "../../prover/tests/common/accuracy.rs"]
mod accuracy;

use accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};

use std::path::{Path, PathBuf};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_compiler::accuracy::quantised_outputs;
use zkinfer_compiler::compile_onnx;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/testdata/front_ops")
}

fn check(name: &str) {
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir().join("expected.json")).expect("expected"))
            .expect("json");
    let nums = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("num"))
            .collect()
    };
    let input = nums(&expected[name]["input"]);
    let want = nums(&expected[name]["output"]);
    let compiled = compile_onnx(
        &dir().join(format!("{name}.onnx")),
        &[],
        &CompileOptions::default(),
    )
    .map_err(|e| format!("{name}: {e}"))
    .expect("compiles");
    let model = CompiledModel::new(compiled.quant.clone(), &compiled.settings).expect("plans");
    let got = quantised_outputs(&model, &[input]).expect("inference");
    assert_eq!(got[0].len(), want.len(), "{name}: output size");
    let step = 1.0 / model.quant.tensors[model.quant.outputs[0]].encoding.unit();
    println!("{name}: {:?} vs onnxruntime {want:?}", got[0]);
    assert_accuracy(BOUNDS, name, &[OutputError::of(&got[0], &want, step)]);
}

/// `(model, measured, bound)`: relative error (max |circuit - onnxruntime| / max |onnxruntime|) measured on
/// the model's input, and the bound: 2 x measured, at least one output step / magnitude, at most the 5% it
/// replaces (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[
    ("shape_fold", 1.745e-5, 3.7e-5),
    ("cast_int", 0.0, 7.9e-3),
    ("celu", 4.965e-3, 1.0e-2),
    ("tan", 3.259e-3, 6.6e-3),
    ("atan", 4.038e-3, 8.1e-3),
    ("asin", 4.526e-3, 9.1e-3),
    ("acos", 1.656e-3, 6.3e-3),
    ("reducel1", 3.931e-3, 9.7e-3),
    ("reducel2", 3.356e-3, 6.8e-3),
    ("reducelogsumexp", 5.013e-3, 1.1e-2),
    ("reducesumsquare", 3.042e-5, 6.1e-5),
    ("trilu", 1.571e-5, 3.2e-5),
    ("gather_elements", 1.647e-5, 3.5e-5),
    ("gather_nd", 1.527e-5, 3.2e-5),
    ("scatter_nd", 1.527e-5, 3.2e-5),
    ("scatter_elements", 1.527e-5, 3.2e-5),
    ("resize_nearest", 1.527e-5, 3.2e-5),
    ("resize_linear", 2.036e-5, 4.1e-5),
    ("resize_align_corners", 1.527e-5, 3.2e-5),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
}

#[test]
fn shape_subgraph_folds_and_concat_mixes_constants_with_activations() {
    check("shape_fold");
}

#[test]
fn cast_to_integer_truncates_toward_zero() {
    check("cast_int");
}

#[test]
fn celu_and_trigonometric_tables() {
    for name in ["celu", "tan", "atan", "asin", "acos"] {
        check(name);
    }
}

#[test]
fn norm_reductions() {
    for name in ["reducel1", "reducel2", "reducelogsumexp", "reducesumsquare"] {
        check(name);
    }
}

#[test]
fn index_maps_from_constant_indices() {
    for name in [
        "trilu",
        "gather_elements",
        "gather_nd",
        "scatter_nd",
        "scatter_elements",
    ] {
        check(name);
    }
}

#[test]
fn resize_nearest_and_linear() {
    for name in ["resize_nearest", "resize_linear", "resize_align_corners"] {
        check(name);
    }
}
