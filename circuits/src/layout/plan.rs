//! The row plan: every lane row, tile row and dot tile row of the circuit, in evaluation order, with the
//! fixed values and where each copied input comes from. Built deterministically from a [`QuantModel`] and the
//! layout, so it is never stored: the prover rebuilds it from `model.json` + `settings.json`.

use crate::error::{CircuitError, NodeRef, Result};
use crate::quant::{
    QAlias, QDense, QDot, QGather, QGatherData, QInput, QLane, QLinear, QOp, QuantModel,
};
use crate::settings::{LayoutParams, TableKind};
use crate::visibility::InstanceLayout;
use crate::Fr;
use std::ops::Range;

/// Where a copied cell comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    /// Public instance row.
    Instance(u32),
    /// The `z` cell of a lane row.
    Lane(u32),
    /// The `acc[k]` cell of a tile row.
    TileAcc {
        /// The tile row.
        row: u32,
        /// The running sum: `p * K + k` for output `k` of position lane `p`.
        k: u16,
    },
    /// The `acc` cell of a dot tile row.
    DotAcc(u32),
    /// The picked value (`q_out`) of a gather query row.
    Gathered(u32),
    /// No copy: the cell holds 0 and its coefficient is 0 (constant rows).
    Zero,
}

/// A lane row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaneRow {
    /// Source of the `a` cell.
    pub a: Src,
    /// Source of the `b` cell (`None`: 0).
    pub b: Option<Src>,
    /// Coefficient of `a`.
    pub m_a: i64,
    /// Coefficient of `b`.
    pub m_b: i64,
    /// Product coefficient.
    pub m_ab: i64,
    /// Coefficient of `b` subtracted from `z` in the activation lookup.
    pub m_zb: i64,
    /// Constant term.
    pub c: i64,
    /// Activation sub-table tag.
    pub act_tag: u64,
    /// `q` is a boolean (the lane's boolean gate is on).
    pub boolean: bool,
}

/// A tile row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileRow {
    /// Lane row feeding each input slot `p * B + t` (position lane `p`, input `t`); `None` pads with 0 (its
    /// weights are 0). With P > 1, an empty slot whose weights are not all 0 is fed by the settings row
    /// ([`Plan::settings_lane`]), whose `z` is 0.
    pub x: Vec<Option<u32>>,
    /// `w[k * B + t]`.
    pub w: Vec<i64>,
    /// First row of a dot product.
    pub first: bool,
    /// The dot product's starting offset (used on first rows).
    pub start: i64,
}

/// A dot tile row: up to P operand pairs of one dot product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotRow {
    /// Lane row feeding each left-operand slot; `None` on padding (the slot is switched off).
    pub x: Vec<Option<u32>>,
    /// Lane row feeding each right-operand slot (`None` exactly where `x` is).
    pub y: Vec<Option<u32>>,
    /// Offsets of the two operands' encodings.
    pub offsets: (i64, i64),
    /// First row of a dot product.
    pub first: bool,
    /// The dot product's starting offset (used on first rows).
    pub start: i64,
}

/// The value of a gather table entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatherValue {
    /// A constant stored value.
    Const(i64),
    /// The `z` cell of a lane row (copied).
    Lane(u32),
}

/// A gather table entry: in the slice `tag`, the index stored as `key` picks `value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GatherEntry {
    /// The slice's tag (from 1).
    pub tag: u64,
    /// The index's stored encoding.
    pub key: i64,
    /// The value it picks.
    pub value: GatherValue,
}

/// A gather query: the value of slice `tag` at the index held by lane row `index`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatherQuery {
    /// The slice's tag.
    pub tag: u64,
    /// The lane row whose `z` is the index.
    pub index: u32,
    /// The slice's entries in [`Plan::gather_entries`].
    pub entries: Range<u32>,
    /// The index tensor's encoding and the axis length, for messages.
    pub index_encoding: crate::encoding::Encoding,
    /// Length of the indexed axis.
    pub axis_len: u32,
}

/// The rows of one op.
#[derive(Debug, Clone, PartialEq)]
pub struct OpSpan {
    /// `None` for graph inputs.
    pub node: Option<NodeRef>,
    /// Graph input index, for input spans.
    pub input_index: Option<usize>,
    /// Its lane rows.
    pub lanes: Range<usize>,
    /// Its tile rows.
    pub tiles: Range<usize>,
    /// Its dot tile rows.
    pub dots: Range<usize>,
    /// Its gather queries.
    pub gathers: Range<usize>,
    /// Scale and offset of the pre-activation value `q`, for messages.
    pub pre: crate::encoding::Encoding,
}

