//! The model circuit. `configure_with_params(settings)` builds the constraint system from the settings
//! alone (the verifier's path: halo2's `VerifyingKey::read` calls it); `synthesize` lays out the plan's rows
//! with the witness (the prover's path) or without it (key generation).

use crate::chips::poseidon::{PackOffset, PoseidonChip, PoseidonConfig, PoseidonLayout};
use crate::chips::{
    AffineLaneChip, AffineLaneConfig, DotCells, DotRowFixed, DotTileChip, DotTileConfig,
    GatherChip, GatherConfig, GatherEntryFixed, GatherQueryCells, LaneCells, LaneRowFixed,
    LaneRowValues, LimbLaneChip, LimbLaneConfig, LimbRowFixed, LimbRowsInLane, LookupTableConfig,
    MacTileChip, MacTileConfig, RangeTableConfig, TileCells,
};
use crate::error::{CircuitError, Result};
use crate::field::fr_from_i128;
use crate::layout::{GatherValue, Plan, Src};
use crate::poseidon::commitment_params;
use crate::quant::QuantModel;
use crate::settings::{
    LaneKind, LayoutParams, Settings, TableKind, MAX_TILE_POSITIONS, SETTINGS_VERSION,
};
use crate::visibility::InstanceSlot;
use crate::witness::Witness;
use crate::Fr;
use halo2_proofs::circuit::{Cell, Layouter, Region, SimpleFloorPlanner, Value};
use halo2_proofs::plonk::{Circuit, Column, ConstraintSystem, Error, Instance};
use std::sync::Arc;

/// The tile starts one row down, so the `acc[prev]` a first row queries is a real (usable) row.
pub const TILE_FIRST_ROW: usize = 1;

/// The dot tile starts one row down too, for the same reason.
pub const DOT_FIRST_ROW: usize = 1;

/// Name of the one region holding every tile and lane row (region offsets are circuit rows).
pub const MODEL_REGION: &str = "model";

/// A quantised model with its row plan: what key generation and proving need besides the settings.
#[derive(Debug, Clone)]
pub struct CompiledModel {
    /// The quantised model.
    pub quant: QuantModel,
    /// Its row plan under the settings' layout.
    pub plan: Plan,
}

impl CompiledModel {
    /// Plans the rows of `quant` for the layout in `settings`, checking that the two agree.
    pub fn new(quant: QuantModel, settings: &Settings) -> Result<Self> {
        settings
            .check()
            .map_err(|reason| CircuitError::Settings { reason })?;
        if quant.tables != settings.tables {
            return Err(CircuitError::Inconsistent(
                "the model's lookup tables differ from the settings'".into(),
            ));
        }
        let plan = Plan::build(&quant, settings.layout, settings.digest())?;
        let usable = crate::layout::usable_rows(settings.k);
        let table = match settings.layout.lane {
            LaneKind::Affine { value_bits } => {
                LookupTableConfig::rows(&settings.tables, value_bits)
            }
            LaneKind::Limb { limb_bits, .. } => RangeTableConfig::rows(limb_bits),
        };
        if plan.height() > usable || table > usable || settings.num_instances() > usable {
            return Err(CircuitError::Inconsistent(format!(
                "{} rows and a {table}-row table do not fit k = {} ({usable} usable rows)",
                plan.height(),
                settings.k
            )));
        }
        let n_in: usize = settings.inputs.iter().map(|s| s.numel()).sum();
        let layout = settings.instance_layout();
        let counts = |l: &crate::visibility::InstanceLayout| -> Vec<usize> {
            l.tensors.iter().map(|t| t.numel).collect()
        };
        if plan.input_instances != n_in
            || plan.input_instances + plan.outputs.len() != layout.elements()
            || counts(&plan.instance_layout) != counts(&layout)
            || plan.instance_layout.inputs != layout.inputs
        {
            return Err(CircuitError::Inconsistent(
                "instance counts differ between the model and the settings".into(),
            ));
        }
        let commitments = commitments_rows(&settings.instance_layout());
        if commitments > usable {
            return Err(CircuitError::Inconsistent(format!(
                "the commitments to hashed tensors take {commitments} rows, over the {usable} usable \
                 rows of k = {}",
                settings.k
            )));
        }
        let mut plan = plan;
        plan.instance_layout = layout;
        Ok(Self { quant, plan })
    }
}

