//! Fixed-point quantisation: turns a float [`Graph`] into a [`QuantModel`] of integer ops, given the value
//! ranges seen in calibration and the lookup bits `b` of the layout.
//!
//! Every activation tensor is stored in `b` bits (signed, offset `2^(b-1)`) or `b - 1` bits (after Relu,
//! offset 0), with its own power-of-two scale chosen from its calibrated range with headroom. Products land
//! at scale `s_out + b`, so every rescale divides by `2^b` and its remainder is checked by the same
//! `b`-bit identity table that range-checks activations: one table size for the whole model.

mod calibrate;
mod dense;
mod lane;
mod linear;
mod logic;
mod node;

pub use calibrate::Calibration;
pub use dense::QDense;
pub use lane::{LaneCoeffs, QLane};
pub use linear::{QLinear, QMatrix};

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{BinaryKind, CompareKind, Graph, LogicKind, Op, TensorId};
use crate::settings::TableKind;
use serde::{Deserialize, Serialize};

/// A tensor of the quantised model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QTensor {
    /// Tensor name.
    pub name: String,
    /// Static shape.
    pub shape: Vec<usize>,
    /// How its values are stored.
    pub encoding: Encoding,
}

impl QTensor {
    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A graph input: its elements become public instances, range-checked in lane rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QInput {
    /// Index among the graph inputs.
    pub index: usize,
    /// Its tensor.
    pub tensor: TensorId,
    /// It holds booleans: its range-check rows have the boolean gate.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub boolean: bool,
}

/// A reshape or gather without fill: the output reuses input cells (`map` over the inputs laid end to end;
/// `None` = the same cells in order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QAlias {
    /// The node it comes from.
    pub node: NodeRef,
    /// First input tensor.
    pub input: TensorId,
    /// Output tensor.
    pub output: TensorId,
    /// Further inputs, after `input` (Concat).
    #[serde(default)]
    pub more_inputs: Vec<TensorId>,
    #[serde(default)]
    /// Input element of each output element, over the inputs laid end to end.
    pub map: Option<Vec<u32>>,
}

/// A quantised op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum QOp {
    /// A graph input.
    Input(QInput),
    /// A dense layer (tile rows, then rescale lanes).
    Dense(QDense),
    /// An element-wise op (lane rows).
    Lane(QLane),
    /// A view of existing cells (no rows).
    Alias(QAlias),
    /// A linear map by patches (tile rows, then rescale lanes).
    Linear(QLinear),
}

/// The quantised model: what the prover needs besides the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantModel {
    /// Model name.
    pub name: String,
    /// Bits of every lookup table.
    pub lookup_bits: u32,
    /// Every tensor (the graph's, then re-encoded copies).
    pub tensors: Vec<QTensor>,
    /// Ops in evaluation order.
    pub ops: Vec<QOp>,
    /// Graph inputs.
    pub inputs: Vec<TensorId>,
    /// Graph outputs.
    pub outputs: Vec<TensorId>,
    /// Sub-tables used, in tag order (tag = index + 1).
    pub tables: Vec<TableKind>,
}

impl QuantModel {
    /// The tag of a sub-table.
    pub fn tag(&self, kind: TableKind) -> Result<u64> {
        self.tables
            .iter()
            .position(|t| *t == kind)
            .map(|i| i as u64 + 1)
            .ok_or_else(|| {
                CircuitError::Inconsistent(format!("table {kind:?} is not in the model's tables"))
            })
    }

    /// The tag of a sub-table, adding it if the model does not use it yet (one table per function and
    /// scales, shared by every use).
    pub fn tag_or_add(&mut self, kind: TableKind) -> u64 {
        match self.tables.iter().position(|t| *t == kind) {
            Some(i) => i as u64 + 1,
            None => {
                self.tables.push(kind);
                self.tables.len() as u64
            }
        }
    }

