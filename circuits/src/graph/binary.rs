//! Binary: element-wise product, maximum or minimum of two activations, with numpy broadcasting.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::op::expect_inputs;
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
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let [a, b] = expect_inputs(inputs, 2, "Binary")?[..] else {
            unreachable!()
        };
        broadcast_shapes(a, b)
    }

    /// Element of `a` and of `b` read by each output element.
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
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
}
