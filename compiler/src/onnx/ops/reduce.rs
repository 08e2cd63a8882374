//! Reductions and normalised exponentials: ReduceSum, ReduceMean (a `Linear`), ReduceMax, ReduceMin
//! (max/min trees), ReduceL1/L2/SumSquare/LogSum/LogSumExp (a table, a sum, a table), Softmax and
//! LogSoftmax (max shift, exp table, sum, reciprocal or log table).

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
    r.insert("ReduceL1", reduce_l1);
    r.insert("ReduceL2", reduce_l2);
    r.insert("ReduceSumSquare", reduce_sum_square);
    r.insert("ReduceLogSum", reduce_log_sum);
    r.insert("ReduceLogSumExp", reduce_log_sum_exp);
    r.insert("Softmax", softmax);
    r.insert("LogSoftmax", log_softmax);
    r.insert("ArgMax", arg_max);
    r.insert("ArgMin", arg_min);
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

/// `post(sum(pre(x)))` over the axes: ReduceL1 (|x|), ReduceL2 (x*x, then sqrt), ReduceSumSquare,
/// ReduceLogSum (log), ReduceLogSumExp (exp, then log; exp(x - max) would be exact for wide ranges, the
/// calibrated exp table already bounds its inputs).
fn composite(
    l: &mut Lowering,
    n: &NodeInfo,
    pre: Option<Op>,
    square: bool,
    post: Option<FuncKind>,
) -> Result<(), CompileError> {
    let x = act_input(l, n)?;
    let rank = l.shape(x).len();
    let axes = if l.opset >= 18 {
        reduce_axes(l, n, rank, 1)?
    } else {
        reduce_axes(l, n, rank, usize::MAX)?
    };
    let keepdims = n.attr_int("keepdims", 1) != 0;
    let mut y = x;
    if let Some(op) = pre {
        y = l.add(n, "elementwise", op, vec![y])?;
    }
    if square {
        let mul = Op::Binary(Binary {
            kind: BinaryKind::Mul,
        });
        y = l.add(n, "square", mul, vec![y, y])?;
    }
    let sum = reduce_sum(l, n, y, &axes, keepdims, false)?;
    match post {
        None => l.emit(n, &n.op, Op::Linear(sum), vec![y]).map(|_| ()),
        Some(f) => {
            let s = l.add(n, "sum", Op::Linear(sum), vec![y])?;
            l.emit(n, &n.op, Op::Func(Func { f }), vec![s]).map(|_| ())
        }
    }
}

fn reduce_l1(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let abs = Op::Func(Func { f: FuncKind::Abs });
    composite(l, n, Some(abs), false, None)
}
fn reduce_l2(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    composite(l, n, None, true, Some(FuncKind::Sqrt))
}
fn reduce_sum_square(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    composite(l, n, None, true, None)
}
fn reduce_log_sum(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    composite(l, n, None, false, Some(FuncKind::Log))
}
fn reduce_log_sum_exp(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let exp = Op::Func(Func { f: FuncKind::Exp });
    composite(l, n, Some(exp), false, Some(FuncKind::Log))
}

