//! MockProver tests of comparisons, booleans and selections: a model comparing two activations and an
//! activation with constants, combining the booleans with Not/And/Or/Xor, selecting with Where, taking a
//! product of two activations and reading a boolean input. A correct witness passes and matches the
//! float model exactly; each tampered witness fails on the named constraint that guards it, at the row of
//! the tampered cell.

use std::sync::{Arc, OnceLock};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, Expected, LaneLookup, MockModel};
use zkinfer_circuits::graph::{
    Binary, BinaryKind, Compare, CompareKind, Graph, Logic, LogicKind, Op, Where,
};
use zkinfer_circuits::witness::{generate, Witness};

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

const X: [f64; 6] = [0.5, -0.25, 0.75, -1.0, 0.125, 0.9];
const Y: [f64; 6] = [0.5, 0.25, -0.75, -0.5, 0.125, 0.3];
const FLAGS: [f64; 6] = [1.0, 0.0, 1.0, 1.0, 0.0, 0.0];

fn graph() -> Graph {
    let mut g = Graph::new("logic");
    let x = g.add_input("x", vec![1, 6]);
    let y = g.add_input("y", vec![1, 6]);
    let flags = g.add_bool_input("flags", vec![1, 6]);
    let node = |g: &mut Graph, name: &str, op: Op, inputs: Vec<usize>| {
        g.add_node(name, name, op, inputs, name).expect(name)
    };
    let cmp = |kind, rhs: Option<Vec<f32>>| Op::Compare(Compare { kind, rhs });
    let logic = |kind| Op::Logic(Logic { kind });
    let lt = node(&mut g, "less", cmp(CompareKind::Less, None), vec![x, y]);
    let le = node(
        &mut g,
        "less_eq",
        cmp(CompareKind::LessOrEqual, None),
        vec![x, y],
    );
    let eq = node(&mut g, "equal", cmp(CompareKind::Equal, None), vec![x, y]);
    let thresholds = vec![0.5, 0.0, 0.7, -0.9, 0.2, 1.5];
    let ge_c = node(
        &mut g,
        "ge_const",
        cmp(CompareKind::GreaterOrEqual, Some(thresholds)),
        vec![x],
    );
    let gt_c = node(
        &mut g,
        "gt_const",
        cmp(CompareKind::Greater, Some(vec![0.5])),
        vec![x],
    );
    let eq_c = node(
        &mut g,
        "eq_const",
        cmp(CompareKind::Equal, Some(vec![0.125])),
        vec![x],
    );
    let not = node(&mut g, "not", logic(LogicKind::Not), vec![lt]);
    let and = node(&mut g, "and", logic(LogicKind::And), vec![not, ge_c]);
    let or = node(&mut g, "or", logic(LogicKind::Or), vec![and, flags]);
    let xor = node(&mut g, "xor", logic(LogicKind::Xor), vec![or, gt_c]);
    let sel = node(
        &mut g,
        "where",
        Op::Where(Where { x: None, y: None }),
        vec![xor, x, y],
    );
    let sel_c = Op::Where(Where {
        x: None,
        y: Some(vec![-2.0]),
    });
    let sel_c = node(&mut g, "where_const", sel_c, vec![le, y]);
    let mul = Op::Binary(Binary {
        kind: BinaryKind::Mul,
    });
    let prod = node(&mut g, "product", mul, vec![x, y]);
    g.outputs = vec![lt, eq, eq_c, xor, sel, sel_c, prod];
    g
}

fn inputs() -> Vec<Vec<f64>> {
    vec![X.to_vec(), Y.to_vec(), FLAGS.to_vec()]
}

fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples = vec![inputs()];
        let c = compile_graph(graph(), &samples, &AFFINE).expect("compiles");
        let model = Arc::new(CompiledModel::new(c.quant, &c.settings).expect("plans"));
        let witness = generate(&model.quant, &model.plan, &inputs()).expect("witness");
        (MockModel::new(c.settings, model), witness)
    })
}

/// The first lane row of the node's last span (after any re-encoding of its inputs).
fn rows_of(m: &MockModel, node: &str) -> usize {
    m.plan()
        .spans
        .iter()
        .rev()
        .find(|s| s.node.as_ref().is_some_and(|n| n.name == node))
        .expect("span")
        .lanes
        .start
}

