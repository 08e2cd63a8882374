//! Quantised comparisons, logic ops and selections: lane rows whose quotient is a boolean.
//!
//! A comparison row computes `d + 2^b` for an integer difference `d` in `[-2^b, 2^b)` of stored values on
//! one scale, so its quotient is the sign bit `[d >= 0]` (the remainder, range-checked, is the rest) and
//! the boolean gate holds it to {0, 1}: `a >= b` is `[a - b >= 0]`, `a > b` is `[a - b - 1 >= 0]`, `a <= b`
//! and `a < b` the same with the operands swapped, and `a == b` is `[a >= b] + [a <= b] - 1` (two sign
//! rows and their sum). Logic ops are polynomials on booleans (`1 - a`, `a*b`, `a + b - a*b`,
//! `a + b - 2ab`) times `2^b`, and a selection `c ? x : y` is `c*x + (1 - c)*y` in stored values of one
//! encoding: rows `c*x`, `(1 - c)*y` and their sum.

use super::node::Quantiser;
use super::QLane;
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Compare, CompareKind, Logic, LogicKind, Node, TensorId, Where};
use crate::settings::TableKind;

/// Coefficients of one lane op (vectors of length 1 broadcast).
struct Rows {
    a: TensorId,
    b: Option<TensorId>,
    a_map: Option<Vec<u32>>,
    b_map: Option<Vec<u32>>,
    m_a: Vec<i64>,
    m_b: Vec<i64>,
    m_ab: Vec<i64>,
    c: Vec<i64>,
}

fn not_identity(m: Vec<u32>, numel: usize) -> Option<Vec<u32>> {
    let identity = m.len() == numel && m.iter().enumerate().all(|(i, &j)| i == j as usize);
    (!identity).then_some(m)
}

fn shape_err(node: &NodeRef) -> impl Fn(crate::graph::ShapeError) -> CircuitError + '_ {
    move |reason| CircuitError::Shape {
        node: node.clone(),
        reason,
    }
}

