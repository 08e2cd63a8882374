//! MockProver tests of what a proof states beyond the model's arithmetic: the settings digest instance is
//! pinned by fixed values of the circuit, and a table function never accepts an input whose value saturates
//! (the witness generator refuses it, and so must the circuit). Each tampered witness fails on the exact
//! constraint and row that guard it (`zkinfer_circuits::dev`).

use std::sync::{Arc, OnceLock};
use zkinfer_circuits::chips::LookupTableConfig;
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, LaneCell, LaneLookup, MockModel};
use zkinfer_circuits::error::CircuitError;
use zkinfer_circuits::graph::{Dense, Func, Graph, Op};
use zkinfer_circuits::layout::Src;
use zkinfer_circuits::settings::TableKind;
use zkinfer_circuits::tables::FuncKind;
use zkinfer_circuits::witness::{generate, LaneValues, Witness};
use zkinfer_circuits::Fr;

/// input x[1,3] -> Dense(3->2) -> Exp -> y, and x -> Exp (standalone) -> e: calibrated on small inputs, so
/// the output encodings cover exp of about [-2, 2] and larger inputs saturate them.
fn exp_graph() -> Graph {
    let mut g = Graph::new("exp");
    let x = g.add_input("x", vec![1, 3]);
    let d = Dense {
        in_features: 3,
        out_features: 2,
        weight: vec![0.5, -0.25, 0.75, -0.5, 0.25, 0.125],
        bias: vec![0.1, -0.1],
    };
    let h = g
        .add_node("fc", "Gemm", Op::Dense(d), vec![x], "h")
        .expect("fc");
    let exp = || Op::Func(Func { f: FuncKind::Exp });
    let y = g
        .add_node("exp_fc", "Exp", exp(), vec![h], "y")
        .expect("exp");
    let e = g
        .add_node("exp_in", "Exp", exp(), vec![x], "e")
        .expect("exp");
    g.outputs = vec![y, e];
    g
}

const INPUT: [f64; 3] = [0.5, -0.25, 0.75];

fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples = vec![
            vec![INPUT.to_vec()],
            vec![vec![-1.0, 1.0, -0.5]],
            vec![vec![1.0, -1.0, 0.25]],
        ];
        let c = compile_graph(exp_graph(), &samples, &CompileOptions::default()).expect("compiles");
        let model = Arc::new(CompiledModel::new(c.quant, &c.settings).expect("plans"));
        let w = generate(&model.quant, &model.plan, &[INPUT.to_vec()]).expect("witness");
        (MockModel::new(c.settings, model), w)
    })
}

#[test]
fn correct_witness_passes_and_carries_the_settings_digest() {
    let (m, w) = build();
    assert_eq!(m.verify(w.clone()), Ok(()));
    let s = m.settings();
    let inst = w.field_instances();
    assert_eq!(inst.len(), s.num_instances());
    assert_eq!(s.digest_instance(), s.bind_instance() - 1);
    assert_eq!(inst[s.digest_instance()], s.digest());
    assert_eq!(w.settings_digest, s.digest());
    assert_eq!(m.plan().settings_digest, s.digest());
    for i in 0..w.lanes.len() {
        assert_eq!(m.lane_failures(w, i), vec![], "lane row {i}");
    }
}

#[test]
fn a_different_digest_instance_fails_the_copy_into_the_settings_row() {
    let (m, w) = build();
    let d = m.settings().digest_instance();
    let mut inst = w.field_instances();
    inst[d] += Fr::one();
    let expected = [
        m.instance_copy(d),
        m.lane_copy(m.plan().settings_lane as usize, LaneCell::A),
    ];
    assert_fails_with(m.verify_with_instances(w.clone(), inst), &expected);
}

#[test]
fn another_settings_digest_fails_the_lane_gate_of_the_settings_row() {
    let (m, w) = build();
    // the digest of an edited settings file (an output scale lowered by one), claimed consistently in the
    // instance and the circuit's cell: the fixed constant of the settings row still holds the real digest
    let mut edited = m.settings().clone();
    edited.outputs[0].encoding.scale -= 1;
    assert_ne!(edited.digest(), m.settings().digest());
    let mut t = w.clone();
    t.settings_digest = edited.digest();
    let row = m.plan().settings_lane as usize;
    assert_fails_with(m.verify(t), &[m.lane_gate(row)]);
}

