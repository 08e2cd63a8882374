//! Comparisons and logic: Less, LessOrEqual, Greater, GreaterOrEqual, Equal (two activations, or an
//! activation and a constant on either side), Not, And, Or, Xor on booleans, and Where. Constant operands
//! fold. Booleans are 0/1 tensors the circuit constrains (see `zkinfer_circuits::graph::Compare`).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    broadcast_shapes, Compare, CompareKind, ConstAffine, Logic, LogicKind, Op, TensorId, Where,
};

pub(super) fn register(r: &mut Registry) {
    r.insert("Less", less);
    r.insert("LessOrEqual", less_or_equal);
    r.insert("Greater", greater);
    r.insert("GreaterOrEqual", greater_or_equal);
    r.insert("Equal", equal);
    r.insert("Not", not);
    r.insert("And", and);
    r.insert("Or", or);
    r.insert("Xor", xor);
    r.insert("Where", select);
}

fn less(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    compare(l, n, CompareKind::Less)
}
fn less_or_equal(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    compare(l, n, CompareKind::LessOrEqual)
}
fn greater(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    compare(l, n, CompareKind::Greater)
}
fn greater_or_equal(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    compare(l, n, CompareKind::GreaterOrEqual)
}
fn equal(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    compare(l, n, CompareKind::Equal)
}
fn not(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    logic(l, n, LogicKind::Not)
}
fn and(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    logic(l, n, LogicKind::And)
}
fn or(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    logic(l, n, LogicKind::Or)
}
fn xor(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    logic(l, n, LogicKind::Xor)
}

fn bit(v: bool) -> f64 {
    v as u8 as f64
}

/// `x (cmp) c` for constants broadcast to `x`'s shape (an activation to a larger constant is expanded
/// first by a gather).
pub(super) fn compare_const(
    l: &mut Lowering,
    n: &NodeInfo,
    kind: CompareKind,
    x: TensorId,
    c: &ConstTensor,
) -> Result<TensorId, CompileError> {
    let x = expand_to(l, n, x, &c.shape)?;
    let shape = l.shape(x);
    let cv = c.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
    let rhs = if cv.iter().all(|v| *v == cv[0]) {
        vec![cv[0] as f32]
    } else {
        cv.iter().map(|v| *v as f32).collect()
    };
    let op = Op::Compare(Compare {
        kind,
        rhs: Some(rhs),
    });
    l.emit(n, &n.op, op, vec![x])
}

/// `x` broadcast to the common shape of `x` and `other` (a gather; `x` itself when it already has it).
pub(super) fn expand_to(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    other: &[usize],
) -> Result<TensorId, CompileError> {
    let shape = l.shape(x);
    let out = broadcast_shapes(&shape, other).map_err(|e| n.lower_err(e))?;
    if out == shape {
        return Ok(x);
    }
    let map = zkinfer_circuits::graph::broadcast_index_map(&shape, &out)
        .into_iter()
        .map(Some)
        .collect();
    super::build::gather(l, n, "expanded", vec![x], out, map, 0.0)
}