/// Rows the commitments of a statement's hashed tensors take in the Poseidon chip's narrow layout (0 when
/// nothing is hashed): the circuit needs `k` with at least this many usable rows.
pub fn commitments_rows(layout: &crate::visibility::InstanceLayout) -> usize {
    let hashed = layout.hashed();
    if hashed.is_empty() {
        return 0;
    }
    let mut meta = ConstraintSystem::<Fr>::default();
    let constants = meta.fixed_column();
    let config = PoseidonConfig::configure(
        &mut meta,
        commitment_params(),
        PoseidonLayout::Narrow,
        constants,
    );
    let chip = PoseidonChip::construct(config);
    hashed
        .iter()
        .map(|&t| chip.commitment_rows(layout.tensors[t].numel))
        .sum()
}

/// Columns of the model circuit.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The shared `(tag, x, y)` lookup table of the affine lanes (none with limb lanes).
    pub table: Option<LookupTableConfig>,
    /// The limb lanes' range table (only with limb lanes).
    pub range: Option<RangeTableConfig>,
    /// The multiply-accumulate tile.
    pub tile: MacTileConfig,
    /// The affine lanes (none when the layout has limb lanes).
    pub lanes: Vec<AffineLaneConfig>,
    /// The limb lanes (only when the layout has `limb_bits > 0`).
    pub limb_lanes: Vec<LimbLaneConfig>,
    /// The dot tile, configured only when the layout has one (`dot_pairs > 0`), after the lanes, so the
    /// constraint systems of models without products of two activations are unchanged.
    pub dot: Option<DotTileConfig>,
    /// The gather chip, configured only when the layout has one (gathers by computed indices), after
    /// the dot tile, so the constraint systems of models without one are unchanged.
    pub gather: Option<GatherConfig>,
    /// The Poseidon chip committing to hashed inputs and outputs (only when the settings have any), in its
    /// narrow layout (a hashed tensor is small next to the model's rows).
    pub commitments: Option<PoseidonConfig>,
    /// The public instance column.
    pub instance: Column<Instance>,
}

/// The halo2 circuit of one model (and, when a witness is set, one inference).
#[derive(Debug, Clone, Default)]
pub struct ModelCircuit {
    /// The settings (halo2's circuit parameters).
    pub settings: Settings,
    /// The compiled model (needed by `synthesize`, not by `configure`).
    pub model: Option<Arc<CompiledModel>>,
    /// The witness of one inference (`None` at key generation).
    pub witness: Option<Arc<Witness>>,
}

impl ModelCircuit {
    /// The circuit for key generation (no witness).
    pub fn for_keygen(settings: Settings, model: Arc<CompiledModel>) -> Self {
        Self {
            settings,
            model: Some(model),
            witness: None,
        }
    }

    /// The circuit of one inference.
    pub fn with_witness(
        settings: Settings,
        model: Arc<CompiledModel>,
        witness: Arc<Witness>,
    ) -> Self {
        Self {
            settings,
            model: Some(model),
            witness: Some(witness),
        }
    }

    /// The public instances of the witness as field elements: inputs, outputs, the settings digest, then
    /// the binding value.
    pub fn instances(&self) -> Vec<Fr> {
        self.witness
            .as_ref()
            .map(|w| w.field_instances())
            .unwrap_or_default()
    }
}

impl Circuit<Fr> for ModelCircuit {
    type Config = ModelConfig;
    type FloorPlanner = SimpleFloorPlanner;
    type Params = Settings;

