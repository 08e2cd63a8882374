//! Reductions and normalised exponentials: ReduceSum, ReduceMean (a `Linear`), ReduceMax, ReduceMin
//! (max/min trees), Softmax and LogSoftmax (max shift, exp table, sum, reciprocal or log table).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::build::{reduce_axes, reduce_minmax, reduce_sum, reduction_groups};
use super::index::axis;
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, Binary, BinaryKind, Func, Op, TensorId};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("ReduceSum", reduce_sum_op);
    r.insert("ReduceMean", reduce_mean_op);
    r.insert("ReduceMax", reduce_max_op);
    r.insert("ReduceMin", reduce_min_op);
    r.insert("Softmax", softmax);
    r.insert("LogSoftmax", log_softmax);
}

#[derive(Clone, Copy, PartialEq)]
enum Reduce {
    Sum,
    Mean,
    Max,
    Min,
}

fn reduce(l: &mut Lowering, n: &NodeInfo, kind: Reduce) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let shape = match &v {
        Val::Act(t) => l.shape(*t),
        Val::Const(c) => c.shape.clone(),
    };
    // ReduceSum takes axes as an input from opset 13, the others from opset 18
    let axes_input = (kind == Reduce::Sum && l.opset >= 13) || l.opset >= 18;
    let axes = if axes_input {
        reduce_axes(l, n, shape.len(), 1)?
    } else {
        reduce_axes(l, n, shape.len(), usize::MAX)?
    };
    let keepdims = n.attr_int("keepdims", 1) != 0;
    match v {
        Val::Const(c) => {
            let (out_shape, groups) = reduction_groups(&c.shape, &axes, keepdims);
            let data = groups
                .iter()
                .map(|g| {
                    let vals = g.iter().map(|&i| c.data[i as usize]);
                    match kind {
                        Reduce::Sum => vals.sum(),
                        Reduce::Mean => vals.sum::<f64>() / g.len() as f64,
                        Reduce::Max => vals.fold(f64::NEG_INFINITY, f64::max),
                        Reduce::Min => vals.fold(f64::INFINITY, f64::min),
                    }
                })
                .collect();
            l.set_output(
                n,
                Val::Const(ConstTensor {
                    shape: out_shape,
                    data,
                }),
            )
        }
        Val::Act(x) if axes.is_empty() => l.set_output(n, Val::Act(x)),
        Val::Act(x) => match kind {
            Reduce::Sum | Reduce::Mean => {
                let op = reduce_sum(l, n, x, &axes, keepdims, kind == Reduce::Mean)?;
                l.emit(n, &n.op, Op::Linear(op), vec![x]).map(|_| ())
            }
            Reduce::Max | Reduce::Min => {
                let k = if kind == Reduce::Max {
                    BinaryKind::Max
                } else {
                    BinaryKind::Min
                };
                let y = reduce_minmax(l, n, x, &axes, keepdims, k)?;
                l.set_output(n, Val::Act(y))
            }
        },
    }
}

fn reduce_sum_op(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    reduce(l, n, Reduce::Sum)
}
fn reduce_mean_op(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    reduce(l, n, Reduce::Mean)
}
fn reduce_max_op(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    reduce(l, n, Reduce::Max)
}
fn reduce_min_op(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    reduce(l, n, Reduce::Min)
}

/// The axes a softmax normalises over: the one axis (opset 13+) or every axis from it on (before).
fn softmax_axes(l: &Lowering, n: &NodeInfo, rank: usize) -> Result<Vec<usize>, CompileError> {
    let default = if l.opset >= 13 { -1 } else { 1 };
    let a = axis(n.attr_int("axis", default), rank).map_err(|e| n.err(e))?;
    Ok(if l.opset >= 13 {
        vec![a]
    } else {
        (a..rank).collect()
    })
}

/// `d = x - max(x)` over the axes, and `s = sum(exp(d))` (keepdims), fused where possible.
type Shifted = (TensorId, TensorId, TensorId);

fn shifted(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    axes: &[usize],
) -> Result<Shifted, CompileError> {
    let m = reduce_minmax(l, n, x, axes, true, BinaryKind::Max)?;
    let d = l.add(
        n,
        "shifted",
        Op::AddTensors(AddTensors { sign: -1 }),
        vec![x, m],
    )?;
    let e = l.add(n, "exp", Op::Func(Func { f: FuncKind::Exp }), vec![d])?;
    let sum = reduce_sum(l, n, e, axes, true, false)?;
    let s = l.add(n, "sum", Op::Linear(sum), vec![e])?;
    Ok((d, e, s))
}

fn act_input(l: &Lowering, n: &NodeInfo) -> Result<TensorId, CompileError> {
    match l.input(n, 0)? {
        Val::Act(x) => Ok(x),
        Val::Const(_) => Err(n.err("a constant input is not supported")),
    }
}

fn softmax(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = act_input(l, n)?;
    let axes = softmax_axes(l, n, l.shape(x).len())?;
    let (_, e, s) = shifted(l, n, x, &axes)?;
    let inv = l.add(
        n,
        "reciprocal",
        Op::Func(Func {
            f: FuncKind::Reciprocal,
        }),
        vec![s],
    )?;
    l.emit(
        n,
        "Softmax",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
        }),
        vec![e, inv],
    )
    .map(|_| ())
}

fn log_softmax(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = act_input(l, n)?;
    let axes = softmax_axes(l, n, l.shape(x).len())?;
    let (d, _, s) = shifted(l, n, x, &axes)?;
    let ls = l.add(n, "log_sum", Op::Func(Func { f: FuncKind::Log }), vec![s])?;
    l.emit(
        n,
        "LogSoftmax",
        Op::AddTensors(AddTensors { sign: -1 }),
        vec![d, ls],
    )
    .map(|_| ())
}
