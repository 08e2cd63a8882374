//! MockProver tests of the op families beyond dense layers, on one small ONNX model that uses them all
//! (models/testdata/ops_zoo: Conv with a fused Tanh, MaxPool, a product of activations, Pad, Softmax, Min,
//! ArgMax). A correct witness passes; each tampered witness fails on the constraint that guards it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::halo2_proofs::dev::{MockProver, VerifyFailure};
use zkinfer_circuits::halo2_proofs::plonk::{Circuit, ConstraintSystem};
use zkinfer_circuits::layout::OpSpan;
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::Fr;

fn zoo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/testdata/ops_zoo")
}

fn input() -> Vec<Vec<f64>> {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(zoo().join("input.json")).expect("input"))
            .expect("json");
    v["input_data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|a| {
            a.as_array()
                .expect("list")
                .iter()
                .map(|x| x.as_f64().expect("num"))
                .collect()
        })
        .collect()
}

fn build() -> (ModelCircuit, Witness) {
    let compiled = zkinfer_compiler::compile_onnx(
        &zoo().join("model.onnx"),
        &[zoo().join("calibration.json")],
        &CompileOptions::default(),
    )
    .expect("compiles");
    let model = Arc::new(CompiledModel::new(compiled.quant, &compiled.settings).expect("plans"));
    let w = generate(&model.quant, &model.plan, &input()).expect("witness");
    (ModelCircuit::for_keygen(compiled.settings, model), w)
}

fn run(c: &ModelCircuit, w: Witness) -> Result<(), Vec<VerifyFailure>> {
    let instances = w.field_instances();
    let circuit = ModelCircuit::with_witness(
        c.settings.clone(),
        c.model.clone().expect("model"),
        Arc::new(w),
    );
    MockProver::run(c.settings.k, &circuit, vec![instances])
        .expect("mock prover runs")
        .verify()
}

fn lookup_failed(fails: &[VerifyFailure], lookup: &str) -> bool {
    fails
        .iter()
        .any(|f| matches!(f, VerifyFailure::Lookup { name, .. } if name == lookup))
}

fn gate_failed(fails: &[VerifyFailure], gate: &str) -> bool {
    fails.iter().any(|f| {
        matches!(f, VerifyFailure::ConstraintNotSatisfied { .. })
            && f.to_string().contains(&format!("('{gate}')"))
    })
}

/// The spans of a node, in plan order.
fn spans<'a>(c: &'a ModelCircuit, node: &str) -> Vec<&'a OpSpan> {
    let plan = &c.model.as_ref().expect("model").plan;
    plan.spans
        .iter()
        .filter(|s| s.node.as_ref().is_some_and(|n| n.name == node))
        .collect()
}

const LANE_GATE: &str = "affine lane";

#[test]
fn correct_witness_passes_with_products_and_max_steps_enabled() {
    let (c, w) = build();
    assert!(
        c.settings.layout.lane_mul && c.settings.layout.lane_zadd,
        "{:?}",
        c.settings.layout
    );
    run(&c, w).expect("a correct witness verifies");
}

#[test]
fn proved_outputs_match_onnxruntime() {
    let (c, w) = build();
    let model = c.model.as_ref().expect("model");
    let outs = w.output_values(&model.plan);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(zoo().join("expected.json")).expect("expected"))
            .expect("json");
    let mut at = 0;
    for (k, spec) in c.settings.outputs.iter().enumerate() {
        let want: Vec<f64> = expected["outputs"][k]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("n"))
            .collect();
        let got: Vec<f64> = outs[at..at + spec.numel()]
            .iter()
            .map(|v| spec.encoding.dequantise(*v as i64))
            .collect();
        at += spec.numel();
        let mag = want.iter().fold(0f64, |m, v| m.max(v.abs()));
        let err = got
            .iter()
            .zip(&want)
            .fold(0f64, |m, (a, b)| m.max((a - b).abs()));
        assert!(
            err <= 0.05 * mag,
            "output {k}: {got:?} vs onnxruntime {want:?}"
        );
    }
}

#[test]
fn wrong_table_function_value_fails_the_activation_lookup() {
    // the Tanh fused into the convolution's lanes
    let (c, w) = build();
    let i = spans(&c, "conv")[0].lanes.start;
    let mut t = w;
    t.lanes[i].z += 1;
    let fails = run(&c, t).expect_err("must fail");
    assert!(lookup_failed(&fails, "lane activation"), "{fails:?}");
}

#[test]
fn wrong_max_in_pooling_fails_the_max_step_lookup() {
    let (c, w) = build();
    let last = *spans(&c, "pool").last().expect("pool spans");
    let i = last.lanes.start;
    // claim the smaller operand as the max
    let mut t = w.clone();
    t.lanes[i].z = t.lanes[i].a.min(t.lanes[i].b);
    if t.lanes[i].z == w.lanes[i].z {
        t.lanes[i].z -= 1;
    }
    let fails = run(&c, t).expect_err("must fail");
    assert!(lookup_failed(&fails, "lane activation"), "{fails:?}");
}

