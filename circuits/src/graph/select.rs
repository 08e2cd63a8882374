//! Where: `y = cond ? x : y` element-wise with numpy broadcasting, `cond` a boolean tensor the circuit
//! constrains, `x` and `y` activations or constants (one value, or one per output element). In the
//! circuit `y = cond * x + (1 - cond) * y` in lane rows; with a boolean `cond` the products are exact.

use super::broadcast::{broadcast_index_map, broadcast_shapes};
use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::{Node, TensorId};
use crate::encoding::Encoding;
use crate::error::{CircuitError, Result};
use crate::quant::{not_identity, shape_err, Quantiser, Rows};
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

    /// Element of each activation input read by each output element.
    pub fn index_maps(&self, inputs: &[&[usize]]) -> Result<Vec<Vec<u32>>, ShapeError> {
        IrOp::arity(self).check(self.name(), inputs.len())?;
        let out = IrOp::output_shape(self, inputs)?;
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
}

impl IrOp for Where {
    fn name(&self) -> &'static str {
        "Where"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(Where::arity(self))
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
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

    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
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

    /// A selection `c ? x : y`: `c*x` and `(1 - c)*y` rows and their sum (a constant side folds into the
    /// sum row).
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let pow = 1i64 << q.b();
        let cond = node.inputs[0];
        q.require_bool(&nref, cond)?;
        let shape = q.g.tensors[node.output].shape.clone();
        let n = q.numel(node.output);
        let in_shapes: Vec<Vec<usize>> = node
            .inputs
            .iter()
            .map(|&t| q.g.tensors[t].shape.clone())
            .collect();
        let refs: Vec<&[usize]> = in_shapes.iter().map(Vec::as_slice).collect();
        let maps = self.index_maps(&refs).map_err(shape_err(&nref))?;
        let acts: Vec<TensorId> = node.inputs[1..].to_vec();
        let enc = match acts.len() {
            0 => Encoding::signed(q.scale(node.output), q.b()),
            _ => q.common(&nref, &acts)?,
        };
        let acts = acts
            .iter()
            .map(|&t| q.requant(&nref, t, enc))
            .collect::<Result<Vec<_>>>()?;
        let stored = |c: &[f32], q: &Quantiser<'_>| -> Result<Vec<i64>> {
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
        let cmap = not_identity(maps[0].clone(), q.numel(cond));
        // `c * v` (or `(1 - c) * v` when `negate`) of activation side `k`
        let product = |q: &mut Quantiser<'_>, k: usize, negate: bool, what: &str| -> TensorId {
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
        let rows = match (&self.x, &self.y) {
            (None, None) => {
                let p = product(q, 0, false, "c*x");
                let u = product(q, 1, true, "(1-c)*y");
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
                let k = stored(yc, q)?;
                let p = product(q, 0, false, "c*x");
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
                let k = stored(xc, q)?;
                let u = product(q, 0, true, "(1-c)*y");
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
                let (kx, ky) = (stored(xc, q)?, stored(yc, q)?);
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
        q.emit_rows(&nref, rows, out, &shape, "", enc, false);
        Ok(())
    }
}
