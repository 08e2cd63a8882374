//! MockProver tests of the limb lane (`chips::limb_lane`), in its three layouts (two rows per element; one
//! row with the high limbs in columns of their own; two lanes, the first with one row per element and the
//! last with two): a model that compiles to limb lanes by default
//! (Dense + Relu, Dense, a comparison with a constant, an element-wise maximum). A correct witness passes and matches the float
//! model to within the values' 2^-15 resolution; each forged witness fails on exactly the constraint or
//! lookup that guards it, at the row of the forged cell:
//! - a wrong quotient: the rescale constraint;
//! - a quotient off by one with a compensating remainder (-1 or 2^bits): the remainder's top bit;
//! - a limb out of range with the value unchanged (low and high limbs): the limb lookups;
//! - a Relu output that is not the Relu of its quotient, a maximum that is not the larger operand: the
//!   activation constraint;
//! - a non-boolean comparison bit: the boolean gate;
//! - another settings digest in the instance: the settings row's top bit and its "q = r = 0 where
//!   unchecked" constraint (its limbs are forced to 0), so keys made for one settings file never verify a
//!   proof about another.

use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use std::sync::{Arc, OnceLock};
use zkinfer_circuits::chips::limb_lane::{
    LIMB_ACT_CONSTRAINT, LIMB_CONSTRAINT, Q_LIMB_LOOKUP, Q_TOP_CONSTRAINT, R_LIMB_LOOKUP,
    R_TOP_CONSTRAINT, UNCHECKED_CONSTRAINT,
};
use zkinfer_circuits::chips::LimbValues;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, MockModel};
use zkinfer_circuits::graph::{Binary, BinaryKind, Compare, CompareKind, Dense, Graph, Op, Relu};
use zkinfer_circuits::settings::{LaneKind, LimbRows, TableKind};
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::Fr;

const INPUT: [f64; 8] = [0.5, -0.25, 0.75, -1.0, 0.125, 0.9, -0.6, 0.3];

fn dense(n: usize, m: usize, seed: usize) -> Dense {
    Dense {
        in_features: n,
        out_features: m,
        weight: (0..n * m)
            .map(|i| (((i * 7 + seed) % 13) as f32 - 6.0) / 9.0)
            .collect(),
        bias: (0..m).map(|i| (i as f32 - 2.0) / 10.0).collect(),
    }
}

/// x[1,8] -> Dense(8->6) + Relu (fused) -> Dense(6->4) -> output; x > 0.2 -> output; the maximum of
/// that Dense and another Dense(8->4) of x -> output.
fn graph() -> Graph {
    let mut g = Graph::new("limbs");
    let x = g.add_input("x", vec![1, 8]);
    let h = g
        .add_node("fc1", "Gemm", Op::Dense(dense(8, 6, 1)), vec![x], "h")
        .expect("fc1");
    let hr = g
        .add_node("relu1", "Relu", Op::Relu(Relu), vec![h], "hr")
        .expect("relu1");
    let y = g
        .add_node("fc2", "Gemm", Op::Dense(dense(6, 4, 5)), vec![hr], "y")
        .expect("fc2");
    let gt = Op::Compare(Compare {
        kind: CompareKind::Greater,
        rhs: Some(vec![0.2]),
    });
    let flags = g
        .add_node("gt_const", "Greater", gt, vec![x], "flags")
        .expect("gt");
    let y3 = g
        .add_node("fc3", "Gemm", Op::Dense(dense(8, 4, 3)), vec![x], "y3")
        .expect("fc3");
    let max = Op::Binary(Binary {
        kind: BinaryKind::Max,
    });
    let mx = g
        .add_node("max", "Max", max, vec![y, y3], "mx")
        .expect("max");
    g.outputs = vec![y, flags, mx];
    g
}

