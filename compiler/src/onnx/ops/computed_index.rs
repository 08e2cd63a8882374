//! `Gather`, `GatherElements` and `GatherND` whose indices the model computes (tree ensembles converted by
//! hummingbird walk their trees this way): each becomes `GatherByIndex` nodes, a lookup of
//! `(slice, index, value)` against the data in the circuit (`chips::gather`). The data is cut into slices
//! along the indexed axis; each output element names its slice and the index element that picks within
//! it. An index outside the axis (ONNX allows `-len..len`), or one that is not an integer, has no entry
//! in the lookup: no witness and no proof exist for it.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::index::{indices, ravel, strides};
use super::movement::shape_of;
use crate::error::CompileError;
use zkinfer_circuits::graph::{GatherByIndex, Op, TensorId};

/// The data of a gather: its activation, or its constant values (as the IR stores them).
fn split_data(data: &Val) -> (Option<TensorId>, Option<Vec<f32>>) {
    match data {
        Val::Act(t) => (Some(*t), None),
        Val::Const(c) => (None, Some(c.data.iter().map(|&v| v as f32).collect())),
    }
}

/// Adds a `GatherByIndex` node (`emit`: it is the ONNX node's output; else an intermediate named `what`).
#[allow(clippy::too_many_arguments)]
fn add_node(
    l: &mut Lowering,
    n: &NodeInfo,
    what: Option<&str>,
    data: &Val,
    idx: TensorId,
    out_shape: Vec<usize>,
    axis_len: usize,
    slices: Vec<Vec<u32>>,
    picks: Vec<[u32; 2]>,
) -> Result<TensorId, CompileError> {
    if axis_len == 0 {
        return Err(n.err("gathers from an empty axis"));
    }
    let (act, constant) = split_data(data);
    let op = Op::GatherByIndex(GatherByIndex {
        out_shape,
        axis_len,
        slices,
        picks,
        data: constant,
    });
    let inputs: Vec<TensorId> = act.into_iter().chain([idx]).collect();
    match what {
        None => l.emit(n, &n.op, op, inputs),
        Some(w) => l.add(n, w, op, inputs),
    }
}

/// `Gather` on axis `ax` by computed indices: `out[pre, q, post] = data[pre, idx[q], post]`.
pub(super) fn gather(
    l: &mut Lowering,
    n: &NodeInfo,
    data: &Val,
    idx: TensorId,
    ax: usize,
) -> Result<(), CompileError> {
    let s = shape_of(l, data);
    let q = l.shape(idx);
    let (pre, len, post) = (
        s[..ax].iter().product::<usize>(),
        s[ax],
        s[ax + 1..].iter().product::<usize>(),
    );
    let qn: usize = q.iter().product();
    let slices = (0..pre * post)
        .map(|g| {
            let (p, r) = (g / post, g % post);
            (0..len)
                .map(|j| ((p * len + j) * post + r) as u32)
                .collect()
        })
        .collect();
    let mut picks = Vec::with_capacity(pre * qn * post);
    for p in 0..pre {
        for i in 0..qn {
            for r in 0..post {
                picks.push([(p * post + r) as u32, i as u32]);
            }
        }
    }
    let mut out_shape = s[..ax].to_vec();
    out_shape.extend(&q);
    out_shape.extend(&s[ax + 1..]);
    add_node(l, n, None, data, idx, out_shape, len, slices, picks).map(|_| ())
}