/// The whole row plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The layout the plan is made for.
    pub layout: LayoutParams,
    /// Every lane row; row `i` is assigned to lane `i % L` at circuit row `i / L` (limb lanes: rows
    /// `2 (i / L)` and `2 (i / L) + 1`).
    pub lane_rows: Vec<LaneRow>,
    /// Every tile row; row `i` is assigned at circuit row `i + 1`.
    pub tile_rows: Vec<TileRow>,
    /// Every dot tile row; row `i` is assigned at circuit row `i + 1`.
    pub dot_rows: Vec<DotRow>,
    /// Every gather table entry; entry `i` is assigned at circuit row `i` of the gather chip.
    pub gather_entries: Vec<GatherEntry>,
    /// Every gather query; query `i` is assigned at circuit row `i` of the gather chip.
    pub gather_queries: Vec<GatherQuery>,
    /// The rows of each op, in order.
    pub spans: Vec<OpSpan>,
    /// Lane row holding each element of each tensor.
    pub tensor_cells: Vec<Vec<u32>>,
    /// Number of input instances (they come first).
    pub input_instances: usize,
    /// Lane rows whose `z` is each output instance, in order.
    pub outputs: Vec<u32>,
    /// The lane row whose `a` cell is copied from the settings-digest instance (the one before the
    /// binding instance). Its fixed values are `m_a = 1` and the full-field constant `c = -settings_digest`
    /// (the circuit assigns it; the row's `c` field is 0), with both lookup tags 0, so the lookups force
    /// `q = r = z = 0` and the gate `a - digest = 0`: the instance must equal the digest the keys fixed.
    pub settings_lane: u32,
    /// The settings digest the plan was made for ([`crate::settings::Settings::digest`]).
    pub settings_digest: Fr,
    /// The lane row whose `a` cell is copied from the binding instance (the last instance). Its fixed
    /// values are all 0 and its activation tag 0, so `q = r = z = 0`: the value is carried, never used.
    pub bind_lane: u32,
    /// Where each virtual instance (input elements, output elements, digest, binding: the numbering of
    /// `Src::Instance` and `outputs`) goes in the statement: every tensor public as built, the settings'
    /// visibilities once [`crate::circuit::CompiledModel::new`] has checked them against the plan.
    pub instance_layout: InstanceLayout,
}

/// The gather slices planned so far: the last tag given, and each constant slice's tag and entries by its
/// values and index encoding (gathers of one constant table share its entries).
#[derive(Default)]
struct SharedSlices {
    next_tag: u64,
    seen: std::collections::HashMap<SliceKey, (u64, Range<u32>)>,
}

/// A constant slice's stored values and its index encoding (scale, offset, bits).
type SliceKey = (Vec<i64>, (i32, i64, u32));

impl Plan {
    /// One rescale lane row per dot-product result (`finals`): `q = floor((acc * m_a + c_i) / 2^b)`, then
    /// the activation table; records the output cells and the op's span.
    #[allow(clippy::too_many_arguments)]
    fn push_rescale(
        &mut self,
        finals: Vec<Src>,
        (m_a, c): (i64, impl Fn(usize) -> i64),
        act_tag: u64,
        output: usize,
        node: &NodeRef,
        pre: crate::encoding::Encoding,
        (lane0, tile0, dot0): (usize, usize, usize),
    ) {
        let mut cells = Vec::with_capacity(finals.len());
        for (i, src) in finals.into_iter().enumerate() {
            cells.push(self.lane_rows.len() as u32);
            self.lane_rows.push(LaneRow {
                a: src,
                b: None,
                m_a,
                m_b: 0,
                m_ab: 0,
                m_zb: 0,
                c: c(i),
                act_tag,
                boolean: false,
            });
        }
        self.tensor_cells[output] = cells;
        self.spans.push(OpSpan {
            node: Some(node.clone()),
            input_index: None,
            lanes: lane0..self.lane_rows.len(),
            tiles: tile0..self.tile_rows.len(),
            dots: dot0..self.dot_rows.len(),
            gathers: self.gather_queries.len()..self.gather_queries.len(),
            pre,
        });
    }

