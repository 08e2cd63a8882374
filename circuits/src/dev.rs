//! Test support (feature `dev`): runs halo2's `MockProver` on a model circuit and names the exact
//! [`VerifyFailure`] a tampered witness must cause: the gate constraint, lookup or copy, and the row of
//! the tampered cell, the way halo2's own chip tests assert
//! `VerifyFailure::Lookup { name, lookup_index, location: FailureLocation::InRegion { region, offset } }`.
//!
//! Where halo2-axiom 0.5's `MockProver` reports a failure:
//! - `synthesize` assigns two regions, the shared lookup table first (region 0), then [`MODEL_REGION`]
//!   (region 1). The single-pass floor planner starts every region at row 0, so an offset in the model
//!   region is a circuit row.
//! - Lane row `i` of the plan lies in lane `i % L` at row `i / L`; tile row `i` at row
//!   `i + TILE_FIRST_ROW`, dot tile row `i` at row `i + DOT_FIRST_ROW` (see [`crate::circuit`]).
//! - A region's extent is recorded from its fixed-column assignments only. Every gate and lookup of the
//!   model queries fixed columns that the model region assigns, so their failures are `InRegion` of the
//!   model region; a copy failure names a single advice or instance cell, which no region records, so it
//!   is `OutsideRegion { row }`.
//! - Gate and lookup indices follow `configure` order: the tile gate, then per lane its gate (and its
//!   boolean gate, with `lane_bool`) and its remainder and activation lookups, then the dot tile gate
//!   (with `dot_pairs > 0`). [`MockModel`] reads them from the constraint system, by name.

use crate::chips::affine_lane::{
    ACTIVATION_LOOKUP, BOOL_CONSTRAINT, BOOL_GATE, LANE_CONSTRAINT, LANE_GATE, REMAINDER_LOOKUP,
};
use crate::chips::dot_tile::{DOT_CONSTRAINT, DOT_GATE};
use crate::chips::gather::{GATHER_CONST_CONSTRAINT, GATHER_CONST_GATE, GATHER_LOOKUP};
use crate::chips::limb_lane::{
    LIMB_ACT_CONSTRAINT, LIMB_BOOL_GATE, LIMB_CONSTRAINT, LIMB_GATE, Q_HI_LIMB_LOOKUP,
    Q_LIMB_LOOKUP, Q_TOP_CONSTRAINT, R_HI_LIMB_LOOKUP, R_TOP_CONSTRAINT, UNCHECKED_CONSTRAINT,
};
use crate::chips::mac_tile::{mac_lane_constraint, MAC_GATE};
use crate::circuit::{
    CompiledModel, ModelCircuit, ModelConfig, DOT_FIRST_ROW, MODEL_REGION, TILE_FIRST_ROW,
};
use crate::layout::Plan;
use crate::settings::Settings;
use crate::witness::Witness;
use crate::Fr;
use halo2_proofs::dev::metadata::{Column as ColumnMeta, Constraint, Gate, Region};
use halo2_proofs::dev::{FailureLocation, MockProver, VerifyFailure};
use halo2_proofs::plonk::{Any, Circuit, Column, ConstraintSystem};
use std::fmt;
use std::sync::Arc;

/// Index of [`MODEL_REGION`] among the regions `MockProver` records: the lookup table is assigned first.
pub const MODEL_REGION_INDEX: usize = 1;

/// The lookups of a lane row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneLookup {
    /// `r` in the identity (range) table.
    Remainder,
    /// `(q, z)` (or `(q, z - b * m_zb)`) in the row's activation table.
    Activation,
}

/// The copied cells of a lane row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneCell {
    /// The `a` input.
    A,
    /// The `b` input.
    B,
    /// The output `z`.
    Z,
}

/// The copied cells of a tile row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileCell {
    /// Input slot `p * B + t` (input `t` of position lane `p`).
    X(usize),
    /// Running sum `p * K + k` (output `k` of position lane `p`).
    Acc(usize),
}

/// The copied cells of a dot tile row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotCell {
    /// Left-operand slot `t`.
    X(usize),
    /// Right-operand slot `t`.
    Y(usize),
    /// The running sum.
    Acc,
}

