//! Quantising one node at a time: chooses each tensor's encoding from its calibrated range, re-encodes
//! inputs where an op needs them in one encoding (max, min, concat), and emits the quantised ops.

use super::{
    dense, lane, linear, scale_for, Calibration, QAlias, QInput, QOp, QTensor, QuantConfig,
};
use super::{QLane, QuantModel};
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{BinaryKind, ConstAffine, Graph, Node, Op, TensorId};
use crate::settings::TableKind;
use crate::tables::FuncKind;

/// The activation a lane applies through its lookup.
enum Act {
    Identity,
    Relu,
    Func(FuncKind),
}

pub(super) struct Quantiser<'a> {
    pub(super) g: &'a Graph,
    pub(super) calib: &'a Calibration,
    pub(super) cfg: &'a QuantConfig,
    pub(super) qm: QuantModel,
    known: Vec<bool>,
}

impl<'a> Quantiser<'a> {
    pub(super) fn new(g: &'a Graph, calib: &'a Calibration, cfg: &'a QuantConfig) -> Self {
        let qm = QuantModel {
            name: g.name.clone(),
            lookup_bits: cfg.lookup_bits,
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
            tables: vec![TableKind::Identity],
        };
        Self {
            g,
            calib,
            cfg,
            known: vec![false; g.tensors.len()],
            qm,
        }
    }

    pub(super) fn b(&self) -> u32 {
        self.cfg.lookup_bits
    }

    pub(super) fn scale(&self, t: TensorId) -> i32 {
        scale_for(self.calib.max_abs[t], self.cfg.headroom, self.b())
    }

    pub(super) fn input(&mut self, index: usize, t: TensorId) {
        let boolean = self.g.boolean_inputs.contains(&t);
        self.qm.tensors[t].encoding = match boolean {
            true => Encoding::boolean(),
            false => Encoding::signed(self.scale(t), self.b()),
        };
        self.known[t] = true;
        self.qm.ops.push(QOp::Input(QInput {
            index,
            tensor: t,
            boolean,
        }));
    }

    pub(super) fn enc(&self, node: &NodeRef, t: TensorId) -> Result<Encoding> {
        self.known
            .get(t)
            .copied()
            .unwrap_or(false)
            .then(|| self.qm.tensors[t].encoding)
            .ok_or_else(|| CircuitError::Node {
                node: node.clone(),
                message: format!("input tensor {t} is not computed yet"),
            })
    }

    pub(super) fn set(&mut self, t: TensorId, enc: Encoding) {
        self.qm.tensors[t].encoding = enc;
        self.known[t] = true;
    }

    pub(super) fn new_tensor(&mut self, name: String, shape: Vec<usize>) -> TensorId {
        self.qm.tensors.push(QTensor {
            name,
            shape,
            encoding: Encoding::default(),
        });
        self.known.push(false);
        self.qm.tensors.len() - 1
    }

    pub(super) fn push_lane(&mut self, mut l: QLane, enc: Encoding) {
        l.numel = self.qm.tensors[l.output].numel();
        self.set(l.output, enc);
        self.qm.ops.push(QOp::Lane(l));
    }

    /// `t` in encoding `target`: itself, or a new tensor re-encoded by one lane row per element.
    pub(super) fn requant(
        &mut self,
        node: &NodeRef,
        t: TensorId,
        target: Encoding,
    ) -> Result<TensorId> {
        let from = self.enc(node, t)?;
        if from == target {
            return Ok(t);
        }
        let name = format!("{}:reencoded", self.qm.tensors[t].name);
        let out = self.new_tensor(name, self.qm.tensors[t].shape.clone());
        let identity = ConstAffine {
            mul: vec![1.0],
            add: vec![0.0],
        };
        let b = self.b();
        let l = lane::quantise_affine(node.clone(), &identity, t, from, out, target, 1, b);
        self.push_lane(l, target);
        Ok(out)
    }

    /// One encoding for several inputs: theirs if they agree, else signed at the coarsest scale.
    pub(super) fn common(&self, node: &NodeRef, ts: &[TensorId]) -> Result<Encoding> {
        let encs: Vec<Encoding> = ts
            .iter()
            .map(|&t| self.enc(node, t))
            .collect::<Result<_>>()?;
        if encs.iter().all(|e| *e == encs[0]) {
            return Ok(encs[0]);
        }
        let s = encs.iter().map(|e| e.scale).min().unwrap_or(0);
        Ok(Encoding::signed(s, self.b()))
    }