    /// Rows the lanes occupy (a two-row limb lane takes two rows per element).
    pub fn lane_height(&self) -> usize {
        self.layout.lane_height(self.lane_rows.len())
    }

    /// Rows the gather chip needs: its entries or its queries, whichever are more, and one row without
    /// either (its `(0, 0, 0)` entry matches the rows without a query); 0 without gathers.
    pub fn gather_height(&self) -> usize {
        match self.gather_entries.len().max(self.gather_queries.len()) {
            0 => 0,
            n => n + 1,
        }
    }

    /// Rows the circuit needs (lanes, tile, dot tile and gather chip side by side; both tiles start at
    /// row 1).
    pub fn height(&self) -> usize {
        let tiles = self.tile_rows.len().max(self.dot_rows.len());
        self.lane_height().max(tiles + 1).max(self.gather_height())
    }

    /// Plans the rows of a quantised model: each op's rows in order, then the output cells, the
    /// settings-digest row (for `settings_digest`) and the binding row.
    pub fn build(qm: &QuantModel, layout: LayoutParams, settings_digest: Fr) -> Result<Self> {
        if qm.lookup_bits != layout.value_bits() {
            return Err(CircuitError::Inconsistent(format!(
                "model quantised for {} lookup bits, layout has {}",
                qm.lookup_bits,
                layout.value_bits()
            )));
        }
        let mut p = Plan {
            layout,
            lane_rows: Vec::new(),
            tile_rows: Vec::new(),
            dot_rows: Vec::new(),
            gather_entries: Vec::new(),
            gather_queries: Vec::new(),
            spans: Vec::new(),
            tensor_cells: vec![Vec::new(); qm.tensors.len()],
            input_instances: 0,
            outputs: Vec::new(),
            settings_lane: 0,
            settings_digest,
            bind_lane: 0,
            instance_layout: InstanceLayout::default(),
        };
        let id_tag = qm.tag(TableKind::Identity)?;
        let mut slices = SharedSlices::default();
        for op in &qm.ops {
            match op {
                QOp::Input(inp) => p.plan_input(qm, inp, id_tag),
                QOp::Alias(a) => p.plan_alias(qm, a)?,
                QOp::Linear(l) => p.plan_linear(qm, l)?,
                QOp::Dense(d) => p.plan_dense(qm, d)?,
                QOp::Lane(l) => p.plan_lane(qm, l)?,
                QOp::Dot(d) => p.plan_dot(qm, d)?,
                QOp::Gather(g) => p.plan_gather(qm, g, id_tag, &mut slices)?,
            }
        }
        p.plan_outputs(qm)?;
        p.plan_settings_row();
        p.zero_idle_tile_inputs();
        p.plan_bind_row();
        let numel =
            |ids: &[usize]| -> Vec<usize> { ids.iter().map(|&t| qm.tensors[t].numel()).collect() };
        p.instance_layout = InstanceLayout::public(&numel(&qm.inputs), &numel(&qm.outputs));
        Ok(p)
    }

    /// The cells of a tensor planned so far.
    fn cells_of(&self, qm: &QuantModel, t: usize, node: &NodeRef) -> Result<Vec<u32>> {
        let c = &self.tensor_cells[t];
        if c.is_empty() && qm.tensors[t].numel() > 0 {
            return Err(CircuitError::Node {
                node: node.clone(),
                message: format!("tensor {t} has no cells yet"),
            });
        }
        Ok(c.clone())
    }