#[track_caller]
fn assert_lane_fails(m: &MockModel, t: Witness, i: usize, primary: &Expected) {
    let expected = m.lane_failures(&t, i);
    assert!(expected.contains(primary), "{primary} not in {expected:?}");
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn correct_witness_passes_and_matches_the_float_model() {
    let (m, w) = build();
    assert!(m.settings().layout.gate.boolean && m.settings().layout.gate.mul);
    assert_eq!(m.verify(w.clone()), Ok(()));
    for i in 0..w.lanes.len() {
        assert_eq!(m.lane_failures(w, i), vec![], "lane row {i}");
    }
    let float = graph().eval_float(&inputs()).expect("float");
    let g = graph();
    let outs = w.output_values(m.plan());
    let mut at = 0;
    for (k, spec) in m.settings().outputs.iter().enumerate() {
        let want = &float[g.outputs[k]];
        let got: Vec<f64> = outs[at..at + spec.numel()]
            .iter()
            .map(|v| spec.encoding.dequantise(*v as i64))
            .collect();
        at += spec.numel();
        for (a, b) in got.iter().zip(want) {
            assert!(
                (a - b).abs() < 0.02,
                "output {k}: {got:?} vs float {want:?}"
            );
        }
    }
    // the booleans themselves are exact
    assert_eq!(float[g.outputs[0]], vec![0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(float[g.outputs[1]], vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
}

#[test]
fn wrong_comparison_bit_fails_the_remainder_range_check() {
    // claim x < y where it is false: the quotient (sign bit) and the output flip, the remainder keeps the
    // lane identity and leaves [0, 2^b)
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let i = rows_of(m, "less");
    let mut t = w.clone();
    let v = &mut t.lanes[i];
    assert_eq!(v.q, 0, "x[0] < y[0] is false");
    v.q = 1;
    v.z = 1;
    v.r -= 1 << bits;
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Remainder));
    // flipping the bit alone breaks the lane identity
    let mut t = w.clone();
    t.lanes[i].q = 1;
    t.lanes[i].z = 1;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}

#[test]
fn wrong_comparison_with_a_constant_fails() {
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let i = rows_of(m, "ge_const");
    let mut t = w.clone();
    let v = &mut t.lanes[i];
    let flip = 1 - v.q;
    v.r += (v.q - flip) << bits;
    v.q = flip;
    v.z = flip;
    assert_lane_fails(m, t, i, &m.lane_lookup(i, LaneLookup::Remainder));
}

#[test]
fn non_boolean_input_fails_the_boolean_gate() {
    // a boolean input of 2: its range check (identity table) accepts it, only the boolean gate refuses it
    let (m, w) = build();
    let plan = m.plan();
    let span = plan
        .spans
        .iter()
        .find(|s| s.input_index == Some(2))
        .expect("flags input span");
    let i = span.lanes.start;
    let mut t = w.clone();
    assert_eq!(t.lanes[i].q, 1);
    t.lanes[i].a = 2;
    t.lanes[i].q = 2;
    t.lanes[i].z = 2;
    // the public instance carries the same value, so only the gate can object
    let k = plan.input_instances - 6;
    t.instances[k] = 2;
    assert_lane_fails(m, t, i, &m.bool_gate(i));
}

#[test]
fn non_boolean_logic_result_fails_the_boolean_gate() {
    // an Or of two booleans claimed as 2 with the lane identity kept: (a + b - ab) * 2^b = 2 * 2^b + r
    // needs a negative remainder, and the boolean gate refuses the quotient
    let (m, w) = build();
    let bits = m.settings().layout.value_bits();
    let i = rows_of(m, "or");
    let mut t = w.clone();
    let v = &mut t.lanes[i];
    v.r -= (2 - v.q) << bits;
    v.q = 2;
    v.z = 2;
    let expected = m.lane_failures(&t, i);
    assert!(expected.contains(&m.bool_gate(i)), "{expected:?}");
    assert!(expected.contains(&m.lane_lookup(i, LaneLookup::Remainder)));
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn wrong_where_selection_fails_the_lane_gate() {
    // the selection's sum row claims the other side's value
    let (m, w) = build();
    let first = rows_of(m, "where");
    let i = (first..first + 6)
        .find(|&i| {
            let e = i - first;
            (X[e] - Y[e]).abs() > 0.1
        })
        .expect("an element with different sides");
    let e = i - first;
    let mut t = w.clone();
    let picked = t.lanes[i].q;
    let enc = m.model().quant.tensors[m.model().quant.outputs[4]].encoding;
    let other = if (enc.dequantise(picked as i64) - X[e]).abs() < 0.02 {
        enc.quantise(Y[e]).expect("in range")
    } else {
        enc.quantise(X[e]).expect("in range")
    } as i128;
    t.lanes[i].q = other;
    t.lanes[i].z = other;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}

#[test]
fn wrong_product_of_two_activations_fails_the_lane_gate() {
    // the element-wise product gate (`a*b*m_ab`) of Mul; `A @ B` of two activations has the dot tile
    // (tests/dot_tile_mock.rs)
    let (m, w) = build();
    let i = rows_of(m, "product");
    let mut t = w.clone();
    t.lanes[i].q += 1;
    t.lanes[i].z += 1;
    assert_lane_fails(m, t, i, &m.lane_gate(i));
}
