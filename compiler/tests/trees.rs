//! Tree ensembles from scikit-learn through skl2onnx (models/trees, made by models/gen_trees.py): each
//! compiles, its circuit accepts the witness of the committed input (MockProver), the proved outputs are
//! within the model's measured bound of onnxruntime's (`BOUNDS`; the rule is in
//! prover/tests/common/accuracy.rs), the predicted class is onnxruntime's, and on the held-out samples the
//! proved class agrees with onnxruntime's.

#[path = "../../prover/tests/common/accuracy.rs"]
mod accuracy;

use accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::dev::MockModel;
use zkinfer_circuits::witness::generate;

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models/trees")
        .join(name)
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

/// Compiles, checks the circuit on the committed input and the outputs against onnxruntime; returns the
/// held-out agreement of the first output (the label of a classifier).
fn check(name: &str, classifier: bool) -> (usize, usize) {
    let d = dir(name);
    let c = zkinfer_compiler::compile_onnx(
        &d.join("model.onnx"),
        &[d.join("calibration.json")],
        &CompileOptions::default(),
    )
    .expect("compiles");
    let model = Arc::new(CompiledModel::new(c.quant.clone(), &c.settings).expect("plans"));
    let input = floats(&json(d.join("input.json"))["input_data"][0]);
    let w = generate(&model.quant, &model.plan, &[input]).expect("witness");
    let proved = |w: &zkinfer_circuits::witness::Witness| -> Vec<Vec<f64>> {
        let outs = w.output_values(&model.plan);
        let mut at = 0;
        c.settings
            .outputs
            .iter()
            .map(|spec| {
                let v = outs[at..at + spec.numel()]
                    .iter()
                    .map(|q| spec.encoding.dequantise(*q as i64))
                    .collect();
                at += spec.numel();
                v
            })
            .collect()
    };
    let expected = json(d.join("expected.json"));
    let mut errors = Vec::new();
    for (k, got) in proved(&w).iter().enumerate() {
        let want = floats(&expected["outputs"][k]);
        let step = 1.0 / c.settings.outputs[k].encoding.unit();
        let e = OutputError::of(got, &want, step);
        println!(
            "{name} output {k}: proved {got:?}, onnxruntime {want:?}, max error {:.4}",
            e.err
        );
        errors.push(e);
    }
    println!(
        "{name}: k = {}, {} lane rows, {} tile rows, {} lanes, lookup bits {}",
        c.settings.k,
        model.plan.lane_rows.len(),
        model.plan.tile_rows.len(),
        c.settings.layout.lanes,
        c.settings.layout.value_bits()
    );
    let mock = MockModel::new(c.settings.clone(), model.clone());
    mock.verify(w).expect("the circuit accepts the witness");
    assert_accuracy(BOUNDS, name, &errors);
    let held = json(d.join("heldout.json"));
    let inputs = held["inputs"].as_array().expect("inputs");
    let mut agree = 0;
    for (x, want) in inputs
        .iter()
        .zip(held["outputs"].as_array().expect("outputs"))
    {
        let w = generate(&model.quant, &model.plan, &[floats(x)]).expect("witness");
        let got = proved(&w);
        let want0 = floats(&want[0]);
        let ok = if classifier {
            got[0] == want0
        } else {
            (got[0][0] - want0[0]).abs() <= 0.05 * want0[0].abs().max(1.0)
        };
        agree += ok as usize;
    }
    println!("{name}: held-out agreement {agree}/{}", inputs.len());
    (agree, inputs.len())
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

#[test]
fn decision_tree_classifier() {
    let (agree, n) = check("iris_tree", true);
    assert!(agree * 10 >= n * 9, "{agree}/{n}");
}

#[test]
fn random_forest_classifier() {
    let (agree, n) = check("iris_forest", true);
    assert!(agree * 10 >= n * 9, "{agree}/{n}");
}

#[test]
fn gradient_boosting_classifier_with_softmax() {
    let (agree, n) = check("iris_gbt", true);
    assert!(agree * 10 >= n * 9, "{agree}/{n}");
}

#[test]
fn gradient_boosting_regressor() {
    let (agree, n) = check("diabetes_gbr", false);
    assert!(agree * 10 >= n * 9, "{agree}/{n}");
}

#[test]
fn wrong_branch_decision_in_a_tree_fails_the_remainder_range_check() {
    // the decision tree's first branch comparison claims the other side: its sign bit and output flip, the
    // remainder that keeps the lane identity leaves [0, 2^b)
    use zkinfer_circuits::dev::assert_fails_with;
    let d = dir("iris_tree");
    let c = zkinfer_compiler::compile_onnx(
        &d.join("model.onnx"),
        &[d.join("calibration.json")],
        &CompileOptions::default(),
    )
    .expect("compiles");
    let model = Arc::new(CompiledModel::new(c.quant.clone(), &c.settings).expect("plans"));
    let input = floats(&json(d.join("input.json"))["input_data"][0]);
    let w = generate(&model.quant, &model.plan, &[input]).expect("witness");
    let mock = MockModel::new(c.settings.clone(), model.clone());
    assert!(mock.settings().layout.gate.boolean);
    // the first span of the tree node: the branch comparisons (the feature gathers take no rows)
    let span = model
        .plan
        .spans
        .iter()
        .find(|s| s.node.is_some())
        .expect("the tree's spans");
    let i = span.lanes.start;
    let bits = c.settings.layout.value_bits();
    let mut t = w.clone();
    let v = &mut t.lanes[i];
    let flip = 1 - v.q;
    v.r += (v.q - flip) << bits;
    v.q = flip;
    v.z = flip;
    // the default layout of a tree (comparisons only) has limb lanes: the remainder's top bit is then
    // -1 or 2 instead of a bit
    let limb_bits = c.settings.layout.limb_bits().expect("limb lanes");
    let (q, r) = (t.lanes[i].q, t.lanes[i].r);
    t.limbs[i] = zkinfer_circuits::chips::LimbValues::split(q, r, limb_bits);
    let top = zkinfer_circuits::chips::limb_lane::R_TOP_CONSTRAINT;
    assert_fails_with(mock.verify(t), &[mock.limb_gate(i, top)]);
}