    fn without_witnesses(&self) -> Self {
        Self {
            settings: self.settings.clone(),
            model: self.model.clone(),
            witness: None,
        }
    }

    fn params(&self) -> Settings {
        self.settings.clone()
    }

    fn configure_with_params(meta: &mut ConstraintSystem<Fr>, settings: Settings) -> ModelConfig {
        let l = settings.layout;
        // A malformed layout is rejected by `Settings::check` before any key is read; clamp so that
        // configure itself can never panic on it.
        let (tb, tk, lanes) = (
            l.tile_inputs.clamp(1, 64),
            l.tile_outputs.clamp(1, 64),
            l.lanes.clamp(1, 16),
        );
        let bits = l.value_bits().clamp(1, 30);
        // affine lanes share the (tag, x, y) table; limb lanes have the one-column range table
        let (table, range) = match l.lane {
            LaneKind::Affine { .. } => (Some(LookupTableConfig::configure(meta)), None),
            LaneKind::Limb { .. } => (None, Some(RangeTableConfig::configure(meta))),
        };
        let tile =
            MacTileConfig::configure(meta, tb, tk, l.tile_positions.clamp(1, MAX_TILE_POSITIONS));
        let (mut affine, mut limb) = (Vec::new(), Vec::new());
        for lane in 0..lanes {
            if let Some(table) = &table {
                affine.push(AffineLaneConfig::configure(meta, table, bits, l.gate));
            }
            if let Some(range) = &range {
                limb.push(LimbLaneConfig::configure(
                    meta,
                    range,
                    l.table_bits().clamp(1, 14),
                    l.gate,
                    match l.lane_two_rows(lane) {
                        true => LimbRowsInLane::Two,
                        false => LimbRowsInLane::One,
                    },
                ));
            }
        }
        let dot = (l.dot_pairs > 0).then(|| DotTileConfig::configure(meta, l.dot_pairs.min(64)));
        let gather = l.gather.then(|| GatherConfig::configure(meta));
        let commitments = settings.has_commitments().then(|| {
            let constants = meta.fixed_column();
            PoseidonConfig::configure(meta, commitment_params(), PoseidonLayout::Narrow, constants)
        });
        let instance = meta.instance_column();
        meta.enable_equality(instance);
        if l.limb_bits().is_some() {
            meta.set_minimum_degree(5);
        }
        ModelConfig {
            table,
            range,
            tile,
            lanes: affine,
            limb_lanes: limb,
            dot,
            gather,
            commitments,
            instance,
        }
    }

    fn configure(meta: &mut ConstraintSystem<Fr>) -> ModelConfig {
        let layout = LayoutParams::default();
        Self::configure_with_params(
            meta,
            Settings {
                version: SETTINGS_VERSION,
                layout,
                ..Settings::default()
            },
        )
    }