/// The axes a softmax normalises over: the one axis (opset 13+) or every axis from it on (before).
fn softmax_axes(l: &Lowering, n: &NodeInfo, rank: usize) -> Result<Vec<usize>, CompileError> {
    let default = if l.opset >= 13 { -1 } else { 1 };
    let a = axis(n.attr_int("axis", default), rank).map_err(|e| n.lower_err(e))?;
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

/// [`shifted`] of a masked input (see `select_const`): the exponentials of masked elements are
/// multiplied by 0 before the sum, as `exp(-inf)` is 0 in floats. Every group the softmax normalises must
/// keep an element (a fully masked row is NaN in floats).
fn masked_shifted(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    axes: &[usize],
    keep: &[bool],
) -> Result<Shifted, CompileError> {
    let shape = l.shape(x);
    let mut kept_in_group = std::collections::HashMap::new();
    for (i, k) in keep.iter().enumerate() {
        // the group of element i: its index with the normalised axes zeroed
        let (mut rest, mut group, mut stride) = (i, 0usize, 1usize);
        for a in (0..shape.len()).rev() {
            let c = rest % shape[a].max(1);
            rest /= shape[a].max(1);
            if !axes.contains(&a) {
                group += c * stride;
            }
            stride *= shape[a];
        }
        *kept_in_group.entry(group).or_insert(false) |= *k;
    }
    if kept_in_group.values().any(|k| !k) {
        return Err(n.err(
            "the mask leaves a whole softmax group masked (every element -inf: NaN in floats)",
        ));
    }
    let m = reduce_minmax(l, n, x, axes, true, BinaryKind::Max)?;
    let d = l.add(
        n,
        "shifted",
        Op::AddTensors(AddTensors { sign: -1 }),
        vec![x, m],
    )?;
    let e = l.add(n, "exp", Op::Func(Func { f: FuncKind::Exp }), vec![d])?;
    let mask = zkinfer_circuits::graph::ConstAffine {
        mul: keep.iter().map(|k| if *k { 1.0 } else { 0.0 }).collect(),
        add: vec![0.0],
    };
    let e = l.add(n, "exp_masked", Op::ConstAffine(mask), vec![e])?;
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
    let keep = l.masked.get(&x).cloned();
    let (_, e, s) = match keep {
        None => shifted(l, n, x, &axes)?,
        Some(keep) => masked_shifted(l, n, x, &axes, &keep)?,
    };
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

/// An index candidate of [`arg`]'s tournament: a known position, or one the circuit selected.
enum Position {
    Known(f32),
    Selected(TensorId),
}

/// ArgMax / ArgMin: a tournament over the axis that carries each candidate's position with its value. Each
/// round compares neighbours `(a, b)` (`a` earlier on the axis) and keeps `b` only when it is strictly
/// greater (smaller), or greater-or-equal with `select_last_index`, so ties resolve as ONNX says; the
/// position is selected with the value (`Where`), so the result is always a position on the axis, never a
/// value derived from an equality test that rounding could miss.
fn arg(l: &mut Lowering, n: &NodeInfo, largest: bool) -> Result<(), CompileError> {
    use super::build::gather;
    use zkinfer_circuits::graph::{Compare, CompareKind, ConstAffine, Where};
    let x = act_input(l, n)?;
    let shape = l.shape(x);
    let a = axis(n.attr_int("axis", 0), shape.len()).map_err(|e| n.lower_err(e))?;
    let keepdims = n.attr_int("keepdims", 1) != 0;
    let last = n.attr_int("select_last_index", 0) != 0;
    let (out_shape, groups) = reduction_groups(&shape, &[a], keepdims);
    let len = groups.first().map_or(0, Vec::len);
    if len == 0 {
        return Err(n.err("an arg-reduction over an empty axis"));
    }
    let kind = match (largest, last) {
        (true, false) => CompareKind::Greater,
        (true, true) => CompareKind::GreaterOrEqual,
        (false, false) => CompareKind::Less,
        (false, true) => CompareKind::LessOrEqual,
    };
    let mut items = Vec::with_capacity(len);
    for j in 0..len {
        let map = groups.iter().map(|g| Some(g[j])).collect();
        let v = gather(
            l,
            n,
            &format!("pick{j}"),
            vec![x],
            out_shape.clone(),
            map,
            0.0,
        )?;
        items.push((v, Position::Known(j as f32)));
    }
    let mut round = 0;
    while items.len() > 1 {
        let keep_values = items.len() > 2;
        let mut next = Vec::with_capacity(items.len().div_ceil(2));
        let mut it = items.into_iter();
        let mut i = 0;
        while let Some((av, ai)) = it.next() {
            let Some((bv, bi)) = it.next() else {
                next.push((av, ai));
                break;
            };
            let take_b = l.add(
                n,
                &format!("take{round}.{i}"),
                Op::Compare(Compare { kind, rhs: None }),
                vec![bv, av],
            )?;
            let mut ins = vec![take_b];
            let mut side = |p: Position| match p {
                Position::Known(c) => Some(vec![c]),
                Position::Selected(t) => {
                    ins.push(t);
                    None
                }
            };
            let (px, py) = (side(bi), side(ai));
            let pos = l.add(
                n,
                &format!("position{round}.{i}"),
                Op::Where(Where { x: px, y: py }),
                ins,
            )?;
            // the last round's value is not needed: only its position
            let v = match keep_values {
                true => l.add(
                    n,
                    &format!("best{round}.{i}"),
                    Op::Where(Where { x: None, y: None }),
                    vec![take_b, bv, av],
                )?,
                false => bv,
            };
            next.push((v, Position::Selected(pos)));
            i += 1;
        }
        items = next;
        round += 1;
    }
    let Some((v, p)) = items.pop() else {
        return Err(n.err("an arg-reduction over an empty axis"));
    };
    let y = match p {
        Position::Selected(t) => t,
        // a one-element axis: position 0 everywhere
        Position::Known(c) => l.add(
            n,
            "position",
            Op::ConstAffine(ConstAffine {
                mul: vec![0.0],
                add: vec![c],
            }),
            vec![v],
        )?,
    };
    l.set_output(n, Val::Act(y))
}

fn arg_max(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    arg(l, n, true)
}
fn arg_min(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    arg(l, n, false)
}
