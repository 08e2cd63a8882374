//! Data movement, which costs no rows unless it pads: Transpose, Slice, Split, Concat, Pad (constant,
//! reflect, edge), Gather with constant indices, Expand, Tile, DepthToSpace, SpaceToDepth. Each computes
//! an index map and becomes one `Gather` (or a folded constant). A `Gather` of a constant table by
//! computed indices is an embedding lookup (`embedding.rs`).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::build::materialize;
use super::index::{axis, indices, ravel, strides};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{broadcast_index_map, broadcast_shapes, Gather, Op};

pub(super) fn register(r: &mut Registry) {
    r.insert("Transpose", transpose);
    r.insert("Slice", slice);
    r.insert("Split", split);
    r.insert("Concat", concat);
    r.insert("Pad", pad);
    r.insert("Gather", gather_op);
    r.insert("Expand", expand);
    r.insert("Tile", tile);
    r.insert("DepthToSpace", depth_to_space);
    r.insert("SpaceToDepth", space_to_depth);
}

pub(super) fn shape_of(l: &Lowering, v: &Val) -> Vec<usize> {
    match v {
        Val::Act(t) => l.shape(*t),
        Val::Const(c) => c.shape.clone(),
    }
}

/// Output `i` of the node as `map` over `inputs` (end to end): a constant if they all are, else a gather.
pub(super) fn apply(
    l: &mut Lowering,
    n: &NodeInfo,
    out: usize,
    inputs: &[Val],
    out_shape: Vec<usize>,
    map: Vec<Option<u32>>,
    fill: f64,
) -> Result<(), CompileError> {
    if inputs.iter().all(|v| matches!(v, Val::Const(_))) {
        let all: Vec<f64> = inputs
            .iter()
            .flat_map(|v| match v {
                Val::Const(c) => c.data.clone(),
                Val::Act(_) => vec![],
            })
            .collect();
        let data = map
            .iter()
            .map(|i| i.map_or(fill, |i| all[i as usize]))
            .collect();
        return l.set_output_at(
            n,
            out,
            Val::Const(ConstTensor {
                shape: out_shape,
                data,
            }),
        );
    }
    // constants among computed inputs (Concat of a learned token and the activations) become
    // activations of their own
    let anchor = inputs.iter().find_map(|v| match v {
        Val::Act(t) => Some(*t),
        Val::Const(_) => None,
    });
    let mut ids = Vec::with_capacity(inputs.len());
    for (i, v) in inputs.iter().enumerate() {
        ids.push(match (v, anchor) {
            (Val::Act(t), _) => *t,
            (Val::Const(c), Some(a)) => materialize(l, n, &format!("const{i}"), a, c)?,
            (Val::Const(_), None) => return Err(n.err("internal: no computed input")),
        });
    }
    let op = Op::Gather(Gather {
        out_shape,
        map,
        fill: fill as f32,
    });
    let t = if out == 0 {
        l.emit(n, &n.op, op, ids)?
    } else {
        l.add(n, &format!("output{out}"), op, ids)?
    };
    if out > 0 {
        l.set_output_at(n, out, Val::Act(t))?;
    }
    Ok(())
}