    fn synthesize(
        &self,
        config: ModelConfig,
        mut layouter: impl Layouter<Fr>,
    ) -> Result<(), Error> {
        let model = self.model.as_ref().ok_or(Error::Synthesis)?;
        let plan = &model.plan;
        let s = &self.settings;
        match (&config.table, &config.range) {
            (Some(table), _) => table.load(&mut layouter, &s.tables, s.layout.table_bits())?,
            (None, Some(range)) => range.load(&mut layouter, s.layout.table_bits())?,
            (None, None) => return Err(Error::Synthesis),
        }
        let tile = MacTileChip::construct(config.tile.clone());
        let lanes = match config.limb_lanes.is_empty() {
            true => Lanes::Affine(
                config
                    .lanes
                    .iter()
                    .cloned()
                    .map(AffineLaneChip::construct)
                    .collect(),
            ),
            false => Lanes::Limb(
                config
                    .limb_lanes
                    .iter()
                    .cloned()
                    .map(LimbLaneChip::construct)
                    .collect(),
            ),
        };
        let dot = match (&config.dot, plan.dot_rows.is_empty()) {
            (Some(c), _) => Some(DotTileChip::construct(c.clone())),
            (None, true) => None,
            // the plan has products of two activations, the layout no dot tile
            (None, false) => return Err(Error::Synthesis),
        };
        let gather = match (&config.gather, plan.gather_queries.is_empty()) {
            (Some(c), _) => Some(GatherChip::construct(c.clone())),
            (None, true) => None,
            // the plan has gathers by computed indices, the layout no gather chip
            (None, false) => return Err(Error::Synthesis),
        };
        let tags = Tags {
            identity: s.table_tag(TableKind::Identity).ok_or(Error::Synthesis)?,
            kinds: &s.tables,
        };
        let wit = self.witness.as_deref();
        let to_instance = layouter.assign_region(
            || MODEL_REGION,
            |mut region| {
                let tile_cells = assign_tiles(&tile, &mut region, plan, wit)?;
                let dot_cells = match &dot {
                    Some(dot) => assign_dots(dot, &mut region, plan, wit)?,
                    None => Vec::new(),
                };
                let lane_cells = assign_lanes(&lanes, &mut region, plan, wit, tags)?;
                let gather_cells = match &gather {
                    Some(g) => assign_gathers(g, &mut region, plan, wit)?,
                    None => GatherCells::default(),
                };
                let cells = Cells {
                    lanes: &lane_cells,
                    tiles: &tile_cells,
                    dots: &dot_cells,
                    gathers: &gather_cells,
                };
                Ok(wire_copies(&mut region, plan, &cells))
            },
        )?;
        bind_instances(&mut layouter, &config, plan, wit, to_instance)
    }
}

/// A stored integer as a witness value: known when there is a witness, unknown at key generation.
fn known(wit: Option<&Witness>, v: i128) -> Value<Fr> {
    wit.map_or(Value::unknown(), |_| Value::known(fr_from_i128(v)))
}

/// Assigns every tile row of the plan (row `i` at [`TILE_FIRST_ROW`]` + i`) with its weights and, when
/// there is a witness, its inputs and running sums.
fn assign_tiles(
    tile: &MacTileChip,
    region: &mut Region<'_, Fr>,
    plan: &Plan,
    wit: Option<&Witness>,
) -> Result<Vec<TileCells>, Error> {
    let positions = plan.layout.tile_positions;
    let (bw, kw) = (
        positions * plan.layout.tile_inputs,
        positions * plan.layout.tile_outputs,
    );
    let mut tile_cells = Vec::with_capacity(plan.tile_rows.len());
    for (i, row) in plan.tile_rows.iter().enumerate() {
        let vals = wit.map(|w| &w.tiles[i]);
        let x: Vec<Value<Fr>> = (0..bw)
            .map(|t| vals.map_or(Value::unknown(), |v| known(wit, v.x[t])))
            .collect();
        let acc: Vec<Value<Fr>> = (0..kw)
            .map(|k| vals.map_or(Value::unknown(), |v| known(wit, v.acc[k])))
            .collect();
        let w: Vec<Fr> = row.w.iter().map(|v| fr_from_i128(*v as i128)).collect();
        let start = fr_from_i128(row.start as i128);
        tile_cells.push(tile.assign_row(
            region,
            i + TILE_FIRST_ROW,
            &x,
            &w,
            row.first,
            start,
            &acc,
        )?);
    }
    Ok(tile_cells)
}

