//! Reshape: a new shape over the same row-major elements (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
//! It costs no rows: the output aliases the input's cells.

use super::error::ShapeError;
use super::op::expect_inputs;
use serde::{Deserialize, Serialize};

/// A view of the input with another shape of the same size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reshape {
    /// The output shape.
    pub shape: Vec<usize>,
}

impl Reshape {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let [x] = expect_inputs(inputs, 1, "Reshape")?[..] else {
            unreachable!()
        };
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

    pub(super) fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].to_vec()
    }
}
