//! Builders shared by several op families: gathers, max/min trees, reductions over axes.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::ConstTensor;
use super::index::{indices, ravel, strides};
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    Binary, BinaryKind, ConstAffine, Gather, Linear, Matrix, Op, Position, TensorId,
};

/// An intermediate gather of `inputs` (laid end to end) into `out_shape`.
pub fn gather(
    l: &mut Lowering,
    n: &NodeInfo,
    what: &str,
    inputs: Vec<TensorId>,
    out_shape: Vec<usize>,
    map: Vec<Option<u32>>,
    fill: f32,
) -> Result<TensorId, CompileError> {
    let op = Op::Gather(Gather {
        out_shape,
        map,
        fill,
    });
    l.add(n, what, op, inputs)
}

/// A constant as an activation (one lane row per element): an element of `anchor` broadcast to the
/// constant's shape, times zero, plus the constant.
pub fn materialize(
    l: &mut Lowering,
    n: &NodeInfo,
    what: &str,
    anchor: TensorId,
    c: &ConstTensor,
) -> Result<TensorId, CompileError> {
    let count = c.data.len();
    let spread = gather(
        l,
        n,
        &format!("{what}.spread"),
        vec![anchor],
        c.shape.clone(),
        vec![Some(0); count],
        0.0,
    )?;
    let op = Op::ConstAffine(ConstAffine {
        mul: vec![0.0],
        add: c.data.iter().map(|v| *v as f32).collect(),
    });
    l.add(n, what, op, vec![spread])
}

/// `max` (or `min`) of equally shaped tensors as a balanced tree of binary nodes.
pub fn minmax_tree(
    l: &mut Lowering,
    n: &NodeInfo,
    what: &str,
    mut parts: Vec<TensorId>,
    kind: BinaryKind,
) -> Result<TensorId, CompileError> {
    if parts.is_empty() {
        return Err(n.err("nothing to reduce"));
    }
    let mut level = 0;
    while parts.len() > 1 {
        let mut next = Vec::with_capacity(parts.len().div_ceil(2));
        for (i, pair) in parts.chunks(2).enumerate() {
            match pair {
                [a, b] => next.push(l.add(
                    n,
                    &format!("{what}{level}.{i}"),
                    Op::Binary(Binary { kind }),
                    vec![*a, *b],
                )?),
                [a] => next.push(*a),
                _ => unreachable!(),
            }
        }
        parts = next;
        level += 1;
    }
    Ok(parts[0])
}

/// Output shape and, per output element, the input elements reduced into it.
pub fn reduction_groups(
    shape: &[usize],
    axes: &[usize],
    keepdims: bool,
) -> (Vec<usize>, Vec<Vec<u32>>) {
    let kept: Vec<usize> = shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect();
    let out_n: usize = kept.iter().product();
    let kst = strides(&kept);
    let mut groups = vec![Vec::new(); out_n];
    for (flat, idx) in indices(shape).enumerate() {
        let o: Vec<usize> = idx
            .iter()
            .enumerate()
            .map(|(i, &v)| if axes.contains(&i) { 0 } else { v })
            .collect();
        groups[ravel(&o, &kst)].push(flat as u32);
    }
    let out_shape = if keepdims {
        kept
    } else {
        shape
            .iter()
            .enumerate()
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect()
    };
    (out_shape, groups)
}

/// Sum (or mean) over axes as a `Linear` with one shared all-ones (or 1/count) matrix.
pub fn reduce_sum(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    axes: &[usize],
    keepdims: bool,
    mean: bool,
) -> Result<Linear, CompileError> {
    let shape = l.shape(x);
    let (out_shape, groups) = reduction_groups(&shape, axes, keepdims);
    let taps = groups.first().map_or(0, Vec::len);
    if taps == 0 {
        return Err(n.err("reducing an empty tensor"));
    }
    let w = if mean { 1.0 / taps as f32 } else { 1.0 };
    let positions = groups
        .into_iter()
        .enumerate()
        .map(|(o, g)| Position {
            patch: g.into_iter().map(Some).collect(),
            matrix: 0,
            outs: vec![o as u32],
        })
        .collect::<Vec<_>>();
    Ok(Linear {
        bias: vec![0.0; positions.len()],
        out_shape,
        matrices: vec![Matrix {
            outs: 1,
            taps,
            w: vec![w; taps],
        }],
        positions,
    })
}

/// Max (or min) over axes: one gather per reduced element, then a tree.
pub fn reduce_minmax(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    axes: &[usize],
    keepdims: bool,
    kind: BinaryKind,
) -> Result<TensorId, CompileError> {
    let shape = l.shape(x);
    let (out_shape, groups) = reduction_groups(&shape, axes, keepdims);
    let count = groups.first().map_or(0, Vec::len);
    let mut parts = Vec::with_capacity(count);
    for j in 0..count {
        let map = groups.iter().map(|g| Some(g[j])).collect();
        parts.push(gather(
            l,
            n,
            &format!("pick{j}"),
            vec![x],
            out_shape.clone(),
            map,
            0.0,
        )?);
    }
    minmax_tree(l, n, "max", parts, kind)
}

/// Axes from an `axes` input (newer opsets) or attribute; all axes when absent.
pub fn reduce_axes(
    l: &Lowering,
    n: &NodeInfo,
    rank: usize,
    input: usize,
) -> Result<Vec<usize>, CompileError> {
    let axes = l.ints_input_or_attr(n, input, "axes")?;
    match axes {
        Some(a) if !a.is_empty() => a
            .iter()
            .map(|&a| super::index::axis(a, rank).map_err(|e| n.lower_err(e)))
            .collect(),
        _ if n.attr_int("noop_with_empty_axes", 0) != 0 => Ok(vec![]),
        _ => Ok((0..rank).collect()),
    }
}
