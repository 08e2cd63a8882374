//! Pooling: AveragePool and GlobalAveragePool become a `Linear` (depthwise, weights 1/count);
//! MaxPool and GlobalMaxPool gather each window offset and take a max tree of binary nodes.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::build::{gather, minmax_tree};
use super::conv::{tap, window};
use super::index::{indices, ravel, strides, Window};
use super::Registry;
use crate::error::{CompileError, LowerError};
use std::collections::HashMap;
use zkinfer_circuits::graph::{BinaryKind, Linear, Matrix, Op, Position, TensorId};

pub(super) fn register(r: &mut Registry) {
    r.insert("AveragePool", average_pool);
    r.insert("GlobalAveragePool", global_average_pool);
    r.insert("MaxPool", max_pool);
    r.insert("GlobalMaxPool", global_max_pool);
}

/// The activation input and its [N, C, spatial...] shape.
fn pooled_input(l: &Lowering, n: &NodeInfo) -> Result<(TensorId, Vec<usize>), CompileError> {
    let Val::Act(x) = l.input(n, 0)? else {
        return Err(n.err("pooling a constant is not supported"));
    };
    let xs = l.shape(x);
    if xs.len() < 3 {
        return Err(n.err(format!("input {xs:?} must be [N, C, spatial...]")));
    }
    if n.proto.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(n.err("the Indices output is not supported"));
    }
    Ok((x, xs))
}

fn kernel_attr(n: &NodeInfo, rank: usize) -> Result<Vec<usize>, CompileError> {
    match n.attr_ints("kernel_shape") {
        Some(k) if k.len() == rank && k.iter().all(|v| *v >= 1) => {
            Ok(k.iter().map(|v| *v as usize).collect())
        }
        k => Err(n.err(format!("kernel_shape {k:?} needs {rank} positive values"))),
    }
}

/// For each (n, c, output pixel): the window's input elements (`None` outside the input) and how many
/// elements count towards an average.
struct Windows {
    out_shape: Vec<usize>,
    /// Per output element: input index per kernel offset.
    taps: Vec<Vec<Option<u32>>>,
    counts: Vec<usize>,
}

fn windows(
    xs: &[usize],
    win: &Window,
    ceil: bool,
    include_pad: bool,
) -> Result<Windows, LowerError> {
    let (nc, spatial) = (xs[0] * xs[1], &xs[2..]);
    let out_sp = win.output(spatial, ceil)?;
    let (in_n, in_st) = (spatial.iter().product::<usize>(), strides(spatial));
    let kernels: Vec<Vec<usize>> = indices(&win.kernel).collect();
    let (mut taps, mut counts) = (Vec::new(), Vec::new());
    let outs: Vec<Vec<usize>> = indices(&out_sp).collect();
    for b in 0..nc {
        for o in &outs {
            let mut t = Vec::with_capacity(kernels.len());
            let mut count = 0;
            for k in &kernels {
                let p = tap(win, spatial, o, k);
                let inside_pads = (0..spatial.len()).all(|i| {
                    let pos = o[i] * win.strides[i] + k[i] * win.dilations[i];
                    pos < spatial[i] + win.pad_begin[i] + win.pad_end[i]
                });
                if p.is_some() || (include_pad && inside_pads) {
                    count += 1;
                }
                t.push(p.map(|p| (b * in_n + ravel(&p, &in_st)) as u32));
            }
            taps.push(t);
            counts.push(count);
        }
    }
    let mut out_shape = xs[..2].to_vec();
    out_shape.extend(out_sp);
    Ok(Windows {
        out_shape,
        taps,
        counts,
    })
}

fn average(l: &mut Lowering, n: &NodeInfo, x: TensorId, w: Windows) -> Result<(), CompileError> {
    let taps = w.taps.first().map_or(0, Vec::len);
    let mut matrices: Vec<Matrix> = Vec::new();
    let mut by_count: HashMap<usize, u32> = HashMap::new();
    let mut positions = Vec::with_capacity(w.taps.len());
    for (o, (patch, count)) in w.taps.into_iter().zip(w.counts).enumerate() {
        if count == 0 {
            return Err(n.err("a pooling window covers no input element"));
        }
        let id = *by_count.entry(count).or_insert_with(|| {
            matrices.push(Matrix {
                outs: 1,
                taps,
                w: vec![1.0 / count as f32; taps],
            });
            (matrices.len() - 1) as u32
        });
        positions.push(Position {
            patch,
            matrix: id,
            outs: vec![o as u32],
        });
    }
    let op = Linear {
        bias: vec![0.0; positions.len()],
        out_shape: w.out_shape,
        matrices,
        positions,
    };
    l.emit(n, &n.op, Op::Linear(op), vec![x]).map(|_| ())
}

fn average_pool(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let (x, xs) = pooled_input(l, n)?;
    let kernel = kernel_attr(n, xs.len() - 2)?;
    let win = window(n, &xs[2..], kernel)?;
    let ceil = n.attr_int("ceil_mode", 0) != 0;
    let include_pad = n.attr_int("count_include_pad", 0) != 0;
    let w = windows(&xs, &win, ceil, include_pad).map_err(|e| n.lower_err(e))?;
    average(l, n, x, w)
}

fn global_window(xs: &[usize]) -> Window {
    let k = xs.len() - 2;
    Window {
        kernel: xs[2..].to_vec(),
        strides: vec![1; k],
        dilations: vec![1; k],
        pad_begin: vec![0; k],
        pad_end: vec![0; k],
    }
}

fn global_average_pool(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let (x, xs) = pooled_input(l, n)?;
    let w = windows(&xs, &global_window(&xs), false, false).map_err(|e| n.lower_err(e))?;
    average(l, n, x, w)
}

/// Max over each window: a gather per kernel offset (padding reads the window's first real element,
/// which cannot change the max), then a max tree.
fn maximum(l: &mut Lowering, n: &NodeInfo, x: TensorId, w: Windows) -> Result<(), CompileError> {
    let taps = w.taps.first().map_or(0, Vec::len);
    let mut parts = Vec::with_capacity(taps);
    for j in 0..taps {
        let map = w
            .taps
            .iter()
            .map(|t| t[j].or_else(|| t.iter().flatten().next().copied()))
            .collect::<Vec<_>>();
        if map.iter().any(Option::is_none) {
            return Err(n.err("a pooling window covers no input element"));
        }
        parts.push(gather(
            l,
            n,
            &format!("tap{j}"),
            vec![x],
            w.out_shape.clone(),
            map,
            0.0,
        )?);
    }
    let y = minmax_tree(l, n, "max", parts, BinaryKind::Max)?;
    l.alias_output(n, y)
}

fn max_pool(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let (x, xs) = pooled_input(l, n)?;
    if n.attr_int("storage_order", 0) != 0 {
        return Err(n.err("storage_order 1 is not supported"));
    }
    let kernel = kernel_attr(n, xs.len() - 2)?;
    let win = window(n, &xs[2..], kernel)?;
    let ceil = n.attr_int("ceil_mode", 0) != 0;
    let w = windows(&xs, &win, ceil, false).map_err(|e| n.lower_err(e))?;
    maximum(l, n, x, w)
}

fn global_max_pool(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let (x, xs) = pooled_input(l, n)?;
    let w = windows(&xs, &global_window(&xs), false, false).map_err(|e| n.lower_err(e))?;
    maximum(l, n, x, w)
}
