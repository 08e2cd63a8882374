//! Where: `y = cond ? x : y` element-wise with numpy broadcasting, `cond` a boolean tensor the circuit
//! constrains, `x` and `y` activations or constants (one value, or one per output element). In the
//! circuit `y = cond * x + (1 - cond) * y` in lane rows; with a boolean `cond` the products are exact.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use serde::{Deserialize, Serialize};

/// Element-wise selection by a boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Where {
    /// Constant `x` (then not an input).
    pub x: Option<Vec<f32>>,
    /// Constant `y` (then not an input).
    pub y: Option<Vec<f32>>,
}

impl Where {
    /// How many activation inputs the op takes: the condition, then `x` and `y` unless constant.
    pub fn arity(&self) -> usize {
        1 + self.x.is_none() as usize + self.y.is_none() as usize
    }

    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        if inputs.len() != self.arity() {
            return Err(ShapeError::InputCount {
                op: "Where".into(),
                expected: self.arity(),
                found: inputs.len(),
            });
        }
        let mut out = inputs[0].to_vec();
        for s in &inputs[1..] {
            out = broadcast_shapes(&out, s)?;
        }
        let n: usize = out.iter().product();
        for (what, c) in [("x", &self.x), ("y", &self.y)] {
            if let Some(c) = c {
                if c.len() != 1 && c.len() != n {
                    return Err(ShapeError::ConstantCount {
                        what,
                        found: c.len(),
                        elements: n,
                    });
                }
            }
        }
        Ok(out)
    }

    /// Element of each activation input read by each output element.
    pub fn index_maps(&self, inputs: &[&[usize]]) -> Result<Vec<Vec<u32>>, ShapeError> {
        let out = self.output_shape(inputs)?;
        Ok(inputs
            .iter()
            .map(|s| broadcast_index_map(s, &out))
            .collect())
    }

    /// Constant `c` at output element `i`.
    pub fn const_at(c: &[f32], i: usize) -> f32 {
        if c.len() == 1 {
            c[0]
        } else {
            c[i]
        }
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let Ok(maps) = self.index_maps(shapes) else {
            return Vec::new();
        };
        let mut next = 1;
        let mut side = |c: &Option<Vec<f32>>| match c {
            Some(c) => Err(c.clone()),
            None => {
                next += 1;
                Ok(next - 1)
            }
        };
        let (xs, ys) = (side(&self.x), side(&self.y));
        let value = |s: &Result<usize, Vec<f32>>, i: usize| match s {
            Ok(k) => inputs[*k][maps[*k][i] as usize],
            Err(c) => Self::const_at(c, i) as f64,
        };
        (0..maps[0].len())
            .map(|i| {
                if inputs[0][maps[0][i] as usize] != 0.0 {
                    value(&xs, i)
                } else {
                    value(&ys, i)
                }
            })
            .collect()
    }
}
