//! Compare: `Less`, `LessOrEqual`, `Greater`, `GreaterOrEqual`, `Equal` between two activations (numpy
//! broadcasting) or an activation and constants. The output is a boolean tensor (0.0 / 1.0).
//!
//! In the circuit both sides are compared as quantised values on one scale: two activations in one
//! encoding (re-encoded to the coarser one when they differ), an activation `x` against a constant `t`
//! at `x`'s scale `2^s`, exactly: `x_q < t * 2^s`, `x_q <= t * 2^s` and so on, with `x_q` the stored
//! integer; `Equal` against a constant holds when `x_q = round(t * 2^s)`.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use serde::{Deserialize, Serialize};

/// Which comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompareKind {
    /// `a < b`.
    Less,
    /// `a <= b`.
    LessOrEqual,
    /// `a > b`.
    Greater,
    /// `a >= b`.
    GreaterOrEqual,
    /// `a == b`.
    Equal,
}

impl CompareKind {
    /// The comparison with its operands swapped: `a < b` is `b > a`.
    pub fn swapped(self) -> Self {
        match self {
            CompareKind::Less => CompareKind::Greater,
            CompareKind::LessOrEqual => CompareKind::GreaterOrEqual,
            CompareKind::Greater => CompareKind::Less,
            CompareKind::GreaterOrEqual => CompareKind::LessOrEqual,
            CompareKind::Equal => CompareKind::Equal,
        }
    }

    /// The float comparison.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            CompareKind::Less => a < b,
            CompareKind::LessOrEqual => a <= b,
            CompareKind::Greater => a > b,
            CompareKind::GreaterOrEqual => a >= b,
            CompareKind::Equal => a == b,
        }
    }
}

/// `y = a (cmp) b`, with `b` an activation (second input) or constants `rhs` (one, or one per element
/// of `a`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compare {
    /// Which comparison.
    pub kind: CompareKind,
    /// Constant right operand; `None`: the second input.
    pub rhs: Option<Vec<f32>>,
}

impl Compare {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        match (inputs, &self.rhs) {
            ([a], Some(rhs)) => {
                let n: usize = a.iter().product();
                if rhs.len() != 1 && rhs.len() != n {
                    return Err(ShapeError::ConstantCount {
                        what: "threshold",
                        found: rhs.len(),
                        elements: n,
                    });
                }
                Ok(a.to_vec())
            }
            ([a, b], None) => broadcast_shapes(a, b),
            _ => Err(ShapeError::InputCount {
                op: "Compare".into(),
                expected: if self.rhs.is_some() { 1 } else { 2 },
                found: inputs.len(),
            }),
        }
    }

    /// Element of `a` and of `b` read by each output element (two activations).
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }

    /// The constant compared with element `i` of `a`.
    pub fn rhs_at(&self, i: usize) -> Option<f32> {
        self.rhs
            .as_ref()
            .map(|r| if r.len() == 1 { r[0] } else { r[i] })
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let bit = |v: bool| v as u8 as f64;
        if self.rhs.is_some() {
            return inputs[0]
                .iter()
                .enumerate()
                .map(|(i, &x)| bit(self.kind.holds(x, self.rhs_at(i).unwrap_or(0.0) as f64)))
                .collect();
        }
        let Ok((ia, ib)) = self.index_maps(shapes[0], shapes[1]) else {
            return Vec::new();
        };
        ia.iter()
            .zip(&ib)
            .map(|(&i, &j)| {
                bit(self
                    .kind
                    .holds(inputs[0][i as usize], inputs[1][j as usize]))
            })
            .collect()
    }
}