/// One failure a tampered witness must cause, as `MockProver` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// A gate constraint does not hold.
    Constraint {
        /// The gate and constraint.
        constraint: Constraint,
        /// Where.
        location: FailureLocation,
    },
    /// A lookup input is not in its table.
    Lookup {
        /// The lookup's name.
        name: String,
        /// Its index in `configure` order.
        lookup_index: usize,
        /// Where.
        location: FailureLocation,
    },
    /// A copied cell differs from its source.
    Permutation {
        /// The column of the cell.
        column: ColumnMeta,
        /// Where.
        location: FailureLocation,
    },
}

impl Expected {
    /// Whether `failure` is this failure (cell values of a constraint failure are not compared).
    pub fn matches(&self, failure: &VerifyFailure) -> bool {
        match (self, failure) {
            (
                Expected::Constraint {
                    constraint,
                    location,
                },
                VerifyFailure::ConstraintNotSatisfied {
                    constraint: c,
                    location: l,
                    ..
                },
            ) => constraint == c && location == l,
            (
                Expected::Lookup {
                    name,
                    lookup_index,
                    location,
                },
                VerifyFailure::Lookup {
                    name: n,
                    lookup_index: i,
                    location: l,
                },
            ) => name == n && lookup_index == i && location == l,
            (
                Expected::Permutation { column, location },
                VerifyFailure::Permutation {
                    column: c,
                    location: l,
                },
            ) => column == c && location == l,
            _ => false,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expected::Constraint {
                constraint,
                location,
            } => write!(f, "{constraint} is not satisfied {location}"),
            Expected::Lookup {
                name,
                lookup_index,
                location,
            } => write!(f, "lookup {lookup_index} ('{name}') fails {location}"),
            Expected::Permutation { column, location } => {
                write!(f, "copy into {column:?} fails {location}")
            }
        }
    }
}

/// A compiled model ready for `MockProver`, with the constraint system it configures.
#[derive(Debug)]
pub struct MockModel {
    circuit: ModelCircuit,
    model: Arc<CompiledModel>,
    cs: ConstraintSystem<Fr>,
    config: ModelConfig,
}

