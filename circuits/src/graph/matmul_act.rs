//! MatMulAct: `A @ B` for two activations of equal rank >= 2 with equal leading (batch) axes, each
//! optionally transposed in its last two axes (MatMul and Gemm of two activations, attention's einsums).
//! Its rows are exact integer dot products in the dot tile, then one rescale lane row per output element.

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::{CircuitError, Result};
use crate::quant::{dot, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// `y[.., i, j] = sum_k A[.., i, k] * B[.., k, j]` (with `A`, `B` read transposed where asked).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatMulAct {
    /// `A` is stored `[.., K, I]`.
    pub trans_a: bool,
    /// `B` is stored `[.., J, K]`.
    pub trans_b: bool,
}

/// The sizes of one product of two activations, and where each operand pair lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatMulDims {
    /// Product of the batch axes.
    pub batch: usize,
    /// Output rows (I).
    pub rows: usize,
    /// Output columns (J).
    pub cols: usize,
    /// Length of each dot product (K).
    pub depth: usize,
    /// `A` is stored `[.., K, I]`.
    pub trans_a: bool,
    /// `B` is stored `[.., J, K]`.
    pub trans_b: bool,
}

impl MatMulDims {
    /// Output elements.
    pub fn outputs(&self) -> usize {
        self.batch * self.rows * self.cols
    }

    /// Elements of `A` and of `B` forming pair `k` of output element `o` (row-major `[batch, I, J]`).
    pub fn pair(&self, o: usize, k: usize) -> (usize, usize) {
        let (bt, i, j) = (
            o / (self.rows * self.cols),
            o / self.cols % self.rows,
            o % self.cols,
        );
        let ia = bt * self.rows * self.depth
            + if self.trans_a {
                k * self.rows + i
            } else {
                i * self.depth + k
            };
        let ib = bt * self.depth * self.cols
            + if self.trans_b {
                j * self.depth + k
            } else {
                k * self.cols + j
            };
        (ia, ib)
    }
}

impl MatMulAct {
    /// The sizes of `A @ B` for operand shapes `a` and `b`, or why they do not multiply.
    pub fn dims(&self, a: &[usize], b: &[usize]) -> Result<MatMulDims, ShapeError> {
        let err = || ShapeError::MatMul {
            a: a.to_vec(),
            b: b.to_vec(),
        };
        let r = a.len();
        if r < 2 || b.len() != r || a[..r - 2] != b[..r - 2] {
            return Err(err());
        }
        let (rows, ka) = match self.trans_a {
            true => (a[r - 1], a[r - 2]),
            false => (a[r - 2], a[r - 1]),
        };
        let (kb, cols) = match self.trans_b {
            true => (b[r - 1], b[r - 2]),
            false => (b[r - 2], b[r - 1]),
        };
        if ka != kb || ka == 0 {
            return Err(err());
        }
        Ok(MatMulDims {
            batch: a[..r - 2].iter().product(),
            rows,
            cols,
            depth: ka,
            trans_a: self.trans_a,
            trans_b: self.trans_b,
        })
    }
}

impl IrOp for MatMulAct {
    fn name(&self) -> &'static str {
        "MatMulAct"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let d = self.dims(inputs[0], inputs[1])?;
        let a = inputs[0];
        let mut s = a[..a.len() - 2].to_vec();
        s.extend([d.rows, d.cols]);
        Ok(s)
    }

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let d = self.dims(shapes[0], shapes[1]).expect("shapes validated");
        (0..d.outputs())
            .map(|o| {
                (0..d.depth)
                    .map(|k| {
                        let (ia, ib) = d.pair(o, k);
                        inputs[0][ia] * inputs[1][ib]
                    })
                    .sum()
            })
            .collect()
    }

    /// Dot tile rows (exact integer dot products), then one rescale lane row per output element with the
    /// fused activation, at the pre-activation scale of a product.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        let g = q.g;
        let (a, b) = (node.inputs[0], node.inputs[1]);
        let dims = self
            .dims(&g.tensors[a].shape, &g.tensors[b].shape)
            .map_err(|reason| CircuitError::Shape {
                node: node.node_ref(),
                reason,
            })?;
        q.rescaled(node, act, true, |_, r| {
            Ok(QOp::Dot(dot::quantise(
                r.node.clone(),
                dims,
                (a, b),
                (r.ins[0], r.ins[1]),
                r.out,
                r.pre,
                r.tag,
                r.b,
            )?))
        })
    }

    fn fuses_activation(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_follow_the_transposes() {
        // A [2, 3, 4] (trans_a: stored [2, 4, 3]), B [2, 4, 5] (trans_b: stored [2, 5, 4])
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let op = MatMulAct {
                trans_a: ta,
                trans_b: tb,
            };
            let sa = if ta { [2, 4, 3] } else { [2, 3, 4] };
            let sb = if tb { [2, 5, 4] } else { [2, 4, 5] };
            let d = op.dims(&sa, &sb).expect("multiplies");
            assert_eq!((d.batch, d.rows, d.cols, d.depth), (2, 3, 5, 4));
            assert_eq!(op.output_shape(&[&sa, &sb]), Ok(vec![2, 3, 5]));
            // output (1, 2, 3), pair k = 1: A[1, 2, 1], B[1, 1, 3]
            let (ia, ib) = d.pair(15 + 2 * 5 + 3, 1);
            let a_at = if ta { 12 + 3 + 2 } else { 12 + 2 * 4 + 1 };
            let b_at = if tb { 20 + 3 * 4 + 1 } else { 20 + 5 + 3 };
            assert_eq!((ia, ib), (a_at, b_at), "trans {ta} {tb}");
        }
        let op = MatMulAct {
            trans_a: false,
            trans_b: false,
        };
        for (a, b) in [
            (&[3, 4][..], &[5, 2][..]),
            (&[2, 3, 4], &[3, 4, 2]),
            (&[4], &[4]),
            (&[3, 0], &[0, 2]),
        ] {
            assert_eq!(
                op.dims(a, b),
                Err(ShapeError::MatMul {
                    a: a.to_vec(),
                    b: b.to_vec()
                })
            );
        }
    }
}
