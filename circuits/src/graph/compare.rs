//! Compare: `Less`, `LessOrEqual`, `Greater`, `GreaterOrEqual`, `Equal` between two activations (numpy
//! broadcasting) or an activation and constants. The output is a boolean tensor (0.0 / 1.0).
//!
//! In the circuit both sides are compared as quantised values on one scale: two activations in one
//! encoding (re-encoded to the coarser one when they differ), an activation `x` against a constant `t`
//! at `x`'s scale `2^s`, exactly: `x_q < t * 2^s`, `x_q <= t * 2^s` and so on, with `x_q` the stored
//! integer; `Equal` against a constant holds when `x_q = round(t * 2^s)`.
//!
//! A comparison row computes `d + 2^b` for an integer difference `d` in `[-2^b, 2^b)` of stored values on
//! one scale, so its quotient is the sign bit `[d >= 0]` (the remainder, range-checked, is the rest) and
//! the boolean gate holds it to {0, 1}: `a >= b` is `[a - b >= 0]`, `a > b` is `[a - b - 1 >= 0]`, `a <= b`
//! and `a < b` the same with the operands swapped, and `a == b` is `[a >= b] + [a <= b] - 1` (two sign
//! rows and their sum).

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::{Node, TensorId};
use crate::encoding::Encoding;
use crate::error::Result;
use crate::quant::{not_identity, shape_err, Quantiser, Rows};
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
}

/// The right operand of a quantised comparison.
enum Rhs {
    /// A second activation (re-encoded to the first's encoding) and the index maps of both sides.
    Activation(TensorId, (Option<Vec<u32>>, Option<Vec<u32>>)),
    /// Integer thresholds per element at the input's scale, the stored range `[lo, hi]` and the offset.
    Constants(Vec<f64>, i64, i64, i64),
}

impl IrOp for Compare {
    fn name(&self) -> &'static str {
        "Compare"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(if self.rhs.is_some() { 1 } else { 2 })
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        match &self.rhs {
            Some(rhs) => {
                let a = inputs[0];
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
            None => broadcast_shapes(inputs[0], inputs[1]),
        }
    }

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
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

    /// A comparison: one sign row per element (`Equal`: two sign rows and their sum).
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let b = q.b();
        let pow = 1i64 << b;
        let shape = q.g.tensors[node.output].shape.clone();
        let n = q.numel(node.output);
        // `[s * (x - y) + k >= 0]` rows: (sign, k) per element, with y a second input or a constant
        let sign_row = |ge: bool, strict: bool| -> (i64, i64) {
            let s = if ge { 1 } else { -1 };
            (s, pow - strict as i64)
        };
        let x0 = node.inputs[0];
        let (x, rhs) = match &self.rhs {
            None => {
                let y0 = node.inputs[1];
                let target = q.common(&nref, &[x0, y0])?;
                let x = q.requant(&nref, x0, target)?;
                let y = q.requant(&nref, y0, target)?;
                let (s0, s1) = (q.g.tensors[x0].shape.clone(), q.g.tensors[y0].shape.clone());
                let (ma, mb) = self.index_maps(&s0, &s1).map_err(shape_err(&nref))?;
                let maps = (not_identity(ma, q.numel(x)), not_identity(mb, q.numel(y)));
                (x, Rhs::Activation(y, maps))
            }
            Some(_) => {
                let e = q.enc(&nref, x0)?;
                let unit = e.unit();
                let (lo, hi) = (-e.offset, (1i64 << e.bits) - 1 - e.offset);
                // the integer threshold of each element, clamped to where the answer is already decided
                let t: Vec<f64> = (0..n)
                    .map(|i| self.rhs_at(i).unwrap_or(0.0) as f64 * unit)
                    .collect();
                (x0, Rhs::Constants(t, lo, hi, e.offset))
            }
        };
        // rows for `[x >= y]`-style decisions: `ge` = x on the large side, `strict`
        let decide = |q: &mut Quantiser<'_>,
                      ge: bool,
                      strict: bool,
                      round: bool,
                      output: Option<TensorId>,
                      what: &str|
         -> TensorId {
            let (s, k) = sign_row(ge, strict);
            let rows = match &rhs {
                Rhs::Activation(y, maps) => Rows {
                    a: x,
                    b: Some(*y),
                    a_map: maps.0.clone(),
                    b_map: maps.1.clone(),
                    m_a: vec![s],
                    m_b: vec![-s],
                    m_ab: vec![],
                    c: vec![k],
                },
                Rhs::Constants(t, lo, hi, offset) => {
                    // x_q >= t: x_q >= ceil(t); x_q > t: x_q >= floor(t) + 1; x_q <= t: x_q <= floor(t);
                    // x_q < t: x_q <= ceil(t) - 1; Equal uses round(t) on both sides
                    let c = t
                        .iter()
                        .map(|&tv| {
                            let th = match (round, ge, strict) {
                                // NaN compares false; Equal's `le` half is then true so the sum is 0
                                _ if tv.is_nan() => match (ge, round) {
                                    (true, _) => (*hi + 1) as f64,
                                    (false, true) => *hi as f64,
                                    (false, false) => (*lo - 1) as f64,
                                },
                                (true, _, _) => tv.round(),
                                (false, true, false) => tv.ceil(),
                                (false, true, true) => tv.floor() + 1.0,
                                (false, false, false) => tv.floor(),
                                (false, false, true) => tv.ceil() - 1.0,
                            };
                            // clamped to where the answer is decided, so `d` stays in [-2^bits, 2^bits)
                            let th = match ge {
                                true => th.clamp(*lo as f64, (*hi + 1) as f64),
                                false => th.clamp((*lo - 1) as f64, *hi as f64),
                            } as i64;
                            // ge: x' - offset - th + 2^b; le: th - x' + offset + 2^b
                            match ge {
                                true => -offset - th + pow,
                                false => th + offset + pow,
                            }
                        })
                        .collect();
                    Rows {
                        a: x,
                        b: None,
                        a_map: None,
                        b_map: None,
                        m_a: vec![if ge { 1 } else { -1 }],
                        m_b: vec![0],
                        m_ab: vec![],
                        c,
                    }
                }
            };
            q.emit_rows(&nref, rows, output, &shape, what, Encoding::boolean(), true)
        };
        let out = Some(node.output);
        match self.kind {
            CompareKind::GreaterOrEqual => {
                decide(q, true, false, false, out, "");
            }
            CompareKind::Greater => {
                decide(q, true, true, false, out, "");
            }
            CompareKind::LessOrEqual => {
                decide(q, false, false, false, out, "");
            }
            CompareKind::Less => {
                decide(q, false, true, false, out, "");
            }
            CompareKind::Equal => {
                let ge = decide(q, true, false, true, None, "ge");
                let le = decide(q, false, false, true, None, "le");
                let rows = Rows {
                    a: ge,
                    b: Some(le),
                    a_map: None,
                    b_map: None,
                    m_a: vec![pow],
                    m_b: vec![pow],
                    m_ab: vec![],
                    c: vec![-pow],
                };
                q.emit_rows(&nref, rows, out, &shape, "", Encoding::boolean(), true);
            }
        }
        Ok(())
    }
}
