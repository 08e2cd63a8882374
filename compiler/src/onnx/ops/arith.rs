//! Element-wise arithmetic: Add, Sub, Mul, Div with numpy broadcasting. With a constant operand they become
//! one `ConstAffine` (later folded into a preceding dense layer where it is per-feature); between two
//! activations Add and Sub become `AddTensors`.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, ConstAffine, Op};

pub(super) fn register(r: &mut Registry) {
    r.insert("Add", add);
    r.insert("Sub", sub);
    r.insert("Mul", mul);
    r.insert("Div", div);
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
}

fn add(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Add)
}
fn sub(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Sub)
}
fn mul(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Mul)
}
fn div(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Div)
}

fn compact(v: Vec<f64>) -> Vec<f32> {
    if v.iter().all(|x| *x == v[0]) {
        vec![v[0] as f32]
    } else {
        v.into_iter().map(|x| x as f32).collect()
    }
}

fn binary(l: &mut Lowering, n: &NodeInfo, kind: Kind) -> Result<(), CompileError> {
    let (a, b) = (l.input(n, 0)?, l.input(n, 1)?);
    match (a, b) {
        (Val::Const(a), Val::Const(b)) => {
            let f = |x: f64, y: f64| match kind {
                Kind::Add => x + y,
                Kind::Sub => x - y,
                Kind::Mul => x * y,
                Kind::Div => x / y,
            };
            let c = a.zip(&b, f).map_err(|e| n.err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(c)) => affine(l, n, kind, x, &c, false),
        (Val::Const(c), Val::Act(x)) => affine(l, n, kind, x, &c, true),
        (Val::Act(x), Val::Act(y)) => match kind {
            Kind::Add | Kind::Sub => {
                let sign = if kind == Kind::Add { 1 } else { -1 };
                l.emit(n, &n.op, Op::AddTensors(AddTensors { sign }), vec![x, y])
                    .map(|_| ())
            }
            _ => Err(n.err(format!(
                "{} between two activations is not supported yet (only by a constant)",
                n.op
            ))),
        },
    }
}

/// `x (op) c`, or `c (op) x` when `const_first`.
fn affine(
    l: &mut Lowering,
    n: &NodeInfo,
    kind: Kind,
    x: usize,
    c: &ConstTensor,
    const_first: bool,
) -> Result<(), CompileError> {
    let shape = l.shape(x);
    let cv = c.broadcast_to(&shape).map_err(|e| n.err(e))?;
    let ones = vec![1.0; cv.len()];
    let zeros = vec![0.0; cv.len()];
    let (mul, add) = match (kind, const_first) {
        (Kind::Add, _) => (ones, cv),
        (Kind::Sub, false) => (ones, cv.iter().map(|v| -v).collect()),
        (Kind::Sub, true) => (vec![-1.0; cv.len()], cv),
        (Kind::Mul, _) => (cv, zeros),
        (Kind::Div, false) => {
            if cv.iter().any(|v| *v == 0.0) {
                return Err(n.err("division by a constant zero"));
            }
            (cv.iter().map(|v| 1.0 / v).collect(), zeros)
        }
        (Kind::Div, true) => {
            return Err(n.err("dividing a constant by an activation is not supported yet"))
        }
    };
    let op = ConstAffine {
        mul: compact(mul),
        add: compact(add),
    };
    l.emit(n, &n.op, Op::ConstAffine(op), vec![x]).map(|_| ())
}