fn transpose(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let perm: Vec<usize> = match n.attr_ints("perm") {
        Some(p) => p
            .iter()
            .map(|&a| axis(a, s.len()).map_err(|e| n.lower_err(e)))
            .collect::<Result<_, _>>()?,
        None => (0..s.len()).rev().collect(),
    };
    let mut seen = vec![false; s.len()];
    if perm.len() != s.len() || perm.iter().any(|&p| std::mem::replace(&mut seen[p], true)) {
        return Err(n.err(format!(
            "perm {perm:?} is not a permutation of {} axes",
            s.len()
        )));
    }
    let out_shape: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
    let st = strides(&s);
    let map = indices(&out_shape)
        .map(|o| {
            Some(
                perm.iter()
                    .enumerate()
                    .map(|(i, &p)| o[i] * st[p])
                    .sum::<usize>() as u32,
            )
        })
        .collect();
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

fn slice(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let (starts, ends, axes, steps) = if l.opset >= 10 {
        (
            l.const_input(n, 1, "starts")?.as_ints(),
            l.const_input(n, 2, "ends")?.as_ints(),
            l.ints_input_or_attr(n, 3, "-")?,
            l.ints_input_or_attr(n, 4, "-")?,
        )
    } else {
        (
            n.attr_ints("starts").unwrap_or_default(),
            n.attr_ints("ends").unwrap_or_default(),
            n.attr_ints("axes"),
            None,
        )
    };
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(n.err("starts, ends, axes and steps differ in length"));
    }
    // per axis: the selected source coordinates
    let mut pick: Vec<Vec<usize>> = s.iter().map(|&d| (0..d).collect()).collect();
    for i in 0..starts.len() {
        let a = axis(axes[i], s.len()).map_err(|e| n.lower_err(e))?;
        let d = s[a] as i64;
        let step = steps[i];
        if step == 0 {
            return Err(n.err("a slice step of 0"));
        }
        let clampi = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi);
        let norm = |v: i64| if v < 0 { v + d } else { v };
        let (b, e) = if step > 0 {
            (clampi(norm(starts[i]), 0, d), clampi(norm(ends[i]), 0, d))
        } else {
            (
                clampi(norm(starts[i]), -1, d - 1),
                clampi(norm(ends[i]), -1, d - 1),
            )
        };
        let mut sel = Vec::new();
        let mut c = b;
        while (step > 0 && c < e) || (step < 0 && c > e) {
            sel.push(c as usize);
            c += step;
        }
        pick[a] = sel;
    }
    let out_shape: Vec<usize> = pick.iter().map(Vec::len).collect();
    let st = strides(&s);
    let map = indices(&out_shape)
        .map(|o| {
            Some(
                o.iter()
                    .enumerate()
                    .map(|(i, &c)| pick[i][c] * st[i])
                    .sum::<usize>() as u32,
            )
        })
        .collect();
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

/// Elements of `s` whose coordinate on `ax` lies in `[from, from + len)`, shifted to start at 0.
pub(super) fn range_map(
    s: &[usize],
    ax: usize,
    from: usize,
    len: usize,
) -> (Vec<usize>, Vec<Option<u32>>) {
    let mut out_shape = s.to_vec();
    out_shape[ax] = len;
    let st = strides(s);
    let map = indices(&out_shape)
        .map(|mut o| {
            o[ax] += from;
            Some(ravel(&o, &st) as u32)
        })
        .collect();
    (out_shape, map)
}

fn split(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let ax = axis(n.attr_int("axis", 0), s.len()).map_err(|e| n.lower_err(e))?;
    let outs = n.proto.output.len();
    let sizes: Vec<usize> = match l.ints_input_or_attr(n, 1, "split")? {
        Some(v) if !v.is_empty() => v.iter().map(|x| *x as usize).collect(),
        _ => {
            let k = outs.max(1);
            let each = s[ax].div_ceil(k);
            (0..k)
                .map(|i| each.min(s[ax].saturating_sub(i * each)))
                .collect()
        }
    };
    if sizes.iter().sum::<usize>() != s[ax] || sizes.len() != outs {
        return Err(n.err(format!(
            "split sizes {sizes:?} do not cover axis {ax} of {s:?} in {outs} outputs"
        )));
    }
    let mut from = 0;
    for (i, &len) in sizes.iter().enumerate() {
        let (shape, map) = range_map(&s, ax, from, len);
        apply(l, n, i, std::slice::from_ref(&v), shape, map, 0.0)?;
        from += len;
    }
    Ok(())
}