    pub(super) fn node(&mut self, node: &Node, act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let b = self.b();
        let shape_of = |t: TensorId| self.g.tensors[t].shape.clone();
        match &node.op {
            Op::Reshape(_) => {
                let e = self.enc(&nref, node.inputs[0])?;
                self.set(node.output, e);
                self.qm.ops.push(QOp::Alias(QAlias {
                    node: nref,
                    input: node.inputs[0],
                    output: node.output,
                    more_inputs: vec![],
                    map: None,
                }));
                return Ok(());
            }
            Op::Gather(ga) => {
                let target = self.common(&nref, &node.inputs)?;
                let inputs = node
                    .inputs
                    .iter()
                    .map(|&t| self.requant(&nref, t, target))
                    .collect::<Result<Vec<_>>>()?;
                if !ga.has_fill() {
                    self.set(node.output, target);
                    self.qm.ops.push(QOp::Alias(QAlias {
                        node: nref,
                        input: inputs[0],
                        output: node.output,
                        more_inputs: inputs[1..].to_vec(),
                        map: Some(ga.map.iter().map(|i| i.unwrap_or(0)).collect()),
                    }));
                    return Ok(());
                }
                let src = if inputs.len() == 1 {
                    inputs[0]
                } else {
                    let total = inputs.iter().map(|&t| self.qm.tensors[t].numel()).sum();
                    let name = format!("{}:concat", nref.name);
                    let t = self.new_tensor(name, vec![total]);
                    self.set(t, target);
                    self.qm.ops.push(QOp::Alias(QAlias {
                        node: nref.clone(),
                        input: inputs[0],
                        output: t,
                        more_inputs: inputs[1..].to_vec(),
                        map: None,
                    }));
                    t
                };
                let fill = target
                    .quantise(ga.fill as f64)
                    .ok_or_else(|| CircuitError::Node {
                        node: nref.clone(),
                        message: format!(
                            "the fill value {} is outside the tensor's range [{}, {}]",
                            ga.fill,
                            target.min_value(),
                            target.max_value()
                        ),
                    })?;
                let l = lane::quantise_fill(nref, src, target, &ga.map, fill, node.output, 1, b);
                self.push_lane(l, target);
                return Ok(());
            }
            Op::Binary(bn) if bn.kind != BinaryKind::Mul => {
                let mut target = self.common(&nref, &node.inputs)?;
                if target.bits >= b {
                    // a signed b-bit difference needs b + 1 bits; one bit less on each input makes the
                    // max (and min) exact: it is one of its inputs, so ArgMax can find it
                    target = Encoding {
                        scale: target.scale - 1,
                        offset: 1 << (b - 2),
                        bits: b - 1,
                    };
                }
                let x = self.requant(&nref, node.inputs[0], target)?;
                let y = self.requant(&nref, node.inputs[1], target)?;
                let halve = target.bits >= b;
                let is_max = bn.kind == BinaryKind::Max;
                let kind = if is_max {
                    TableKind::MaxStep { halve }
                } else {
                    TableKind::MinStep { halve }
                };
                let tag = self.qm.tag_or_add(kind);
                let (s0, s1) = (shape_of(node.inputs[0]), shape_of(node.inputs[1]));
                let maps = bn
                    .index_maps(&s0, &s1)
                    .map_err(|reason| CircuitError::Shape {
                        node: nref.clone(),
                        reason,
                    })?;
                let numels = (s0.iter().product(), s1.iter().product());
                let l = lane::quantise_minmax(
                    nref,
                    is_max,
                    maps,
                    numels,
                    (x, y),
                    target,
                    node.output,
                    tag,
                    halve,
                    b,
                );
                self.push_lane(l, target);
                return Ok(());
            }
            Op::Compare(c) => return self.compare(node, c),
            Op::Logic(lg) => return self.logic(node, lg),
            Op::Where(w) => return self.select(node, w),
            _ => {}
        }
        self.lane_op(node, act)
    }

