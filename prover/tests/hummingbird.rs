//! Tree ensembles converted by hummingbird-ml with its tree-traversal strategies (`tree_trav`,
//! `perf_tree_trav`: the trees are walked by Gather/GatherElements with indices the model computes), and a
//! PyTorch model gathering by an index computed from its input (models/hummingbird, made by
//! models/gen_hummingbird.py): compile -> setup -> prove -> verify with real proofs, every output within the
//! model's measured bound of onnxruntime's (committed in expected.json; `BOUNDS`, rule in
//! common/accuracy.rs). The gathers are lookups against the indexed tensor (the circuit's gather chip).

mod common;

use common::accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
use common::{compile_and_setup, models, prove_and_verify};
use std::path::PathBuf;
use std::time::Instant;

fn dir(name: &str) -> PathBuf {
    models().join("hummingbird").join(name)
}

fn expected(name: &str) -> Vec<Vec<f64>> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir(name).join("expected.json")).expect("expected"))
            .expect("json");
    v["outputs"]
        .as_array()
        .expect("list")
        .iter()
        .map(|o| {
            o.as_array()
                .expect("list")
                .iter()
                .map(|x| x.as_f64().expect("num"))
                .collect()
        })
        .collect()
}

fn check(name: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = dir(name);
    let md = compile_and_setup(&src, tmp.path());
    let (settings, _) = md.settings().expect("settings");
    assert!(
        settings.layout.gather,
        "{name}: the traversal's gathers use the gather chip"
    );
    let t = Instant::now();
    let (_, v) = prove_and_verify(&md, &src.join("input.json"), name);
    let prove_time = t.elapsed();
    let want = expected(name);
    assert_eq!(v.outputs.len(), want.len(), "{name}: outputs");
    let mut errors = Vec::new();
    for (k, (got, want)) in v.outputs.iter().zip(&want).enumerate() {
        println!("{name} output {k}: proved {got:?}, onnxruntime {want:?}");
        let step = 1.0 / settings.outputs[k].encoding.unit();
        errors.push(OutputError::of(got, want, step));
    }
    assert_accuracy(BOUNDS, name, &errors);
    println!(
        "{name}: k = {}, prove {prove_time:?} (2-core CPU, release)",
        settings.k
    );
}

#[test]
fn sklearn_decision_tree_tree_trav_proves() {
    check("sklearn_tree_trav");
}

#[test]
fn sklearn_random_forest_perf_tree_trav_proves() {
    check("sklearn_forest_perf_tree_trav");
}

#[test]
fn xgboost_classifier_tree_trav_proves() {
    check("xgboost_tree_trav");
}

#[test]
fn lightgbm_regressor_perf_tree_trav_proves() {
    check("lightgbm_perf_tree_trav");
}

#[test]
fn torch_gather_by_computed_index_proves() {
    check("torch_gather_computed_index");
}

/// `(model, measured, bound)`: relative error (max |proved - onnxruntime| / max |onnxruntime|, worst output)
/// measured on the committed input, and the bound: 2 x measured, at least one output step / magnitude, at
/// most 5% (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[
    ("sklearn_tree_trav", 0.0, 7.9e-3),
    ("sklearn_forest_perf_tree_trav", 0.0, 1.4e-2),
    ("xgboost_tree_trav", 6.371e-3, 1.3e-2),
    ("lightgbm_perf_tree_trav", 8.657e-6, 3.6e-5),
    ("torch_gather_computed_index", 7.430e-5, 3.1e-4),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
}
