//! Dense: `y[.., k] = sum_j x[.., j] * W[k, j] + b[k]` over the last axis (MatMul with a constant right
//! operand, Gemm, and any per-feature scale or bias folded into them).

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{dense, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// A fully connected layer with constant weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Input features (size of the last input axis).
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Row-major `[out_features][in_features]`.
    pub weight: Vec<f32>,
    /// `[out_features]`.
    pub bias: Vec<f32>,
}

impl IrOp for Dense {
    fn name(&self) -> &'static str {
        "Dense"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let x = inputs[0];
        if self.weight.len() != self.in_features * self.out_features
            || self.bias.len() != self.out_features
        {
            return Err(ShapeError::DenseSize {
                weights: self.weight.len(),
                biases: self.bias.len(),
                in_features: self.in_features,
                out_features: self.out_features,
            });
        }
        match x.last() {
            Some(&n) if n == self.in_features => {
                let mut s = x[..x.len() - 1].to_vec();
                s.push(self.out_features);
                Ok(s)
            }
            _ => Err(ShapeError::DenseInput {
                shape: x.to_vec(),
                in_features: self.in_features,
            }),
        }
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        let (n, m) = (self.in_features, self.out_features);
        let x = inputs[0];
        let mut out = Vec::with_capacity(x.len() / n * m);
        for row in x.chunks(n) {
            for k in 0..m {
                let w = &self.weight[k * n..(k + 1) * n];
                out.push(
                    row.iter().zip(w).map(|(a, b)| a * *b as f64).sum::<f64>()
                        + self.bias[k] as f64,
                );
            }
        }
        out
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        q.rescaled(node, act, false, |q, r| {
            let shape = q.qm.tensors[node.output].shape.clone();
            Ok(QOp::Dense(dense::quantise(
                r.node.clone(),
                self,
                node.inputs[0],
                r.ins[0],
                r.out,
                r.pre,
                r.tag,
                &shape,
                r.b,
            )?))
        })
    }

    fn fuses_activation(&self) -> bool {
        true
    }
}
