//! MockProver tests of committed weights ([`zkinfer_circuits::visibility::WeightsMode::Committed`]): a weight
//! tensor is a hashed input of the circuit (role `weights`), its instance the Poseidon commitment to its
//! stored values, and a weight value other than the committed one fails the exact constraint that guards
//! it (the Poseidon pack gate); the settings depend on the weights' encodings, never on their values.
#![allow(clippy::unwrap_used, clippy::panic)]

use halo2_proofs::dev::metadata::{Constraint, Gate, Region};
use halo2_proofs::dev::FailureLocation;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::sync::Arc;
use zkinfer_circuits::chips::poseidon::{PACK_CONSTRAINT, PACK_GATE};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit, COMMITMENT_REGION};
use zkinfer_circuits::compile::{compile_graph, CompileOptions, CompiledGraph};
use zkinfer_circuits::dev::{assert_fails_with, Expected, MockModel};
use zkinfer_circuits::graph::{Graph, MatMulAct, Op, Relu};
use zkinfer_circuits::poseidon::commit;
use zkinfer_circuits::settings::{TensorRole, Visibility};
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::{halo2_proofs, Fr};

/// x[1,4] @ W[4,3] (W a committed weight input) -> Relu -> y: twelve weight values, two packed elements.
fn graph() -> Graph {
    let mut g = Graph::new("committed");
    let x = g.add_input("x", vec![1, 4]);
    let w = g.add_weight_input("W", vec![4, 3]);
    let op = MatMulAct {
        trans_a: false,
        trans_b: false,
    };
    let h = g
        .add_node("fc", "MatMul", Op::MatMulAct(op), vec![x, w], "h")
        .unwrap();
    let y = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![h], "y")
        .unwrap();
    g.outputs = vec![y];
    g
}

fn input() -> Vec<f64> {
    vec![0.5, -0.25, 0.75, -1.0]
}

fn weights() -> Vec<f64> {
    (0..12).map(|i| ((i % 7) as f64 - 3.0) / 8.0).collect()
}

fn compiled(weights: &[f64]) -> CompiledGraph {
    let samples = vec![
        vec![input(), weights.to_vec()],
        vec![input().iter().map(|v| -v).collect(), weights.to_vec()],
    ];
    compile_graph(graph(), &samples, &CompileOptions::default()).unwrap()
}

/// The compiled model and an honest witness (the weight's salt 7).
fn build() -> (MockModel, Witness) {
    let c = compiled(&weights());
    let settings = c.settings;
    let model = Arc::new(CompiledModel::new(c.quant, &settings).unwrap());
    let w = generate(&model.quant, &model.plan, &[input(), weights()])
        .unwrap()
        .with_salts(vec![Fr::from(7)]);
    (MockModel::new(settings, model), w)
}

fn pack_failure(m: &MockModel, pack_row: usize) -> Expected {
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelCircuit::configure_with_params(&mut cs, m.settings().clone());
    let gate = cs
        .gates()
        .iter()
        .position(|g| g.name() == PACK_GATE)
        .unwrap();
    Expected::Constraint {
        constraint: Constraint::from((Gate::from((gate, PACK_GATE)), 0, PACK_CONSTRAINT)),
        // regions: the range table, the model, then the commitments
        location: FailureLocation::InRegion {
            region: Region::from((2, COMMITMENT_REGION)),
            offset: pack_row,
        },
    }
}

#[test]
fn a_committed_weight_is_a_hashed_input_whose_instance_is_its_commitment() {
    let (m, w) = build();
    let s = m.settings();
    assert_eq!(s.data_inputs().len(), 1);
    let weights = s.weight_inputs();
    assert_eq!(weights.len(), 1);
    assert_eq!(
        (weights[0].role, weights[0].visibility),
        (TensorRole::Weights, Visibility::Hashed)
    );
    let json = serde_json::to_string(s).unwrap();
    assert!(json.contains(r#""role":"weights""#), "{json}");
    // x's four values, the weights' commitment, y's three, digest and binding
    let inst = w.field_instances();
    assert_eq!(inst.len(), 4 + 1 + 3 + 2);
    let stored: Vec<i128> = w.instances[4..16].to_vec();
    assert_eq!(inst[4], commit(&stored, Fr::from(7)).unwrap());
    assert_eq!(m.verify(w), Ok(()));
}

#[test]
fn a_weight_other_than_the_committed_one_fails_the_poseidon_pack_gate() {
    let (m, w) = build();
    // the prover commits to weights that differ in element e from the ones the model's lanes multiplied
    // with (the instance is that claim's commitment, consistently)
    for (e, pack_row) in [(0, 0), (9, 0), (10, 2), (11, 2)] {
        let mut cheat = w.clone();
        cheat.instances[4 + e] += 1;
        assert_fails_with(m.verify(cheat), &[pack_failure(&m, pack_row)]);
    }
    // the commitment to the honest weights under another salt is another instance
    let mut inst = w.field_instances();
    inst[4] = commit(&w.instances[4..16], Fr::from(8)).unwrap();
    assert_fails_with(
        m.verify_with_instances(w.clone(), inst),
        &[m.instance_copy(4)],
    );
}

#[test]
fn another_weight_set_at_the_same_encodings_has_the_same_settings_and_circuit() {
    // the weights reversed: other values, the same range, so the same encodings
    let mut other = weights();
    other.reverse();
    let (a, b) = (compiled(&weights()), compiled(&other));
    assert_eq!(a.settings, b.settings);
    assert_eq!(a.settings.digest(), b.settings.digest());
    assert_eq!(a.quant, b.quant);
    // and the other weights prove in that circuit
    let (m, _) = build();
    let w = generate(&m.model().quant, &m.model().plan, &[input(), other])
        .unwrap()
        .with_salts(vec![Fr::from(9)]);
    assert_eq!(m.verify(w), Ok(()));
    // fixed-weight settings say nothing of roles
    let mut fixed = a.settings.clone();
    fixed.inputs.truncate(1);
    assert!(!serde_json::to_string(&fixed).unwrap().contains("role"));
}
