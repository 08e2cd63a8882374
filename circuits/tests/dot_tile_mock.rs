//! MockProver tests of the dot tile: products of two activations (`MatMulAct`, with `B` transposed and a
//! fused Relu; with `A` transposed and no activation), on a tile of 4 pairs per row so that the 5-term dot
//! products span two rows and leave 3 slots switched off. A correct witness passes and matches the float
//! model; a wrong product, a wrong partial sum, a term smuggled in through a switched-off slot and an
//! operand that is not the copied one each fail on the named constraint or copy, at the tampered row.

use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::sync::{Arc, OnceLock};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, DotCell, Expected, MockModel};
use zkinfer_circuits::graph::{Graph, MatMulAct, Op, Relu};
use zkinfer_circuits::layout::OpSpan;
use zkinfer_circuits::settings::Settings;
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

/// Pairs per dot tile row in these tests.
const PAIRS: usize = 4;

fn values(n: usize, seed: usize) -> Vec<f64> {
    (0..n)
        .map(|i| (((i * 7 + seed * 3) % 17) as f64 - 8.0) / 8.0)
        .collect()
}

fn inputs() -> Vec<Vec<f64>> {
    vec![values(30, 1), values(40, 2), values(12, 3)]
}

fn graph() -> Graph {
    let mut g = Graph::new("dot");
    let x = g.add_input("x", vec![2, 3, 5]);
    let y = g.add_input("y", vec![2, 4, 5]);
    let w = g.add_input("w", vec![2, 3, 2]);
    let mm = |trans_a, trans_b| Op::MatMulAct(MatMulAct { trans_a, trans_b });
    let scores = g
        .add_node("scores", "MatMul", mm(false, true), vec![x, y], "scores")
        .expect("scores");
    let relu = g
        .add_node("relu", "Relu", Op::Relu(Relu), vec![scores], "relu")
        .expect("relu");
    // x read transposed: [2, 5, 3] @ [2, 3, 2]
    let mix = g
        .add_node("mix", "MatMul", mm(true, false), vec![x, w], "mix")
        .expect("mix");
    g.outputs = vec![relu, mix];
    g
}

fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples = vec![inputs()];
        let c = compile_graph(graph(), &samples, &AFFINE).expect("compiles");
        assert!(c.settings.layout.dot_pairs > 0, "{:?}", c.settings.layout);
        let mut settings = c.settings;
        settings.layout.dot_pairs = PAIRS;
        let model = Arc::new(CompiledModel::new(c.quant, &settings).expect("plans"));
        let witness = generate(&model.quant, &model.plan, &inputs()).expect("witness");
        (MockModel::new(settings, model), witness)
    })
}

fn span<'a>(m: &'a MockModel, node: &str) -> &'a OpSpan {
    m.plan()
        .spans
        .iter()
        .find(|s| s.node.as_ref().is_some_and(|n| n.name == node))
        .expect("span")
}

/// Recomputes, after a tampered operand or running sum, every later running sum of the dot product that
/// ends at dot row `last` from row `from` on, and its rescale lane row (`a`, `q`, `r`, `z`) so that the
/// lane itself stays consistent: only the tampered dot row's gate or copy can object.
fn retally(m: &MockModel, t: &mut Witness, from: usize, last: usize, lane: usize) {
    let plan = m.plan();
    for r in from..=last {
        let row = &plan.dot_rows[r];
        let (ox, oy) = (row.offsets.0 as i128, row.offsets.1 as i128);
        let dot: i128 = (0..PAIRS)
            .filter(|&s| row.x[s].is_some())
            .map(|s| (t.dots[r].x[s] - ox) * (t.dots[r].y[s] - oy))
            .sum();
        if r > from {
            t.dots[r].acc = t.dots[r - 1].acc + dot;
        }
    }
    let acc = t.dots[last].acc;
    set_lane_a(m, t, lane, acc);
}

/// Sets the `a` of a rescale lane row and recomputes its `q`, `r` and `z`.
fn set_lane_a(m: &MockModel, t: &mut Witness, lane: usize, a: i128) {
    let row = &m.plan().lane_rows[lane];
    let bits = m.settings().layout.value_bits();
    let sum = a * row.m_a as i128 + row.c as i128;
    let q = sum.div_euclid(1 << bits);
    let kind = m.settings().tables[row.act_tag as usize - 1];
    let (z, saturated) = kind.apply_checked(q as i64, bits);
    assert!(!saturated && (0..1 << bits).contains(&q), "q = {q}");
    let v = &mut t.lanes[lane];
    (v.a, v.q, v.r, v.z) = (a, q, sum.rem_euclid(1 << bits), z as i128);
}

#[test]
fn correct_witness_passes_and_matches_the_float_model() {
    let (m, w) = build();
    assert_eq!(m.verify(w.clone()), Ok(()));
    let plan = m.plan();
    for i in 0..plan.dot_rows.len() {
        assert_eq!(m.dot_failures(w, i), vec![], "dot row {i}");
    }
    // one rescale lane row per output element, ceil(K / P) dot rows per output element
    let scores = span(m, "scores");
    assert_eq!((scores.lanes.len(), scores.dots.len()), (24, 24 * 2));
    let mix = span(m, "mix");
    assert_eq!((mix.lanes.len(), mix.dots.len()), (20, 20));
    assert_eq!(plan.dot_rows[scores.dots.start + 1].x[1], None, "padded");
    let float = graph().eval_float(&inputs()).expect("float");
    let g = graph();
    let outs = w.output_values(plan);
    let mut at = 0;
    for (k, spec) in m.settings().outputs.iter().enumerate() {
        let want = &float[g.outputs[k]];
        let unit = 1.0 / spec.encoding.unit();
        for (i, b) in want.iter().enumerate() {
            let a = spec.encoding.dequantise(outs[at + i] as i64);
            // inputs quantised at 2^-s, one rounding of the exact dot product
            assert!((a - b).abs() <= 0.05 + unit, "output {k}[{i}]: {a} vs {b}");
        }
        at += spec.numel();
    }
}