/// Assigns every dot tile row of the plan (row `i` at [`DOT_FIRST_ROW`]` + i`) with its fixed values
/// and, when there is a witness, its operand pairs and running sum. Switched-off slots hold 0.
fn assign_dots(
    dot: &DotTileChip,
    region: &mut Region<'_, Fr>,
    plan: &Plan,
    wit: Option<&Witness>,
) -> Result<Vec<DotCells>, Error> {
    let p = plan.layout.dot_pairs;
    let mut cells = Vec::with_capacity(plan.dot_rows.len());
    for (i, row) in plan.dot_rows.iter().enumerate() {
        let vals = wit.map(|w| &w.dots[i]);
        let slots = |pick: fn(&crate::witness::DotValues) -> &Vec<i128>| -> Vec<Value<Fr>> {
            (0..p)
                .map(|t| vals.map_or(Value::unknown(), |v| known(wit, pick(v)[t])))
                .collect()
        };
        let (x, y) = (slots(|v| &v.x), slots(|v| &v.y));
        let acc = vals.map_or(Value::unknown(), |v| known(wit, v.acc));
        let fixed = DotRowFixed {
            live: row.x.iter().filter(|s| s.is_some()).count(),
            ox: fr_from_i128(row.offsets.0 as i128),
            oy: fr_from_i128(row.offsets.1 as i128),
            first: row.first,
            start: fr_from_i128(row.start as i128),
        };
        cells.push(dot.assign_row(region, i + DOT_FIRST_ROW, &fixed, (&x, &y), acc)?);
    }
    Ok(cells)
}

/// The assigned cells of the gather chip: each table entry's value, each query's index and value.
#[derive(Default)]
struct GatherCells {
    entries: Vec<Cell>,
    queries: Vec<GatherQueryCells>,
}

/// Assigns the gather chip's rows: table entry `i` and query `i` at row `i` (the row after the last of
/// either holds `(0, 0, 0)` on both sides). A constant entry's value is pinned by its fixed constant, a
/// data entry's is copied from its lane cell (see [`wire_copies`]).
fn assign_gathers(
    chip: &GatherChip,
    region: &mut Region<'_, Fr>,
    plan: &Plan,
    wit: Option<&Witness>,
) -> Result<GatherCells, Error> {
    let mut cells = GatherCells::default();
    for (i, e) in plan.gather_entries.iter().enumerate() {
        let constant = match e.value {
            GatherValue::Const(c) => Some(fr_from_i128(c as i128)),
            GatherValue::Lane(_) => None,
        };
        let fixed = GatherEntryFixed {
            tag: e.tag,
            key: fr_from_i128(e.key as i128),
            constant,
        };
        let value = wit
            .map(|w| w.gather_entries.get(i).copied().ok_or(Error::Synthesis))
            .transpose()?;
        let value = value.map_or(Value::unknown(), |v| Value::known(fr_from_i128(v)));
        cells
            .entries
            .push(chip.assign_entry(region, i, &fixed, value)?);
    }
    for (i, q) in plan.gather_queries.iter().enumerate() {
        let v = wit
            .map(|w| w.gathers.get(i).copied().ok_or(Error::Synthesis))
            .transpose()?;
        let values = (
            v.map_or(Value::unknown(), |v| Value::known(fr_from_i128(v.index))),
            v.map_or(Value::unknown(), |v| Value::known(fr_from_i128(v.out))),
        );
        cells
            .queries
            .push(chip.assign_query(region, i, q.tag, values)?);
    }
    Ok(cells)
}

/// The configured lanes of the layout.
enum Lanes {
    Affine(Vec<AffineLaneChip>),
    Limb(Vec<LimbLaneChip>),
}

/// The settings' identity tag, and the sub-table of each tag (`kinds[tag - 1]`).
#[derive(Clone, Copy)]
struct Tags<'a> {
    identity: u64,
    kinds: &'a [TableKind],
}

impl Tags<'_> {
    /// The limb lane's activation for a tag: `None` for the identity (and tag 0), else the scale `h` of
    /// its Relu form (Relu 1, max steps 1 or 2, min steps -1 or -2).
    fn relu_scale(&self, tag: u64) -> Option<i64> {
        let kind = self.kinds.get((tag as usize).checked_sub(1)?)?;
        match kind {
            TableKind::Relu => Some(1),
            TableKind::MaxStep { halve } => Some(1 + *halve as i64),
            TableKind::MinStep { halve } => Some(-1 - *halve as i64),
            TableKind::Identity | TableKind::Func { .. } => None,
        }
    }
}