impl MockModel {
    /// The model's circuit and its configuration under `settings`.
    pub fn new(settings: Settings, model: Arc<CompiledModel>) -> Self {
        let mut cs = ConstraintSystem::default();
        let config = ModelCircuit::configure_with_params(&mut cs, settings.clone());
        Self {
            circuit: ModelCircuit::for_keygen(settings, model.clone()),
            model,
            cs,
            config,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.circuit.settings
    }

    /// The compiled model.
    pub fn model(&self) -> &CompiledModel {
        &self.model
    }

    /// The first lane row of the named node's span (the row a tampered value of that node lands on).
    ///
    /// # Panics
    /// If the plan has no span for `node` (test support: the test names a node its model lacks).
    pub fn first_lane_of(&self, node: &str) -> usize {
        self.plan()
            .spans
            .iter()
            .find(|s| s.node.as_ref().is_some_and(|n| n.name == node))
            .expect("the plan has a span for the named node")
            .lanes
            .start
    }

    /// The largest |proved - float| over the outputs of `witness`, against `graph`'s float inference on
    /// `inputs` (the graph is fused first, as compilation does).
    ///
    /// # Panics
    /// If the float graph cannot be evaluated, or its outputs do not line up with the proved ones (test
    /// support: the test names a graph and its inputs).
    pub fn max_output_error(
        &self,
        witness: &Witness,
        mut graph: crate::graph::Graph,
        inputs: &[Vec<f64>],
    ) -> f64 {
        graph.fuse();
        let float = graph.eval_float(inputs).expect("float inference");
        let proved = witness.output_values(self.plan());
        let floats: Vec<f64> = graph
            .outputs
            .iter()
            .flat_map(|&t| float[t].iter().copied())
            .collect();
        assert!(
            !proved.is_empty() && proved.len() == floats.len(),
            "{} proved outputs against {} float outputs",
            proved.len(),
            floats.len()
        );
        let specs = self
            .settings()
            .outputs
            .iter()
            .flat_map(|spec| std::iter::repeat_n(spec.encoding, spec.numel()));
        proved
            .iter()
            .zip(specs)
            .zip(floats)
            .map(|((&q, e), f)| (e.dequantise(q as i64) - f).abs())
            .fold(0.0, f64::max)
    }

    /// The row plan.
    pub fn plan(&self) -> &Plan {
        &self.model().plan
    }

    /// The circuit without a witness.
    pub fn circuit(&self) -> &ModelCircuit {
        &self.circuit
    }

    /// Runs `MockProver` on a witness with its own public instances.
    ///
    /// # Panics
    /// If synthesis fails (a bug, not a verification failure).
    pub fn verify(&self, witness: Witness) -> Result<(), Vec<VerifyFailure>> {
        let instances = witness.field_instances();
        self.verify_with_instances(witness, instances)
    }

    /// Runs `MockProver` on a witness with the given public instances.
    ///
    /// # Panics
    /// If synthesis fails (a bug, not a verification failure).
    pub fn verify_with_instances(
        &self,
        witness: Witness,
        instances: Vec<Fr>,
    ) -> Result<(), Vec<VerifyFailure>> {
        let circuit = ModelCircuit::with_witness(
            self.circuit.settings.clone(),
            self.model.clone(),
            Arc::new(witness),
        );
        MockProver::run(self.circuit.settings.k, &circuit, vec![instances])
            .expect("MockProver synthesises the circuit")
            .verify()
    }

    /// The lane (column group) and circuit row of plan lane row `lane_row` (limb lanes: the element's
    /// first row).
    pub fn lane_position(&self, lane_row: usize) -> (usize, usize) {
        let layout = &self.settings().layout;
        let (lane, j) = layout.lane_slot(lane_row);
        (lane, (1 + layout.lane_two_rows(lane) as usize) * j)
    }

    /// Constraint `constraint` of the limb lane gate failing on plan lane row `lane_row` (one of
    /// [`LIMB_CONSTRAINT`], [`LIMB_ACT_CONSTRAINT`], [`Q_TOP_CONSTRAINT`], [`R_TOP_CONSTRAINT`], [`UNCHECKED_CONSTRAINT`]).
    ///
    /// # Panics
    /// If `constraint` is not one of them (test support).
    pub fn limb_gate(&self, lane_row: usize, constraint: &'static str) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let index = [
            LIMB_CONSTRAINT,
            LIMB_ACT_CONSTRAINT,
            Q_TOP_CONSTRAINT,
            R_TOP_CONSTRAINT,
            UNCHECKED_CONSTRAINT,
        ]
        .iter()
        .position(|c| *c == constraint)
        .expect("a limb lane constraint");
        let gate = Gate::from((self.gate_index(LIMB_GATE, lane), LIMB_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, index, constraint)),
            location: Self::in_model(row),
        }
    }

    /// The limb lane's boolean gate failing on plan lane row `lane_row`.
    pub fn limb_bool_gate(&self, lane_row: usize) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let gate = Gate::from((self.gate_index(LIMB_BOOL_GATE, lane), LIMB_BOOL_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, 0, BOOL_CONSTRAINT)),
            location: Self::in_model(row),
        }
    }

    /// A limb lookup (`Q_LIMB_LOOKUP` or `R_LIMB_LOOKUP`) of plan lane row `lane_row` failing on its
    /// low limb's row (`high = false`) or its high limb's row.
    pub fn limb_lookup(&self, lane_row: usize, name: &'static str, high: bool) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let one_row = !self.settings().layout.lane_two_rows(lane);
        // the one-row layout checks the high limbs in lookups of their own, on the element's row (their
        // lanes come first, so the lane index is also the index among lookups of that name)
        let (name, row) = match (one_row, high, name) {
            (true, true, Q_LIMB_LOOKUP) => (Q_HI_LIMB_LOOKUP, row),
            (true, true, _) => (R_HI_LIMB_LOOKUP, row),
            (_, high, name) => (name, row + (high && !one_row) as usize),
        };
        // The limb lookups read advice cells only, and halo2-axiom's MockProver records only fixed and
        // selector columns in a region's extent, so it reports the failure by circuit row (the model
        // region starts at row 0: its offsets are circuit rows).
        Expected::Lookup {
            name: name.to_string(),
            lookup_index: self.lookup_index(name, lane),
            location: FailureLocation::OutsideRegion { row },
        }
    }

    /// The circuit row of plan tile row `tile_row`.
    pub fn tile_position(tile_row: usize) -> usize {
        tile_row + TILE_FIRST_ROW
    }

    fn in_model(offset: usize) -> FailureLocation {
        FailureLocation::InRegion {
            region: Region::from((MODEL_REGION_INDEX, MODEL_REGION)),
            offset,
        }
    }

    /// Index of the `nth` gate named `name`, in `configure` order.
    fn gate_index(&self, name: &str, nth: usize) -> usize {
        self.cs
            .gates()
            .iter()
            .enumerate()
            .filter(|(_, g)| g.name() == name)
            .nth(nth)
            .map(|(i, _)| i)
            .expect("the circuit has the gate")
    }

    /// Index of the `nth` lookup named `name`, in `configure` order.
    fn lookup_index(&self, name: &str, nth: usize) -> usize {
        self.cs
            .lookups()
            .iter()
            .enumerate()
            .filter(|(_, l)| l.name() == name)
            .nth(nth)
            .map(|(i, _)| i)
            .expect("the circuit has the lookup")
    }

    /// The lane gate failing on plan lane row `lane_row`.
    pub fn lane_gate(&self, lane_row: usize) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let gate = Gate::from((self.gate_index(LANE_GATE, lane), LANE_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, 0, LANE_CONSTRAINT)),
            location: Self::in_model(row),
        }
    }

    /// The boolean gate failing on plan lane row `lane_row` (its `q` is neither 0 nor 1).
    pub fn bool_gate(&self, lane_row: usize) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let gate = Gate::from((self.gate_index(BOOL_GATE, lane), BOOL_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, 0, BOOL_CONSTRAINT)),
            location: Self::in_model(row),
        }
    }

    /// A lookup of plan lane row `lane_row` failing.
    pub fn lane_lookup(&self, lane_row: usize, lookup: LaneLookup) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let name = match lookup {
            LaneLookup::Remainder => REMAINDER_LOOKUP,
            LaneLookup::Activation => ACTIVATION_LOOKUP,
        };
        Expected::Lookup {
            name: name.to_string(),
            lookup_index: self.lookup_index(name, lane),
            location: Self::in_model(row),
        }
    }

    /// The tile gate's constraint for running sum `k` (`p * K + k'`: output `k'` of position lane `p`)
    /// failing on plan tile row `tile_row`.
    pub fn tile_gate(&self, tile_row: usize, k: usize) -> Expected {
        let gate = Gate::from((self.gate_index(MAC_GATE, 0), MAC_GATE));
        let kw = self.plan().layout.tile_outputs.max(1);
        Expected::Constraint {
            constraint: Constraint::from((gate, k, mac_lane_constraint(k / kw, k % kw))),
            location: Self::in_model(Self::tile_position(tile_row)),
        }
    }

    /// The circuit row of plan dot tile row `dot_row`.
    pub fn dot_position(dot_row: usize) -> usize {
        dot_row + DOT_FIRST_ROW
    }

    /// The dot tile gate failing on plan dot tile row `dot_row`.
    pub fn dot_gate(&self, dot_row: usize) -> Expected {
        let gate = Gate::from((self.gate_index(DOT_GATE, 0), DOT_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, 0, DOT_CONSTRAINT)),
            location: Self::in_model(Self::dot_position(dot_row)),
        }
    }

    /// The dot tile gate failures the values of plan dot tile row `dot_row` in `witness` cause, on that
    /// row and on the next one (whose running sum continues from it), computed over the integers from
    /// the plan: switched-off slots count for nothing.
    pub fn dot_failures(&self, witness: &Witness, dot_row: usize) -> Vec<Expected> {
        let plan = self.plan();
        let mut out = Vec::new();
        for r in dot_row..(dot_row + 2).min(plan.dot_rows.len()) {
            let row = &plan.dot_rows[r];
            let v = &witness.dots[r];
            let prev = match row.first {
                true => row.start as i128,
                false => witness.dots[r - 1].acc,
            };
            let (ox, oy) = (row.offsets.0 as i128, row.offsets.1 as i128);
            let dot: i128 = (0..row.x.len())
                .filter(|&t| row.x[t].is_some())
                .map(|t| (v.x[t] - ox) * (v.y[t] - oy))
                .sum();
            if v.acc != prev + dot {
                out.push(self.dot_gate(r));
            }
        }
        out
    }

    /// The gate and lookup failures the values of plan lane row `lane_row` in `witness` cause, computed
    /// over the integers from the plan: the lane identity, the remainder range and the activation table.
    pub fn lane_failures(&self, witness: &Witness, lane_row: usize) -> Vec<Expected> {
        let row = &self.plan().lane_rows[lane_row];
        let v = witness.lanes[lane_row];
        let s = self.settings();
        let bits = s.layout.value_bits();
        let pow = 1i128 << bits;
        let mut out = Vec::new();
        let sum = v.a * row.m_a as i128
            + v.b * row.m_b as i128
            + v.a * v.b * row.m_ab as i128
            + row.c as i128;
        // the settings and binding rows hold field elements in `a` (the witness's `settings_digest` and
        // `bind`); their integer values are 0, and so are `q`, `r` and `z` in a correct witness
        let plan = self.plan();
        let statement_row =
            lane_row == plan.bind_lane as usize || lane_row == plan.settings_lane as usize;
        if !statement_row && sum != v.q * pow + v.r {
            out.push(self.lane_gate(lane_row));
        }
        if row.boolean && v.q != 0 && v.q != 1 {
            out.push(self.bool_gate(lane_row));
        }
        // the settings row's remainder tag is 0: only `r = 0` is in its table
        let r_ok = match lane_row == plan.settings_lane as usize {
            true => v.r == 0,
            false => (0..pow).contains(&v.r),
        };
        if !r_ok {
            out.push(self.lane_lookup(lane_row, LaneLookup::Remainder));
        }
        let y = v.z - v.b * row.m_zb as i128;
        let in_table = match row.act_tag {
            0 => v.q == 0 && y == 0,
            tag => {
                (0..pow).contains(&v.q)
                    && s.tables.get(tag as usize - 1).is_some_and(|kind| {
                        let (out, saturated) = kind.apply_checked(v.q as i64, bits);
                        !saturated && out as i128 == y
                    })
            }
        };
        if !in_table {
            out.push(self.lane_lookup(lane_row, LaneLookup::Activation));
        }
        out
    }

    /// The tile gate failures the values of plan tile row `tile_row` in `witness` cause, on that row and
    /// on the next one (whose running sums continue from it), computed over the integers from the plan.
    pub fn tile_failures(&self, witness: &Witness, tile_row: usize) -> Vec<Expected> {
        let plan = self.plan();
        let (bw, kw) = (plan.layout.tile_inputs, plan.layout.tile_outputs.max(1));
        let mut out = Vec::new();
        for r in tile_row..(tile_row + 2).min(plan.tile_rows.len()) {
            let row = &plan.tile_rows[r];
            let v = &witness.tiles[r];
            for (pk, &acc) in v.acc.iter().enumerate() {
                let (p, k) = (pk / kw, pk % kw);
                let prev = match row.first {
                    true => row.start as i128,
                    false => witness.tiles[r - 1].acc[pk],
                };
                let dot: i128 = (0..bw)
                    .map(|t| v.x[p * bw + t] * row.w[k * bw + t] as i128)
                    .sum();
                if acc != prev + dot {
                    out.push(self.tile_gate(r, pk));
                }
            }
        }
        out
    }

    /// The copy into or out of a cell of plan lane row `lane_row` failing.
    pub fn lane_copy(&self, lane_row: usize, cell: LaneCell) -> Expected {
        let (lane, row) = self.lane_position(lane_row);
        let (a, b, z) = match self.config.limb_lanes.get(lane) {
            Some(l) => (l.a, l.b, l.z),
            None => {
                let l = &self.config.lanes[lane];
                (l.a, l.b, l.z)
            }
        };
        let column = match cell {
            LaneCell::A => a,
            LaneCell::B => b,
            LaneCell::Z => z,
        };
        Expected::Permutation {
            column: Column::<Any>::from(column).into(),
            location: FailureLocation::OutsideRegion { row },
        }
    }

    /// The copy into or out of a cell of plan tile row `tile_row` failing.
    pub fn tile_copy(&self, tile_row: usize, cell: TileCell) -> Expected {
        let column = match cell {
            TileCell::X(t) => self.config.tile.x[t],
            TileCell::Acc(k) => self.config.tile.acc[k],
        };
        Expected::Permutation {
            column: Column::<Any>::from(column).into(),
            location: FailureLocation::OutsideRegion {
                row: Self::tile_position(tile_row),
            },
        }
    }

    /// The copy into or out of a cell of plan dot tile row `dot_row` failing.
    ///
    /// # Panics
    /// If the layout has no dot tile (test support: the test names a model without products).
    pub fn dot_copy(&self, dot_row: usize, cell: DotCell) -> Expected {
        let dot = self.config.dot.as_ref().expect("the layout has a dot tile");
        let column = match cell {
            DotCell::X(t) => dot.x[t],
            DotCell::Y(t) => dot.y[t],
            DotCell::Acc => dot.acc,
        };
        Expected::Permutation {
            column: Column::<Any>::from(column).into(),
            location: FailureLocation::OutsideRegion {
                row: Self::dot_position(dot_row),
            },
        }
    }

    /// The gather lookup failing on gather query `query` (its row of the gather chip).
    pub fn gather_lookup(&self, query: usize) -> Expected {
        Expected::Lookup {
            name: GATHER_LOOKUP.to_string(),
            lookup_index: self.lookup_index(GATHER_LOOKUP, 0),
            location: Self::in_model(query),
        }
    }

    /// The gather chip's constant gate failing on table entry `entry` (its row of the gather chip).
    pub fn gather_const_gate(&self, entry: usize) -> Expected {
        let gate = Gate::from((self.gate_index(GATHER_CONST_GATE, 0), GATHER_CONST_GATE));
        Expected::Constraint {
            constraint: Constraint::from((gate, 0, GATHER_CONST_CONSTRAINT)),
            location: Self::in_model(entry),
        }
    }

    /// The copy into the value cell of gather table entry `entry` failing.
    ///
    /// # Panics
    /// If the layout has no gather chip (test support: the test names a model without gathers).
    pub fn gather_entry_copy(&self, entry: usize) -> Expected {
        let g = self
            .config
            .gather
            .as_ref()
            .expect("the layout has a gather chip");
        Expected::Permutation {
            column: Column::<Any>::from(g.t_val).into(),
            location: FailureLocation::OutsideRegion { row: entry },
        }
    }

    /// The copy of public instance `index` failing (on the instance column's side).
    pub fn instance_copy(&self, index: usize) -> Expected {
        Expected::Permutation {
            column: Column::<Any>::from(self.config.instance).into(),
            location: FailureLocation::OutsideRegion { row: index },
        }
    }
}

/// Asserts that verification failed with every `expected` failure, and that every gate or lookup failure
/// it reports is one of them. Copy failures beyond the expected ones are allowed: a tampered cell breaks
/// every copy it takes part in. Returns the failures.
///
/// # Panics
/// When verification passed, an expected failure is missing, or a gate or lookup failed unexpectedly.
#[track_caller]
pub fn assert_fails_with(
    result: Result<(), Vec<VerifyFailure>>,
    expected: &[Expected],
) -> Vec<VerifyFailure> {
    assert!(
        result.is_err(),
        "verification passed; expected {}",
        list(expected)
    );
    let failures = result.err().unwrap_or_default();
    for e in expected {
        assert!(
            failures.iter().any(|f| e.matches(f)),
            "missing failure: {e}\nreported: {failures:#?}"
        );
    }
    for f in &failures {
        let gate_or_lookup = matches!(
            f,
            VerifyFailure::ConstraintNotSatisfied { .. } | VerifyFailure::Lookup { .. }
        );
        assert!(
            !gate_or_lookup || expected.iter().any(|e| e.matches(f)),
            "unexpected failure: {f}\nexpected: {}",
            list(expected)
        );
    }
    failures
}

fn list(expected: &[Expected]) -> String {
    expected
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
