//! Element-wise affine map by constants: `y = x * mul + add` (Mul, Add, Sub, Div by constants; Identity).

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{lane, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// `y[i] = x[i] * mul[i] + add[i]`; `mul` and `add` hold one value (broadcast) or one per element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConstAffine {
    /// Multipliers (one, or one per element).
    pub mul: Vec<f32>,
    /// Addends (one, or one per element).
    pub add: Vec<f32>,
}

impl ConstAffine {
    /// The coefficient pair at element `i`.
    pub fn at(&self, i: usize) -> (f32, f32) {
        let pick = |v: &[f32]| if v.len() == 1 { v[0] } else { v[i] };
        (pick(&self.mul), pick(&self.add))
    }
}

impl IrOp for ConstAffine {
    fn name(&self) -> &'static str {
        "ConstAffine"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let x = inputs[0];
        let n: usize = x.iter().product();
        for (what, v) in [("multiplier", &self.mul), ("addend", &self.add)] {
            if v.len() != 1 && v.len() != n {
                return Err(ShapeError::ConstantCount {
                    what,
                    found: v.len(),
                    elements: n,
                });
            }
        }
        Ok(x.to_vec())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0]
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let (m, a) = self.at(i);
                x * m as f64 + a as f64
            })
            .collect()
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        q.rescaled(node, act, false, |_, r| {
            Ok(QOp::Lane(lane::quantise_affine(
                r.node.clone(),
                self,
                node.inputs[0],
                r.ins[0],
                r.out,
                r.pre,
                r.tag,
                r.b,
            )))
        })
    }

    fn fuses_activation(&self) -> bool {
        true
    }
}