#[test]
fn a_digest_off_by_a_remainder_or_a_quotient_fails_the_settings_row_lookups() {
    let (m, w) = build();
    let row = m.plan().settings_lane as usize;
    let bits = m.settings().layout.value_bits();
    // digest + 1 with r = 1: the gate holds, but the row's remainder tag is 0, whose table holds only 0
    let mut t = w.clone();
    t.settings_digest += Fr::one();
    t.lanes[row].r = 1;
    let expected = [m.lane_lookup(row, LaneLookup::Remainder)];
    assert_eq!(m.lane_failures(&t, row), expected);
    assert_fails_with(m.verify(t), &expected);
    // digest + 2^b with q = 1: the activation tag is 0, whose table holds only (0, 0)
    let mut t = w.clone();
    t.settings_digest += Fr::from(1u64 << bits);
    t.lanes[row].q = 1;
    let expected = [m.lane_lookup(row, LaneLookup::Activation)];
    assert_eq!(m.lane_failures(&t, row), expected);
    assert_fails_with(m.verify(t), &expected);
}

/// The table function of a lane row.
fn table_of(m: &MockModel, row: usize) -> TableKind {
    let tag = m.plan().lane_rows[row].act_tag;
    m.settings().tables[tag as usize - 1]
}

/// The lane values of `row` for input `a` (and `b` = 0), with the table's output (clamped or not).
fn lane_values(m: &MockModel, row: usize, a: i128) -> LaneValues {
    let r = &m.plan().lane_rows[row];
    let bits = m.settings().layout.value_bits();
    let t = a * r.m_a as i128 + r.c as i128;
    let q = t.div_euclid(1 << bits);
    LaneValues {
        a,
        b: 0,
        q,
        r: t.rem_euclid(1 << bits),
        z: table_of(m, row).apply(q as i64, bits) as i128,
    }
}

#[test]
fn a_saturated_table_entry_fails_the_activation_lookup() {
    let (m, w) = build();
    let plan = m.plan();
    let bits = m.settings().layout.value_bits();
    // the input element 0: its range-check row, and the standalone Exp row that reads its cell
    let input_row = plan
        .lane_rows
        .iter()
        .position(|r| r.a == Src::Instance(0))
        .expect("input row");
    let exp_row = m.first_lane_of("exp_in");
    assert_eq!(plan.lane_rows[exp_row].a, Src::Lane(input_row as u32));
    assert!(matches!(
        table_of(m, exp_row),
        TableKind::Func {
            f: FuncKind::Exp,
            ..
        }
    ));
    // the largest stored input (in the input's range) whose exp leaves the output's range
    let enc = m.settings().inputs[0].encoding;
    let v = (0..(1i128 << enc.bits))
        .rev()
        .find(|&v| {
            let l = lane_values(m, exp_row, v);
            (0..1 << bits).contains(&l.q) && table_of(m, exp_row).apply_checked(l.q as i64, bits).1
        })
        .expect("an input whose exp saturates");
    // the honest prover refuses it
    let mut inputs = INPUT.to_vec();
    inputs[0] = enc.dequantise(v as i64);
    assert!(matches!(
        generate(&m.model().quant, plan, &[inputs]),
        Err(CircuitError::FuncOutOfRange { .. })
    ));
    // a modified prover takes the clamped table value: input instance, range-check row, Exp row, output
    let mut t = w.clone();
    t.instances[0] = v;
    t.lanes[input_row] = lane_values(m, input_row, v);
    t.lanes[exp_row] = lane_values(m, exp_row, v);
    let out = plan
        .outputs
        .iter()
        .position(|&l| l as usize == exp_row)
        .expect("Exp row is an output");
    t.instances[plan.input_instances + out] = t.lanes[exp_row].z;
    assert_eq!(m.lane_failures(&t, input_row), vec![]);
    let expected = [m.lane_lookup(exp_row, LaneLookup::Activation)];
    assert_eq!(m.lane_failures(&t, exp_row), expected);
    assert_fails_with(m.verify(t), &expected);
}

#[test]
fn tables_leave_out_exactly_the_saturated_entries() {
    let (m, _) = build();
    let s = m.settings();
    let bits = s.layout.value_bits();
    let full = 1 + s.tables.len() * (1 << bits);
    let saturated: usize = s
        .tables
        .iter()
        .map(|k| {
            (0..1i64 << bits)
                .filter(|&v| k.apply_checked(v, bits).1)
                .count()
        })
        .sum();
    assert!(saturated > 0, "the Exp tables saturate for large inputs");
    assert_eq!(LookupTableConfig::rows(&s.tables, bits), full - saturated);
    // identity, Relu and the max/min steps never saturate
    for kind in [
        TableKind::Identity,
        TableKind::Relu,
        TableKind::MaxStep { halve: true },
        TableKind::MinStep { halve: false },
    ] {
        assert_eq!(LookupTableConfig::entries(&kind, bits).count(), 1 << bits);
    }
}
