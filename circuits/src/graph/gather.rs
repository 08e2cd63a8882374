//! Gather: every output element is one element of the (concatenated) inputs, or a constant fill.
//! Data movement ops lower to it: Transpose, Slice, Split, Concat, Pad, Gather with constant indices,
//! Expand, Tile, DepthToSpace. Without fill it costs no rows: the output reuses the input cells.

use super::error::ShapeError;
use serde::{Deserialize, Serialize};

/// An index map over the concatenation of the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gather {
    /// The output shape.
    pub out_shape: Vec<usize>,
    /// For each output element: an index into the inputs laid end to end, or `None` for `fill`.
    pub map: Vec<Option<u32>>,
    /// The constant of outputs mapped to `None` (padding).
    pub fill: f32,
}

impl Gather {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        if inputs.is_empty() {
            return Err(ShapeError::NoInputs);
        }
        let total: usize = inputs.iter().map(|s| s.iter().product::<usize>()).sum();
        let n: usize = self.out_shape.iter().product();
        if self.map.len() != n {
            return Err(ShapeError::IndexCount {
                found: self.map.len(),
                outputs: n,
            });
        }
        let outside = self
            .map
            .iter()
            .enumerate()
            .find_map(|(element, i)| i.filter(|&i| i as usize >= total).map(|i| (element, i)));
        if let Some((element, index)) = outside {
            return Err(ShapeError::IndexOutOfRange {
                element,
                index,
                inputs: total,
            });
        }
        Ok(self.out_shape.clone())
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        let all: Vec<f64> = inputs.iter().flat_map(|v| v.iter().copied()).collect();
        self.map
            .iter()
            .map(|i| i.map_or(self.fill as f64, |i| all[i as usize]))
            .collect()
    }

    /// Whether any output is the constant fill.
    pub fn has_fill(&self) -> bool {
        self.map.iter().any(Option::is_none)
    }
}
