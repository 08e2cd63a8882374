//! Add or Sub of two activations with numpy broadcasting: `y = a + sign * b`.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::op::expect_inputs;
use serde::{Deserialize, Serialize};

/// Sum (`sign = 1`) or difference (`sign = -1`) of two broadcast activations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AddTensors {
    /// 1 for Add, -1 for Sub.
    pub sign: i8,
}

impl AddTensors {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let [a, b] = expect_inputs(inputs, 2, "Add")?[..] else {
            unreachable!()
        };
        if self.sign != 1 && self.sign != -1 {
            return Err(ShapeError::Sign { sign: self.sign });
        }
        broadcast_shapes(a, b)
    }

    /// For each output element, the element of `a` and of `b` it reads.
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let (ia, ib) = self
            .index_maps(shapes[0], shapes[1])
            .expect("shapes validated");
        let s = self.sign as f64;
        ia.iter()
            .zip(&ib)
            .map(|(&i, &j)| inputs[0][i as usize] + s * inputs[1][j as usize])
            .collect()
    }
}
