//! MockProver tests of every chip through a small model that uses them all: a correct witness passes, and
//! each tampered witness fails on the constraint that guards it, at the row of the tampered cell
//! (`zkinfer_circuits::dev` computes the expected failures from the plan).

use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::sync::{Arc, OnceLock};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{
    assert_fails_with, Expected, LaneCell, LaneLookup, MockModel, TileCell,
};
use zkinfer_circuits::graph::{AddTensors, ConstAffine, Dense, Graph, Op, Relu, Reshape};
use zkinfer_circuits::layout::Src;
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::Fr;

/// These tests check the affine lanes (the layout of models with function tables), so the model keeps
/// them instead of the limb lanes its Identity/Relu-only functions would get by default.
const AFFINE: CompileOptions = CompileOptions {
    target: zkinfer_circuits::layout::Target::Resources,
    headroom: 2.0,
    min_k: 0,
    limbs: false,
    inputs: zkinfer_circuits::visibility::Visibility::Public,
    outputs: zkinfer_circuits::visibility::Visibility::Public,
    weights: zkinfer_circuits::visibility::WeightsMode::Fixed,
};

/// input[1,6] -> Relu (standalone) ; input -> Dense(6->5)+Relu (fused) -> ConstAffine -> Add(residual)
/// -> Reshape -> Dense(5->3) -> output.
fn toy_graph() -> Graph {
    let mut g = Graph::new("toy");
    let x = g.add_input("x", vec![1, 6]);
    let w1: Vec<f32> = (0..30).map(|i| ((i * 7 % 11) as f32 - 5.0) / 8.0).collect();
    let d1 = Dense {
        in_features: 6,
        out_features: 5,
        weight: w1,
        bias: vec![0.1, -0.2, 0.3, 0.0, 0.05],
    };
    let h = g
        .add_node("fc1", "Gemm", Op::Dense(d1), vec![x], "h")
        .expect("fc1");
    let hr = g
        .add_node("relu1", "Relu", Op::Relu(Relu), vec![h], "hr")
        .expect("relu1");
    let aff = ConstAffine {
        mul: vec![1.5, -0.5, 2.0, 1.0, 0.25],
        add: vec![0.1, 0.2, -0.3, 0.0, 0.5],
    };
    let ha = g
        .add_node("affine", "Mul+Add", Op::ConstAffine(aff), vec![hr], "ha")
        .expect("affine");
    let hs = g
        .add_node(
            "residual",
            "Add",
            Op::AddTensors(AddTensors { sign: 1 }),
            vec![ha, hr],
            "hs",
        )
        .expect("add");
    let hf = g
        .add_node(
            "flatten",
            "Flatten",
            Op::Reshape(Reshape { shape: vec![1, 5] }),
            vec![hs],
            "hf",
        )
        .expect("flat");
    let w2: Vec<f32> = (0..15).map(|i| ((i * 5 % 7) as f32 - 3.0) / 4.0).collect();
    let d2 = Dense {
        in_features: 5,
        out_features: 3,
        weight: w2,
        bias: vec![0.5, -0.5, 0.0],
    };
    let y = g
        .add_node("fc2", "Gemm", Op::Dense(d2), vec![hf], "y")
        .expect("fc2");
    let xr = g
        .add_node("relu_in", "Relu", Op::Relu(Relu), vec![x], "xr")
        .expect("relu_in");
    g.outputs = vec![y, xr];
    g
}

const INPUT: [f64; 6] = [0.5, -0.25, 0.75, -1.0, 0.125, 0.9];

/// The toy model's circuit and the witness of `INPUT`, built once per test binary.
fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples: Vec<Vec<Vec<f64>>> = vec![
            vec![INPUT.to_vec()],
            vec![vec![-0.9, 1.0, -0.5, 0.3, 0.6, -0.7]],
        ];
        let c = compile_graph(toy_graph(), &samples, &AFFINE).expect("compiles");
        let model = Arc::new(CompiledModel::new(c.quant, &c.settings).expect("plans"));
        let witness = generate(&model.quant, &model.plan, &[INPUT.to_vec()]).expect("witness");
        (MockModel::new(c.settings, model), witness)
    })
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
fn correct_witness_passes() {
    let (m, w) = build();
    assert_eq!(m.verify(w.clone()), Ok(()));
    for i in 0..w.lanes.len() {
        assert_eq!(m.lane_failures(w, i), vec![], "lane row {i}");
    }
    for i in 0..w.tiles.len() {
        assert_eq!(m.tile_failures(w, i), vec![], "tile row {i}");
    }
}

