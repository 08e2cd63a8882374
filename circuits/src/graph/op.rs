//! The op set of the IR. Each op lives in its own file; this enum only dispatches.

use super::error::ShapeError;
use super::{
    AddTensors, Binary, Compare, ConstAffine, Dense, Func, Gather, Linear, Logic, Relu, Reshape,
    Where,
};
use serde::{Deserialize, Serialize};

/// An IR operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Fully connected layer over the last axis.
    Dense(Dense),
    /// Element-wise `x * mul + add` by constants.
    ConstAffine(ConstAffine),
    /// Sum or difference of two activations.
    AddTensors(AddTensors),
    /// Rectified linear unit.
    Relu(Relu),
    /// New shape over the same elements.
    Reshape(Reshape),
    /// Constant-weight linear map by patches (convolutions, pooling, sums).
    Linear(Linear),
    /// Index map over the inputs (data movement).
    Gather(Gather),
    /// Element-wise table function.
    Func(Func),
    /// Product, maximum or minimum of two activations.
    Binary(Binary),
    /// Comparison of two activations or of an activation and constants (boolean output).
    Compare(Compare),
    /// Not, And, Or, Xor of booleans.
    Logic(Logic),
    /// Selection by a boolean.
    Where(Where),
}

impl Op {
    /// Output shape for the given input shapes, or why they do not fit.
    pub fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        match self {
            Op::Dense(o) => o.output_shape(inputs),
            Op::ConstAffine(o) => o.output_shape(inputs),
            Op::AddTensors(o) => o.output_shape(inputs),
            Op::Relu(o) => o.output_shape(inputs),
            Op::Reshape(o) => o.output_shape(inputs),
            Op::Linear(o) => o.output_shape(inputs),
            Op::Gather(o) => o.output_shape(inputs),
            Op::Func(o) => o.output_shape(inputs),
            Op::Binary(o) => o.output_shape(inputs),
            Op::Compare(o) => o.output_shape(inputs),
            Op::Logic(o) => o.output_shape(inputs),
            Op::Where(o) => o.output_shape(inputs),
        }
    }

    /// Float evaluation (inputs already checked against [`Op::output_shape`]).
    pub fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        match self {
            Op::Dense(o) => o.eval_float(inputs, shapes),
            Op::ConstAffine(o) => o.eval_float(inputs, shapes),
            Op::AddTensors(o) => o.eval_float(inputs, shapes),
            Op::Relu(o) => o.eval_float(inputs, shapes),
            Op::Reshape(o) => o.eval_float(inputs, shapes),
            Op::Linear(o) => o.eval_float(inputs, shapes),
            Op::Gather(o) => o.eval_float(inputs, shapes),
            Op::Func(o) => o.eval_float(inputs, shapes),
            Op::Binary(o) => o.eval_float(inputs, shapes),
            Op::Compare(o) => o.eval_float(inputs, shapes),
            Op::Logic(o) => o.eval_float(inputs, shapes),
            Op::Where(o) => o.eval_float(inputs, shapes),
        }
    }
}

/// Checks the input count of an op.
pub(super) fn expect_inputs<'a>(
    inputs: &[&'a [usize]],
    n: usize,
    op: &str,
) -> Result<Vec<&'a [usize]>, ShapeError> {
    if inputs.len() != n {
        return Err(ShapeError::InputCount {
            op: op.to_string(),
            expected: n,
            found: inputs.len(),
        });
    }
    Ok(inputs.to_vec())
}
