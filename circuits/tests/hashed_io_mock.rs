//! MockProver tests of hashed and private inputs and outputs ([`zkinfer_circuits::visibility`]): a hashed
//! tensor's single instance is the Poseidon commitment to its stored values under the prover's salt, a
//! private one has no instance, and a commitment to other values than the circuit computed with fails on
//! the exact constraint that guards it.
#![allow(clippy::unwrap_used, clippy::panic)]

use halo2_proofs::dev::metadata::{Constraint, Gate, Region};
use halo2_proofs::dev::FailureLocation;
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::sync::Arc;
use zkinfer_circuits::chips::poseidon::{PACK_CONSTRAINT, PACK_GATE};
use zkinfer_circuits::circuit::{commitments_rows, CompiledModel, ModelCircuit, COMMITMENT_REGION};
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, Expected, MockModel};
use zkinfer_circuits::graph::{Dense, Graph, Op, Relu};
use zkinfer_circuits::layout::usable_rows;
use zkinfer_circuits::poseidon::commit;
use zkinfer_circuits::settings::{Settings, Visibility};
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::{halo2_proofs, Fr};

/// x[1,12] -> Dense(12->3) -> Relu -> y: twelve input values, so the commitment packs two elements.
fn graph() -> Graph {
    let mut g = Graph::new("hashed");
    let x = g.add_input("x", vec![1, 12]);
    let d = Dense {
        in_features: 12,
        out_features: 3,
        weight: (0..36).map(|i| ((i % 7) as f32 - 3.0) / 8.0).collect(),
        bias: vec![0.1, -0.1, 0.05],
    };
    let h = g
        .add_node("fc", "Gemm", Op::Dense(d), vec![x], "h")
        .unwrap();
    let y = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![h], "y")
        .unwrap();
    g.outputs = vec![y];
    g
}

fn input() -> Vec<f64> {
    (0..12).map(|i| (i as f64 - 6.0) / 8.0).collect()
}

/// The model compiled with the given visibilities, `k` raised to hold the commitments, and an honest
/// witness with salts 7, 8, ...
fn build(input_vis: Visibility, output_vis: Visibility) -> (MockModel, Witness) {
    let samples = vec![vec![input()], vec![input().iter().map(|v| -v).collect()]];
    let c = compile_graph(graph(), &samples, &CompileOptions::default()).unwrap();
    let mut settings: Settings = c.settings;
    settings.inputs[0].visibility = input_vis;
    settings.outputs[0].visibility = output_vis;
    while usable_rows(settings.k) < commitments_rows(&settings.instance_layout()) {
        settings.k += 1;
    }
    let model = Arc::new(CompiledModel::new(c.quant, &settings).unwrap());
    let hashed = settings.instance_layout().hashed().len();
    let w = generate(&model.quant, &model.plan, &[input()])
        .unwrap()
        .with_salts((0..hashed).map(|i| Fr::from(7 + i as u64)).collect());
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
fn a_hashed_input_is_one_instance_the_commitment_to_its_stored_values() {
    let (m, w) = build(Visibility::Hashed, Visibility::Public);
    let inst = w.field_instances();
    let s = m.settings();
    assert_eq!(inst.len(), 1 + 3 + 2);
    assert_eq!(s.num_instances(), inst.len());
    let stored: Vec<i128> = w.instances[..12].to_vec();
    assert_eq!(inst[0], commit(&stored, Fr::from(7)).unwrap());
    let opening = &w.openings()[0];
    assert_eq!(opening.values, stored);
    assert!(opening.opens(&inst[0]).unwrap());
    assert_eq!(inst[s.digest_instance()], s.digest());
    assert_eq!(m.verify(w.clone()), Ok(()));
}

#[test]
fn another_salt_or_another_vector_under_the_commitment_instance_is_refused() {
    let (m, w) = build(Visibility::Hashed, Visibility::Public);
    let stored: Vec<i128> = w.instances[..12].to_vec();
    // the commitment to the same values under another salt, and to other values under the same salt
    let mut other = stored.clone();
    other[11] += 1;
    for wrong in [
        commit(&stored, Fr::from(8)).unwrap(),
        commit(&other, Fr::from(7)).unwrap(),
    ] {
        let mut inst = w.field_instances();
        inst[0] = wrong;
        assert_fails_with(
            m.verify_with_instances(w.clone(), inst),
            &[m.instance_copy(0)],
        );
    }
}

#[test]
fn a_commitment_to_other_values_than_the_model_ran_on_fails_the_poseidon_pack_gate() {
    let (m, w) = build(Visibility::Hashed, Visibility::Public);
    // the prover claims (and commits to) an input that differs in element e from the one the model's
    // lanes computed with; the instance is that claim's commitment, consistently
    for (e, pack_row) in [(0, 0), (9, 0), (10, 2), (11, 2)] {
        let mut cheat = w.clone();
        cheat.instances[e] += 1;
        assert_fails_with(m.verify(cheat), &[pack_failure(&m, pack_row)]);
    }
}

#[test]
fn a_private_input_has_no_instance_and_a_hashed_output_is_committed() {
    let (m, w) = build(Visibility::Private, Visibility::Hashed);
    let inst = w.field_instances();
    assert_eq!(inst.len(), 1 + 2);
    let outputs: Vec<i128> = w.instances[12..].to_vec();
    assert_eq!(inst[0], commit(&outputs, Fr::from(7)).unwrap());
    assert_eq!(m.verify(w.clone()), Ok(()));
    // a claimed output other than the computed one
    let mut cheat = w.clone();
    cheat.instances[12] += 1;
    assert_fails_with(m.verify(cheat), &[pack_failure(&m, 0)]);
}

#[test]
fn visibility_is_part_of_the_settings_digest_and_public_settings_are_unchanged() {
    let (public, _) = build(Visibility::Public, Visibility::Public);
    let json = serde_json::to_string(public.settings()).unwrap();
    assert!(!json.contains("visibility"), "{json}");
    let (hashed, _) = build(Visibility::Hashed, Visibility::Public);
    let json = serde_json::to_string(hashed.settings()).unwrap();
    assert!(json.contains(r#""visibility":"hashed""#), "{json}");
    assert_ne!(hashed.settings().digest(), public.settings().digest());
}