/// The model in both limb layouts: as compiled (two rows per element: rows are free at this size) and
/// with one row per element (the high limbs in columns of their own).
fn builds() -> &'static [(MockModel, Witness); 3] {
    static BUILT: OnceLock<[(MockModel, Witness); 3]> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples = vec![
            vec![INPUT.to_vec()],
            vec![vec![-0.9, 1.0, -0.5, 0.3, 0.6, -0.7, 0.2, -0.1]],
        ];
        let c = compile_graph(graph(), &samples, &CompileOptions::default()).expect("compiles");
        let limb_bits = c.settings.layout.limb_bits().expect("limb lanes");
        assert_eq!(
            c.settings.layout.lane,
            LaneKind::Limb {
                limb_bits,
                rows: LimbRows::Two
            }
        );
        // two rows per element, one row, and two lanes: one row per element, then two in the last lane
        let layout = |rows: LimbRows| {
            let mut settings = c.settings.clone();
            settings.layout.lane = LaneKind::Limb { limb_bits, rows };
            if rows == LimbRows::OneLastLaneTwo {
                settings.layout.lanes = 2;
            }
            let model = Arc::new(CompiledModel::new(c.quant.clone(), &settings).expect("plans"));
            let witness = generate(&model.quant, &model.plan, &[INPUT.to_vec()]).expect("witness");
            (MockModel::new(settings, model), witness)
        };
        [
            layout(LimbRows::Two),
            layout(LimbRows::One),
            layout(LimbRows::OneLastLaneTwo),
        ]
    })
}

fn t_bits(m: &MockModel) -> u32 {
    m.settings().layout.limb_bits().expect("limb lanes")
}

/// The lane rows of `node`.
fn rows_of(m: &MockModel, node: &str) -> std::ops::Range<usize> {
    m.plan()
        .spans
        .iter()
        .find(|s| s.node.as_ref().is_some_and(|n| n.name == node))
        .expect("the node has rows")
        .lanes
        .clone()
}

/// A lane row of `node` whose quotient's high limb is at least 1 and whose top bit is `top`.
fn row_with(m: &MockModel, w: &Witness, node: &str, top: i128) -> usize {
    rows_of(m, node)
        .find(|&i| w.limbs[i].q[1] >= 1 && w.limbs[i].q[2] == top)
        .expect("a row with a high limb and the wanted sign")
}

/// `q` and `r` set, with their limbs split again (as an honest prover would from those values).
fn with_qr(w: &Witness, i: usize, q: i128, r: i128, t: u32) -> Witness {
    let mut f = w.clone();
    f.lanes[i].q = q;
    f.lanes[i].r = r;
    f.limbs[i] = LimbValues::split(q, r, t);
    f
}

#[test]
fn the_model_gets_limb_lanes_and_a_correct_witness_passes() {
    for (m, w) in builds() {
        let l = m.settings().layout;
        let t = l.limb_bits().expect("limb lanes");
        assert!(t > 0, "{l:?}");
        assert_eq!(l.value_bits(), 2 * t + 1);
        assert!(l.gate.boolean, "the comparison has boolean rows");
        assert!(l.gate.zadd, "the maximum reads b in its activation");
        assert_eq!(
            m.settings().tables,
            vec![
                TableKind::Identity,
                TableKind::Relu,
                TableKind::MaxStep { halve: false }
            ]
        );
        assert_eq!(m.verify(w.clone()), Ok(()));
    }
}

#[test]
fn outputs_match_float_inference_to_the_values_resolution() {
    for (m, w) in builds() {
        let err = m.max_output_error(w, graph(), &[INPUT.to_vec()]);
        assert!(err < 1e-3, "max |proved - float| = {err}");
    }
}

#[test]
fn a_wrong_quotient_fails_the_rescale_constraint() {
    for (m, w) in builds() {
        let i = m.first_lane_of("fc2");
        let t = t_bits(m);
        let mut f = with_qr(w, i, w.lanes[i].q + 1, w.lanes[i].r, t);
        // z follows the forged quotient (identity activation), so only the rescale breaks (and z's copy out)
        f.lanes[i].z += 1;
        assert_fails_with(m.verify(f), &[m.limb_gate(i, LIMB_CONSTRAINT)]);
    }
}

#[test]
fn a_quotient_off_by_one_with_a_compensating_remainder_fails_the_remainder_top_bit() {
    for (m, w) in builds() {
        let i = m.first_lane_of("fc2");
        let (t, pow) = (t_bits(m), 1i128 << m.settings().layout.value_bits());
        let (q, r) = (w.lanes[i].q, w.lanes[i].r);
        // q + 1, r - 2^bits: the rescale holds, the limbs are in range, the remainder's top is negative
        let mut f = with_qr(w, i, q + 1, r - pow, t);
        f.lanes[i].z += 1;
        assert_fails_with(m.verify(f), &[m.limb_gate(i, R_TOP_CONSTRAINT)]);
        // q - 1, r + 2^bits: the remainder's top is 2 or 3
        let mut f = with_qr(w, i, q - 1, r + pow, t);
        f.lanes[i].z -= 1;
        assert_fails_with(m.verify(f), &[m.limb_gate(i, R_TOP_CONSTRAINT)]);
    }
}

