//! Quantising one node at a time: the state each op's quantisation reads and extends (encodings of the
//! tensors so far, the quantised ops), re-encoding of inputs where an op needs them in one encoding (max,
//! min, concat), and the rescale lane that ends dense, linear and element-wise ops.

use super::{dense, lane, linear, scale_for, Calibration, QInput, QOp, QTensor, QuantConfig};
use super::{QLane, QuantModel};
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Activation, ConstAffine, Graph, Node, Op, TensorId};
use crate::settings::TableKind;

/// The state of quantising a graph, node by node: each op's `IrOp::quantise` reads its
/// inputs' encodings here, sets its output's and pushes its quantised ops.
pub(crate) struct Quantiser<'a> {
    /// The graph being quantised.
    pub(crate) g: &'a Graph,
    /// Its calibrated ranges.
    pub(crate) calib: &'a Calibration,
    /// How bits are spent.
    pub(crate) cfg: &'a QuantConfig,
    /// The quantised model so far.
    pub(crate) qm: QuantModel,
    known: Vec<bool>,
}

/// Whether a signed `b`-bit value at scale `s` holds `max_abs` (without headroom).
fn holds(max_abs: f64, s: i32, b: u32) -> bool {
    max_abs * 2f64.powi(s) <= ((1u64 << (b - 1)) - 1) as f64
}

/// What [`Quantiser::rescaled`] chose for a node, for the op that builds its rows.
pub(crate) struct Rescale {
    /// The node.
    pub(crate) node: NodeRef,
    /// Encodings of its inputs.
    pub(crate) ins: Vec<Encoding>,
    /// The tensor its rows produce (the fused activation's output, if any).
    pub(crate) out: TensorId,
    /// Encoding of the pre-activation value.
    pub(crate) pre: Encoding,
    /// The activation sub-table tag.
    pub(crate) tag: u64,
    /// Lookup bits.
    pub(crate) b: u32,
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

    pub(crate) fn b(&self) -> u32 {
        self.cfg.lookup_bits
    }

    pub(crate) fn scale(&self, t: TensorId) -> i32 {
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

    pub(crate) fn enc(&self, node: &NodeRef, t: TensorId) -> Result<Encoding> {
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

    pub(crate) fn set(&mut self, t: TensorId, enc: Encoding) {
        self.qm.tensors[t].encoding = enc;
        self.known[t] = true;
    }

    pub(crate) fn new_tensor(&mut self, name: String, shape: Vec<usize>) -> TensorId {
        self.qm.tensors.push(QTensor {
            name,
            shape,
            encoding: Encoding::default(),
        });
        self.known.push(false);
        self.qm.tensors.len() - 1
    }

    pub(crate) fn push_lane(&mut self, mut l: QLane, enc: Encoding) {
        l.numel = self.qm.tensors[l.output].numel();
        self.set(l.output, enc);
        self.qm.ops.push(QOp::Lane(l));
    }

    /// `t` in encoding `target`: itself, or a new tensor re-encoded by one lane row per element.
    pub(crate) fn requant(
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
    pub(crate) fn common(&self, node: &NodeRef, ts: &[TensorId]) -> Result<Encoding> {
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

    /// An op whose rows end in rescale lanes with an activation lookup: the activation fused into it
    /// (`act`), the node's own if it is a standalone activation, or the identity. Chooses the
    /// pre-activation encoding (`product`: the node multiplies its two inputs) and the output's, adds the
    /// activation's sub-table, then pushes the op `build` makes from them.
    pub(crate) fn rescaled(
        &mut self,
        node: &Node,
        act: Option<&Node>,
        product: bool,
        build: impl FnOnce(&mut Self, &Rescale) -> Result<QOp>,
    ) -> Result<()> {
        let nref = node.node_ref();
        let b = self.b();
        let ins: Vec<Encoding> = node
            .inputs
            .iter()
            .map(|&t| self.enc(&nref, t))
            .collect::<Result<_>>()?;
        let own = node.op.as_dyn().activation();
        let (out, kind) = match act.map(|a| (a.output, a.op.as_dyn().activation())) {
            Some((o, Some(k))) => (o, Some(k)),
            Some((_, None)) => (node.output, None),
            None => (node.output, own),
        };
        let min_scale = if product {
            ins[0].scale + ins[1].scale - b as i32
        } else {
            ins.iter().map(|e| e.scale).max().unwrap_or(0) - b as i32
        };
        // a standalone activation's pre-activation is its input; otherwise the node's own output
        let pre_range = match own {
            Some(_) => self.calib.max_abs[node.inputs[0]],
            None => self.calib.max_abs[node.output],
        };
        let wanted = scale_for(pre_range, self.cfg.headroom, b);
        let mut s_y = wanted.max(min_scale);
        if product {
            s_y = s_y.min(min_scale + 40);
        }
        if s_y > wanted && !holds(pre_range, s_y, b) {
            s_y = self.weights_scale(node, &ins, wanted, b).unwrap_or(s_y);
        }
        let pre = Encoding::signed(s_y, b);
        let (out_enc, table) = match kind {
            Some(Activation::Relu) => (Encoding::unsigned(s_y, b - 1), TableKind::Relu),
            None => (pre, TableKind::Identity),
            Some(Activation::Func(f)) => {
                let y = Encoding::signed(self.scale(out), b);
                (y, TableKind::Func { f, x: pre, y })
            }
        };
        let tag = self.qm.tag_or_add(table);
        let r = Rescale {
            node: nref,
            ins,
            out,
            pre,
            tag,
            b,
        };
        match build(self, &r)? {
            QOp::Lane(l) => self.push_lane(l, out_enc),
            op => {
                self.set(out, out_enc);
                self.qm.ops.push(op);
            }
        }
        Ok(())
    }

    /// The pre-activation scale of a dense or linear node (constant weights) whose calibrated range does
    /// not fit the usual floor `s_in - b` (the weights at a scale of at least 2^0): the scale its range
    /// wants, below that floor (the weights at a negative scale: large weights lose only bits below their
    /// own rounding at the output's scale), lowered further while the weights, dot products or lane
    /// constants do not fit 62 bits. `None` for other ops, or where no scale fits.
    fn weights_scale(&self, node: &Node, ins: &[Encoding], wanted: i32, b: u32) -> Option<i32> {
        let shape = &self.qm.tensors[node.output].shape;
        let fits = |s: i32| {
            let pre = Encoding::signed(s, b);
            let nref = node.node_ref();
            match &node.op {
                Op::Dense(d) => dense::quantise(
                    nref,
                    d,
                    node.inputs[0],
                    ins[0],
                    node.output,
                    pre,
                    0,
                    shape,
                    b,
                )
                .is_ok(),
                Op::Linear(l) => {
                    linear::quantise(nref, l, node.inputs[0], ins[0], node.output, pre, 0, b)
                        .is_ok()
                }
                _ => false,
            }
        };
        (wanted - 62..=wanted).rev().find(|&s| fits(s))
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
