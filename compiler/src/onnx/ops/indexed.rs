//! Ops that pick elements by constant indices, each one index map (`Gather`): Trilu (the masked elements
//! become 0), GatherElements, GatherND, ScatterElements and ScatterND (data and updates laid end to end).
//! Gather, GatherElements, GatherND, ScatterElements and ScatterND with indices computed from the model's
//! input become lookups (`computed_index.rs`).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::index::{axis, indices, ravel, strides};
use super::movement::{apply, shape_of};
use super::Registry;
use crate::error::CompileError;

pub(super) fn register(r: &mut Registry) {
    r.insert("Trilu", trilu);
    r.insert("GatherElements", gather_elements);
    r.insert("GatherND", gather_nd);
    r.insert("ScatterElements", scatter_elements);
    r.insert("Scatter", scatter_elements);
    r.insert("ScatterND", scatter_nd);
}

/// The constant indices of input `i`, or why computed ones cannot be proved.
fn const_indices(l: &Lowering, n: &NodeInfo, i: usize) -> Result<ConstTensor, CompileError> {
    match l.input(n, i)? {
        Val::Const(c) => Ok(c),
        Val::Act(_) => Err(n.err(format!(
            "indices (input {i}) computed from the model's input are not supported: the circuit moves \
             data by index maps fixed at compile time"
        ))),
    }
}

/// A possibly negative index on an axis of length `len`.
fn wrap(n: &NodeInfo, j: f64, len: usize) -> Result<usize, CompileError> {
    let j = j as i64;
    let k = if j < 0 { j + len as i64 } else { j };
    if (0..len as i64).contains(&k) {
        Ok(k as usize)
    } else {
        Err(n.err(format!("index {j} is out of range for an axis of {len}")))
    }
}

fn trilu(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    if s.len() < 2 {
        return Err(n.err(format!("needs rank >= 2, the input has shape {s:?}")));
    }
    let k = match l.opt_input(n, 1)? {
        None => 0,
        Some(Val::Const(c)) if c.data.len() == 1 => c.data[0] as i64,
        Some(_) => return Err(n.err("k (input 1) must be a scalar constant")),
    };
    let upper = n.attr_int("upper", 1) != 0;
    let r = s.len();
    let map = indices(&s)
        .enumerate()
        .map(|(flat, idx)| {
            let (i, j) = (idx[r - 2] as i64, idx[r - 1] as i64);
            let keep = if upper { j - i >= k } else { j - i <= k };
            keep.then_some(flat as u32)
        })
        .collect();
    apply(l, n, 0, &[v], s, map, 0.0)
}

fn gather_elements(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let ax = axis(n.attr_int("axis", 0), s.len()).map_err(|e| n.lower_err(e))?;
    if let Val::Act(i) = l.input(n, 1)? {
        return super::computed_index::gather_elements(l, n, &v, i, ax);
    }
    let idx = const_indices(l, n, 1)?;
    if idx.shape.len() != s.len() {
        return Err(n.err(format!(
            "indices {:?} and data {s:?} differ in rank",
            idx.shape
        )));
    }
    let st = strides(&s);
    let mut map = Vec::with_capacity(idx.data.len());
    for (o, &j) in indices(&idx.shape).zip(&idx.data) {
        let mut src = o.clone();
        src[ax] = wrap(n, j, s[ax])?;
        if src.iter().zip(&s).any(|(a, b)| a >= b) {
            return Err(n.err(format!("indices {:?} exceed data {s:?}", idx.shape)));
        }
        map.push(Some(ravel(&src, &st) as u32));
    }
    apply(l, n, 0, &[v], idx.shape.clone(), map, 0.0)
}