/// `w` with 2^t moved into `q`'s limb `limb` from the limb above it (0: low from high, 1: high from top):
/// the same `q`, a limb out of range.
fn carry_q(w: &Witness, i: usize, limb: usize, t: u32) -> Witness {
    let mut f = w.clone();
    f.limbs[i].q[limb] += 1 << t;
    f.limbs[i].q[limb + 1] -= 1;
    f
}

#[test]
fn a_limb_out_of_range_fails_its_lookup_on_its_row() {
    for (m, w) in builds() {
        let t = t_bits(m);
        // the low limb 2^t too big, the high limb 1 smaller: q unchanged
        let i = row_with(m, w, "fc2", 1);
        assert_fails_with(
            m.verify(carry_q(w, i, 0, t)),
            &[m.limb_lookup(i, Q_LIMB_LOOKUP, false)],
        );
        // the high limb 2^t too big, the top bit 1 smaller (an identity row, so z = q still holds)
        assert_fails_with(
            m.verify(carry_q(w, i, 1, t)),
            &[m.limb_lookup(i, Q_LIMB_LOOKUP, true)],
        );
        // the remainder's low limb 2^t too big, its high limb 1 smaller
        let j = rows_of(m, "fc2")
            .find(|&j| w.limbs[j].r[1] >= 1)
            .expect("a remainder with a high limb");
        let mut f = w.clone();
        f.limbs[j].r[0] += 1 << t;
        f.limbs[j].r[1] -= 1;
        assert_fails_with(m.verify(f), &[m.limb_lookup(j, R_LIMB_LOOKUP, false)]);
    }
}

#[test]
fn in_the_mixed_layout_each_lane_checks_its_own_limbs() {
    let (m, w) = &builds()[2];
    let layout = m.settings().layout;
    assert!(
        matches!(
            layout.lane,
            LaneKind::Limb {
                rows: LimbRows::OneLastLaneTwo,
                ..
            }
        ) && layout.lanes == 2
    );
    let t = t_bits(m);
    for lane in 0..2 {
        // an element of this lane with a high limb: moving 2^t from the high limb to the low limb keeps q
        let i = (0..m.plan().lane_rows.len())
            .find(|&i| layout.lane_slot(i).0 == lane && w.limbs[i].q[1] >= 1)
            .expect("an element with a high limb in the lane");
        assert_fails_with(
            m.verify(carry_q(w, i, 0, t)),
            &[m.limb_lookup(i, Q_LIMB_LOOKUP, false)],
        );
        let f = carry_q(w, i, 1, t);
        // the top bit becomes -1 (or 0 from 1): the lookup of the high limb, and the top bit where it is
        // no longer a bit
        let mut expected = vec![m.limb_lookup(i, Q_LIMB_LOOKUP, true)];
        if w.limbs[i].q[2] == 0 {
            expected.push(m.limb_gate(i, Q_TOP_CONSTRAINT));
        }
        if m.plan().lane_rows[i].act_tag != 0 && w.lanes[i].z != w.lanes[i].q {
            // a Relu row whose output followed the old top bit
            expected.push(m.limb_gate(i, LIMB_ACT_CONSTRAINT));
        }
        assert_fails_with(m.verify(f), &expected);
    }
}

#[test]
fn a_relu_output_that_is_not_the_relu_of_its_quotient_fails_the_activation() {
    for (m, w) in builds() {
        // a negative pre-activation (top bit 0) claimed to pass through: z = its low bits instead of 0
        let i = rows_of(m, "fc1")
            .find(|&i| w.limbs[i].q[2] == 0 && w.limbs[i].q[0] + w.limbs[i].q[1] > 0)
            .expect("a negative pre-activation");
        let mut f = w.clone();
        f.lanes[i].z = w.limbs[i].q[0] + (w.limbs[i].q[1] << t_bits(m));
        // z is copied into the next layer's tile, which now disagrees (copy failures are allowed)
        assert_fails_with(m.verify(f), &[m.limb_gate(i, LIMB_ACT_CONSTRAINT)]);
    }
}

