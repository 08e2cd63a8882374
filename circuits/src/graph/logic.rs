//! Logic: `Not`, `And`, `Or`, `Xor` on boolean tensors (0.0 / 1.0), with numpy broadcasting. Their inputs
//! must be booleans the circuit already constrains (comparisons, other logic ops, boolean inputs); on such
//! inputs `1 - a`, `a * b`, `a + b - a * b` and `a + b - 2 * a * b` are booleans too. Quantised, each is
//! one lane row per element: the polynomial times `2^b`, with the boolean gate on its quotient.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::encoding::Encoding;
use crate::error::Result;
use crate::quant::{not_identity, shape_err, Quantiser, Rows};
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
    /// Element of `a` and of `b` read by each output element (binary ops).
    pub fn index_maps(&self, a: &[usize], b: &[usize]) -> Result<(Vec<u32>, Vec<u32>), ShapeError> {
        let out = broadcast_shapes(a, b)?;
        Ok((broadcast_index_map(a, &out), broadcast_index_map(b, &out)))
    }
}

impl IrOp for Logic {
    fn name(&self) -> &'static str {
        match self.kind {
            LogicKind::Not => "Not",
            _ => "logic op",
        }
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(if self.kind == LogicKind::Not { 1 } else { 2 })
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        match inputs {
            [a, b] => broadcast_shapes(a, b),
            _ => Ok(inputs[0].to_vec()),
        }
    }

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
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

    /// A logic op on booleans: one row per element.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let pow = 1i64 << q.b();
        for &t in &node.inputs {
            q.require_bool(&nref, t)?;
        }
        let (ma, mb, mab, c) = self.kind.polynomial();
        let shape = q.g.tensors[node.output].shape.clone();
        let rows = if self.kind == LogicKind::Not {
            Rows {
                a: node.inputs[0],
                b: None,
                a_map: None,
                b_map: None,
                m_a: vec![ma * pow],
                m_b: vec![0],
                m_ab: vec![],
                c: vec![c * pow],
            }
        } else {
            let (x, y) = (node.inputs[0], node.inputs[1]);
            let (s0, s1) = (q.g.tensors[x].shape.clone(), q.g.tensors[y].shape.clone());
            let (am, bm) = self.index_maps(&s0, &s1).map_err(shape_err(&nref))?;
            Rows {
                a: x,
                b: Some(y),
                a_map: not_identity(am, q.numel(x)),
                b_map: not_identity(bm, q.numel(y)),
                m_a: vec![ma * pow],
                m_b: vec![mb * pow],
                m_ab: vec![mab * pow],
                c: vec![c * pow],
            }
        };
        let out = Some(node.output);
        q.emit_rows(&nref, rows, out, &shape, "", Encoding::boolean(), true);
        Ok(())
    }
}
