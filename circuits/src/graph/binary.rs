//! Binary: element-wise product, maximum or minimum of two activations, with numpy broadcasting.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::encoding::Encoding;
use crate::error::{CircuitError, Result};
use crate::quant::{lane, QOp, Quantiser};
use crate::settings::TableKind;
use serde::{Deserialize, Serialize};

/// Which binary op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryKind {
    /// Element-wise product.
    Mul,
    /// Element-wise maximum.
    Max,
    /// Element-wise minimum.
    Min,
}

/// `y = a (op) b`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Binary {
    /// Which op.
    pub kind: BinaryKind,
}

impl Binary {
    /// Element of `a` and of `b` read by each output element.
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }
}

impl IrOp for Binary {
    fn name(&self) -> &'static str {
        "Binary"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        broadcast_shapes(inputs[0], inputs[1])
    }

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let (ia, ib) = self
            .index_maps(shapes[0], shapes[1])
            .expect("shapes validated");
        ia.iter()
            .zip(&ib)
            .map(|(&i, &j)| {
                let (x, y) = (inputs[0][i as usize], inputs[1][j as usize]);
                match self.kind {
                    BinaryKind::Mul => x * y,
                    BinaryKind::Max => x.max(y),
                    BinaryKind::Min => x.min(y),
                }
            })
            .collect()
    }

    /// A product: one rescale lane row per element (with a fused activation). Max and min: both inputs
    /// in one encoding, then one step row per element.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let (x0, x1) = (node.inputs[0], node.inputs[1]);
        let g = q.g;
        let (s0, s1) = (&g.tensors[x0].shape, &g.tensors[x1].shape);
        let maps = || {
            self.index_maps(s0, s1)
                .map_err(|reason| CircuitError::Shape {
                    node: nref.clone(),
                    reason,
                })
        };
        let numels = (s0.iter().product(), s1.iter().product());
        if self.kind == BinaryKind::Mul {
            return q.rescaled(node, act, true, |_, r| {
                Ok(QOp::Lane(lane::quantise_mul(
                    r.node.clone(),
                    maps()?,
                    numels,
                    (x0, x1),
                    (r.ins[0], r.ins[1]),
                    r.out,
                    r.pre,
                    r.tag,
                    r.b,
                )?))
            });
        }
        let b = q.b();
        let mut target = q.common(&nref, &node.inputs)?;
        if target.bits >= b {
            // a signed b-bit difference needs b + 1 bits; one bit less on each input makes the max (and
            // min) exact: it is one of its inputs, so ArgMax can find it
            target = Encoding {
                scale: target.scale - 1,
                offset: 1 << (b - 2),
                bits: b - 1,
            };
        }
        let x = q.requant(&nref, x0, target)?;
        let y = q.requant(&nref, x1, target)?;
        let halve = target.bits >= b;
        let is_max = self.kind == BinaryKind::Max;
        let kind = if is_max {
            TableKind::MaxStep { halve }
        } else {
            TableKind::MinStep { halve }
        };
        let tag = q.qm.tag_or_add(kind);
        let maps = maps()?;
        let l = lane::quantise_minmax(
            nref.clone(),
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
        q.push_lane(l, target);
        Ok(())
    }

    fn fuses_activation(&self) -> bool {
        self.kind == BinaryKind::Mul
    }
}