/// `GatherElements` on axis `ax` by computed indices: `out[o] = data[o with o[ax] = idx[o]]`.
pub(super) fn gather_elements(
    l: &mut Lowering,
    n: &NodeInfo,
    data: &Val,
    idx: TensorId,
    ax: usize,
) -> Result<(), CompileError> {
    let s = shape_of(l, data);
    let q = l.shape(idx);
    let fits = q.len() == s.len()
        && q.iter()
            .zip(&s)
            .enumerate()
            .all(|(d, (a, b))| d == ax || a <= b);
    if !fits {
        return Err(n.err(format!("indices {q:?} do not fit data {s:?} on axis {ax}")));
    }
    let st = strides(&s);
    let mut rest = s.clone();
    rest[ax] = 1;
    let rest_st = strides(&rest);
    let slices = indices(&rest)
        .map(|o| {
            (0..s[ax])
                .map(|j| {
                    let mut at = o.clone();
                    at[ax] = j;
                    ravel(&at, &st) as u32
                })
                .collect()
        })
        .collect();
    let picks = indices(&q)
        .enumerate()
        .map(|(i, mut o)| {
            o[ax] = 0;
            [ravel(&o, &rest_st) as u32, i as u32]
        })
        .collect();
    add_node(l, n, None, data, idx, q.clone(), s[ax], slices, picks).map(|_| ())
}

/// `GatherND` by computed indices (`batch_dims` b, index tuples of k components): one gather per
/// component, each narrowing every tuple's block by one axis (`[groups, len, inner] -> [tuples, inner]`),
/// so a component outside its own axis has no proof (a flat index could wrap into a neighbouring row).
pub(super) fn gather_nd(
    l: &mut Lowering,
    n: &NodeInfo,
    data: &Val,
    idx: TensorId,
    b: usize,
) -> Result<(), CompileError> {
    let s = shape_of(l, data);
    let q = l.shape(idx);
    let k = *q.last().unwrap_or(&0);
    if q.is_empty() || k == 0 || b + k > s.len() || q.len() <= b || q[..b] != s[..b] {
        return Err(n.err(format!(
            "indices {q:?} do not fit data {s:?} with batch_dims {b}"
        )));
    }
    let tuples: usize = q[..q.len() - 1].iter().product();
    let batches: usize = s[..b].iter().product();
    let per_batch = tuples / batches.max(1);
    let mut out_shape = q[..q.len() - 1].to_vec();
    out_shape.extend(&s[b + k..]);
    let mut cur = data.clone();
    for c in 0..k {
        let len = s[b + c];
        let inner: usize = s[b + c + 1..].iter().product();
        // the first step reads the data by batch; later ones read the previous step by tuple
        let (groups, group_of): (usize, Box<dyn Fn(usize) -> usize>) = match c {
            0 => (batches, Box::new(move |t| t / per_batch.max(1))),
            _ => (tuples, Box::new(|t| t)),
        };
        let slices = (0..groups * inner)
            .map(|g| {
                let (gi, r) = (g / inner, g % inner);
                (0..len)
                    .map(|j| ((gi * len + j) * inner + r) as u32)
                    .collect()
            })
            .collect();
        let mut picks = Vec::with_capacity(tuples * inner);
        for t in 0..tuples {
            for r in 0..inner {
                picks.push([(group_of(t) * inner + r) as u32, (t * k + c) as u32]);
            }
        }
        let last = c + 1 == k;
        let shape = match last {
            true => out_shape.clone(),
            false => vec![tuples, inner],
        };
        let what = format!("component{c}");
        let name = (!last).then_some(what.as_str());
        let t = add_node(l, n, name, &cur, idx, shape, len, slices, picks)?;
        cur = Val::Act(t);
    }
    Ok(())
}