    /// Whether any lane uses the product term / the `z - b` term / the boolean gate.
    pub fn lane_features(&self) -> (bool, bool, bool) {
        let (mut mul, mut zadd, mut boolean) = (false, false, false);
        for op in &self.ops {
            if let QOp::Input(i) = op {
                boolean |= i.boolean;
            }
        }
        let lanes = self.ops.iter().filter_map(|o| match o {
            QOp::Lane(l) => Some(l),
            _ => None,
        });
        for l in lanes {
            mul |= l.m_ab.iter().any(|v| *v != 0);
            zadd |= l.m_zb.iter().any(|v| *v != 0);
            boolean |= l.boolean;
        }
        (mul, zadd, boolean)
    }
}

/// How quantisation spends bits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Bits of every activation table (`b`).
    pub lookup_bits: u32,
    /// Calibrated ranges are multiplied by this before choosing scales (room for unseen inputs).
    pub headroom: f64,
}

/// The structure that decides rows: which activations fuse into their producer, and the count of each kind
/// of row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelShape {
    /// Dot-product groups: (positions, taps, outputs per position).
    pub dense: Vec<(usize, usize, usize)>,
    /// Lane rows: one per input element and per output element of every op that is not an alias, plus an
    /// allowance for re-encoding the inputs of max, min and concat.
    pub lane_rows: usize,
    /// Sub-tables besides the identity (an upper bound: tables at equal scales are shared).
    pub tables: usize,
    /// Public instances (inputs, outputs, the settings digest, the binding value): one instance-column row
    /// each.
    pub instances: usize,
    /// Element-wise products / max-min steps are used.
    pub lane_mul: bool,
    /// Max and min steps (`z - b` in the activation lookup) are used.
    pub lane_zadd: bool,
    /// Boolean rows (comparisons, logic, selections) are used.
    pub lane_bool: bool,
}

/// Per node: is it an activation (Relu or a table function) folded into its producer's lookup (the
/// producer is a lane-producing op used only by it)?
pub fn fused_relus(g: &Graph) -> Vec<bool> {
    g.nodes
        .iter()
        .map(|n| {
            matches!(n.op, Op::Relu(_) | Op::Func(_))
                && g.use_count(n.inputs[0]) == 1
                && !g.outputs.contains(&n.inputs[0])
                && g.producer(n.inputs[0]).is_some_and(|p| match &p.op {
                    Op::Dense(_) | Op::Linear(_) | Op::ConstAffine(_) | Op::AddTensors(_) => true,
                    Op::Binary(b) => b.kind == BinaryKind::Mul,
                    _ => false,
                })
        })
        .collect()
}