/// Assigns every lane row of the plan: row `i` goes to element `j` of lane `L` as
/// [`LayoutParams::lane_slot`] says (round robin, `i % L` and `i / L`, unless the last limb lane has two
/// rows per element), at row `j`, or rows `2j` and `2j + 1` in a two-row limb lane. The settings row's `a` holds the settings digest and
/// its constant is `-digest` (a full field element, fixed, so the vk commits to it); its remainder tag is
/// 0 like its activation tag (limb lanes: its limbs are not range-checked but forced to 0), so
/// `r = q = 0` and `a = digest` exactly. The binding row's `a` holds the binding value.
fn assign_lanes(
    lanes: &Lanes,
    region: &mut Region<'_, Fr>,
    plan: &Plan,
    wit: Option<&Witness>,
    tags: Tags<'_>,
) -> Result<Vec<LaneCells>, Error> {
    let mut lane_cells = Vec::with_capacity(plan.lane_rows.len());
    let settings_lane = plan.settings_lane as usize;
    for (i, row) in plan.lane_rows.iter().enumerate() {
        let mut fixed = LaneRowFixed {
            m_a: fr_from_i128(row.m_a as i128),
            m_b: fr_from_i128(row.m_b as i128),
            c: fr_from_i128(row.c as i128),
            m_ab: fr_from_i128(row.m_ab as i128),
            m_zb: fr_from_i128(row.m_zb as i128),
            boolean: row.boolean,
            tag_r: tags.identity,
            tag_q: row.act_tag,
        };
        if i == settings_lane {
            fixed.c = -plan.settings_digest;
            fixed.tag_r = 0;
        }
        let v = wit.map(|w| w.lanes[i]).unwrap_or_default();
        let mut values = LaneRowValues {
            a: known(wit, v.a),
            b: known(wit, v.b),
            q: known(wit, v.q),
            r: known(wit, v.r),
            z: known(wit, v.z),
        };
        if i == settings_lane {
            values.a = wit.map_or(Value::unknown(), |w| Value::known(w.settings_digest));
        }
        if i == plan.bind_lane as usize {
            // the binding value is a full field element, carried but never used
            values.a = wit.map_or(Value::unknown(), |w| Value::known(w.bind));
        }
        let (lane, j) = plan.layout.lane_slot(i);
        let cells = match lanes {
            Lanes::Affine(lanes) => lanes
                .get(lane)
                .ok_or(Error::Synthesis)?
                .assign_row(region, j, &fixed, &values)?,
            Lanes::Limb(lanes) => {
                let scale = tags.relu_scale(row.act_tag);
                let limb_fixed = LimbRowFixed {
                    m_a: fixed.m_a,
                    m_b: fixed.m_b,
                    c: fixed.c,
                    m_ab: fixed.m_ab,
                    boolean: fixed.boolean,
                    relu: scale.is_some(),
                    h: fr_from_i128(scale.unwrap_or(0) as i128),
                    m_zb: fixed.m_zb,
                    // the settings and binding rows (activation tag 0) are not range-checked: their
                    // limbs are forced to 0
                    checked: i != settings_lane && row.act_tag != 0,
                };
                let limbs = wit
                    .map(|w| w.limbs.get(i).ok_or(Error::Synthesis))
                    .transpose()?;
                lanes.get(lane).ok_or(Error::Synthesis)?.assign_element(
                    region,
                    j,
                    &limb_fixed,
                    &values,
                    limbs,
                )?
            }
        };
        lane_cells.push(cells);
    }
    Ok(lane_cells)
}

/// The assigned cells of every row.
struct Cells<'a> {
    lanes: &'a [LaneCells],
    tiles: &'a [TileCells],
    dots: &'a [DotCells],
    gathers: &'a GatherCells,
}

