//! TopK(X, K) with a constant K: an odd-even transposition sort along the axis (as many rounds as the
//! axis is long), each round comparing neighbouring pairs and swapping, with `Where`, the values and their
//! original positions together; the first K are the outputs (Values, and Indices as integers). A pair is
//! swapped only when strictly out of order, so the sort is stable and equal values keep the lower index
//! first, as the spec asks. Axes longer than [`MAX_AXIS`] are refused (the rounds grow with its square).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::build::{gather, materialize};
use super::index::{axis, indices, ravel, strides};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Compare, CompareKind, Op, TensorId, Where};

/// The longest axis TopK sorts.
pub const MAX_AXIS: usize = 64;

pub(super) fn register(r: &mut Registry) {
    r.insert("TopK", top_k);
}

fn top_k(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = match l.input(n, 0)? {
        Val::Act(t) => t,
        Val::Const(_) => return Err(n.err("internal: a constant input is folded by tract")),
    };
    let shape = l.shape(x);
    let a = axis(n.attr_int("axis", -1), shape.len()).map_err(|e| n.lower_err(e))?;
    let len = shape[a];
    let k = match l.ints_input_or_attr(n, 1, "k")? {
        Some(k) if k.len() == 1 && k[0] >= 0 && k[0] as usize <= len => k[0] as usize,
        k => {
            return Err(n.err(format!(
                "K must be one constant in [0, {len}] (the axis length), it is {k:?}"
            )))
        }
    };
    if k == 0 {
        return Err(n.err("K = 0 gives empty outputs; nothing to prove"));
    }
    if len > MAX_AXIS {
        return Err(n.err(format!(
            "TopK sorts axes of at most {MAX_AXIS} elements; this one has {len}"
        )));
    }
    let largest = n.attr_int("largest", 1) != 0;
    let st = strides(&shape);
    let positions = ConstTensor {
        shape: shape.clone(),
        data: indices(&shape).map(|idx| idx[a] as f64).collect(),
    };
    let (mut v, mut i) = (x, materialize(l, n, "positions", x, &positions)?);
    let per: usize = shape.iter().product::<usize>() / len.max(1);
    let mut pair_shape = shape.clone();
    for round in 0..len {
        let lefts: Vec<usize> = (round % 2..len.saturating_sub(1)).step_by(2).collect();
        if lefts.is_empty() {
            continue;
        }
        pair_shape[a] = lefts.len();
        let pick = |off: usize| -> Vec<Option<u32>> {
            // each element of a pair tensor (row-major) reads position lefts[q] + off of the axis
            indices(&pair_shape)
                .map(|mut idx| {
                    idx[a] = lefts[idx[a]] + off;
                    Some(ravel(&idx, &st) as u32)
                })
                .collect()
        };
        let (pl, pr) = (pick(0), pick(1));
        let r = format!("round{round}");
        let gl = |l: &mut Lowering, what: &str, t: TensorId, m: &[Option<u32>]| {
            gather(
                l,
                n,
                &format!("{r}.{what}"),
                vec![t],
                pair_shape.clone(),
                m.to_vec(),
                0.0,
            )
        };
        let (va, vb) = (gl(l, "va", v, &pl)?, gl(l, "vb", v, &pr)?);
        let (ia, ib) = (gl(l, "ia", i, &pl)?, gl(l, "ib", i, &pr)?);
        // swap when b strictly precedes a
        let kind = if largest {
            CompareKind::Greater
        } else {
            CompareKind::Less
        };
        let swap = l.add(
            n,
            &format!("{r}.swap"),
            Op::Compare(Compare { kind, rhs: None }),
            vec![vb, va],
        )?;
        let sel = |l: &mut Lowering, what: &str, p: TensorId, q: TensorId| {
            let op = Op::Where(Where { x: None, y: None });
            l.add(n, &format!("{r}.{what}"), op, vec![swap, p, q])
        };
        let (nva, nvb) = (sel(l, "v_left", vb, va)?, sel(l, "v_right", va, vb)?);
        let (nia, nib) = (sel(l, "i_left", ib, ia)?, sel(l, "i_right", ia, ib)?);
        // reassemble: inputs [old, left, right] end to end
        let total = st[0] * shape[0];
        let pairs = per * lefts.len();
        let assemble = |old: usize| -> Vec<Option<u32>> {
            let mut map: Vec<Option<u32>> = (0..total as u32).map(Some).collect();
            for (slot, src) in pl.iter().enumerate() {
                if let Some(s) = src {
                    map[*s as usize] = Some((old + slot) as u32);
                }
            }
            for (slot, src) in pr.iter().enumerate() {
                if let Some(s) = src {
                    map[*s as usize] = Some((old + pairs + slot) as u32);
                }
            }
            map
        };
        let map = assemble(total);
        v = gather(
            l,
            n,
            &format!("{r}.values"),
            vec![v, nva, nvb],
            shape.clone(),
            map.clone(),
            0.0,
        )?;
        i = gather(
            l,
            n,
            &format!("{r}.indices"),
            vec![i, nia, nib],
            shape.clone(),
            map,
            0.0,
        )?;
    }
    // the first K along the axis
    let mut out_shape = shape.clone();
    out_shape[a] = k;
    let map: Vec<Option<u32>> = indices(&out_shape)
        .map(|idx| Some(ravel(&idx, &st) as u32))
        .collect();
    let values = gather(l, n, "values", vec![v], out_shape.clone(), map.clone(), 0.0)?;
    let idx = gather(l, n, "indices", vec![i], out_shape, map, 0.0)?;
    l.mark_integral(idx);
    l.set_output_at(n, 0, Val::Act(values))?;
    l.set_output_at(n, 1, Val::Act(idx))
}