fn concat(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let count = l.input_count(n);
    let vals: Vec<Val> = (0..count)
        .map(|i| l.input(n, i))
        .collect::<Result<_, _>>()?;
    let shapes: Vec<Vec<usize>> = vals.iter().map(|v| shape_of(l, v)).collect();
    let rank = shapes.first().map_or(0, Vec::len);
    let ax = axis(n.attr_int("axis", 0), rank).map_err(|e| n.lower_err(e))?;
    let mut out_shape = shapes[0].clone();
    out_shape[ax] = 0;
    for s in &shapes {
        if s.len() != rank || (0..rank).any(|i| i != ax && s[i] != shapes[0][i]) {
            return Err(n.err(format!("shapes {shapes:?} do not concatenate on axis {ax}")));
        }
        out_shape[ax] += s[ax];
    }
    // element (o) comes from the input whose range on `ax` holds o[ax]
    let mut bases = Vec::new();
    let mut acc = 0;
    for s in &shapes {
        bases.push(acc);
        acc += s.iter().product::<usize>();
    }
    let map = indices(&out_shape)
        .map(|mut o| {
            let mut k = 0;
            while o[ax] >= shapes[k][ax] {
                o[ax] -= shapes[k][ax];
                k += 1;
            }
            Some((bases[k] + ravel(&o, &strides(&shapes[k]))) as u32)
        })
        .collect();
    apply(l, n, 0, &vals, out_shape, map, 0.0)
}

fn pad(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let r = s.len();
    let pads = if l.opset >= 11 {
        l.const_input(n, 1, "pads")?.as_ints()
    } else {
        n.attr_ints("pads").unwrap_or_default()
    };
    let value = if l.opset >= 11 {
        match l.opt_input(n, 2)? {
            None => 0.0,
            Some(Val::Const(c)) if c.data.len() == 1 => c.data[0],
            Some(_) => return Err(n.err("the constant value must be a scalar constant")),
        }
    } else {
        n.attr_float("value", 0.0) as f64
    };
    let axes: Vec<usize> = match l.opt_input(n, 3)? {
        Some(Val::Const(c)) => c
            .as_ints()
            .iter()
            .map(|&a| axis(a, r).map_err(|e| n.lower_err(e)))
            .collect::<Result<_, _>>()?,
        Some(Val::Act(_)) => return Err(n.err("axes must be a constant")),
        None => (0..r).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(n.err(format!("pads {pads:?} needs {} values", 2 * axes.len())));
    }
    let mode = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "mode")
        .map_or("constant".to_string(), |a| {
            String::from_utf8_lossy(&a.s).to_string()
        });
    let (mut begin, mut end) = (vec![0i64; r], vec![0i64; r]);
    for (i, &a) in axes.iter().enumerate() {
        begin[a] = pads[i];
        end[a] = pads[i + axes.len()];
    }
    let out_shape: Vec<usize> = (0..r)
        .map(|i| (s[i] as i64 + begin[i] + end[i]).max(0) as usize)
        .collect();
    let st = strides(&s);
    let mut map = Vec::with_capacity(out_shape.iter().product());
    for o in indices(&out_shape) {
        let mut src = Vec::with_capacity(r);
        for i in 0..r {
            let d = s[i] as i64;
            let c = o[i] as i64 - begin[i];
            let c = match mode.as_str() {
                _ if (0..d).contains(&c) => Some(c),
                "constant" => None,
                "edge" => Some(c.clamp(0, d - 1)),
                "reflect" if d > 1 => {
                    let period = 2 * (d - 1);
                    let m = c.rem_euclid(period);
                    Some(if m < d { m } else { period - m })
                }
                "reflect" => Some(0),
                other => return Err(n.err(format!("pad mode {other} is not supported"))),
            };
            src.push(c);
        }
        let idx: Option<Vec<usize>> = src.into_iter().map(|c| c.map(|c| c as usize)).collect();
        map.push(idx.map(|idx| ravel(&idx, &st) as u32));
    }
    apply(l, n, 0, &[v], out_shape, map, value)
}

