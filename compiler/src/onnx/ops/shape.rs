//! Shape ops, which cost no rows: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Dropout (inference).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Op, Reshape};

pub(super) fn register(r: &mut Registry) {
    r.insert("Reshape", reshape);
    r.insert("Flatten", flatten);
    r.insert("Squeeze", squeeze);
    r.insert("Unsqueeze", unsqueeze);
    r.insert("Identity", identity);
    r.insert("Dropout", dropout);
}

fn shape_of(l: &Lowering, v: &Val) -> Vec<usize> {
    match v {
        Val::Act(t) => l.shape(*t),
        Val::Const(c) => c.shape.clone(),
    }
}

/// Gives `v` a new shape of the same size.
fn reshaped(l: &mut Lowering, n: &NodeInfo, v: Val, shape: Vec<usize>) -> Result<(), CompileError> {
    let from = shape_of(l, &v);
    if from.iter().product::<usize>() != shape.iter().product::<usize>() {
        return Err(n.err(format!("cannot reshape {from:?} to {shape:?}")));
    }
    match v {
        Val::Const(c) => l.set_output(
            n,
            Val::Const(ConstTensor {
                shape,
                data: c.data,
            }),
        ),
        Val::Act(t) => l
            .emit(n, &n.op, Op::Reshape(Reshape { shape }), vec![t])
            .map(|_| ()),
    }
}

fn reshape(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let target = l.const_input(n, 1, "the shape")?.as_ints();
    let from = shape_of(l, &v);
    let allow_zero = n.attr_int("allowzero", 0) != 0;
    let mut shape = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                shape.push(1);
            }
            0 if !allow_zero => shape.push(*from.get(i).ok_or_else(|| {
                n.err(format!(
                    "dimension {i} is 0 but the input has rank {}",
                    from.len()
                ))
            })?),
            d if d >= 0 => shape.push(d as usize),
            _ => return Err(n.err(format!("invalid target shape {target:?}"))),
        }
    }
    let total: usize = from.iter().product();
    if let Some(i) = infer {
        let known: usize = shape.iter().product();
        if known == 0 || !total.is_multiple_of(known) {
            return Err(n.err(format!(
                "cannot infer -1 in {target:?} for {total} elements"
            )));
        }
        shape[i] = total / known;
    }
    reshaped(l, n, v, shape)
}

fn flatten(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let from = shape_of(l, &v);
    let rank = from.len() as i64;
    let axis = n.attr_int("axis", 1);
    let axis = if axis < 0 { axis + rank } else { axis };
    if !(0..=rank).contains(&axis) {
        return Err(n.err(format!("axis {axis} is out of range for rank {rank}")));
    }
    let (a, b) = from.split_at(axis as usize);
    reshaped(l, n, v, vec![a.iter().product(), b.iter().product()])
}

/// Axes from input 1 (opset >= 13) or the `axes` attribute.
fn axes(l: &Lowering, n: &NodeInfo) -> Result<Option<Vec<i64>>, CompileError> {
    if n.proto.input.get(1).is_some_and(|s| !s.is_empty()) {
        return Ok(Some(l.const_input(n, 1, "axes")?.as_ints()));
    }
    Ok(n.attr_ints("axes"))
}

fn norm_axis(n: &NodeInfo, a: i64, rank: usize) -> Result<usize, CompileError> {
    let r = rank as i64;
    let a = if a < 0 { a + r } else { a };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(n.err(format!("axis {a} is out of range for rank {rank}")))
    }
}

fn squeeze(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let from = shape_of(l, &v);
    let shape: Vec<usize> = match axes(l, n)? {
        None => from.iter().copied().filter(|d| *d != 1).collect(),
        Some(ax) => {
            let ax: Vec<usize> = ax
                .iter()
                .map(|&a| norm_axis(n, a, from.len()))
                .collect::<Result<_, _>>()?;
            if let Some(&a) = ax.iter().find(|&&a| from[a] != 1) {
                return Err(n.err(format!("cannot squeeze axis {a} of size {}", from[a])));
            }
            from.iter()
                .enumerate()
                .filter(|(i, _)| !ax.contains(i))
                .map(|(_, d)| *d)
                .collect()
        }
    };
    reshaped(l, n, v, shape)
}

fn unsqueeze(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let from = shape_of(l, &v);
    let ax = axes(l, n)?.ok_or_else(|| n.err("needs axes"))?;
    let rank = from.len() + ax.len();
    let mut ax: Vec<usize> = ax
        .iter()
        .map(|&a| norm_axis(n, a, rank))
        .collect::<Result<_, _>>()?;
    ax.sort_unstable();
    let mut rest = from.iter();
    let shape = (0..rank)
        .map(|i| {
            if ax.contains(&i) {
                1
            } else {
                *rest.next().unwrap_or(&1)
            }
        })
        .collect();
    reshaped(l, n, v, shape)
}

/// Dropout at inference is the identity; its mask output is left undefined (a node that reads it is
/// reported as reading an undefined value).
fn dropout(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    l.set_output(n, v)
}

fn identity(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    l.set_output(n, v)
}
