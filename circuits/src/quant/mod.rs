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

pub use calibrate::Calibration;
pub use dense::QDense;
pub use lane::QLane;

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Graph, Op, TensorId};
use crate::settings::TableKind;
use serde::{Deserialize, Serialize};

/// A tensor of the quantised model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub encoding: Encoding,
}

impl QTensor {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// A graph input: its elements become public instances, range-checked in lane rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QInput {
    pub index: usize,
    pub tensor: TensorId,
}

/// A reshape: the output reuses the input's cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QAlias {
    pub node: NodeRef,
    pub input: TensorId,
    pub output: TensorId,
}

/// A quantised op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum QOp {
    Input(QInput),
    Dense(QDense),
    Lane(QLane),
    Alias(QAlias),
}

/// The quantised model: what the prover needs besides the settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantModel {
    pub name: String,
    pub lookup_bits: u32,
    pub tensors: Vec<QTensor>,
    pub ops: Vec<QOp>,
    pub inputs: Vec<TensorId>,
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
}

/// How quantisation spends bits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Bits of every activation table (`b`).
    pub lookup_bits: u32,
    /// Calibrated ranges are multiplied by this before choosing scales (room for unseen inputs).
    pub headroom: f64,
}

/// The structure that decides rows: which Relus fuse into their producer, and the count of each kind of row.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelShape {
    /// For each dense layer: (rows, in_features, out_features).
    pub dense: Vec<(usize, usize, usize)>,
    /// Lane rows: one per input element and per output element of every non-reshape op.
    pub lane_rows: usize,
    pub has_relu: bool,
}

