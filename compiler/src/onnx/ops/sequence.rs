//! Sequences (ONNX `seq(tensor)`): SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceErase,
//! SequenceAt, SequenceLength, SplitToSequence and ConcatFromSequence. A sequence is a compile-time list
//! of values (`value::Sequence`): these ops move whole elements at constant positions and cost no rows;
//! splitting and concatenating are index maps (`Gather`). A position computed from the model's input
//! cannot be resolved at compile time and is reported with the node.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Sequence, Val};
use super::build::gather;
use super::index::{axis, indices, ravel, strides};
use super::movement::{apply, range_map, shape_of};
use super::Registry;
use crate::error::CompileError;

pub(super) fn register(r: &mut Registry) {
    r.insert("SequenceEmpty", empty);
    r.insert("SequenceConstruct", construct);
    r.insert("SequenceInsert", insert);
    r.insert("SequenceErase", erase);
    r.insert("SequenceAt", at);
    r.insert("SequenceLength", length);
    r.insert("SplitToSequence", split_to_sequence);
    r.insert("ConcatFromSequence", concat_from_sequence);
}

/// The constant scalar position of input `i`, or `None` when the input is absent.
fn position(l: &Lowering, n: &NodeInfo, i: usize) -> Result<Option<i64>, CompileError> {
    if l.opt_input(n, i)?.is_none() {
        return Ok(None);
    }
    let c = l.const_input(n, i, "the position")?;
    match c.as_ints()[..] {
        [p] => Ok(Some(p)),
        _ => Err(n.err(format!(
            "the position (input {i}) must be a scalar, it has shape {:?}",
            c.shape
        ))),
    }
}

fn out_of_range(n: &NodeInfo, p: i64, seq: &Sequence) -> CompileError {
    n.err(format!(
        "position {p} is out of range for a sequence of {} elements",
        seq.items.len()
    ))
}

fn empty(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    l.set_seq_output(n, Sequence::default())
}

fn construct(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let items = (0..l.input_count(n))
        .map(|i| l.input(n, i))
        .collect::<Result<_, _>>()?;
    l.set_seq_output(n, Sequence { items })
}

fn insert(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let mut seq = l.seq_input(n, 0)?;
    let v = l.input(n, 1)?;
    let at = match position(l, n, 2)? {
        None => seq.items.len(),
        Some(p) => seq
            .position(p, true)
            .ok_or_else(|| out_of_range(n, p, &seq))?,
    };
    seq.items.insert(at, v);
    l.set_seq_output(n, seq)
}

fn erase(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let mut seq = l.seq_input(n, 0)?;
    let p = position(l, n, 1)?.unwrap_or(-1);
    let at = seq
        .position(p, false)
        .ok_or_else(|| out_of_range(n, p, &seq))?;
    seq.items.remove(at);
    l.set_seq_output(n, seq)
}

fn at(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let seq = l.seq_input(n, 0)?;
    let p = position(l, n, 1)?.ok_or_else(|| n.err("missing input 1 (the position)"))?;
    let at = seq
        .position(p, false)
        .ok_or_else(|| out_of_range(n, p, &seq))?;
    l.set_output(n, seq.items[at].clone())
}

fn length(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let seq = l.seq_input(n, 0)?;
    l.set_ints(n, 0, &[], vec![seq.items.len() as i64])
}

/// Elements `from..from + len` of `v` on axis `ax` (the axis dropped when `keep` is false): a constant or
/// a gather.
fn piece(
    l: &mut Lowering,
    n: &NodeInfo,
    v: &Val,
    ax: usize,
    (from, len): (usize, usize),
    keep: bool,
) -> Result<Val, CompileError> {
    let s = shape_of(l, v);
    let (mut shape, map) = range_map(&s, ax, from, len);
    if !keep {
        shape.remove(ax);
    }
    match v {
        Val::Const(c) => Ok(Val::Const(ConstTensor {
            shape,
            data: map
                .iter()
                .map(|i| i.map_or(0.0, |i| c.data[i as usize]))
                .collect(),
        })),
        Val::Act(t) => {
            let what = format!("piece{from}");
            Ok(Val::Act(gather(l, n, &what, vec![*t], shape, map, 0.0)?))
        }
    }
}