/// `ScatterElements` (reduction none) on axis `ax` by computed indices. Each index is first looked up in
/// `0..len` (a gather of the constant `arange(len)`: an index outside `-len..len` has no proof, a negative
/// one becomes its position); then every output element that some update may reach takes, in update
/// order, `Where(index == its position, update, previous)` (the last matching update wins), starting from
/// the data; the others keep the data.
pub(super) fn scatter_elements(
    l: &mut Lowering,
    n: &NodeInfo,
    data: &Val,
    idx: TensorId,
    updates: &Val,
    ax: usize,
) -> Result<(), CompileError> {
    use super::build::{gather as move_cells, materialize};
    use super::movement::apply;
    use zkinfer_circuits::graph::{Compare, CompareKind, Where};
    let s = shape_of(l, data);
    let q = l.shape(idx);
    let fits = q.len() == s.len()
        && q.iter()
            .zip(&s)
            .enumerate()
            .all(|(d, (a, b))| d == ax || a <= b)
        && shape_of(l, updates) == q;
    if !fits {
        return Err(n.err(format!(
            "indices {q:?} and updates {:?} do not fit data {s:?} on axis {ax}",
            shape_of(l, updates)
        )));
    }
    let len = s[ax];
    let qn: usize = q.iter().product();
    let arange = Val::Const(super::super::value::ConstTensor {
        shape: vec![len],
        data: (0..len).map(|j| j as f64).collect(),
    });
    let picks = (0..qn).map(|i| [0, i as u32]).collect();
    let slice = vec![(0..len as u32).collect()];
    let norm = add_node(
        l,
        n,
        Some("index"),
        &arange,
        idx,
        q.clone(),
        len,
        slice,
        picks,
    )?;
    let as_act = |l: &mut Lowering, v: &Val, what: &str| -> Result<TensorId, CompileError> {
        match v {
            Val::Act(t) => Ok(*t),
            Val::Const(c) => materialize(l, n, what, idx, c),
        }
    };
    let data_t = as_act(l, data, "data")?;
    let upd_t = as_act(l, updates, "updates")?;
    // output elements an update may reach: their coordinates off the axis lie inside the indices' shape
    let covered: Vec<Vec<usize>> = indices(&s)
        .filter(|t| {
            t.iter()
                .zip(&q)
                .enumerate()
                .all(|(d, (a, b))| d == ax || a < b)
        })
        .collect();
    let (st, qst) = (strides(&s), strides(&q));
    let m = covered.len();
    let flat = |t: &[usize]| ravel(t, &st) as u32;
    let first = covered.iter().map(|t| Some(flat(t))).collect();
    let mut prev = move_cells(l, n, "covered", vec![data_t], vec![m], first, 0.0)?;
    for c in 0..q[ax] {
        let at: Vec<Option<u32>> = covered
            .iter()
            .map(|t| {
                let mut u = t.clone();
                u[ax] = c;
                Some(ravel(&u, &qst) as u32)
            })
            .collect();
        let cand = move_cells(
            l,
            n,
            &format!("index{c}"),
            vec![norm],
            vec![m],
            at.clone(),
            0.0,
        )?;
        let hit = Op::Compare(Compare {
            kind: CompareKind::Equal,
            rhs: Some(covered.iter().map(|t| t[ax] as f32).collect()),
        });
        let hit = l.add(n, &format!("hit{c}"), hit, vec![cand])?;
        let upd = move_cells(l, n, &format!("update{c}"), vec![upd_t], vec![m], at, 0.0)?;
        let select = Op::Where(Where { x: None, y: None });
        prev = l.add(n, &format!("select{c}"), select, vec![hit, upd, prev])?;
    }
    let mut pos = vec![None; s.iter().product()];
    for (j, t) in covered.iter().enumerate() {
        pos[flat(t) as usize] = Some(j);
    }
    let total: usize = s.iter().product();
    let map = (0..total)
        .map(|i| Some(pos[i].map_or(i, |j| total + j) as u32))
        .collect();
    apply(l, n, 0, &[Val::Act(data_t), Val::Act(prev)], s, map, 0.0)
}