/// Per node: is it a Relu folded into its producer's lookup (the producer is used only by it)?
pub fn fused_relus(g: &Graph) -> Vec<bool> {
    g.nodes
        .iter()
        .map(|n| {
            matches!(n.op, Op::Relu(_))
                && g.use_count(n.inputs[0]) == 1
                && !g.outputs.contains(&n.inputs[0])
                && g.producer(n.inputs[0]).is_some_and(|p| {
                    matches!(p.op, Op::Dense(_) | Op::ConstAffine(_) | Op::AddTensors(_))
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
            has_relu: false,
        };
        for &i in &g.inputs {
            shape.lane_rows += g.tensors[i].numel();
        }
        for (node, fused) in g.nodes.iter().zip(fused) {
            let numel = g.tensors[node.output].numel();
            match &node.op {
                Op::Reshape(_) => {}
                Op::Relu(_) if fused => shape.has_relu = true,
                Op::Relu(_) => {
                    shape.has_relu = true;
                    shape.lane_rows += numel;
                }
                Op::Dense(d) => {
                    shape
                        .dense
                        .push((numel / d.out_features, d.in_features, d.out_features));
                    shape.lane_rows += numel;
                }
                Op::ConstAffine(_) | Op::AddTensors(_) => shape.lane_rows += numel,
            }
        }
        shape
    }
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
    let b = cfg.lookup_bits;
    let fused = fused_relus(g);
    let has_relu = g.nodes.iter().any(|n| matches!(n.op, Op::Relu(_)));
    let tables = if has_relu {
        vec![TableKind::Identity, TableKind::Relu]
    } else {
        vec![TableKind::Identity]
    };
    let mut qm = QuantModel {
        name: g.name.clone(),
        lookup_bits: b,
        tensors: g
            .tensors
            .iter()
            .map(|t| QTensor {
                name: t.name.clone(),
                shape: t.shape.clone(),
                encoding: Encoding::default(),
            })
            .collect(),
        ops: Vec::new(),
        inputs: g.inputs.clone(),
        outputs: g.outputs.clone(),
        tables,
    };
    let mut known = vec![false; g.tensors.len()];
    for (index, &t) in g.inputs.iter().enumerate() {
        qm.tensors[t].encoding = Encoding::signed(scale_for(calib.max_abs[t], cfg.headroom, b), b);
        known[t] = true;
        qm.ops.push(QOp::Input(QInput { index, tensor: t }));
    }
    // A fused Relu's output tensor replaces its producer's output: producer -> relu output.
    let mut relu_of = std::collections::HashMap::new();
    for (node, &f) in g.nodes.iter().zip(&fused) {
        if f {
            relu_of.insert(node.inputs[0], node.output);
        }
    }
    for (node, &f) in g.nodes.iter().zip(&fused) {
        if f {
            continue;
        }
        let nref = node.node_ref();
        let need = |t: TensorId| -> Result<Encoding> {
            known
                .get(t)
                .copied()
                .unwrap_or(false)
                .then(|| qm.tensors[t].encoding)
                .ok_or_else(|| CircuitError::Node {
                    node: nref.clone(),
                    message: format!("input tensor {t} is not computed yet"),
                })
        };
        let ins: Vec<Encoding> = node
            .inputs
            .iter()
            .map(|&t| need(t))
            .collect::<Result<_>>()?;
        if let Op::Reshape(_) = node.op {
            qm.tensors[node.output].encoding = ins[0];
            known[node.output] = true;
            qm.ops.push(QOp::Alias(QAlias {
                node: nref,
                input: node.inputs[0],
                output: node.output,
            }));
            continue;
        }
        // pre-activation output and its scale; a fused Relu writes the Relu's tensor instead
        let (out, act) = match relu_of.get(&node.output) {
            Some(&r) => (r, TableKind::Relu),
            None if matches!(node.op, Op::Relu(_)) => (node.output, TableKind::Relu),
            None => (node.output, TableKind::Identity),
        };
        let min_scale = ins.iter().map(|e| e.scale).max().unwrap_or(0) - b as i32;
        // a standalone Relu's pre-activation is its input; otherwise the node's own (pre-Relu) output
        let pre_range = match node.op {
            Op::Relu(_) => calib.max_abs[node.inputs[0]],
            _ => calib.max_abs[node.output],
        };
        let s_y = scale_for(pre_range, cfg.headroom, b).max(min_scale);
        let pre = Encoding::signed(s_y, b);
        let out_enc = match act {
            TableKind::Relu => Encoding::unsigned(s_y, b - 1),
            TableKind::Identity => pre,
        };
        let tag = qm.tag(act)?;
        let mut op = match &node.op {
            Op::Dense(d) => QOp::Dense(dense::quantise(
                nref,
                d,
                node.inputs[0],
                ins[0],
                out,
                pre,
                tag,
                &qm.tensors[node.output].shape,
                b,
            )?),
            Op::ConstAffine(a) => QOp::Lane(lane::quantise_affine(
                nref,
                a,
                node.inputs[0],
                ins[0],
                out,
                pre,
                tag,
                b,
            )),
            Op::AddTensors(a) => {
                let shapes = (
                    &g.tensors[node.inputs[0]].shape,
                    &g.tensors[node.inputs[1]].shape,
                );
                QOp::Lane(lane::quantise_add(
                    nref,
                    a,
                    shapes,
                    (node.inputs[0], node.inputs[1]),
                    (ins[0], ins[1]),
                    out,
                    pre,
                    tag,
                    b,
                )?)
            }
            Op::Relu(_) => QOp::Lane(lane::quantise_relu(
                nref,
                node.inputs[0],
                ins[0],
                out,
                pre,
                tag,
                b,
            )),
            Op::Reshape(_) => unreachable!(),
        };
        if let QOp::Lane(l) = &mut op {
            l.numel = qm.tensors[out].numel();
        }
        qm.tensors[out].encoding = out_enc;
        known[out] = true;
        qm.ops.push(op);
    }
    for &o in &qm.outputs {
        if !known[o] {
            return Err(CircuitError::Graph(format!(
                "output '{}' is never computed",
                qm.tensors[o].name
            )));
        }
    }
    Ok(qm)
}