/// Copy constraints: every value entering a tile, dot tile or lane comes from a checked cell. Returns the
/// cells to be copied to instance rows (inputs into their range-check lanes, output lanes' `z`, the
/// settings and binding rows).
fn wire_copies(region: &mut Region<'_, Fr>, plan: &Plan, cells: &Cells<'_>) -> Vec<InstanceCopy> {
    let (lane_cells, tile_cells) = (cells.lanes, cells.tiles);
    let mut to_instance: Vec<InstanceCopy> = Vec::new();
    // the cell a source names, or `None` when it is an instance (recorded for later) or zero
    let mut src_cell = |src: Src, cell: Cell, holder: LaneValue| -> Option<Cell> {
        match src {
            Src::Instance(j) => {
                to_instance.push(InstanceCopy {
                    cell,
                    virtual_index: j as usize,
                    holder,
                });
                None
            }
            Src::Lane(j) => Some(lane_cells[j as usize].z),
            Src::Zero => None,
            Src::TileAcc { row, k } => Some(tile_cells[row as usize].acc[k as usize]),
            Src::DotAcc(row) => Some(cells.dots[row as usize].acc),
            Src::Gathered(q) => Some(cells.gathers.queries[q as usize].out),
        }
    };
    for (i, row) in plan.lane_rows.iter().enumerate() {
        if let Some(c) = src_cell(row.a, lane_cells[i].a, LaneValue::A(i)) {
            region.constrain_equal(lane_cells[i].a, c);
        }
        if let Some(b) = row.b {
            if let Some(c) = src_cell(b, lane_cells[i].b, LaneValue::B(i)) {
                region.constrain_equal(lane_cells[i].b, c);
            }
        }
    }
    for (i, row) in plan.tile_rows.iter().enumerate() {
        for (t, x) in row.x.iter().enumerate() {
            if let Some(j) = x {
                region.constrain_equal(tile_cells[i].x[t], lane_cells[*j as usize].z);
            }
        }
    }
    // a dot row's live slots are copied from the lane rows holding the operand elements; its switched-off
    // slots (`on_t = 0`) are not read by the gate
    for (i, row) in plan.dot_rows.iter().enumerate() {
        let d = &cells.dots[i];
        for (t, (x, y)) in row.x.iter().zip(&row.y).enumerate() {
            if let (Some(x), Some(y)) = (x, y) {
                region.constrain_equal(d.x[t], lane_cells[*x as usize].z);
                region.constrain_equal(d.y[t], lane_cells[*y as usize].z);
            }
        }
    }
    // a gather query's index is the index tensor's lane cell; a data entry's value is the element's
    for (q, cell) in plan.gather_queries.iter().zip(&cells.gathers.queries) {
        region.constrain_equal(cell.idx, lane_cells[q.index as usize].z);
    }
    for (e, &cell) in plan.gather_entries.iter().zip(&cells.gathers.entries) {
        if let GatherValue::Lane(l) = e.value {
            region.constrain_equal(cell, lane_cells[l as usize].z);
        }
    }
    for (o, &l) in plan.outputs.iter().enumerate() {
        to_instance.push(InstanceCopy {
            cell: lane_cells[l as usize].z,
            virtual_index: plan.input_instances + o,
            holder: LaneValue::Z(l as usize),
        });
    }
    to_instance
}

/// The witness value of one lane cell.
#[derive(Debug, Clone, Copy)]
enum LaneValue {
    A(usize),
    B(usize),
    Z(usize),
}

impl LaneValue {
    fn of(self, wit: Option<&Witness>) -> Value<Fr> {
        let v = |i: usize, f: fn(&crate::witness::LaneValues) -> i128| {
            wit.and_then(|w| w.lanes.get(i)).map(f)
        };
        let value = match self {
            LaneValue::A(i) => v(i, |l| l.a),
            LaneValue::B(i) => v(i, |l| l.b),
            LaneValue::Z(i) => v(i, |l| l.z),
        };
        value.map_or(Value::unknown(), |x| Value::known(fr_from_i128(x)))
    }
}

