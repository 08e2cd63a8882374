//! MockProver tests of the gather chip (`GatherByIndex`: elements picked by indices the circuit
//! computes): a gather of an input tensor (`GatherElements` form) and of a constant table (`Gather`
//! form), both by an index input holding a negative index. A correct witness passes and matches the float
//! model; an output that is not the indexed element fails exactly the gather lookup at its row; a data
//! entry that is not the data's cell fails the copy; a constant entry that is not the constant fails the
//! constant gate; an index outside the axis has no witness, and no value makes its lookup pass.

use std::sync::{Arc, OnceLock};
use zkinfer_circuits::chips::LimbValues;
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::{compile_graph, CompileOptions};
use zkinfer_circuits::dev::{assert_fails_with, MockModel};
use zkinfer_circuits::graph::{GatherByIndex, Graph, Op};
use zkinfer_circuits::layout::GatherValue;
use zkinfer_circuits::witness::{generate, Witness};
use zkinfer_circuits::CircuitError;

const TABLE: [f32; 4] = [1.5, -2.0, 3.25, 0.5];

fn graph() -> Graph {
    let mut g = Graph::new("gather");
    let x = g.add_input("x", vec![1, 4]);
    let i = g.add_input("i", vec![1, 2]);
    let slice = vec![vec![0, 1, 2, 3]];
    let picks = vec![[0, 0], [0, 1]];
    let pick = GatherByIndex {
        out_shape: vec![1, 2],
        axis_len: 4,
        slices: slice.clone(),
        picks: picks.clone(),
        data: None,
    };
    let table = GatherByIndex {
        out_shape: vec![2],
        axis_len: 4,
        slices: slice,
        picks,
        data: Some(TABLE.to_vec()),
    };
    let a = g
        .add_node(
            "pick",
            "GatherElements",
            Op::GatherByIndex(pick),
            vec![x, i],
            "pick",
        )
        .expect("pick");
    let b = g
        .add_node(
            "table",
            "Gather",
            Op::GatherByIndex(table),
            vec![i],
            "table",
        )
        .expect("table");
    g.outputs = vec![a, b];
    g
}

fn inputs(i: [f64; 2]) -> Vec<Vec<f64>> {
    vec![vec![0.5, -1.0, 2.0, 1.5], i.to_vec()]
}

fn build() -> &'static (MockModel, Witness) {
    static BUILT: OnceLock<(MockModel, Witness)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let samples = vec![inputs([3.0, -2.0]), inputs([0.0, 1.0])];
        let c = compile_graph(graph(), &samples, &CompileOptions::default()).expect("compiles");
        assert!(c.settings.layout.gather, "{:?}", c.settings.layout);
        let model = Arc::new(CompiledModel::new(c.quant, &c.settings).expect("plans"));
        let witness = generate(&model.quant, &model.plan, &inputs([3.0, -2.0])).expect("witness");
        (MockModel::new(c.settings, model), witness)
    })
}

#[test]
fn a_correct_gather_passes_and_picks_the_indexed_elements() {
    let (m, w) = build();
    assert_eq!(m.verify(w.clone()), Ok(()));
    // x[3] = 1.5, x[-2] = 2.0; TABLE[3] = 0.5, TABLE[-2] = 3.25
    assert_eq!(m.max_output_error(w, graph(), &inputs([3.0, -2.0])), 0.0);
    let plan = m.plan();
    assert_eq!(plan.gather_queries.len(), 4);
    // each slice lists 0..4 and -4..0
    assert_eq!(plan.gather_entries.len(), 16);
}

#[test]
fn an_output_other_than_the_indexed_element_fails_the_lookup() {
    let (m, w) = build();
    for q in 0..4 {
        let mut bad = w.clone();
        // the lane row storing the output copies the query's value: move both, so only the lookup fails
        bad.gathers[q].out += 1;
        let lane = m
            .plan()
            .lane_rows
            .iter()
            .position(|r| r.a == zkinfer_circuits::layout::Src::Gathered(q as u32));
        let lane = lane.expect("the output's lane row");
        bad.lanes[lane].a += 1;
        bad.lanes[lane].q += 1;
        bad.lanes[lane].z += 1;
        if let Some(t) = m.settings().layout.limb_bits() {
            let v = bad.lanes[lane];
            bad.limbs[lane] = LimbValues::split(v.q, v.r, t);
        }
        assert_fails_with(m.verify(bad), &[m.gather_lookup(q)]);
    }
}

