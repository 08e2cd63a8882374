//! Relu: `y = max(x, 0)`. Fused into its producer's rescale lane when it is the producer's only use;
//! otherwise one lane row per element through the Relu table.

use super::error::ShapeError;
use super::ir_op::{Activation, Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{lane, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// Rectified linear unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relu;

impl IrOp for Relu {
    fn name(&self) -> &'static str {
        "Relu"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        Ok(inputs[0].to_vec())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].iter().map(|x| x.max(0.0)).collect()
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        q.rescaled(node, act, false, |_, r| {
            Ok(QOp::Lane(lane::quantise_relu(
                r.node.clone(),
                node.inputs[0],
                r.ins[0],
                r.out,
                r.pre,
                r.tag,
                r.b,
            )))
        })
    }

    fn activation(&self) -> Option<Activation> {
        Some(Activation::Relu)
    }
}
