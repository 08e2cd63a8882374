//! Conv with committed weights (an activation `W`, [`zkinfer_circuits::visibility::WeightsMode::Committed`]):
//! im2col (a `Gather` without fill: the patches alias the input's cells, no rows; padded taps read one zero
//! cell, a one-row `Gather` with fill), one `MatMulAct` per (batch, group) of the
//! patches with the group's filters (exact dot products in the dot tile), a transpose back to
//! `[N, M, spatial...]` (an alias) and the bias (a committed `[M]` added per channel, or fixed constants).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::conv::{tap, window};
use super::index::{indices, ravel, strides};
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, ConstAffine, Gather, MatMulAct, Op, Reshape, TensorId};

/// `Conv(x, W[, B])` with `W` an activation of shape `[M, C/groups, kernel...]`.
pub(super) fn conv_committed(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    w: TensorId,
) -> Result<(), CompileError> {
    let (xs, ws) = (l.shape(x), l.shape(w));
    if xs.len() < 3 || ws.len() != xs.len() {
        return Err(n.err(format!(
            "input {xs:?} and weights {ws:?} must both be [N, C, spatial...]"
        )));
    }
    let (batch, c_in, spatial) = (xs[0], xs[1], xs[2..].to_vec());
    let (m, cg, kernel) = (ws[0], ws[1], ws[2..].to_vec());
    let groups = n.attr_int("group", 1).max(1) as usize;
    if c_in != cg * groups || m % groups != 0 {
        return Err(n.err(format!(
            "{c_in} input channels, {m} filters of {cg} channels and {groups} groups do not agree"
        )));
    }
    let win = window(n, &spatial, kernel.clone())?;
    let out_sp = win.output(&spatial, false).map_err(|e| n.lower_err(e))?;
    let (mg, kn) = (m / groups, kernel.iter().product::<usize>());
    let taps = cg * kn;
    let (in_sp_n, out_sp_n) = (
        spatial.iter().product::<usize>(),
        out_sp.iter().product::<usize>(),
    );
    let in_st = strides(&spatial);
    let kernels: Vec<Vec<usize>> = indices(&kernel).collect();
    let outs: Vec<Vec<usize>> = indices(&out_sp).collect();
    let bg = batch * groups;
    // im2col with padding: patches [N*G, P, Cg*K], padded taps read the fill
    let mut map = Vec::with_capacity(bg * out_sp_n * taps);
    for b in 0..batch {
        for g in 0..groups {
            for o in &outs {
                for c in 0..cg {
                    let base = (b * c_in + g * cg + c) * in_sp_n;
                    for k in &kernels {
                        map.push(
                            tap(&win, &spatial, o, k).map(|p| (base + ravel(&p, &in_st)) as u32),
                        );
                    }
                }
            }
        }
    }
    // padded taps read one zero cell after the input (one fill row): the patches alias cells, no rows
    let numel = xs.iter().product::<usize>() as u32;
    let mut sources = vec![x];
    if map.iter().any(Option::is_none) {
        let zero = Gather {
            out_shape: vec![1],
            map: vec![None],
            fill: 0.0,
        };
        sources.push(l.add(n, "zero", Op::Gather(zero), vec![x])?);
    }
    let op = Gather {
        out_shape: vec![bg, out_sp_n, taps],
        map: map.iter().map(|i| Some(i.unwrap_or(numel))).collect(),
        fill: 0.0,
    };
    let patches = l.add(n, "patches", Op::Gather(op), sources)?;
    // each (batch, group) multiplies its group's filters [Mg, Cg*K] (an alias of W's cells)
    let filters = Gather {
        out_shape: vec![bg, mg, taps],
        map: (0..bg)
            .flat_map(|bgi| {
                let g = bgi % groups;
                (0..mg * taps).map(move |e| Some((g * mg * taps + e) as u32))
            })
            .collect(),
        fill: 0.0,
    };
    let filters = l.add(n, "filters", Op::Gather(filters), vec![w])?;
    let product = MatMulAct {
        trans_a: false,
        trans_b: true,
    };
    let p = l.add(n, "product", Op::MatMulAct(product), vec![patches, filters])?;
    // [N*G, P, Mg] -> [N, M, spatial...]
    let mut out_shape = vec![batch, m];
    out_shape.extend(&out_sp);
    let out_st = strides(&out_sp);
    let mut back = vec![None; batch * m * out_sp_n];
    for b in 0..batch {
        for g in 0..groups {
            for (pi, o) in outs.iter().enumerate() {
                for j in 0..mg {
                    let dst = (b * m + g * mg + j) * out_sp_n + ravel(o, &out_st);
                    back[dst] = Some((((b * groups + g) * out_sp_n + pi) * mg + j) as u32);
                }
            }
        }
    }
    let op = Gather {
        out_shape: out_shape.clone(),
        map: back,
        fill: 0.0,
    };
    match l.opt_input(n, 2)? {
        None => l.emit(n, &n.op, Op::Gather(op), vec![p]).map(|_| ()),
        Some(bias) => {
            let y = l.add(n, "unpatched", Op::Gather(op), vec![p])?;
            match bias {
                Val::Act(bias) if l.shape(bias).iter().product::<usize>() == m => {
                    let mut shape = vec![1, m];
                    shape.extend(std::iter::repeat_n(1, out_sp.len()));
                    let bias = l.add(n, "bias", Op::Reshape(Reshape { shape }), vec![bias])?;
                    l.emit(
                        n,
                        &n.op,
                        Op::AddTensors(AddTensors { sign: 1 }),
                        vec![y, bias],
                    )
                    .map(|_| ())
                }
                Val::Const(c) if c.data.len() == m => {
                    let add = (0..batch * m * out_sp_n)
                        .map(|i| c.data[(i / out_sp_n) % m] as f32)
                        .collect();
                    let op = ConstAffine {
                        mul: vec![1.0],
                        add,
                    };
                    l.emit(n, &n.op, Op::ConstAffine(op), vec![y]).map(|_| ())
                }
                _ => Err(n.err(format!("the bias must have {m} values"))),
            }
        }
    }
}