/// A cell whose value is a virtual instance (see [`crate::visibility`]): copied to an instance row, into
/// a commitment, or nowhere (private).
#[derive(Debug, Clone, Copy)]
struct InstanceCopy {
    cell: Cell,
    virtual_index: usize,
    holder: LaneValue,
}

/// Name of the region holding the commitments of hashed tensors.
pub const COMMITMENT_REGION: &str = "commitments";

/// Copies every instance cell to its instance row, or into the commitment of its hashed tensor: each
/// hashed tensor's stored values (each cell already range-checked by its lane) are packed and hashed by
/// the Poseidon chip, whose result is copied to the tensor's instance row. The chip packs the *claimed*
/// values (the witness's instances: what the prover's opening says) while its value cells are copies of the
/// lane cells, so a commitment to other values than the circuit computed with fails the packing gate.
fn bind_instances(
    layouter: &mut impl Layouter<Fr>,
    config: &ModelConfig,
    plan: &Plan,
    wit: Option<&Witness>,
    copies: Vec<InstanceCopy>,
) -> Result<(), Error> {
    let layout = &plan.instance_layout;
    let hashed = layout.hashed();
    // per commitment, per element: the cells holding it
    let mut committed: Vec<Vec<Vec<InstanceCopy>>> = hashed
        .iter()
        .map(|&t| vec![Vec::new(); layout.tensors[t].numel])
        .collect();
    for copy in copies {
        match layout.slot(copy.virtual_index) {
            InstanceSlot::Row(row) => layouter.constrain_instance(copy.cell, config.instance, row),
            InstanceSlot::Committed {
                commitment,
                element,
            } => committed
                .get_mut(commitment)
                .and_then(|c| c.get_mut(element))
                .ok_or(Error::Synthesis)?
                .push(copy),
            InstanceSlot::Hidden => {}
        }
    }
    if hashed.is_empty() {
        return Ok(());
    }
    let chip = PoseidonChip::construct(config.commitments.clone().ok_or(Error::Synthesis)?);
    let claimed = |c: usize, e: usize| -> Value<Fr> {
        let start: usize = layout.tensors[..hashed[c]].iter().map(|t| t.numel).sum();
        wit.and_then(|w| w.instances.get(start + e))
            .map_or(Value::unknown(), |&v| Value::known(fr_from_i128(v)))
    };
    let outputs = layouter.assign_region(
        || COMMITMENT_REGION,
        |mut region| {
            let mut row = 0;
            let mut outputs = Vec::with_capacity(committed.len());
            for (c, elements) in committed.iter().enumerate() {
                let first: Option<Vec<&InstanceCopy>> =
                    elements.iter().map(|cells| cells.first()).collect();
                // every element of a hashed tensor is held by a range-checked cell
                let first = first.ok_or(Error::Synthesis)?;
                let cells: Vec<Value<Fr>> = first.iter().map(|copy| copy.holder.of(wit)).collect();
                let claims: Vec<Value<Fr>> = (0..elements.len()).map(|e| claimed(c, e)).collect();
                let salt = wit.map_or(Value::unknown(), |w| {
                    Value::known(w.salts.get(c).copied().unwrap_or(Fr::zero()))
                });
                let commitment = chip.assign_commitment_claimed(
                    &mut region,
                    row,
                    salt,
                    &cells,
                    &claims,
                    PackOffset::Stored,
                )?;
                row += commitment.rows;
                for (value, holders) in commitment.values.iter().zip(elements) {
                    for holder in holders {
                        region.constrain_equal(holder.cell, value.cell);
                    }
                }
                outputs.push(commitment.commitment.cell);
            }
            Ok(outputs)
        },
    )?;
    for (c, cell) in outputs.into_iter().enumerate() {
        let row = layout.commitment_row(c).ok_or(Error::Synthesis)?;
        layouter.constrain_instance(cell, config.instance, row);
    }
    Ok(())
}