#[test]
fn outputs_match_float_inference() {
    let (m, w) = build();
    let err = m.max_output_error(w, toy_graph(), &[INPUT.to_vec()]);
    assert!(err < 0.05, "max |proved - float| = {err}");
}

#[test]
fn remainder_out_of_range_fails_the_remainder_lookup() {
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let i = m.first_lane_of("fc1");
    let remainder = m.lane_lookup(i, LaneLookup::Remainder);
    // remainder + 2^b with quotient - 1: the gate still holds, the range check must not
    let mut t = w.clone();
    t.lanes[i].r += 1 << bits;
    t.lanes[i].q -= 1;
    assert!(!m.lane_failures(&t, i).contains(&m.lane_gate(i)));
    assert_lane_fails(m, t, i, &remainder);
    // remainder - 2^b (negative) with quotient + 1
    let mut t = w.clone();
    t.lanes[i].r -= 1 << bits;
    t.lanes[i].q += 1;
    assert_lane_fails(m, t, i, &remainder);
    // remainder = -1 alone breaks the identity too
    let mut t = w.clone();
    t.lanes[i].r = -1;
    let expected = [m.lane_gate(i), remainder];
    assert_eq!(m.lane_failures(&t, i), expected);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn wrong_quotient_fails_the_lane_gate() {
    let (m, w) = build();
    let i = m.first_lane_of("fc2");
    let mut t = w.clone();
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}

#[test]
fn wrong_product_fails_the_mac_tile() {
    let (m, w) = build();
    let mut t = w.clone();
    t.tiles[0].acc[0] += 1;
    // the sum of tile row 0 is wrong, and so is the step from it to row 1 when row 1 continues the sum
    let expected = m.tile_failures(&t, 0);
    assert!(expected.contains(&m.tile_gate(0, 0)), "{expected:?}");
    assert_eq!(
        expected.contains(&m.tile_gate(1, 0)),
        m.plan().tile_rows.get(1).is_some_and(|r| !r.first)
    );
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn wrong_relu_branch_fails_the_activation_lookup() {
    let (m, w) = build();
    let start = m.first_lane_of("fc1");
    let bits = m.settings().layout.value_bits();
    // find a negative pre-activation (q < 2^(b-1)) that Relu clamps to 0, and pass it through instead
    let span = m
        .plan()
        .spans
        .iter()
        .find(|s| s.lanes.start == start)
        .expect("span");
    let neg = span.lanes.clone().find(|&i| w.lanes[i].q < 1 << (bits - 1));
    let i = neg.unwrap_or(start);
    let mut t = w.clone();
    t.lanes[i].z = if neg.is_some() {
        t.lanes[i].q
    } else {
        t.lanes[i].z + 1
    };
    let expected = [m.lane_lookup(i, LaneLookup::Activation)];
    assert_eq!(m.lane_failures(&t, i), expected);
    assert_fails_with(m.verify(t), &expected);
    // the standalone Relu on the input, likewise
    let j = m.first_lane_of("relu_in");
    let mut t = w.clone();
    t.lanes[j].z = t.lanes[j].q;
    let expected = [m.lane_lookup(j, LaneLookup::Activation)];
    assert_eq!(m.lane_failures(&t, j), expected);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn changed_output_instance_fails_the_copy_to_the_instance() {
    let (m, w) = build();
    let mut inst: Vec<Fr> = w.field_instances();
    // the last output instance comes just before the settings digest (then the binding instance); it is
    // the `z` of the last output lane
    let last_output = m.settings().digest_instance() - 1;
    assert_eq!(last_output, inst.len() - 3);
    let lane = *m.plan().outputs.last().expect("outputs") as usize;
    inst[last_output] += Fr::one();
    let expected = [m.instance_copy(last_output), m.lane_copy(lane, LaneCell::Z)];
    assert_fails_with(m.verify_with_instances(w.clone(), inst), &expected);
}

#[test]
fn the_binding_instance_is_copied_into_the_circuit() {
    let (m, w) = build();
    // a bound witness passes with its own binding value
    let bound = w.clone().with_bind(Fr::from(0xB1D_u64));
    assert_eq!(m.verify(bound.clone()), Ok(()));
    // and fails when the public binding value differs from the one in the circuit
    let mut inst = bound.field_instances();
    *inst.last_mut().expect("bind") = Fr::from(0xB1E_u64);
    let bind = m.settings().bind_instance();
    let expected = [
        m.instance_copy(bind),
        m.lane_copy(m.plan().bind_lane as usize, LaneCell::A),
    ];
    assert_fails_with(m.verify_with_instances(bound, inst), &expected);
    assert_eq!(bind, w.field_instances().len() - 1);
}

#[test]
fn swapped_output_cells_fail() {
    let (m, w) = build();
    let plan = m.plan();
    let (o0, o1) = (plan.outputs[0] as usize, plan.outputs[1] as usize);
    let mut t = w.clone();
    if t.lanes[o0].z == t.lanes[o1].z {
        t.lanes[o1].z += 1;
    }
    let n_in = plan.input_instances;
    t.instances.swap(n_in, n_in + 1);
    // both output instances differ from their lanes' `z` (a bumped `z` also leaves its activation table)
    let mut expected = vec![
        m.instance_copy(n_in),
        m.instance_copy(n_in + 1),
        m.lane_copy(o0, LaneCell::Z),
        m.lane_copy(o1, LaneCell::Z),
    ];
    expected.extend(m.lane_failures(&t, o1));
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn input_out_of_range_fails_the_input_range_check() {
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let first = m
        .plan()
        .lane_rows
        .iter()
        .position(|r| matches!(r.a, Src::Instance(0)))
        .expect("input row");
    // an input of 2^b (one past the range) with a consistent lane row
    let mut t = w.clone();
    t.instances[0] = 1 << bits;
    t.lanes[first].a = 1 << bits;
    t.lanes[first].q = 1 << bits;
    t.lanes[first].z = 1 << bits;
    let expected = [m.lane_lookup(first, LaneLookup::Activation)];
    assert_eq!(m.lane_failures(&t, first), expected);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn tampered_copy_into_the_tile_fails_the_permutation() {
    let (m, w) = build();
    let mut t = w.clone();
    t.tiles[0].x[0] += 1;
    // the copy into slot 0 of tile row 0 breaks; the row's sums break wherever slot 0's weight is not 0
    let mut expected = vec![m.tile_copy(0, TileCell::X(0))];
    expected.extend(m.tile_failures(&t, 0));
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn every_gate_and_lookup_has_degree_at_most_five() {
    let (m, _) = build();
    let mut cs = ConstraintSystem::<Fr>::default();
    ModelCircuit::configure_with_params(&mut cs, m.settings().clone());
    let degrees = zkinfer_circuits::degree::degrees(&cs);
    assert!(degrees.iter().any(|(n, _)| n.contains("mac tile")));
    assert!(degrees.iter().any(|(n, _)| n.contains("lane activation")));
    assert_eq!(zkinfer_circuits::degree::over_max_degree(&cs), vec![]);
    // and the rows reserved for blinding cover what halo2 needs
    assert!(cs.blinding_factors() < zkinfer_circuits::layout::RESERVED_ROWS);
}

#[test]
fn the_degree_audit_catches_a_degree_six_gate() {
    use halo2_proofs::poly::Rotation;
    let mut cs = ConstraintSystem::<Fr>::default();
    let a = cs.advice_column();
    let s = cs.selector();
    cs.create_gate("too high", |m| {
        let x = m.query_advice(a, Rotation::cur());
        vec![m.query_selector(s) * x.clone() * x.clone() * x.clone() * x.clone() * x]
    });
    let over = zkinfer_circuits::degree::over_max_degree(&cs);
    assert_eq!(over, vec![("gate 'too high' constraint 0".to_string(), 6)]);
}
