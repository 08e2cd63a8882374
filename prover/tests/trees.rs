//! Tree ensembles from scikit-learn through skl2onnx (models/trees, made by models/gen_trees.py):
//! compile -> setup -> prove -> verify with real proofs, outputs within each model's measured bound of
//! onnxruntime's (committed in expected.json; `BOUNDS`, rule in common/accuracy.rs) and the predicted class
//! onnxruntime's. Classifiers go through `pipeline::compile`, which
//! also runs tract's float reference; tract 0.23 has no TreeEnsembleRegressor, so the regressor is
//! compiled by the compiler library and checked against onnxruntime's outputs only.

mod common;

use common::accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
use common::{compile_and_setup, models, prove_and_verify};
use std::time::Instant;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_prover::{pipeline, ModelDir};

fn check(name: &str, through_pipeline: bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("trees").join(name);
    let md = if through_pipeline {
        compile_and_setup(&src, tmp.path())
    } else {
        let md = ModelDir::new(tmp.path());
        let c = zkinfer_compiler::compile_onnx(
            &src.join("model.onnx"),
            &[src.join("calibration.json")],
            &CompileOptions::default(),
        )
        .expect("compile");
        md.write_compiled(c.settings, c.quant).expect("write");
        pipeline::setup(&md, None).expect("setup");
        md
    };
    let t = Instant::now();
    let (_, v) = prove_and_verify(&md, &src.join("input.json"), name);
    let prove_time = t.elapsed();
    let (settings, _) = md.settings().expect("settings");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    let mut errors = Vec::new();
    for (k, got) in v.outputs.iter().enumerate() {
        let want: Vec<f64> = expected["outputs"][k]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("num"))
            .collect();
        println!("{name} output {k}: proved {got:?}, onnxruntime {want:?}");
        let step = 1.0 / settings.outputs[k].encoding.unit();
        errors.push(OutputError::of(got, &want, step));
    }
    assert_accuracy(BOUNDS, name, &errors);
    println!(
        "{name}: k = {}, prove {prove_time:?} (2-core CPU, release)",
        settings.k
    );
}

#[test]
fn decision_tree_classifier_proves() {
    check("iris_tree", true);
}

#[test]
fn random_forest_classifier_proves() {
    check("iris_forest", true);
}

#[test]
fn gradient_boosting_classifier_proves() {
    check("iris_gbt", true);
}

#[test]
fn gradient_boosting_regressor_proves() {
    check("diabetes_gbr", false);
}

/// `(model, measured, bound)`: relative error (max |proved - onnxruntime| / max |onnxruntime|, worst output)
/// measured on the committed input, and the bound: 2 x measured, at least one output step / magnitude, at
/// most the 5% it replaces (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[
    ("iris_tree", 0.0, 6.2e-5),
    ("iris_forest", 2.878e-5, 8.7e-5),
    ("iris_gbt", 2.464e-3, 6.6e-3),
    ("diabetes_gbr", 2.864e-5, 6.3e-5),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
}