fn compare(l: &mut Lowering, n: &NodeInfo, kind: CompareKind) -> Result<(), CompileError> {
    match (l.input(n, 0)?, l.input(n, 1)?) {
        (Val::Const(a), Val::Const(b)) => {
            let c = a
                .zip(&b, |x, y| bit(kind.holds(x, y)))
                .map_err(|e| n.lower_err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(c)) => compare_const(l, n, kind, x, &c).map(|_| ()),
        (Val::Const(c), Val::Act(x)) => compare_const(l, n, kind.swapped(), x, &c).map(|_| ()),
        (Val::Act(x), Val::Act(y)) => {
            let op = Op::Compare(Compare { kind, rhs: None });
            l.emit(n, &n.op, op, vec![x, y]).map(|_| ())
        }
    }
}

fn logic(l: &mut Lowering, n: &NodeInfo, kind: LogicKind) -> Result<(), CompileError> {
    let truth = |v: f64| v != 0.0;
    if kind == LogicKind::Not {
        return match l.input(n, 0)? {
            Val::Const(c) => {
                let data = c.data.iter().map(|&v| bit(!truth(v))).collect();
                l.set_output(
                    n,
                    Val::Const(ConstTensor {
                        shape: c.shape,
                        data,
                    }),
                )
            }
            Val::Act(x) => l
                .emit(n, "Not", Op::Logic(Logic { kind }), vec![x])
                .map(|_| ()),
        };
    }
    match (l.input(n, 0)?, l.input(n, 1)?) {
        (Val::Const(a), Val::Const(b)) => {
            let c = a
                .zip(&b, |x, y| bit(kind.apply(truth(x), truth(y))))
                .map_err(|e| n.lower_err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(c)) | (Val::Const(c), Val::Act(x)) => {
            // with a constant side the op is affine in the boolean: And(x, 1) = x, Or(x, 1) = 1,
            // Xor(x, 1) = 1 - x, ...
            let x = expand_to(l, n, x, &c.shape)?;
            let cv = c.broadcast_to(&l.shape(x)).map_err(|e| n.lower_err(e))?;
            let (mul, add): (Vec<f32>, Vec<f32>) = cv
                .iter()
                .map(|&v| match (kind, truth(v)) {
                    (LogicKind::And, true) | (LogicKind::Or | LogicKind::Xor, false) => (1.0, 0.0),
                    (LogicKind::And, false) => (0.0, 0.0),
                    (LogicKind::Or, true) => (0.0, 1.0),
                    (LogicKind::Xor, true) | (LogicKind::Not, _) => (-1.0, 1.0),
                })
                .unzip();
            if mul.iter().all(|m| *m == 1.0) && add.iter().all(|a| *a == 0.0) {
                return l.alias_output(n, x);
            }
            let op = Op::ConstAffine(ConstAffine { mul, add });
            let t = l.emit(n, &n.op, op, vec![x])?;
            // an affine map of a boolean is a boolean only in value; re-derive it as one
            let b = l.add(
                n,
                "as_bool",
                Op::Compare(Compare {
                    kind: CompareKind::GreaterOrEqual,
                    rhs: Some(vec![0.5]),
                }),
                vec![t],
            )?;
            l.alias_output(n, b)
        }
        (Val::Act(x), Val::Act(y)) => l
            .emit(n, &n.op, Op::Logic(Logic { kind }), vec![x, y])
            .map(|_| ()),
    }
}

/// Where(cond, x, y). A computed condition is the `Where` IR op (constant sides become its constants); a
/// constant condition selects at compile time (`select_const`).
fn select(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let (c, x, y) = (l.input(n, 0)?, l.input(n, 1)?, l.input(n, 2)?);
    let shape_of = |l: &Lowering, v: &Val| match v {
        Val::Act(t) => l.shape(*t),
        Val::Const(c) => c.shape.clone(),
    };
    let mut out = shape_of(l, &c);
    for v in [&x, &y] {
        out = broadcast_shapes(&out, &shape_of(l, v)).map_err(|e| n.lower_err(e))?;
    }
    let cond = match c {
        Val::Act(cond) => cond,
        Val::Const(c) => return super::select_const::select_const(l, n, &c, x, y, &out),
    };
    let cond = expand_to(l, n, cond, &out)?;
    let mut inputs = vec![cond];
    let mut side = |l: &mut Lowering, v: Val| -> Result<Option<Vec<f32>>, CompileError> {
        match v {
            Val::Const(k) => {
                let kv = k.broadcast_to(&out).map_err(|e| n.lower_err(e))?;
                Ok(Some(if kv.iter().all(|v| *v == kv[0]) {
                    vec![kv[0] as f32]
                } else {
                    kv.iter().map(|v| *v as f32).collect()
                }))
            }
            Val::Act(t) => {
                inputs.push(expand_to(l, n, t, &out)?);
                Ok(None)
            }
        }
    };
    let xs = side(l, x)?;
    let ys = side(l, y)?;
    l.emit(n, "Where", Op::Where(Where { x: xs, y: ys }), inputs)
        .map(|_| ())
}
