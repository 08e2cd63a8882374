//! Func: an element-wise nonlinear function, proved by a lookup table over the quantised domain.

use super::error::ShapeError;
use super::op::expect_inputs;
use crate::tables::FuncKind;
use serde::{Deserialize, Serialize};

/// `y = f(x)` element-wise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Func {
    /// The function.
    pub f: FuncKind,
}

impl Func {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let [x] = expect_inputs(inputs, 1, self.f.name())?[..] else {
            unreachable!()
        };
        Ok(x.to_vec())
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        inputs[0].iter().map(|&x| self.f.eval(x)).collect()
    }
}
