//! Relu: `y = max(x, 0)`.

use super::error::ShapeError;
use super::op::expect_inputs;
use serde::{Deserialize, Serialize};

/// Rectified linear unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relu;

impl Relu {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let [x] = expect_inputs(inputs, 1, "Relu")?[..] else {
            unreachable!()
        };
        Ok(x.to_vec())
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].iter().map(|x| x.max(0.0)).collect()
    }
}
