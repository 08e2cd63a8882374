//! The ops added for PyTorch exports and the table (models/testdata/front_ops, made by
//! models/generate.py): each model compiles, and the circuit's exact integer inference of its input is within
//! 5% (of the largest output magnitude) of onnxruntime's output.

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
