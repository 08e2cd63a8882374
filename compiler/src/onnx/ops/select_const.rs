//! `Where` with a constant condition (causal masks, fixed selections): the selection is made at compile
//! time. Each output element is known to come from `x` or from `y`, so the result is a gather of the
//! activation side(s), a constant where only constants are picked, and an affine map adding a constant side.
//!
//! A constant side of `-inf` (or of values at or below [`MASKED`], such as `finfo.min` or `-1e9`) is a
//! mask for a following Softmax (`masked_fill(mask, -inf)` then `softmax`): it has no fixed-point encoding,
//! so the output is the activation side with those elements marked masked, and the Softmax that consumes it
//! leaves them out (its exponentials are multiplied by 0 there, which is the same in floats). Any other
//! consumer of a masked tensor is refused by name.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::compare::expand_to;
use crate::error::CompileError;
use zkinfer_circuits::graph::{ConstAffine, Gather, Op, TensorId};

/// Constants at or below this are masks (`exp` of them is 0 in f32 and f64 next to any real score).
pub const MASKED: f64 = -1.0e4;

/// One side of the selection.
enum Side {
    Act(TensorId),
    Const(Vec<f64>),
}

fn side(l: &mut Lowering, n: &NodeInfo, v: Val, out: &[usize]) -> Result<Side, CompileError> {
    Ok(match v {
        Val::Act(t) => Side::Act(expand_to(l, n, t, out)?),
        Val::Const(k) => Side::Const(k.broadcast_to(out).map_err(|e| n.lower_err(e))?),
    })
}

/// `Where(cond, x, y)` for a constant `cond`; `out` is the broadcast shape of the three.
pub(super) fn select_const(
    l: &mut Lowering,
    n: &NodeInfo,
    cond: &ConstTensor,
    x: Val,
    y: Val,
    out: &[usize],
) -> Result<(), CompileError> {
    let take_x: Vec<bool> = cond
        .broadcast_to(out)
        .map_err(|e| n.lower_err(e))?
        .iter()
        .map(|v| *v != 0.0)
        .collect();
    let (xs, ys) = (side(l, n, x, out)?, side(l, n, y, out)?);
    match (xs, ys) {
        (Side::Act(a), Side::Act(b)) => {
            let count = take_x.len() as u32;
            let map = (0..count)
                .map(|i| Some(if take_x[i as usize] { i } else { count + i }))
                .collect();
            let op = Op::Gather(Gather {
                out_shape: out.to_vec(),
                map,
                fill: 0.0,
            });
            l.emit(n, "Where", op, vec![a, b]).map(|_| ())
        }
        (Side::Act(a), Side::Const(k)) => act_or_const(l, n, a, &k, &take_x, out),
        (Side::Const(k), Side::Act(b)) => {
            let take_y: Vec<bool> = take_x.iter().map(|t| !t).collect();
            act_or_const(l, n, b, &k, &take_y, out)
        }
        (Side::Const(a), Side::Const(b)) => {
            let data = (0..take_x.len())
                .map(|i| if take_x[i] { a[i] } else { b[i] })
                .collect();
            l.set_output(
                n,
                Val::Const(ConstTensor {
                    shape: out.to_vec(),
                    data,
                }),
            )
        }
    }
}

/// The activation `a` where `take_a`, the constant `k` elsewhere.
fn act_or_const(
    l: &mut Lowering,
    n: &NodeInfo,
    a: TensorId,
    k: &[f64],
    take_a: &[bool],
    out: &[usize],
) -> Result<(), CompileError> {
    if take_a.iter().all(|t| *t) {
        return l.alias_output(n, a);
    }
    if !take_a.iter().any(|t| *t) {
        let c = ConstTensor {
            shape: out.to_vec(),
            data: k.to_vec(),
        };
        return l.set_output(n, Val::Const(c));
    }
    let picked: Vec<f64> = (0..k.len()).filter(|&i| !take_a[i]).map(|i| k[i]).collect();
    if picked.iter().all(|v| *v <= MASKED || v.is_nan()) {
        if picked.iter().any(|v| v.is_nan()) {
            return Err(n.err("the constant side holds NaN where the condition selects it"));
        }
        // a mask: the activation everywhere, the masked elements marked for the Softmax that follows
        let map = (0..take_a.len() as u32).map(Some).collect();
        let op = Op::Gather(Gather {
            out_shape: out.to_vec(),
            map,
            fill: 0.0,
        });
        let t = l.emit(n, "Where", op, vec![a])?;
        l.masked.insert(t, take_a.to_vec());
        return Ok(());
    }
    if let Some(v) = picked.iter().find(|v| !v.is_finite()) {
        return Err(n.err(format!(
            "the constant side holds {v} where the condition selects it, and also finite values: only a \
             mask (every selected constant -inf or at most {MASKED}) before a Softmax is supported"
        )));
    }
    let map: Vec<Option<u32>> = (0..take_a.len())
        .map(|i| take_a[i].then_some(i as u32))
        .collect();
    let same = picked.iter().all(|v| *v == picked[0]);
    let fill = if same { picked[0] as f32 } else { 0.0 };
    let op = Op::Gather(Gather {
        out_shape: out.to_vec(),
        map,
        fill,
    });
    if same {
        return l.emit(n, "Where", op, vec![a]).map(|_| ());
    }
    let g = l.add(n, "selected", op, vec![a])?;
    let add = (0..k.len())
        .map(|i| if take_a[i] { 0.0 } else { k[i] as f32 })
        .collect();
    let op = Op::ConstAffine(ConstAffine {
        mul: vec![1.0],
        add,
    });
    l.emit(n, "Where", op, vec![g]).map(|_| ())
}