#[test]
fn wrong_softmax_normaliser_fails_the_reciprocal_lookup() {
    // the reciprocal of the sum is fused into the sum's lane: the normaliser every probability uses
    let (c, w) = build();
    let sum = spans(&c, "softmax")
        .into_iter()
        .find(|s| !s.tiles.is_empty())
        .expect("the softmax sum has tile rows");
    let i = sum.lanes.start;
    let mut t = w;
    t.lanes[i].z += 3;
    let fails = run(&c, t).expect_err("must fail");
    assert!(lookup_failed(&fails, "lane activation"), "{fails:?}");
}

#[test]
fn product_remainder_out_of_range_fails_the_remainder_lookup() {
    let (c, w) = build();
    let bits = c.settings.layout.lookup_bits;
    let i = spans(&c, "square")[0].lanes.start;
    let mut t = w.clone();
    t.lanes[i].r += 1 << bits;
    t.lanes[i].q -= 1;
    let fails = run(&c, t).expect_err("must fail");
    assert!(lookup_failed(&fails, "lane remainder"), "{fails:?}");
    // a wrong product (quotient off by one, output following it) breaks the lane identity
    let mut t = w;
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    let fails = run(&c, t).expect_err("must fail");
    assert!(gate_failed(&fails, LANE_GATE), "{fails:?}");
}

#[test]
fn wrong_pad_constant_fails_the_lane_gate() {
    let (c, w) = build();
    let span = spans(&c, "pad")[0];
    let model = c.model.as_ref().expect("model");
    // a fill row has m_a = 0
    let i = span
        .lanes
        .clone()
        .find(|&i| model.plan.lane_rows[i].m_a == 0)
        .expect("a fill row");
    let mut t = w;
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    let fails = run(&c, t).expect_err("must fail");
    assert!(gate_failed(&fails, LANE_GATE), "{fails:?}");
}

#[test]
fn wrong_min_and_wrong_argmax_fail_the_step_lookup() {
    let (c, w) = build();
    for node in ["min", "argmax"] {
        let last = *spans(&c, node).last().expect("spans");
        let i = last.lanes.start;
        let mut t = w.clone();
        t.lanes[i].z += 1;
        let fails = run(&c, t).expect_err("must fail");
        assert!(
            lookup_failed(&fails, "lane activation"),
            "{node}: {fails:?}"
        );
    }
}

#[test]
fn wrong_convolution_product_fails_the_mac_tile() {
    let (c, w) = build();
    let tile = spans(&c, "conv")[0].tiles.start;
    let mut t = w;
    t.tiles[tile].acc[0] += 1;
    let fails = run(&c, t).expect_err("must fail");
    assert!(gate_failed(&fails, "mac tile"), "{fails:?}");
}

#[test]
fn every_gate_and_lookup_with_all_lane_terms_has_degree_at_most_five() {
    let (c, _) = build();
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, c.settings.clone());
    let over = zkinfer_circuits::degree::over_max_degree(&cs);
    assert!(over.is_empty(), "{over:?}");
    let degrees = zkinfer_circuits::degree::degrees(&cs);
    assert!(
        degrees
            .iter()
            .any(|(n, d)| n.contains("lane activation") && *d == 5),
        "{degrees:?}"
    );
}

#[test]
fn argmax_and_min_agree_with_float_inference_on_every_calibration_sample() {
    // the max tree is exact (inputs re-encoded one bit narrower), so ArgMax always finds an index
    let compiled = zkinfer_compiler::compile_onnx(
        &zoo().join("model.onnx"),
        &[zoo().join("calibration.json")],
        &CompileOptions::default(),
    )
    .expect("compiles");
    let model = CompiledModel::new(compiled.quant.clone(), &compiled.settings).expect("plans");
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(zoo().join("calibration.json")).expect("calibration"),
    )
    .expect("json");
    let flat: Vec<f64> = v["input_data"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let am = compiled.settings.outputs[2].clone();
    let at = compiled.settings.outputs[0].numel() + compiled.settings.outputs[1].numel();
    for sample in flat.chunks(16) {
        let float = compiled
            .graph
            .eval_float(&[sample.to_vec()])
            .expect("float");
        let want = float[compiled.graph.outputs[2]][0];
        let w = generate(&model.quant, &model.plan, &[sample.to_vec()]).expect("witness");
        let got = am
            .encoding
            .dequantise(w.output_values(&model.plan)[at] as i64);
        assert_eq!(got, want, "argmax of {sample:?}");
    }
}
