//! MockProver tests of the op families beyond dense layers, on one small ONNX model that uses them all
//! (models/testdata/ops_zoo: Conv with a fused Tanh, MaxPool, a product of activations, Pad, Softmax, Min,
//! ArgMax). A correct witness passes; each tampered witness fails on the constraint that guards it, at the
//! row of the tampered cell (`zkinfer_circuits::dev` computes the expected failures from the plan).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{CompileOptions, CompiledGraph};
use zkinfer_circuits::dev::{assert_fails_with, Expected, LaneLookup, MockModel};
use zkinfer_circuits::halo2_proofs::plonk::{Circuit, ConstraintSystem};
use zkinfer_circuits::layout::OpSpan;
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::Fr;

#[path = "../../prover/tests/common/accuracy.rs"]
mod accuracy;

use accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};

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

/// Compiles an ONNX model once per test binary: compiled models are cached by a hash of the model and
/// calibration files.
fn compiled(model: &Path, calibration: &Path) -> Arc<CompiledGraph> {
    static CACHE: OnceLock<Mutex<HashMap<u64, Arc<CompiledGraph>>>> = OnceLock::new();
    let mut h = DefaultHasher::new();
    for f in [model, calibration] {
        std::fs::read(f).expect("fixture").hash(&mut h);
    }
    let key = h.finish();
    // compiling under the lock makes tests that need the same model wait for one compilation
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(key)
        .or_insert_with(|| {
            let opts = CompileOptions::default();
            Arc::new(
                zkinfer_compiler::compile_onnx(model, &[calibration.to_path_buf()], &opts)
                    .expect("compiles"),
            )
        })
        .clone()
}

fn zoo_compiled() -> Arc<CompiledGraph> {
    compiled(&zoo().join("model.onnx"), &zoo().join("calibration.json"))
}

/// The zoo's circuit and the witness of its input, built once per test binary.
fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let c = zoo_compiled();
        let model = Arc::new(CompiledModel::new(c.quant.clone(), &c.settings).expect("plans"));
        let w = generate(&model.quant, &model.plan, &input()).expect("witness");
        (MockModel::new(c.settings.clone(), model), w)
    })
}

/// The spans of a node, in plan order.
fn spans<'a>(m: &'a MockModel, node: &str) -> Vec<&'a OpSpan> {
    m.plan()
        .spans
        .iter()
        .filter(|s| s.node.as_ref().is_some_and(|n| n.name == node))
        .collect()
}

/// Asserts that a tampered lane row fails exactly the constraints its values break (computed from the
/// plan), and that these include `primary`.
#[track_caller]
fn assert_lane_fails(m: &MockModel, t: Witness, i: usize, primary: &Expected) {
    let expected = m.lane_failures(&t, i);
    assert!(expected.contains(primary), "{primary} not in {expected:?}");
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn correct_witness_passes_with_products_and_max_steps_enabled() {
    let (m, w) = build();
    let layout = m.settings().layout;
    assert!(layout.gate.mul && layout.gate.zadd, "{layout:?}");
    m.verify(w.clone()).expect("a correct witness verifies");
    for i in 0..w.lanes.len() {
        assert_eq!(m.lane_failures(w, i), vec![], "lane row {i}");
    }
}

#[test]
fn proved_outputs_match_onnxruntime() {
    let (m, w) = build();
    let outs = w.output_values(m.plan());
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(zoo().join("expected.json")).expect("expected"))
            .expect("json");
    let mut at = 0;
    let mut errors = Vec::new();
    for (k, spec) in m.settings().outputs.iter().enumerate() {
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
        println!("output {k}: {got:?} vs onnxruntime {want:?}");
        errors.push(OutputError::of(&got, &want, 1.0 / spec.encoding.unit()));
    }
    assert_accuracy(BOUNDS, "ops_zoo", &errors);
}

/// `(model, measured, bound)`: relative error (max |circuit - onnxruntime| / max |onnxruntime|, worst of the
/// three outputs) measured on the committed input, and the bound: 2 x measured, at least one output step /
/// magnitude, at most the 5% it replaces (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[("ops_zoo", 1.355e-2, 2.8e-2)];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
}

#[test]
fn wrong_table_function_value_fails_the_activation_lookup() {
    // the Tanh fused into the convolution's lanes
    let (m, w) = build();
    let i = spans(m, "conv")[0].lanes.start;
    let mut t = w.clone();
    t.lanes[i].z += 1;
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Activation));
}

#[test]
fn wrong_max_in_pooling_fails_the_max_step_lookup() {
    let (m, w) = build();
    let last = *spans(m, "pool").last().expect("pool spans");
    let i = last.lanes.start;
    // claim the smaller operand as the max
    let mut t = w.clone();
    t.lanes[i].z = t.lanes[i].a.min(t.lanes[i].b);
    if t.lanes[i].z == w.lanes[i].z {
        t.lanes[i].z -= 1;
    }
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Activation));
}

#[test]
fn wrong_softmax_normaliser_fails_the_reciprocal_lookup() {
    // the reciprocal of the sum is fused into the sum's lane: the normaliser every probability uses
    let (m, w) = build();
    let sum = spans(m, "softmax")
        .into_iter()
        .find(|s| !s.tiles.is_empty())
        .expect("the softmax sum has tile rows");
    let i = sum.lanes.start;
    let mut t = w.clone();
    t.lanes[i].z += 3;
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Activation));
}

#[test]
fn product_remainder_out_of_range_fails_the_remainder_lookup() {
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let i = spans(m, "square")[0].lanes.start;
    let mut t = w.clone();
    t.lanes[i].r += 1 << bits;
    t.lanes[i].q -= 1;
    assert!(!m.lane_failures(&t, i).contains(&m.lane_gate(i)));
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Remainder));
    // a wrong product (quotient off by one, output following it) breaks the lane identity
    let mut t = w.clone();
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}

#[test]
fn wrong_pad_constant_fails_the_lane_gate() {
    let (m, w) = build();
    let span = spans(m, "pad")[0];
    // a fill row has m_a = 0
    let i = span
        .lanes
        .clone()
        .find(|&i| m.plan().lane_rows[i].m_a == 0)
        .expect("a fill row");
    let mut t = w.clone();
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}

#[test]
fn wrong_min_and_wrong_argmax_fail_the_step_lookup() {
    let (m, w) = build();
    for node in ["min", "argmax"] {
        let last = *spans(m, node).last().expect("spans");
        let i = last.lanes.start;
        let mut t = w.clone();
        t.lanes[i].z += 1;
        let expected = [m.lane_lookup(i, LaneLookup::Activation)];
        assert_eq!(m.lane_failures(&t, i), expected, "{node}");
        assert_fails_with(m.verify(t), &expected);
    }
}

#[test]
fn wrong_convolution_product_fails_the_mac_tile() {
    let (m, w) = build();
    let tile = spans(m, "conv")[0].tiles.start;
    let mut t = w.clone();
    t.tiles[tile].acc[0] += 1;
    // the sum of that row is wrong, and so is the step to the next row when it continues the sum
    let expected = m.tile_failures(&t, tile);
    assert!(expected.contains(&m.tile_gate(tile, 0)), "{expected:?}");
    assert_eq!(
        expected.contains(&m.tile_gate(tile + 1, 0)),
        m.plan().tile_rows.get(tile + 1).is_some_and(|r| !r.first)
    );
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn every_gate_and_lookup_with_all_lane_terms_has_degree_at_most_five() {
    let (m, _) = build();
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, m.settings().clone());
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
    let compiled = zoo_compiled();
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