    /// Ops whose rows end in a lane with an activation lookup (fused or identity).
    fn lane_op(&mut self, node: &Node, act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let b = self.b();
        let ins: Vec<Encoding> = node
            .inputs
            .iter()
            .map(|&t| self.enc(&nref, t))
            .collect::<Result<_>>()?;
        let act_op = act.map(|a| &a.op).unwrap_or(&node.op);
        let (out, kind) = match act_op {
            Op::Relu(_) => (act.map_or(node.output, |a| a.output), Act::Relu),
            Op::Func(f) => (act.map_or(node.output, |a| a.output), Act::Func(f.f)),
            _ => (node.output, Act::Identity),
        };
        let is_mul = matches!(&node.op, Op::Binary(bn) if bn.kind == BinaryKind::Mul);
        let min_scale = if is_mul {
            ins[0].scale + ins[1].scale - b as i32
        } else {
            ins.iter().map(|e| e.scale).max().unwrap_or(0) - b as i32
        };
        // a standalone activation's pre-activation is its input; otherwise the node's own output
        let pre_range = match node.op {
            Op::Relu(_) | Op::Func(_) => self.calib.max_abs[node.inputs[0]],
            _ => self.calib.max_abs[node.output],
        };
        let mut s_y = scale_for(pre_range, self.cfg.headroom, b).max(min_scale);
        if is_mul {
            s_y = s_y.min(min_scale + 40);
        }
        let pre = Encoding::signed(s_y, b);
        let (out_enc, table) = match kind {
            Act::Relu => (Encoding::unsigned(s_y, b - 1), TableKind::Relu),
            Act::Identity => (pre, TableKind::Identity),
            Act::Func(f) => {
                let y = Encoding::signed(self.scale(out), b);
                (y, TableKind::Func { f, x: pre, y })
            }
        };
        let tag = self.qm.tag_or_add(table);
        let x0 = node.inputs[0];
        let op = match &node.op {
            Op::Dense(d) => {
                let shape = self.qm.tensors[node.output].shape.clone();
                QOp::Dense(dense::quantise(
                    nref, d, x0, ins[0], out, pre, tag, &shape, b,
                )?)
            }
            Op::Linear(l) => QOp::Linear(linear::quantise(nref, l, x0, ins[0], out, pre, tag, b)?),
            Op::ConstAffine(a) => {
                QOp::Lane(lane::quantise_affine(nref, a, x0, ins[0], out, pre, tag, b))
            }
            Op::AddTensors(a) => {
                let shapes = (
                    &self.g.tensors[x0].shape,
                    &self.g.tensors[node.inputs[1]].shape,
                );
                QOp::Lane(lane::quantise_add(
                    nref,
                    a,
                    shapes,
                    (x0, node.inputs[1]),
                    (ins[0], ins[1]),
                    out,
                    pre,
                    tag,
                    b,
                )?)
            }
            Op::Relu(_) | Op::Func(_) => {
                QOp::Lane(lane::quantise_relu(nref, x0, ins[0], out, pre, tag, b))
            }
            Op::Binary(bn) => {
                let (s0, s1) = (
                    &self.g.tensors[x0].shape,
                    &self.g.tensors[node.inputs[1]].shape,
                );
                let maps = bn
                    .index_maps(s0, s1)
                    .map_err(|reason| CircuitError::Shape {
                        node: nref.clone(),
                        reason,
                    })?;
                let numels = (s0.iter().product(), s1.iter().product());
                QOp::Lane(lane::quantise_mul(
                    nref,
                    maps,
                    numels,
                    (x0, node.inputs[1]),
                    (ins[0], ins[1]),
                    out,
                    pre,
                    tag,
                    b,
                )?)
            }
            Op::Reshape(_) | Op::Gather(_) | Op::Compare(_) | Op::Logic(_) | Op::Where(_) => {
                unreachable!("handled by the caller")
            }
        };
        match op {
            QOp::Lane(l) => self.push_lane(l, out_enc),
            op => {
                self.set(out, out_enc);
                self.qm.ops.push(op);
            }
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Result<QuantModel> {
        for &o in &self.qm.outputs {
            if !self.known[o] {
                return Err(CircuitError::Graph(format!(
                    "output '{}' is never computed",
                    self.qm.tensors[o].name
                )));
            }
        }
        Ok(self.qm)
    }
}
