//! Func: an element-wise nonlinear function, proved by a lookup table over the quantised domain. Fused into
//! its producer's rescale lane when it is the producer's only use; otherwise one lane row per element.

use super::error::ShapeError;
use super::ir_op::{Activation, Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{lane, QOp, Quantiser};
use crate::tables::FuncKind;
use serde::{Deserialize, Serialize};

/// `y = f(x)` element-wise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Func {
    /// The function.
    pub f: FuncKind,
}

impl IrOp for Func {
    fn name(&self) -> &'static str {
        self.f.name()
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        Ok(inputs[0].to_vec())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].iter().map(|&x| self.f.eval(x)).collect()
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
        Some(Activation::Func(self.f))
    }
}
