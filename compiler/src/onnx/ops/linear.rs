//! Linear ops with constant weights: MatMul (activation x constant) and Gemm (alpha, beta, transA, transB).
//! Both become a `Dense` layer over the last axis, weights in fixed columns; with committed weights (an
//! activation B) a `MatMulAct`.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::{CompileError, LowerError};
use zkinfer_circuits::graph::{ConstAffine, Dense, Op, Reshape};

pub(super) fn register(r: &mut Registry) {
    r.insert("MatMul", matmul);
    r.insert("Gemm", gemm);
}

/// Constant matrix product of 2-D constants (for folding).
fn const_matmul(a: &ConstTensor, b: &ConstTensor) -> Result<ConstTensor, LowerError> {
    let (&[m, k], &[k2, n]) = (&a.shape[..], &b.shape[..]) else {
        return Err(LowerError::MatMulRank {
            a: a.shape.clone(),
            b: b.shape.clone(),
        });
    };
    if k != k2 {
        return Err(LowerError::MatMulShapes {
            a: a.shape.clone(),
            b: b.shape.clone(),
        });
    }
    let mut data = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            data[i * n + j] = (0..k).map(|t| a.data[i * k + t] * b.data[t * n + j]).sum();
        }
    }
    Ok(ConstTensor {
        shape: vec![m, n],
        data,
    })
}