#[test]
fn a_wrong_maximum_fails_the_activation() {
    for (m, w) in builds() {
        // every element of the maximum: claiming the other operand (or anything else) breaks z = b + step
        for i in rows_of(m, "max") {
            let mut f = w.clone();
            f.lanes[i].z += 1;
            assert_fails_with(m.verify(f), &[m.limb_gate(i, LIMB_ACT_CONSTRAINT)]);
        }
    }
}

#[test]
fn a_non_boolean_comparison_fails_the_boolean_gate() {
    for (m, w) in builds() {
        let i = m.first_lane_of("gt_const");
        let (t, pow) = (t_bits(m), 1i128 << m.settings().layout.value_bits());
        // q + 2 with r - 2^(bits+1): the rescale holds, q is no bit, and (the remainder being in range
        // for the honest q) the remainder's top goes negative too: both fail, nothing else
        let (q, r) = (w.lanes[i].q, w.lanes[i].r);
        let mut f = with_qr(w, i, q + 2, r - 2 * pow, t);
        f.lanes[i].z += 2;
        assert_fails_with(
            m.verify(f),
            &[m.limb_bool_gate(i), m.limb_gate(i, R_TOP_CONSTRAINT)],
        );
    }
}

#[test]
fn another_settings_digest_fails_the_settings_rows_forced_zero_limbs() {
    for (m, w) in builds() {
        let plan = m.plan();
        let i = plan.settings_lane as usize;
        let (bits, digest) = (
            m.settings().layout.value_bits(),
            m.settings().digest_instance(),
        );
        let mut instances = w.field_instances();
        // a proof about settings whose digest is 2^(2t) * 2^bits above the keys': q's top bit would make up
        // the difference, but the settings row is not range-checked, so its top bit must be 0
        let shift = Fr::from(1u64 << (2 * t_bits(m))) * Fr::from(1u64 << bits);
        instances[digest] += shift;
        let mut f = w.clone();
        f.settings_digest += shift;
        f.limbs[i].q = [0, 0, 1];
        // the settings row's z is not copied anywhere; it follows q so that the activation holds
        f.lanes[i].z = 1 << (2 * t_bits(m));
        assert_fails_with(
            m.verify_with_instances(f, instances.clone()),
            &[
                m.limb_gate(i, Q_TOP_CONSTRAINT),
                m.limb_gate(i, UNCHECKED_CONSTRAINT),
            ],
        );
        // or 2^bits above: a low limb of 1, in the range table, which the settings row refuses
        let mut instances = w.field_instances();
        instances[digest] += Fr::from(1u64 << bits);
        let mut f = w.clone();
        f.settings_digest += Fr::from(1u64 << bits);
        f.limbs[i].q = [1, 0, 0];
        f.lanes[i].z = 1;
        assert_fails_with(
            m.verify_with_instances(f, instances),
            &[m.limb_gate(i, UNCHECKED_CONSTRAINT)],
        );
    }
}

#[test]
fn limb_lanes_have_gates_of_degree_at_most_four_and_only_with_limb_bits() {
    for (m, _) in builds() {
        let mut cs = ConstraintSystem::<Fr>::default();
        let _ = ModelCircuit::configure_with_params(&mut cs, m.settings().clone());
        assert_eq!(zkinfer_circuits::degree::over_max_degree(&cs), vec![]);
        let max = zkinfer_circuits::degree::degrees(&cs)
            .into_iter()
            .filter(|(name, _)| name.contains("limb"))
            .map(|(_, d)| d)
            .max();
        assert_eq!(max, Some(4));
        // raised to 5 (same extended domain as 4): the copy constraints take 3 columns per grand product
        assert_eq!(cs.degree(), 5);
        // two limb lookups per lane on two rows, or four on one row
        let limb_lookups = cs
            .lookups()
            .iter()
            .filter(|l| l.name().contains("limb"))
            .count();
        let layout = m.settings().layout;
        let expected: usize = (0..layout.lanes)
            .map(|lane| 4 - 2 * layout.lane_two_rows(lane) as usize)
            .sum();
        assert_eq!(limb_lookups, expected);
    }
    let (m, _) = &builds()[0];
    let mut affine = m.settings().clone();
    affine.layout.lane = LaneKind::Affine {
        value_bits: affine.layout.value_bits(),
    };
    let mut cs = ConstraintSystem::<Fr>::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, affine);
    assert!(cs.gates().iter().all(|g| !g.name().contains("limb")));
}
