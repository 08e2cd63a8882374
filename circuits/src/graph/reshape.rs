//! Reshape: a new shape over the same row-major elements (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
//! It costs no rows: the output aliases the input's cells.

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{QAlias, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// A view of the input with another shape of the same size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reshape {
    /// The output shape.
    pub shape: Vec<usize>,
}

impl IrOp for Reshape {
    fn name(&self) -> &'static str {
        "Reshape"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let x = inputs[0];
        let (a, b) = (
            x.iter().product::<usize>(),
            self.shape.iter().product::<usize>(),
        );
        if a != b {
            return Err(ShapeError::Reshape {
                from: x.to_vec(),
                from_elements: a,
                to: self.shape.clone(),
                to_elements: b,
            });
        }
        Ok(self.shape.clone())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].to_vec()
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let e = q.enc(&nref, node.inputs[0])?;
        q.set(node.output, e);
        q.qm.ops.push(QOp::Alias(QAlias {
            node: nref,
            input: node.inputs[0],
            output: node.output,
            more_inputs: vec![],
            map: None,
        }));
        Ok(())
    }
}
