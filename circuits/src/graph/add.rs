//! Add or Sub of two activations with numpy broadcasting: `y = a + sign * b`.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{lane, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// Sum (`sign = 1`) or difference (`sign = -1`) of two broadcast activations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddTensors {
    /// 1 for Add, -1 for Sub.
    pub sign: i8,
}

impl AddTensors {
    /// For each output element, the element of `a` and of `b` it reads.
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }
}

impl IrOp for AddTensors {
    fn name(&self) -> &'static str {
        "Add"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(2)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        if self.sign != 1 && self.sign != -1 {
            return Err(ShapeError::Sign { sign: self.sign });
        }
        broadcast_shapes(inputs[0], inputs[1])
    }

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let (ia, ib) = self
            .index_maps(shapes[0], shapes[1])
            .expect("shapes validated");
        let s = self.sign as f64;
        ia.iter()
            .zip(&ib)
            .map(|(&i, &j)| inputs[0][i as usize] + s * inputs[1][j as usize])
            .collect()
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        let (x0, x1) = (node.inputs[0], node.inputs[1]);
        q.rescaled(node, act, false, |q, r| {
            let shapes = (&q.g.tensors[x0].shape, &q.g.tensors[x1].shape);
            Ok(QOp::Lane(lane::quantise_add(
                r.node.clone(),
                self,
                shapes,
                (x0, x1),
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