fn split_to_sequence(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let ax = axis(n.attr_int("axis", 0), s.len()).map_err(|e| n.lower_err(e))?;
    let dim = s[ax];
    let split = match l.opt_input(n, 1)? {
        None => None,
        Some(_) => Some(l.const_input(n, 1, "the split")?),
    };
    // (start, length) of each piece; without `split`, pieces of one with the axis dropped unless keepdims
    let (ranges, keep): (Vec<(usize, usize)>, bool) = match split {
        None => (
            (0..dim).map(|i| (i, 1)).collect(),
            n.attr_int("keepdims", 1) != 0,
        ),
        Some(c) if c.shape.is_empty() => {
            let each = c.as_ints()[0];
            if each <= 0 {
                return Err(n.err(format!("split size {each} must be positive")));
            }
            let each = each as usize;
            let ranges = (0..dim.div_ceil(each))
                .map(|k| (k * each, each.min(dim - k * each)))
                .collect();
            (ranges, true)
        }
        Some(c) => {
            let lens = c.as_ints();
            if lens.iter().any(|&x| x < 0) || lens.iter().sum::<i64>() != dim as i64 {
                return Err(n.err(format!(
                    "split lengths {lens:?} do not cover axis {ax} of {s:?}"
                )));
            }
            let mut from = 0;
            let ranges = lens
                .iter()
                .map(|&len| {
                    let r = (from, len as usize);
                    from += len as usize;
                    r
                })
                .collect();
            (ranges, true)
        }
    };
    let items = ranges
        .into_iter()
        .map(|r| piece(l, n, &v, ax, r, keep))
        .collect::<Result<_, _>>()?;
    l.set_seq_output(n, Sequence { items })
}

fn concat_from_sequence(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let seq = l.seq_input(n, 0)?;
    let new_axis = n.attr_int("new_axis", 0) != 0;
    let Some(first) = seq.items.first() else {
        return Err(n.err("concatenating an empty sequence"));
    };
    let shape = shape_of(l, first);
    let shapes: Vec<Vec<usize>> = seq.items.iter().map(|v| shape_of(l, v)).collect();
    // with `new_axis` every element gains an axis of 1 at `ax` (which may then be the rank)
    let ax =
        axis(n.attr_int("axis", 0), shape.len() + new_axis as usize).map_err(|e| n.lower_err(e))?;
    let parts: Vec<Vec<usize>> = shapes
        .iter()
        .map(|s| {
            let mut p = s.clone();
            if new_axis {
                p.insert(ax, 1);
            }
            p
        })
        .collect();
    let rank = parts[0].len();
    let mut out_shape = parts[0].clone();
    out_shape[ax] = 0;
    for p in &parts {
        if p.len() != rank || (0..rank).any(|i| i != ax && p[i] != parts[0][i]) {
            return Err(n.err(format!(
                "element shapes {shapes:?} do not concatenate on axis {ax}"
            )));
        }
        out_shape[ax] += p[ax];
    }
    let mut bases = Vec::with_capacity(parts.len());
    let mut acc = 0;
    for p in &parts {
        bases.push(acc);
        acc += p.iter().product::<usize>();
    }
    let map = indices(&out_shape)
        .map(|mut o| {
            let mut k = 0;
            while o[ax] >= parts[k][ax] {
                o[ax] -= parts[k][ax];
                k += 1;
            }
            Some((bases[k] + ravel(&o, &strides(&parts[k]))) as u32)
        })
        .collect();
    apply(l, n, 0, &seq.items, out_shape, map, 0.0)
}