    /// One range-check lane row per input element: `a` is copied from the next instance and
    /// `q = a * 2^b / 2^b` is looked up in the identity table.
    fn plan_input(&mut self, qm: &QuantModel, inp: &QInput, id_tag: u64) {
        let lane0 = self.lane_rows.len();
        let n = qm.tensors[inp.tensor].numel();
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            cells.push(self.lane_rows.len() as u32);
            self.lane_rows.push(LaneRow {
                a: Src::Instance(self.input_instances as u32),
                b: None,
                m_a: 1 << qm.lookup_bits,
                m_b: 0,
                m_ab: 0,
                m_zb: 0,
                c: 0,
                act_tag: id_tag,
                boolean: inp.boolean,
            });
            self.input_instances += 1;
        }
        self.tensor_cells[inp.tensor] = cells;
        let (tile0, dot0) = (self.tile_rows.len(), self.dot_rows.len());
        self.spans.push(OpSpan {
            node: None,
            input_index: Some(inp.index),
            lanes: lane0..self.lane_rows.len(),
            tiles: tile0..tile0,
            dots: dot0..dot0,
            gathers: self.gather_queries.len()..self.gather_queries.len(),
            pre: qm.tensors[inp.tensor].encoding,
        });
    }

    /// An alias takes no rows: its tensor reuses the cells of its inputs (in order, or through a map).
    fn plan_alias(&mut self, qm: &QuantModel, a: &QAlias) -> Result<()> {
        let mut all = self.cells_of(qm, a.input, &a.node)?;
        for &t in &a.more_inputs {
            all.extend(self.cells_of(qm, t, &a.node)?);
        }
        self.tensor_cells[a.output] = match &a.map {
            None => all,
            Some(map) => map
                .iter()
                .map(|&i| {
                    all.get(i as usize)
                        .copied()
                        .ok_or_else(|| CircuitError::Node {
                            node: a.node.clone(),
                            message: format!("gather index {i} is out of range"),
                        })
                })
                .collect::<Result<_>>()?,
        };
        Ok(())
    }

    /// Tile rows for every position of a linear map, P positions sharing a matrix per row chain (per group
    /// of K outputs, one row per B taps), then one rescale lane row per output element. Positions are taken
    /// in order; a matrix's positions left over (their count is not a multiple of P) share a last chain
    /// whose spare lanes hold nothing. With P = 1 this is one chain per position, in order.
    fn plan_linear(&mut self, qm: &QuantModel, l: &QLinear) -> Result<()> {
        let spans = self.starts();
        let pp = self.layout.tile_positions.max(1);
        let x = self.cells_of(qm, l.input, &l.node)?;
        let mut pending: Vec<Vec<usize>> = vec![Vec::new(); l.matrices.len()];
        let mut chunks: Vec<(usize, Vec<usize>)> = Vec::new();
        for (i, pos) in l.positions.iter().enumerate() {
            let m = pos.matrix as usize;
            let Some(waiting) = pending.get_mut(m) else {
                return Err(CircuitError::Node {
                    node: l.node.clone(),
                    message: format!("position {i} uses matrix {m}, which does not exist"),
                });
            };
            waiting.push(i);
            if waiting.len() == pp {
                chunks.push((m, std::mem::take(waiting)));
            }
        }
        chunks.extend(
            pending
                .into_iter()
                .enumerate()
                .filter(|(_, rest)| !rest.is_empty()),
        );
        let mut finals = vec![Src::Zero; l.lane_c.len()];
        for (mi, chunk) in chunks {
            let m = &l.matrices[mi];
            let lanes: Vec<_> = chunk.iter().map(|&i| &l.positions[i]).collect();
            let taps = |tap: usize| {
                lanes
                    .iter()
                    .map(move |pos| pos.patch.get(tap).copied().flatten())
            };
            let weight = |out: usize, tap: usize| m.w[out * m.taps + tap];
            let chain = self.plan_chain(m.taps, m.outs, l.acc_start, taps, weight, &x);
            for (p, pos) in lanes.iter().enumerate() {
                for (g, &last) in chain.iter().enumerate() {
                    for k in 0..self
                        .layout
                        .tile_outputs
                        .min(m.outs - g * self.layout.tile_outputs)
                    {
                        let out = g * self.layout.tile_outputs + k;
                        finals[pos.outs[out] as usize] = Src::TileAcc {
                            row: last,
                            k: (p * self.layout.tile_outputs + k) as u16,
                        };
                    }
                }
            }
        }
        let c = |i: usize| l.lane_c[i];
        self.push_rescale(finals, (1, c), l.act_tag, l.output, &l.node, l.pre, spans);
        Ok(())
    }

    /// The tile rows of up to P dot products sharing a `taps x outs` weight matrix (`weight(out, tap)`), one
    /// per position lane: per group of K outputs, one row per B taps. `inputs(tap)` gives each lane's
    /// element (an index into `x`) at a tap, `None` where the lane has none there (padding, or a spare
    /// lane); a tap's weights are set where some lane has an element there. Returns the last row of each
    /// group of K outputs, whose running sums are the dot products.
    fn plan_chain<I: Iterator<Item = Option<u32>>>(
        &mut self,
        taps: usize,
        outs: usize,
        acc_start: i64,
        inputs: impl Fn(usize) -> I,
        weight: impl Fn(usize, usize) -> i64,
        x: &[u32],
    ) -> Vec<u32> {
        let (bw, kw) = (self.layout.tile_inputs, self.layout.tile_outputs);
        let pp = self.layout.tile_positions.max(1);
        let mut lasts = Vec::with_capacity(outs.div_ceil(kw));
        for g in 0..outs.div_ceil(kw) {
            for j in 0..taps.div_ceil(bw) {
                let mut row = TileRow {
                    x: vec![None; pp * bw],
                    w: vec![0; bw * kw],
                    first: j == 0,
                    start: acc_start,
                };
                for t in 0..bw {
                    let tap = j * bw + t;
                    if tap >= taps {
                        break;
                    }
                    let mut used = false;
                    for (p, src) in inputs(tap).enumerate() {
                        if let Some(src) = src {
                            row.x[p * bw + t] = Some(x[src as usize]);
                            used = true;
                        }
                    }
                    if !used {
                        continue;
                    }
                    for k in 0..kw {
                        let out = g * kw + k;
                        if out < outs {
                            row.w[k * bw + t] = weight(out, tap);
                        }
                    }
                }
                self.tile_rows.push(row);
            }
            lasts.push((self.tile_rows.len() - 1) as u32);
        }
        lasts
    }

    /// Tile rows for every leading row of a dense layer, P leading rows per row chain (per group of K
    /// outputs, one row per B inputs), then one rescale lane row per output element.
    fn plan_dense(&mut self, qm: &QuantModel, d: &QDense) -> Result<()> {
        let spans = self.starts();
        let (pp, kw) = (self.layout.tile_positions.max(1), self.layout.tile_outputs);
        let x = self.cells_of(qm, d.input, &d.node)?;
        let (n, m) = (d.in_features, d.out_features);
        let mut finals = vec![Src::Instance(0); d.rows * m];
        let rhos: Vec<usize> = (0..d.rows).collect();
        for chunk in rhos.chunks(pp) {
            let inputs = |col: usize| chunk.iter().map(move |&rho| Some((rho * n + col) as u32));
            let weight = |out: usize, col: usize| d.weight[out * n + col];
            let chain = self.plan_chain(n, m, d.acc_start, inputs, weight, &x);
            for (p, &rho) in chunk.iter().enumerate() {
                for (g, &last) in chain.iter().enumerate() {
                    for k in 0..kw.min(m - g * kw) {
                        finals[rho * m + g * kw + k] = Src::TileAcc {
                            row: last,
                            k: (p * kw + k) as u16,
                        };
                    }
                }
            }
        }
        let c = |i: usize| d.lane_c[i % m];
        self.push_rescale(finals, (1, c), d.act_tag, d.output, &d.node, d.pre, spans);
        Ok(())
    }

    /// With P > 1 position lanes, a lane's input slot without an element (padding, or a spare lane) sits in
    /// a column whose weights another lane may use: it is copied from the settings row's `z`, which the
    /// lookups force to 0, wherever its weights are not all 0. With P = 1 such slots have weights 0, and
    /// are left as they are (so the permutation, and the keys, are those of the one-position tile).
    fn zero_idle_tile_inputs(&mut self) {
        let (bw, kw, pp) = (
            self.layout.tile_inputs,
            self.layout.tile_outputs,
            self.layout.tile_positions,
        );
        if pp <= 1 {
            return;
        }
        let zero = self.settings_lane;
        for row in &mut self.tile_rows {
            for t in 0..bw {
                if (0..kw).all(|k| row.w[k * bw + t] == 0) {
                    continue;
                }
                for p in 0..pp {
                    row.x[p * bw + t].get_or_insert(zero);
                }
            }
        }
    }

    /// Where the next op's lane, tile and dot tile rows start.
    fn starts(&self) -> (usize, usize, usize) {
        (
            self.lane_rows.len(),
            self.tile_rows.len(),
            self.dot_rows.len(),
        )
    }

    /// Dot tile rows for every output element of a product of two activations (one row per P pairs,
    /// the last row's spare slots switched off), then one rescale lane row per output element.
    fn plan_dot(&mut self, qm: &QuantModel, d: &QDot) -> Result<()> {
        let spans = self.starts();
        let p = self.layout.dot_pairs;
        let err = |message: String| CircuitError::Node {
            node: d.node.clone(),
            message,
        };
        if p == 0 {
            return Err(err("the layout has no dot tile (dot_pairs = 0)".into()));
        }
        let a = self.cells_of(qm, d.a, &d.node)?;
        let b = self.cells_of(qm, d.b, &d.node)?;
        let dims = d.dims;
        if qm.tensors.get(d.output).map(|t| t.numel()) != Some(dims.outputs()) {
            return Err(err(format!("the product has {} outputs", dims.outputs())));
        }
        let mut finals = Vec::with_capacity(dims.outputs());
        for o in 0..dims.outputs() {
            for j in 0..dims.depth.div_ceil(p) {
                let mut row = DotRow {
                    x: vec![None; p],
                    y: vec![None; p],
                    offsets: d.offsets,
                    first: j == 0,
                    start: d.acc_start,
                };
                for t in 0..p.min(dims.depth - j * p) {
                    let (ia, ib) = dims.pair(o, j * p + t);
                    let (Some(&ca), Some(&cb)) = (a.get(ia), b.get(ib)) else {
                        return Err(err(format!("operand elements {ia}, {ib} are out of range")));
                    };
                    row.x[t] = Some(ca);
                    row.y[t] = Some(cb);
                }
                self.dot_rows.push(row);
            }
            finals.push(Src::DotAcc((self.dot_rows.len() - 1) as u32));
        }
        let lane = (d.lane_m, |_: usize| d.lane_c);
        self.push_rescale(finals, lane, d.act_tag, d.output, &d.node, d.pre, spans);
        Ok(())
    }

    /// One lane row per output element of an element-wise op, copying `a` (and `b`) from the cells of
    /// its inputs through the op's index maps.
    fn plan_lane(&mut self, qm: &QuantModel, l: &QLane) -> Result<()> {
        let (lane0, tile0, dot0) = self.starts();
        let a = self.cells_of(qm, l.a, &l.node)?;
        let bcells = l.b.map(|t| self.cells_of(qm, t, &l.node)).transpose()?;
        let mut cells = Vec::with_capacity(l.numel);
        for i in 0..l.numel {
            let k = l.coeffs(i);
            let ai = l.a_map.as_ref().map_or(i, |m| m[i] as usize);
            let b_src = bcells.as_ref().map(|bc| {
                let bi = l.b_map.as_ref().map_or(i, |m| m[i] as usize);
                Src::Lane(bc[bi])
            });
            cells.push(self.lane_rows.len() as u32);
            self.lane_rows.push(LaneRow {
                a: Src::Lane(a[ai]),
                b: b_src,
                m_a: k.m_a,
                m_b: k.m_b,
                m_ab: k.m_ab,
                m_zb: k.m_zb,
                c: k.c,
                act_tag: l.act_tag,
                boolean: l.boolean,
            });
        }
        self.tensor_cells[l.output] = cells;
        self.spans.push(OpSpan {
            node: Some(l.node.clone()),
            input_index: None,
            lanes: lane0..self.lane_rows.len(),
            tiles: tile0..tile0,
            dots: dot0..dot0,
            gathers: self.gather_queries.len()..self.gather_queries.len(),
            pre: l.pre,
        });
        Ok(())
    }

    /// A gather by computed indices: each slice's table entries (a constant slice already entered with
    /// the same values and index encoding is shared), one query per output element, then one lane row
    /// per output element storing the picked value (`a` copied from the query's `q_out`, `z = a`).
    fn plan_gather(
        &mut self,
        qm: &QuantModel,
        g: &QGather,
        id_tag: u64,
        shared: &mut SharedSlices,
    ) -> Result<()> {
        let err = |message: String| CircuitError::Node {
            node: g.node.clone(),
            message,
        };
        if !self.layout.gather {
            return Err(err("the layout has no gather chip".into()));
        }
        let (lane0, tile0, dot0) = self.starts();
        let query0 = self.gather_queries.len();
        let index = self.cells_of(qm, g.index, &g.node)?;
        let data = match &g.data {
            QGatherData::Tensor(t) => Some(self.cells_of(qm, *t, &g.node)?),
            QGatherData::Const(_) => None,
        };
        let keys = g.keys();
        let mut tags = Vec::with_capacity(g.slices.len());
        for slice in &g.slices {
            let element = |j: usize| -> Result<GatherValue> {
                let at = *slice
                    .get(j)
                    .ok_or_else(|| err(format!("a slice has no element {j}")))?
                    as usize;
                let value = match (&g.data, &data) {
                    (QGatherData::Const(v), _) => v.get(at).copied().map(GatherValue::Const),
                    (_, Some(cells)) => cells.get(at).copied().map(GatherValue::Lane),
                    (_, None) => None,
                };
                value.ok_or_else(|| err(format!("data element {at} is out of range")))
            };
            let values = (0..g.axis_len).map(element).collect::<Result<Vec<_>>>()?;
            let constants: Option<Vec<i64>> = values
                .iter()
                .map(|v| match v {
                    GatherValue::Const(c) => Some(*c),
                    GatherValue::Lane(_) => None,
                })
                .collect();
            let e = g.index_encoding;
            let key = constants.map(|c| (c, (e.scale, e.offset, e.bits)));
            if let Some(found) = key.as_ref().and_then(|k| shared.seen.get(k)) {
                tags.push(found.clone());
                continue;
            }
            shared.next_tag += 1;
            let tag = shared.next_tag;
            let start = self.gather_entries.len() as u32;
            for &(j, k) in &keys {
                self.gather_entries.push(GatherEntry {
                    tag,
                    key: k,
                    value: values[j],
                });
            }
            let found = (tag, start..self.gather_entries.len() as u32);
            if let Some(k) = key {
                shared.seen.insert(k, found.clone());
            }
            tags.push(found);
        }
        let mut cells = Vec::with_capacity(g.picks.len());
        for &[slice, idx] in &g.picks {
            let (tag, entries) = tags
                .get(slice as usize)
                .cloned()
                .ok_or_else(|| err(format!("slice {slice} is out of range")))?;
            let index = *index
                .get(idx as usize)
                .ok_or_else(|| err(format!("index element {idx} is out of range")))?;
            let q = self.gather_queries.len() as u32;
            self.gather_queries.push(GatherQuery {
                tag,
                index,
                entries,
                index_encoding: g.index_encoding,
                axis_len: g.axis_len as u32,
            });
            cells.push(self.lane_rows.len() as u32);
            self.lane_rows.push(LaneRow {
                a: Src::Gathered(q),
                b: None,
                m_a: 1 << qm.lookup_bits,
                m_b: 0,
                m_ab: 0,
                m_zb: 0,
                c: 0,
                act_tag: id_tag,
                boolean: false,
            });
        }
        self.tensor_cells[g.output] = cells;
        self.spans.push(OpSpan {
            node: Some(g.node.clone()),
            input_index: None,
            lanes: lane0..self.lane_rows.len(),
            tiles: tile0..tile0,
            dots: dot0..dot0,
            gathers: query0..self.gather_queries.len(),
            pre: g.pre,
        });
        Ok(())
    }

    /// Records the lane rows whose `z` cells are the output instances, in order.
    fn plan_outputs(&mut self, qm: &QuantModel) -> Result<()> {
        for &o in &qm.outputs {
            let cells = &self.tensor_cells[o];
            if cells.len() != qm.tensors[o].numel() {
                return Err(CircuitError::Inconsistent(format!(
                    "output '{}' has no cells",
                    qm.tensors[o].name
                )));
            }
            self.outputs.extend_from_slice(cells);
        }
        Ok(())
    }

    /// The settings-digest row: its `a` is copied from the digest instance (after the outputs), `m_a = 1`
    /// and the tags are 0; the circuit sets its constant to `-settings_digest`.
    fn plan_settings_row(&mut self) {
        self.settings_lane = self.lane_rows.len() as u32;
        let digest = (self.input_instances + self.outputs.len()) as u32;
        self.lane_rows.push(LaneRow {
            a: Src::Instance(digest),
            b: None,
            m_a: 1,
            m_b: 0,
            m_ab: 0,
            m_zb: 0,
            c: 0,
            act_tag: 0,
            boolean: false,
        });
    }

    /// The last lane row: its `a` is copied from the binding instance (after the digest), all its
    /// coefficients and its activation tag are 0.
    fn plan_bind_row(&mut self) {
        self.bind_lane = self.lane_rows.len() as u32;
        let bind = (self.input_instances + self.outputs.len() + 1) as u32;
        self.lane_rows.push(LaneRow {
            a: Src::Instance(bind),
            b: None,
            m_a: 0,
            m_b: 0,
            m_ab: 0,
            m_zb: 0,
            c: 0,
            act_tag: 0,
            boolean: false,
        });
    }
}