/// `ScatterND` (reduction none) by computed indices (`k`-component index tuples, each naming a block of
/// `data[.., k..]`). Each component is first looked up in `0..len` of its own axis (a gather of the
/// constant `arange(len)`: a component outside `-len..len` has no proof, a negative one becomes its
/// position); the tuple's block number `sum_c pos_c * stride_c` is then exact integer arithmetic. Every
/// output element takes, in update order, `Where(block number == its block, update, previous)` (the last
/// matching update wins), starting from the data.
pub(super) fn scatter_nd(
    l: &mut Lowering,
    n: &NodeInfo,
    data: &Val,
    idx: TensorId,
    updates: &Val,
) -> Result<(), CompileError> {
    use super::build::{gather as move_cells, materialize};
    use super::movement::apply;
    use zkinfer_circuits::graph::{AddTensors, Compare, CompareKind, ConstAffine, Where};
    let s = shape_of(l, data);
    let q = l.shape(idx);
    let k = *q.last().unwrap_or(&0);
    let tuples: usize = q[..q.len().saturating_sub(1)].iter().product();
    let block: usize = s.get(k..).map_or(0, |r| r.iter().product());
    let mut want = q[..q.len().saturating_sub(1)].to_vec();
    want.extend(s.get(k..).unwrap_or(&[]));
    if q.is_empty() || k == 0 || k > s.len() || shape_of(l, updates) != want {
        return Err(n.err(format!(
            "indices {q:?} and updates {:?} do not fit data {s:?}",
            shape_of(l, updates)
        )));
    }
    let as_act = |l: &mut Lowering, v: &Val, what: &str| -> Result<TensorId, CompileError> {
        match v {
            Val::Act(t) => Ok(*t),
            Val::Const(c) => materialize(l, n, what, idx, c),
        }
    };
    // block number of each tuple: sum over components of (position on its axis) * (blocks per step)
    let mut number: Option<TensorId> = None;
    for c in 0..k {
        let len = s[c];
        let comp = move_cells(
            l,
            n,
            &format!("component{c}"),
            vec![idx],
            vec![tuples],
            (0..tuples).map(|t| Some((t * k + c) as u32)).collect(),
            0.0,
        )?;
        let arange = Val::Const(super::super::value::ConstTensor {
            shape: vec![len],
            data: (0..len).map(|j| j as f64).collect(),
        });
        let picks = (0..tuples).map(|t| [0, t as u32]).collect();
        let slice = vec![(0..len as u32).collect()];
        let what = format!("position{c}");
        let pos = add_node(
            l,
            n,
            Some(&what),
            &arange,
            comp,
            vec![tuples],
            len,
            slice,
            picks,
        )?;
        let step: usize = s[c + 1..k].iter().product();
        let scaled = l.add(
            n,
            &format!("step{c}"),
            Op::ConstAffine(ConstAffine {
                mul: vec![step as f32],
                add: vec![0.0],
            }),
            vec![pos],
        )?;
        number = Some(match number {
            None => scaled,
            Some(acc) => l.add(
                n,
                &format!("number{c}"),
                Op::AddTensors(AddTensors { sign: 1 }),
                vec![acc, scaled],
            )?,
        });
    }
    let Some(number) = number else {
        return Err(n.err("index tuples of no component"));
    };
    let data_t = as_act(l, data, "data")?;
    let upd_t = as_act(l, updates, "updates")?;
    let total: usize = s.iter().product();
    let mut prev = move_cells(
        l,
        n,
        "start",
        vec![data_t],
        vec![total],
        (0..total as u32).map(Some).collect(),
        0.0,
    )?;
    for t in 0..tuples {
        let cand = move_cells(
            l,
            n,
            &format!("number_of{t}"),
            vec![number],
            vec![total],
            vec![Some(t as u32); total],
            0.0,
        )?;
        let hit = Op::Compare(Compare {
            kind: CompareKind::Equal,
            rhs: Some((0..total).map(|i| (i / block.max(1)) as f32).collect()),
        });
        let hit = l.add(n, &format!("hit{t}"), hit, vec![cand])?;
        let upd = move_cells(
            l,
            n,
            &format!("update{t}"),
            vec![upd_t],
            vec![total],
            (0..total)
                .map(|i| Some((t * block + i % block.max(1)) as u32))
                .collect(),
            0.0,
        )?;
        let select = Op::Where(Where { x: None, y: None });
        prev = l.add(n, &format!("select{t}"), select, vec![hit, upd, prev])?;
    }
    let map = (0..total as u32).map(Some).collect();
    apply(l, n, 0, &[Val::Act(prev)], s, map, 0.0)
}