impl ModelShape {
    /// The row structure of a (fused) graph.
    pub fn of(g: &Graph) -> Self {
        let fused = fused_relus(g);
        let mut shape = ModelShape {
            dense: Vec::new(),
            lane_rows: 0,
            tables: 0,
            instances: 2 + g
                .inputs
                .iter()
                .chain(&g.outputs)
                .map(|&t| g.tensors[t].numel())
                .sum::<usize>(),
            lane_mul: false,
            lane_zadd: false,
            lane_bool: false,
        };
        let mut has_relu = false;
        let mut steps = std::collections::HashSet::new();
        for &i in &g.inputs {
            shape.lane_rows += g.tensors[i].numel();
        }
        shape.lane_bool = !g.boolean_inputs.is_empty();
        for (node, fused) in g.nodes.iter().zip(fused) {
            let numel = g.tensors[node.output].numel();
            let in_numel = |k: usize| g.tensors[node.inputs[k]].numel();
            match &node.op {
                Op::Reshape(_) => {}
                Op::Gather(ga) => {
                    // inputs may need re-encoding to a common encoding; a fill needs lane rows
                    if node.inputs.len() > 1 {
                        shape.lane_rows += (0..node.inputs.len()).map(in_numel).sum::<usize>();
                    }
                    if ga.has_fill() {
                        shape.lane_rows += numel;
                    }
                }
                Op::Relu(_) => {
                    has_relu = true;
                    shape.lane_rows += if fused { 0 } else { numel };
                }
                Op::Func(_) => {
                    shape.tables += 1;
                    shape.lane_rows += if fused { 0 } else { numel };
                }
                Op::Dense(d) => {
                    shape
                        .dense
                        .push((numel / d.out_features, d.in_features, d.out_features));
                    shape.lane_rows += numel;
                }
                Op::Linear(l) => {
                    let mut per = vec![0usize; l.matrices.len()];
                    for p in &l.positions {
                        per[p.matrix as usize] += 1;
                    }
                    for (m, count) in l.matrices.iter().zip(per) {
                        shape.dense.push((count, m.taps, m.outs));
                    }
                    shape.lane_rows += numel;
                }
                Op::Binary(b) => {
                    shape.lane_rows += numel;
                    match b.kind {
                        BinaryKind::Mul => shape.lane_mul = true,
                        kind => {
                            shape.lane_zadd = true;
                            steps.insert(kind);
                            // inputs of different origins may need re-encoding
                            if root(g, node.inputs[0]) != root(g, node.inputs[1]) {
                                shape.lane_rows += in_numel(0) + in_numel(1);
                            }
                        }
                    }
                }
                Op::ConstAffine(_) | Op::AddTensors(_) => shape.lane_rows += numel,
                Op::Compare(c) => {
                    shape.lane_bool = true;
                    let per = if c.kind == CompareKind::Equal { 3 } else { 1 };
                    shape.lane_rows += per * numel;
                    // inputs of different origins may need re-encoding
                    if node.inputs.len() == 2 && root(g, node.inputs[0]) != root(g, node.inputs[1])
                    {
                        shape.lane_rows += in_numel(0) + in_numel(1);
                    }
                }
                Op::Logic(lg) => {
                    shape.lane_bool = true;
                    shape.lane_mul |= lg.kind != LogicKind::Not;
                    shape.lane_rows += numel;
                }
                Op::Where(w) => {
                    shape.lane_mul = true;
                    // products by the condition, then their sum; both sides re-encoded at most once
                    shape.lane_rows += w.arity() * numel;
                    if w.arity() == 3 {
                        shape.lane_rows += in_numel(1) + in_numel(2);
                    }
                }
            }
        }
        shape.tables += has_relu as usize + 2 * steps.len();
        shape
    }
}

/// The tensor whose encoding `t` inherits: through aliases and max/min chains.
fn root(g: &Graph, mut t: TensorId) -> TensorId {
    while let Some(p) = g.producer(t) {
        match &p.op {
            Op::Reshape(_) => t = p.inputs[0],
            Op::Gather(ga) if p.inputs.len() == 1 && !ga.has_fill() => t = p.inputs[0],
            Op::Binary(b) if b.kind != BinaryKind::Mul => t = p.inputs[0],
            _ => break,
        }
    }
    t
}

/// The largest scale that keeps `max_abs * headroom` inside a signed `bits`-bit value.
fn scale_for(max_abs: f64, headroom: f64, bits: u32) -> i32 {
    let limit = ((1u64 << (bits - 1)) - 1) as f64;
    let m = max_abs * headroom;
    if !(m > 0.0 && m.is_finite()) {
        return bits as i32 - 2;
    }
    ((limit / m).log2().floor() as i32).clamp(-24, 40)
}

/// Quantises a fused graph with calibrated ranges.
pub fn quantise(g: &Graph, calib: &Calibration, cfg: &QuantConfig) -> Result<QuantModel> {
    g.validate()?;
    let mut q = node::Quantiser::new(g, calib, cfg);
    for (i, &t) in g.inputs.iter().enumerate() {
        q.input(i, t);
    }
    let fused = fused_relus(g);
    // a fused activation's output tensor replaces its producer's output: producer -> activation node
    let mut act_of = std::collections::HashMap::new();
    for (node, &f) in g.nodes.iter().zip(&fused) {
        if f {
            act_of.insert(node.inputs[0], node);
        }
    }
    for (node, &f) in g.nodes.iter().zip(&fused) {
        if !f {
            q.node(node, act_of.get(&node.output).copied())?;
        }
    }
    q.finish()
}