fn matmul(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    match (l.input(n, 0)?, l.input(n, 1)?) {
        (Val::Const(a), Val::Const(b)) => {
            let c = const_matmul(&a, &b).map_err(|e| n.lower_err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(w)) => {
            let xs = l.shape(x);
            let in_f = *xs
                .last()
                .ok_or_else(|| n.err("the activation operand is a scalar"))?;
            let (rows, out_f) = match w.shape[..] {
                [k, m] if k == in_f => (k, m),
                [k] if k == in_f => (k, 1),
                _ => {
                    return Err(n.err(format!(
                        "weights of shape {:?} do not multiply an input of shape {xs:?}",
                        w.shape
                    )))
                }
            };
            // Dense stores [out][in]: transpose the [in][out] constant
            let weight = (0..out_f)
                .flat_map(|o| (0..rows).map(move |i| (o, i)))
                .map(|(o, i)| w.data[i * out_f + o] as f32)
                .collect();
            let dense = Dense {
                in_features: in_f,
                out_features: out_f,
                weight,
                bias: vec![0.0; out_f],
            };
            if w.shape.len() == 1 {
                // matrix x vector drops the last axis
                let mut name = n.proto.output.first().cloned().unwrap_or_default();
                name.push_str("/matvec");
                let t =
                    l.graph
                        .add_node(n.name.clone(), "MatMul", Op::Dense(dense), vec![x], name)?;
                let shape = xs[..xs.len() - 1].to_vec();
                l.emit(n, "MatMul", Op::Reshape(Reshape { shape }), vec![t])
                    .map(|_| ())
            } else {
                l.emit(n, "MatMul", Op::Dense(dense), vec![x]).map(|_| ())
            }
        }
        (Val::Const(w), Val::Act(x)) => {
            let op = super::matmul_act::const_left(l, n, &w, x)?;
            l.emit(n, "MatMul", Op::Linear(op), vec![x]).map(|_| ())
        }
        (Val::Act(a), Val::Act(b)) => {
            let (sa, sb) = (l.shape(a), l.shape(b));
            let p = match (sa.len(), sb.len()) {
                // an activation of another rank times a matrix (a committed weight): numpy's broadcast
                // of the matrix over the leading axes, as one [rows, K] @ [K, N] product
                (ra, 2) if ra != 2 => {
                    let k = sa.last().copied().unwrap_or(1);
                    let rows = sa[..sa.len().saturating_sub(1)].iter().product::<usize>();
                    let flat = l.add(
                        n,
                        "rows",
                        Op::Reshape(Reshape {
                            shape: vec![rows, k],
                        }),
                        vec![a],
                    )?;
                    let p = super::matmul_act::product(l, n, flat, b, false, false)?;
                    let mut shape = sa[..sa.len().saturating_sub(1)].to_vec();
                    shape.push(sb[1]);
                    l.add(n, "unrows", Op::Reshape(Reshape { shape }), vec![p])?
                }
                _ => super::matmul_act::product(l, n, a, b, false, false)?,
            };
            l.set_output(n, Val::Act(p))
        }
    }
}

fn gemm(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let alpha = n.attr_float("alpha", 1.0) as f64;
    let beta = n.attr_float("beta", 1.0) as f64;
    let trans_a = n.attr_int("transA", 0) != 0;
    let trans_b = n.attr_int("transB", 0) != 0;
    let x = match l.input(n, 0)? {
        Val::Act(x) => x,
        Val::Const(_) => {
            return Err(n.err("a constant A operand is not supported (A must be the activation)"))
        }
    };
    let w = match l.input(n, 1)? {
        Val::Const(w) => w,
        Val::Act(b) => return gemm_acts(l, n, x, b, (alpha, beta), (trans_a, trans_b)),
    };
    let xs = l.shape(x);
    let [m, k] = xs[..] else {
        return Err(n.err(format!("A must be 2-D, got shape {xs:?}")));
    };
    let (m, k, x) = if trans_a {
        if k != 1 && m != 1 {
            return Err(
                n.err("transA = 1 on an activation with more than one row is not supported")
            );
        }
        let name = format!(
            "{}/transA",
            n.proto.output.first().cloned().unwrap_or_default()
        );
        let t = l.graph.add_node(
            n.name.clone(),
            "Gemm",
            Op::Reshape(Reshape { shape: vec![k, m] }),
            vec![x],
            name,
        )?;
        (k, m, t)
    } else {
        (m, k, x)
    };
    let [b0, b1] = w.shape[..] else {
        return Err(n.err(format!("B must be 2-D, got shape {:?}", w.shape)));
    };
    let (bk, out_f) = if trans_b { (b1, b0) } else { (b0, b1) };
    if bk != k {
        return Err(n.err(format!(
            "A has {k} columns but B has {bk} rows (transB = {trans_b})"
        )));
    }
    let weight: Vec<f32> = (0..out_f)
        .flat_map(|o| (0..k).map(move |i| (o, i)))
        .map(|(o, i)| {
            let v = if trans_b {
                w.data[o * k + i]
            } else {
                w.data[i * out_f + o]
            };
            (alpha * v) as f32
        })
        .collect();
    let c = l.opt_input(n, 2)?;
    let cfull = match c {
        None => None,
        Some(Val::Act(_)) => return Err(n.err("C must be a constant")),
        Some(Val::Const(c)) => Some(
            c.broadcast_to(&[m, out_f])
                .map_err(|e| n.err(format!("C: {e}")))?,
        ),
    };
    // a per-column C is the bias; a C that varies by row is added after the product
    let per_column = cfull
        .as_ref()
        .is_none_or(|c| (0..m * out_f).all(|i| c[i] == c[i % out_f]));
    let bias: Vec<f32> = match (&cfull, per_column) {
        (Some(c), true) => (0..out_f).map(|o| (beta * c[o]) as f32).collect(),
        _ => vec![0.0; out_f],
    };
    let dense = Dense {
        in_features: k,
        out_features: out_f,
        weight,
        bias,
    };
    match cfull {
        Some(c) if !per_column => {
            let name = format!(
                "{}/product",
                n.proto.output.first().cloned().unwrap_or_default()
            );
            let t = l
                .graph
                .add_node(n.name.clone(), "Gemm", Op::Dense(dense), vec![x], name)?;
            let add = c.iter().map(|v| (beta * v) as f32).collect();
            let op = ConstAffine {
                mul: vec![1.0],
                add,
            };
            l.emit(n, "Gemm", Op::ConstAffine(op), vec![t]).map(|_| ())
        }
        _ => l.emit(n, "Gemm", Op::Dense(dense), vec![x]).map(|_| ()),
    }
}

/// Gemm with an activation B: the product of activations, then `alpha`, `beta * C`.
fn gemm_acts(
    l: &mut Lowering,
    n: &NodeInfo,
    a: usize,
    b: usize,
    (alpha, beta): (f64, f64),
    (ta, tb): (bool, bool),
) -> Result<(), CompileError> {
    let p = super::matmul_act::product(l, n, a, b, ta, tb)?;
    let shape = l.shape(p);
    match l.opt_input(n, 2)? {
        None if alpha == 1.0 => l.set_output(n, Val::Act(p)),
        None | Some(Val::Const(_)) => {
            let add = match l.opt_input(n, 2)? {
                Some(Val::Const(c)) => c
                    .broadcast_to(&shape)
                    .map_err(|e| n.err(format!("C: {e}")))?
                    .iter()
                    .map(|v| (beta * v) as f32)
                    .collect(),
                _ => vec![0.0],
            };
            let op = ConstAffine {
                mul: vec![alpha as f32],
                add,
            };
            l.emit(n, "Gemm", Op::ConstAffine(op), vec![p]).map(|_| ())
        }
        Some(Val::Act(c)) => {
            let scale =
                |l: &mut Lowering, t: usize, f: f64, what: &str| -> Result<usize, CompileError> {
                    if f == 1.0 {
                        return Ok(t);
                    }
                    let op = ConstAffine {
                        mul: vec![f as f32],
                        add: vec![0.0],
                    };
                    l.add(n, what, Op::ConstAffine(op), vec![t])
                };
            let p = scale(l, p, alpha, "alpha")?;
            let c = scale(l, c, beta, "beta")?;
            l.emit(
                n,
                "Gemm",
                Op::AddTensors(zkinfer_circuits::graph::AddTensors { sign: 1 }),
                vec![p, c],
            )
            .map(|_| ())
        }
    }
}