fn gather_op(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let ax = axis(n.attr_int("axis", 0), s.len()).map_err(|e| n.lower_err(e))?;
    let idx = match (l.input(n, 1)?, &v) {
        (Val::Const(c), _) => c,
        // integer indices: a lookup against the table; others: the one-hot embedding lookup
        (Val::Act(i), Val::Const(table)) if !l.is_integral(i) => {
            return super::embedding::lookup(l, n, table, i, ax)
        }
        (Val::Act(i), _) => return super::computed_index::gather(l, n, &v, i, ax),
    };
    let mut out_shape = s[..ax].to_vec();
    out_shape.extend(&idx.shape);
    out_shape.extend(&s[ax + 1..]);
    let st = strides(&s);
    let k = idx.shape.len();
    let ist = strides(&idx.shape);
    let mut map = Vec::new();
    for o in indices(&out_shape) {
        let j = idx.data[ravel(&o[ax..ax + k], &ist)] as i64;
        let j = if j < 0 { j + s[ax] as i64 } else { j };
        if !(0..s[ax] as i64).contains(&j) {
            return Err(n.err(format!("index {j} is out of range for axis {ax} of {s:?}")));
        }
        let mut src = o[..ax].to_vec();
        src.push(j as usize);
        src.extend(&o[ax + k..]);
        map.push(Some(ravel(&src, &st) as u32));
    }
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

fn expand(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let target: Vec<usize> = l
        .const_input(n, 1, "the shape")?
        .as_ints()
        .iter()
        .map(|&d| d.max(0) as usize)
        .collect();
    let out_shape = broadcast_shapes(&s, &target).map_err(|e| n.lower_err(e))?;
    let map = broadcast_index_map(&s, &out_shape)
        .into_iter()
        .map(Some)
        .collect();
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

fn tile(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let reps = l.const_input(n, 1, "repeats")?.as_ints();
    if reps.len() != s.len() || reps.iter().any(|r| *r < 0) {
        return Err(n.err(format!(
            "repeats {reps:?} must give one count per axis of {s:?}"
        )));
    }
    let out_shape: Vec<usize> = s.iter().zip(&reps).map(|(d, r)| d * *r as usize).collect();
    let st = strides(&s);
    let map = indices(&out_shape)
        .map(|o| {
            Some(
                o.iter()
                    .enumerate()
                    .map(|(i, &c)| (c % s[i]) * st[i])
                    .sum::<usize>() as u32,
            )
        })
        .collect();
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

/// DepthToSpace (DCR or CRD) and SpaceToDepth on [N, C, H, W].
fn block_shuffle(l: &mut Lowering, n: &NodeInfo, to_space: bool) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let b = n.attr_int("blocksize", 0).max(0) as usize;
    let [bn, c, h, w] = s[..] else {
        return Err(n.err(format!("input {s:?} must be [N, C, H, W]")));
    };
    let crd = n
        .proto
        .attribute
        .iter()
        .any(|a| a.name == "mode" && a.s == b"CRD");
    if b == 0 || (to_space && c % (b * b) != 0) || (!to_space && (h % b != 0 || w % b != 0)) {
        return Err(n.err(format!("blocksize {b} does not divide {s:?}")));
    }
    let st = strides(&s);
    let (out_shape, map): (Vec<usize>, Vec<Option<u32>>) = if to_space {
        let oc = c / (b * b);
        let out = vec![bn, oc, h * b, w * b];
        let map = indices(&out)
            .map(|o| {
                let (y, x) = (o[2] / b, o[3] / b);
                let (i, j) = (o[2] % b, o[3] % b);
                let ch = if crd {
                    o[1] * b * b + i * b + j
                } else {
                    (i * b + j) * oc + o[1]
                };
                Some(ravel(&[o[0], ch, y, x], &st) as u32)
            })
            .collect();
        (out, map)
    } else {
        let out = vec![bn, c * b * b, h / b, w / b];
        let map = indices(&out)
            .map(|o| {
                let (blk, ch) = (o[1] / c, o[1] % c);
                let (i, j) = (blk / b, blk % b);
                Some(ravel(&[o[0], ch, o[2] * b + i, o[3] * b + j], &st) as u32)
            })
            .collect();
        (out, map)
    };
    apply(l, n, 0, &[v], out_shape, map, 0.0)
}

fn depth_to_space(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    block_shuffle(l, n, true)
}
fn space_to_depth(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    block_shuffle(l, n, false)
}