#[test]
fn a_data_entry_other_than_the_data_cell_fails_the_copy() {
    let (m, w) = build();
    let plan = m.plan();
    // an entry of x no query reads (index 1 is never picked): only its copy fails
    let e = plan
        .gather_entries
        .iter()
        .position(|e| matches!(e.value, GatherValue::Lane(l) if l == plan.tensor_cells[0][1]))
        .expect("an entry of x[1]");
    let mut bad = w.clone();
    bad.gather_entries[e] += 5;
    assert_fails_with(m.verify(bad), &[m.gather_entry_copy(e)]);
}

#[test]
fn a_constant_entry_other_than_the_constant_fails_the_gate() {
    let (m, w) = build();
    let plan = m.plan();
    let e = plan
        .gather_entries
        .iter()
        .position(|e| matches!(e.value, GatherValue::Const(_)))
        .expect("a constant entry");
    let mut bad = w.clone();
    bad.gather_entries[e] += 1;
    assert_fails_with(m.verify(bad), &[m.gather_const_gate(e)]);
}

#[test]
fn an_index_outside_the_axis_has_no_witness() {
    let (m, w) = build();
    for i in [4.0, -5.0, 7.0, 1.5] {
        let err = generate(&m.model().quant, m.plan(), &inputs([i, 0.0])).expect_err("no witness");
        assert!(
            matches!(&err, CircuitError::Node { node, message } if node.name == "pick"
                && message.contains("not an element of the axis of 4")),
            "{err}"
        );
    }
    // an index cell holding 4 (its stored encoding) finds no entry, whatever value it claims
    let q = 0;
    let index = &m.model().quant.tensors[m.model().quant.inputs[1]];
    let key = index.encoding.quantise(4.0).expect("4 is storable") as i128;
    let values: Vec<i128> = (0..4)
        .map(|j| w.lanes[m.plan().tensor_cells[0][j] as usize].z)
        .collect();
    for v in values.into_iter().chain([0, w.gathers[q].out]) {
        let mut bad = w.clone();
        bad.gathers[q].index = key;
        bad.gathers[q].out = v;
        let failures = assert_fails_with(m.verify(bad), &[m.gather_lookup(q)]);
        assert!(!failures.is_empty());
    }
}

#[test]
fn the_gather_chip_is_configured_only_with_gathers_and_keeps_degree_at_most_five() {
    use zkinfer_circuits::circuit::ModelCircuit;
    use zkinfer_circuits::halo2_proofs::plonk::{Circuit, ConstraintSystem};
    let (m, _) = build();
    let configure = |gather: bool| {
        let mut settings = m.settings().clone();
        settings.layout.gather = gather;
        let mut cs = ConstraintSystem::<zkinfer_circuits::Fr>::default();
        ModelCircuit::configure_with_params(&mut cs, settings);
        assert_eq!(zkinfer_circuits::degree::over_max_degree(&cs), vec![]);
        assert!(cs.blinding_factors() < zkinfer_circuits::layout::RESERVED_ROWS);
        (cs.num_advice_columns(), cs.lookups().len(), cs.degree())
    };
    let (with, without) = (configure(true), configure(false));
    assert_eq!((with.0 - without.0, with.1 - without.1), (3, 1));
    assert!(with.2 <= 5, "degree {}", with.2);
    // a model without gathers keeps the flag off (and its settings.json the same as before)
    let json = serde_json::to_string(&m.settings().layout).expect("json");
    assert!(json.contains(r#""gather":true"#), "{json}");
    let mut off = m.settings().layout;
    off.gather = false;
    let json = serde_json::to_string(&off).expect("json");
    assert!(!json.contains("gather"), "{json}");
}

#[test]
fn gathers_work_on_affine_lanes_too() {
    let opts = CompileOptions {
        limbs: false,
        ..CompileOptions::default()
    };
    let samples = vec![inputs([3.0, -2.0]), inputs([0.0, 1.0])];
    let c = compile_graph(graph(), &samples, &opts).expect("compiles");
    assert!(c.settings.layout.limb_bits().is_none());
    let model = Arc::new(CompiledModel::new(c.quant, &c.settings).expect("plans"));
    let w = generate(&model.quant, &model.plan, &inputs([-4.0, 2.0])).expect("witness");
    let m = MockModel::new(c.settings, model);
    assert_eq!(m.verify(w.clone()), Ok(()));
    assert_eq!(m.max_output_error(&w, graph(), &inputs([-4.0, 2.0])), 0.0);
}