impl Quantiser<'_> {
    fn numel(&self, t: TensorId) -> usize {
        self.qm.tensors[t].numel()
    }

    /// Pushes a lane op producing `output` (a new tensor when `None`) in encoding `enc`.
    #[allow(clippy::too_many_arguments)]
    fn emit_rows(
        &mut self,
        node: &NodeRef,
        rows: Rows,
        output: Option<TensorId>,
        shape: &[usize],
        what: &str,
        enc: Encoding,
        boolean: bool,
    ) -> TensorId {
        let out = output
            .unwrap_or_else(|| self.new_tensor(format!("{}/{what}", node.name), shape.to_vec()));
        let act_tag = self.qm.tag_or_add(TableKind::Identity);
        let l = QLane {
            node: node.clone(),
            a: rows.a,
            b: rows.b,
            output: out,
            a_map: rows.a_map,
            b_map: rows.b_map,
            m_a: rows.m_a,
            m_b: rows.m_b,
            m_ab: rows.m_ab,
            m_zb: vec![],
            c: rows.c,
            act_tag,
            numel: 0,
            pre: enc,
            boolean,
        };
        self.push_lane(l, enc);
        out
    }

    fn require_bool(&self, node: &NodeRef, t: TensorId) -> Result<()> {
        if self.enc(node, t)? != Encoding::boolean() {
            return Err(CircuitError::Node {
                node: node.clone(),
                message: format!(
                    "input '{}' must be a boolean (a comparison's or logic op's result, or a boolean input)",
                    self.qm.tensors[t].name
                ),
            });
        }
        Ok(())
    }

    /// A comparison: one sign row per element (`Equal`: two sign rows and their sum).
    pub(super) fn compare(&mut self, node: &Node, cmp: &Compare) -> Result<()> {
        let nref = node.node_ref();
        let b = self.b();
        let pow = 1i64 << b;
        let shape = self.g.tensors[node.output].shape.clone();
        let n = self.numel(node.output);
        // `[s * (x - y) + k >= 0]` rows: (sign, k) per element, with y a second input or a constant
        let sign_row = |ge: bool, strict: bool| -> (i64, i64) {
            let s = if ge { 1 } else { -1 };
            (s, pow - strict as i64)
        };
        let (x, y, maps, consts) = match (&cmp.rhs, node.inputs.as_slice()) {
            (None, &[x0, y0]) => {
                let target = self.common(&nref, &[x0, y0])?;
                let x = self.requant(&nref, x0, target)?;
                let y = self.requant(&nref, y0, target)?;
                let (s0, s1) = (
                    self.g.tensors[x0].shape.clone(),
                    self.g.tensors[y0].shape.clone(),
                );
                let (ma, mb) = cmp.index_maps(&s0, &s1).map_err(shape_err(&nref))?;
                let maps = (
                    not_identity(ma, self.numel(x)),
                    not_identity(mb, self.numel(y)),
                );
                (x, Some(y), maps, None)
            }
            (Some(_), &[x0]) => {
                let e = self.enc(&nref, x0)?;
                let unit = e.unit();
                let (lo, hi) = (-e.offset, (1i64 << e.bits) - 1 - e.offset);
                // the integer threshold of each element, clamped to where the answer is already decided
                let t: Vec<f64> = (0..n)
                    .map(|i| cmp.rhs_at(i).unwrap_or(0.0) as f64 * unit)
                    .collect();
                (x0, None, (None, None), Some((t, lo, hi, e.offset)))
            }
            _ => {
                return Err(CircuitError::Node {
                    node: nref,
                    message: "a comparison takes two activations or one and constants".into(),
                })
            }
        };
        // rows for `[x >= y]`-style decisions: `ge` = x on the large side, `strict`
        let decide = |q: &mut Self,
                      ge: bool,
                      strict: bool,
                      round: bool,
                      output: Option<TensorId>,
                      what: &str|
         -> TensorId {
            let (s, k) = sign_row(ge, strict);
            let rows = match (&consts, y) {
                (None, Some(y)) => Rows {
                    a: x,
                    b: Some(y),
                    a_map: maps.0.clone(),
                    b_map: maps.1.clone(),
                    m_a: vec![s],
                    m_b: vec![-s],
                    m_ab: vec![],
                    c: vec![k],
                },
                (Some((t, lo, hi, offset)), _) => {
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
                _ => unreachable!("matched above"),
            };
            q.emit_rows(&nref, rows, output, &shape, what, Encoding::boolean(), true)
        };
        let out = Some(node.output);
        match cmp.kind {
            CompareKind::GreaterOrEqual => {
                decide(self, true, false, false, out, "");
            }
            CompareKind::Greater => {
                decide(self, true, true, false, out, "");
            }
            CompareKind::LessOrEqual => {
                decide(self, false, false, false, out, "");
            }
            CompareKind::Less => {
                decide(self, false, true, false, out, "");
            }
            CompareKind::Equal => {
                let ge = decide(self, true, false, true, None, "ge");
                let le = decide(self, false, false, true, None, "le");
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
                self.emit_rows(&nref, rows, out, &shape, "", Encoding::boolean(), true);
            }
        }
        Ok(())
    }

    /// A logic op on booleans: one row per element.
    pub(super) fn logic(&mut self, node: &Node, lg: &Logic) -> Result<()> {
        let nref = node.node_ref();
        let pow = 1i64 << self.b();
        for &t in &node.inputs {
            self.require_bool(&nref, t)?;
        }
        let (ma, mb, mab, c) = lg.kind.polynomial();
        let shape = self.g.tensors[node.output].shape.clone();
        let rows = if lg.kind == LogicKind::Not {
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
            let (s0, s1) = (
                self.g.tensors[x].shape.clone(),
                self.g.tensors[y].shape.clone(),
            );
            let (am, bm) = lg.index_maps(&s0, &s1).map_err(shape_err(&nref))?;
            Rows {
                a: x,
                b: Some(y),
                a_map: not_identity(am, self.numel(x)),
                b_map: not_identity(bm, self.numel(y)),
                m_a: vec![ma * pow],
                m_b: vec![mb * pow],
                m_ab: vec![mab * pow],
                c: vec![c * pow],
            }
        };
        let out = Some(node.output);
        self.emit_rows(&nref, rows, out, &shape, "", Encoding::boolean(), true);
        Ok(())
    }

    /// A selection `c ? x : y`: `c*x` and `(1 - c)*y` rows and their sum (a constant side folds into the
    /// sum row).
    pub(super) fn select(&mut self, node: &Node, w: &Where) -> Result<()> {
        let nref = node.node_ref();
        let pow = 1i64 << self.b();
        let cond = node.inputs[0];
        self.require_bool(&nref, cond)?;
        let shape = self.g.tensors[node.output].shape.clone();
        let n = self.numel(node.output);
        let in_shapes: Vec<Vec<usize>> = node
            .inputs
            .iter()
            .map(|&t| self.g.tensors[t].shape.clone())
            .collect();
        let refs: Vec<&[usize]> = in_shapes.iter().map(Vec::as_slice).collect();
        let maps = w.index_maps(&refs).map_err(shape_err(&nref))?;
        let acts: Vec<TensorId> = node.inputs[1..].to_vec();
        let enc = match acts.len() {
            0 => Encoding::signed(self.scale(node.output), self.b()),
            _ => self.common(&nref, &acts)?,
        };
        let acts = acts
            .iter()
            .map(|&t| self.requant(&nref, t, enc))
            .collect::<Result<Vec<_>>>()?;
        let stored = |c: &[f32], q: &Self| -> Result<Vec<i64>> {
            (0..n)
                .map(|i| {
                    let v = Where::const_at(c, i) as f64;
                    enc.quantise(v).ok_or_else(|| CircuitError::Node {
                        node: nref.clone(),
                        message: format!(
                            "the constant {v} is outside the selection's range [{}, {}] (of '{}')",
                            enc.min_value(),
                            enc.max_value(),
                            q.qm.tensors[node.output].name
                        ),
                    })
                })
                .collect()
        };
        let cmap = not_identity(maps[0].clone(), self.numel(cond));
        // `c * v` (or `(1 - c) * v` when `negate`) of activation side `k`
        let product = |q: &mut Self, k: usize, negate: bool, what: &str| -> TensorId {
            let rows = Rows {
                a: cond,
                b: Some(acts[k]),
                a_map: cmap.clone(),
                b_map: not_identity(maps[k + 1].clone(), q.numel(acts[k])),
                m_a: vec![0],
                m_b: vec![if negate { pow } else { 0 }],
                m_ab: vec![if negate { -pow } else { pow }],
                c: vec![0],
            };
            q.emit_rows(&nref, rows, None, &shape, what, enc, false)
        };
        let out = Some(node.output);
        let rows = match (&w.x, &w.y) {
            (None, None) => {
                let p = product(self, 0, false, "c*x");
                let u = product(self, 1, true, "(1-c)*y");
                Rows {
                    a: p,
                    b: Some(u),
                    a_map: None,
                    b_map: None,
                    m_a: vec![pow],
                    m_b: vec![pow],
                    m_ab: vec![],
                    c: vec![0],
                }
            }
            (None, Some(yc)) => {
                // c*x + (1 - c)*k
                let k = stored(yc, self)?;
                let p = product(self, 0, false, "c*x");
                Rows {
                    a: cond,
                    b: Some(p),
                    a_map: cmap.clone(),
                    b_map: None,
                    m_a: k.iter().map(|v| -v * pow).collect(),
                    m_b: vec![pow],
                    m_ab: vec![],
                    c: k.iter().map(|v| v * pow).collect(),
                }
            }
            (Some(xc), None) => {
                // (1 - c)*y + c*k
                let k = stored(xc, self)?;
                let u = product(self, 0, true, "(1-c)*y");
                Rows {
                    a: cond,
                    b: Some(u),
                    a_map: cmap.clone(),
                    b_map: None,
                    m_a: k.iter().map(|v| v * pow).collect(),
                    m_b: vec![pow],
                    m_ab: vec![],
                    c: vec![0],
                }
            }
            (Some(xc), Some(yc)) => {
                // k_y + c*(k_x - k_y)
                let (kx, ky) = (stored(xc, self)?, stored(yc, self)?);
                Rows {
                    a: cond,
                    b: None,
                    a_map: cmap.clone(),
                    b_map: None,
                    m_a: kx.iter().zip(&ky).map(|(a, b)| (a - b) * pow).collect(),
                    m_b: vec![0],
                    m_ab: vec![],
                    c: ky.iter().map(|v| v * pow).collect(),
                }
            }
        };
        self.emit_rows(&nref, rows, out, &shape, "", enc, false);
        Ok(())
    }
}
