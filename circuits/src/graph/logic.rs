//! Logic: `Not`, `And`, `Or`, `Xor` on boolean tensors (0.0 / 1.0), with numpy broadcasting. Their inputs
//! must be booleans the circuit already constrains (comparisons, other logic ops, boolean inputs); on such
//! inputs `1 - a`, `a * b`, `a + b - a * b` and `a + b - 2 * a * b` are booleans too.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::op::expect_inputs;
use serde::{Deserialize, Serialize};

/// Which logic op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogicKind {
    /// `1 - a` (one input).
    Not,
    /// `a * b`.
    And,
    /// `a + b - a * b`.
    Or,
    /// `a + b - 2 * a * b`.
    Xor,
}

impl LogicKind {
    /// The op on two booleans (`b` ignored by `Not`).
    pub fn apply(self, a: bool, b: bool) -> bool {
        match self {
            LogicKind::Not => !a,
            LogicKind::And => a && b,
            LogicKind::Or => a || b,
            LogicKind::Xor => a != b,
        }
    }

    /// `(m_a, m_b, m_ab, c)` of `y = m_a * a + m_b * b + m_ab * a * b + c` on 0/1 values.
    pub fn polynomial(self) -> (i64, i64, i64, i64) {
        match self {
            LogicKind::Not => (-1, 0, 0, 1),
            LogicKind::And => (0, 0, 1, 0),
            LogicKind::Or => (1, 1, -1, 0),
            LogicKind::Xor => (1, 1, -2, 0),
        }
    }
}

/// `y = a (op) b` on booleans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logic {
    /// Which op.
    pub kind: LogicKind,
}

impl Logic {
    pub(super) fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        if self.kind == LogicKind::Not {
            let [a] = expect_inputs(inputs, 1, "Not")?[..] else {
                return Err(ShapeError::NoInputs);
            };
            return Ok(a.to_vec());
        }
        let [a, b] = expect_inputs(inputs, 2, "logic op")?[..] else {
            return Err(ShapeError::NoInputs);
        };
        broadcast_shapes(a, b)
    }

    /// Element of `a` and of `b` read by each output element (binary ops).
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }

    pub(super) fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        let bit = |v: bool| v as u8 as f64;
        if self.kind == LogicKind::Not {
            return inputs[0].iter().map(|&x| bit(x == 0.0)).collect();
        }
        let Ok((ia, ib)) = self.index_maps(shapes[0], shapes[1]) else {
            return Vec::new();
        };
        ia.iter()
            .zip(&ib)
            .map(|(&i, &j)| {
                let (x, y) = (inputs[0][i as usize] != 0.0, inputs[1][j as usize] != 0.0);
                bit(self.kind.apply(x, y))
            })
            .collect()
    }
}