fn gather_nd(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let b = n.attr_int("batch_dims", 0).max(0) as usize;
    if let Val::Act(i) = l.input(n, 1)? {
        return super::computed_index::gather_nd(l, n, &v, i, b);
    }
    let idx = const_indices(l, n, 1)?;
    let q = idx.shape.len();
    let k = *idx.shape.last().unwrap_or(&0);
    if q == 0 || b + k > s.len() || idx.shape[..b] != s[..b] {
        return Err(n.err(format!(
            "indices {:?} do not fit data {s:?} with batch_dims {b}",
            idx.shape
        )));
    }
    let mut out_shape = idx.shape[..q - 1].to_vec();
    out_shape.extend(&s[b + k..]);
    let st = strides(&s);
    let block: usize = s[b + k..].iter().product();
    let mut map = Vec::new();
    for (t, tuple) in idx.data.chunks(k.max(1)).enumerate() {
        let prefix = indices(&idx.shape[..q - 1]).nth(t).unwrap_or_default();
        let mut src: Vec<usize> = prefix[..b].to_vec();
        for (a, &j) in tuple.iter().take(k).enumerate() {
            src.push(wrap(n, j, s[b + a])?);
        }
        src.resize(s.len(), 0);
        let base = ravel(&src, &st);
        map.extend((0..block).map(|e| Some((base + e) as u32)));
    }
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

/// Data and updates end to end: the map starts as the data and the scattered positions take updates.
fn scatter_reduction(n: &NodeInfo) -> Result<(), CompileError> {
    let red = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "reduction")
        .map(|a| String::from_utf8_lossy(&a.s).to_string());
    match red.as_deref() {
        None | Some("none") => Ok(()),
        Some(r) => Err(n.err(format!("reduction {r} is not supported (only none)"))),
    }
}

fn scatter_elements(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    scatter_reduction(n)?;
    let data = l.input(n, 0)?;
    let updates = l.input(n, 2)?;
    let s = shape_of(l, &data);
    let ax = axis(n.attr_int("axis", 0), s.len()).map_err(|e| n.lower_err(e))?;
    if let Val::Act(i) = l.input(n, 1)? {
        return super::computed_index::scatter_elements(l, n, &data, i, &updates, ax);
    }
    let idx = const_indices(l, n, 1)?;
    let st = strides(&s);
    let total: usize = s.iter().product();
    let mut map: Vec<Option<u32>> = (0..total as u32).map(Some).collect();
    for (u, (o, &j)) in indices(&idx.shape).zip(&idx.data).enumerate() {
        let mut dst = o.clone();
        dst[ax] = wrap(n, j, s[ax])?;
        if dst.len() != s.len() || dst.iter().zip(&s).any(|(a, b)| a >= b) {
            return Err(n.err(format!("indices {:?} exceed data {s:?}", idx.shape)));
        }
        map[ravel(&dst, &st)] = Some((total + u) as u32);
    }
    apply(l, n, 0, &[data, updates], s, map, 0.0)
}

fn scatter_nd(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    scatter_reduction(n)?;
    let data = l.input(n, 0)?;
    let updates = l.input(n, 2)?;
    if let Val::Act(i) = l.input(n, 1)? {
        return super::computed_index::scatter_nd(l, n, &data, i, &updates);
    }
    let s = shape_of(l, &data);
    let idx = const_indices(l, n, 1)?;
    let k = *idx.shape.last().unwrap_or(&0);
    if k == 0 || k > s.len() {
        return Err(n.err(format!("indices {:?} do not fit data {s:?}", idx.shape)));
    }
    let st = strides(&s);
    let total: usize = s.iter().product();
    let block: usize = s[k..].iter().product();
    let mut map: Vec<Option<u32>> = (0..total as u32).map(Some).collect();
    for (t, tuple) in idx.data.chunks(k).enumerate() {
        let mut dst = Vec::with_capacity(s.len());
        for (a, &j) in tuple.iter().enumerate() {
            dst.push(wrap(n, j, s[a])?);
        }
        dst.resize(s.len(), 0);
        let base = ravel(&dst, &st);
        for e in 0..block {
            map[base + e] = Some((total + t * block + e) as u32);
        }
    }
    apply(l, n, 0, &[data, updates], s, map, 0.0)
}