#[test]
fn wrong_matmul_product_fails_the_dot_tile_gate() {
    // the last row of a dot product claims a sum 2^b larger; its rescale lane follows it consistently
    let (m, w) = build();
    let s = span(m, "scores");
    let o = 5;
    let last = s.dots.start + 2 * o + 1;
    let mut t = w.clone();
    t.dots[last].acc += 1 << m.settings().layout.value_bits();
    let acc = t.dots[last].acc;
    set_lane_a(m, &mut t, s.lanes.start + o, acc);
    assert_eq!(m.lane_failures(&t, s.lanes.start + o), vec![]);
    let expected = m.dot_failures(&t, last);
    assert_eq!(expected, vec![m.dot_gate(last)]);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn wrong_partial_sum_fails_the_dot_tile_gate_on_its_row_and_the_next() {
    let (m, w) = build();
    let s = span(m, "scores");
    let first = s.dots.start + 2 * 3;
    let mut t = w.clone();
    t.dots[first].acc -= 1;
    let expected = m.dot_failures(&t, first);
    assert_eq!(expected, vec![m.dot_gate(first), m.dot_gate(first + 1)]);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn switched_off_slot_adds_nothing_to_the_sum() {
    let (m, w) = build();
    let s = span(m, "scores");
    let last = s.dots.start + 1;
    assert!(m.plan().dot_rows[last].x[PAIRS - 1].is_none());
    // whatever a switched-off slot holds, the sum is the same
    let (ox, oy) = m.plan().dot_rows[last].offsets;
    let (x, y) = (ox as i128 + 3, oy as i128 + 2);
    let mut t = w.clone();
    t.dots[last].x[PAIRS - 1] = x;
    t.dots[last].y[PAIRS - 1] = y;
    assert_eq!(m.verify(t.clone()), Ok(()));
    assert_eq!(t.output_values(m.plan()), w.output_values(m.plan()));
    // and a term claimed through it (the sum raised by its product) fails the gate on that row
    let term = (x - ox as i128) * (y - oy as i128);
    t.dots[last].acc += term;
    let acc = t.dots[last].acc;
    set_lane_a(m, &mut t, s.lanes.start, acc);
    let expected = m.dot_failures(&t, last);
    assert_eq!(expected, vec![m.dot_gate(last)]);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn operand_that_is_not_the_copied_one_fails_its_copy() {
    // a dot row reads another left (then right) operand than the lane output it is copied from, with
    // every running sum and the rescale lane recomputed from it: only the copy objects
    let (m, w) = build();
    for (s, cell) in [
        (span(m, "scores"), DotCell::X(2)),
        (span(m, "mix"), DotCell::Y(1)),
    ] {
        let rows = s.dots.len() / s.lanes.len();
        let o = 1;
        let row = s.dots.start + rows * o;
        let last = row + rows - 1;
        let mut t = w.clone();
        let v = &mut t.dots[row];
        match cell {
            DotCell::X(i) => v.x[i] += 1,
            DotCell::Y(i) => v.y[i] += 1,
            DotCell::Acc => unreachable!(),
        }
        let (ox, oy) = m.plan().dot_rows[row].offsets;
        let dot: i128 = (0..PAIRS)
            .filter(|&i| m.plan().dot_rows[row].x[i].is_some())
            .map(|i| (v.x[i] - ox as i128) * (v.y[i] - oy as i128))
            .sum();
        v.acc = m.plan().dot_rows[row].start as i128 + dot;
        retally(m, &mut t, row, last, s.lanes.start + o);
        assert_eq!(m.dot_failures(&t, row), vec![]);
        let expected: Vec<Expected> = vec![m.dot_copy(row, cell)];
        assert_fails_with(m.verify(t), &expected);
    }
}

#[test]
fn the_dot_tile_is_configured_only_when_the_layout_has_one_and_has_degree_four() {
    let (m, _) = build();
    let gates = |settings: Settings| {
        let mut cs = ConstraintSystem::<Fr>::default();
        ModelCircuit::configure_with_params(&mut cs, settings);
        assert_eq!(zkinfer_circuits::degree::over_max_degree(&cs), vec![]);
        assert!(cs.blinding_factors() < zkinfer_circuits::layout::RESERVED_ROWS);
        (
            zkinfer_circuits::degree::degrees(&cs),
            cs.num_advice_columns(),
        )
    };
    let (with, advice) = gates(m.settings().clone());
    let dot = ("gate 'dot tile' constraint 0".to_string(), 4);
    assert!(with.contains(&dot), "{with:?}");
    let mut off = m.settings().clone();
    off.layout.dot_pairs = 0;
    let (without, advice_off) = gates(off.clone());
    // a model with products cannot be planned on a layout without the dot tile
    let refused = CompiledModel::new(m.model().quant.clone(), &off);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("dot_pairs = 0")),
        "{refused:?}"
    );
    assert!(without.iter().all(|(n, _)| !n.contains("dot tile")));
    // x and y per pair, and the running sum
    assert_eq!(advice, advice_off + 2 * PAIRS + 1);
}
