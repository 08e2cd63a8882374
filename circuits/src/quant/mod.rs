//! Fixed-point quantisation: turns a float [`Graph`] into a [`QuantModel`] of integer ops, given the value
//! ranges seen in calibration and the lookup bits `b` of the layout.
//!
//! Every activation tensor is stored in `b` bits (signed, offset `2^(b-1)`) or `b - 1` bits (after Relu,
//! offset 0), with its own power-of-two scale chosen from its calibrated range with headroom. Products land
//! at scale `s_out + b`, so every rescale divides by `2^b` and its remainder is checked by the same
//! `b`-bit identity table that range-checks activations: one table size for the whole model.

mod calibrate;
pub(crate) mod dense;
pub(crate) mod dot;
pub(crate) mod gather;
pub(crate) mod lane;
pub(crate) mod linear;
mod node;
mod rows;

pub use calibrate::Calibration;
pub use dense::QDense;
pub use dot::QDot;
pub use gather::{QGather, QGatherData};
pub use lane::{LaneCoeffs, QLane};
pub use linear::{QLinear, QMatrix};
pub(crate) use node::Quantiser;
pub(crate) use rows::{not_identity, shape_err, Rows};

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Graph, TensorId};
use crate::settings::{LaneGate, TableKind};
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
    /// A product of two activations (dot tile rows, then rescale lanes).
    Dot(QDot),
    /// A gather by computed indices (gather chip rows, then one lane row per output element).
    Gather(QGather),
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

    /// The optional lane-gate terms that some lane uses: the product term, the `z - b` term, the boolean
    /// gate.
    pub fn lane_gate(&self) -> LaneGate {
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
        LaneGate { mul, zadd, boolean }
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

/// Per node: is it an activation (Relu or a table function) folded into its producer's lookup (the
/// producer's rows end in a rescale lane and the activation is its only use)?
pub fn fused_relus(g: &Graph) -> Vec<bool> {
    g.nodes
        .iter()
        .map(|n| {
            n.op.as_dyn().activation().is_some()
                && g.use_count(n.inputs[0]) == 1
                && !g.outputs.contains(&n.inputs[0])
                && g.producer(n.inputs[0])
                    .is_some_and(|p| p.op.as_dyn().fuses_activation())
        })
        .collect()
}

/// The largest scale that keeps `max_abs * headroom` inside a signed `bits`-bit value.
fn scale_for(max_abs: f64, headroom: f64, bits: u32) -> i32 {
    let limit = ((1u64 << (bits - 1)) - 1) as f64;
    let m = max_abs * headroom;
    if !(m > 0.0 && m.is_finite()) {
        return bits as i32 - 2;
    }
    // down to 2^-64 (a value near 1e19 or more in b bits); a range that needed less and was clamped
    // would be refused at the first value near it
    ((limit / m).log2().floor() as i32).clamp(-64, 40)
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
            let act = act_of.get(&node.output).copied();
            node.op.as_dyn().quantise(&mut q, node, act)?;
        }
    }
    q.finish()
}
