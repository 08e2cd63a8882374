//! Tree ensembles (`ai.onnx.ml`): TreeEnsembleClassifier and TreeEnsembleRegressor, as scikit-learn's
//! decision trees, random forests and gradient boosting arrive through skl2onnx (and onnxmltools).
//!
//! Lowering: every branch node compares its feature with its threshold (one comparison row per node and
//! sample, by mode: BRANCH_LEQ, LT, GTE, GT, EQ, NEQ), and its negation is a Not row; a node is reached
//! when its parent is and the parent's branch towards it holds, so each tree level is one And of the
//! level above (gathered by parent) with the branch literals (gathered): a leaf's indicator is the
//! product of the branch booleans along its path. The scores are a dense layer over the leaf indicators
//! (leaf weights summed per class or target, averaged for `AVERAGE`, plus `base_values`), then
//! `post_transform` (NONE, LOGISTIC: the sigmoid table, SOFTMAX: max shift, exp, sum, reciprocal). The
//! classifier's label is the first class of largest score, by comparisons of every pair of scores, as
//! `sum_i label_i * [class i wins]`.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::build::{gather, reduce_minmax, reduce_sum};
use super::Registry;
use crate::error::CompileError;
use std::collections::HashMap;
use tract_onnx::pb;
use zkinfer_circuits::graph::{
    AddTensors, Binary, BinaryKind, Compare, CompareKind, Dense, Func, Logic, LogicKind, Op,
    TensorId,
};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("TreeEnsembleClassifier", classifier);
    r.insert("TreeEnsembleRegressor", regressor);
}

fn attr<'a>(n: &'a NodeInfo, name: &str) -> Option<&'a pb::AttributeProto> {
    n.proto.attribute.iter().find(|a| a.name == name)
}

fn ints(n: &NodeInfo, name: &str) -> Vec<i64> {
    attr(n, name).map(|a| a.ints.clone()).unwrap_or_default()
}

/// Float attribute list, or its `_as_tensor` form (ai.onnx.ml opset 3).
fn floats(n: &NodeInfo, name: &str) -> Result<Vec<f64>, CompileError> {
    if let Some(a) = attr(n, name) {
        return Ok(a.floats.iter().map(|v| *v as f64).collect());
    }
    match attr(n, &format!("{name}_as_tensor")).and_then(|a| a.t.as_ref()) {
        Some(t) => Ok(super::super::ctx::load_const(t)
            .map_err(|e| n.lower_err(e))?
            .data),
        None => Ok(Vec::new()),
    }
}

fn string(n: &NodeInfo, name: &str, default: &str) -> String {
    attr(n, name).map_or(default.to_string(), |a| {
        String::from_utf8_lossy(&a.s).into_owned()
    })
}

fn strings(n: &NodeInfo, name: &str) -> Vec<String> {
    attr(n, name)
        .map(|a| {
            a.strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A node's (tree id, node id).
type Key = (i64, i64);

/// The leaf indicators (none when no tree splits), the leaves they stand for, and the leaves that are
/// roots.
type Leaves = (Option<TensorId>, Vec<Key>, Vec<Key>);

/// One node of one tree.
#[derive(Debug, Clone)]
struct TreeNode {
    feature: usize,
    threshold: f64,
    /// `None` for a leaf.
    mode: Option<(CompareKind, bool)>,
    children: [(i64, i64); 2],
}

/// The ensemble: nodes by (tree, node id), leaf weights by (tree, node id) and output.
struct Ensemble {
    nodes: HashMap<(i64, i64), TreeNode>,
    trees: Vec<i64>,
    weights: Vec<((i64, i64), usize, f64)>,
    outputs: usize,
}

fn mode_of(n: &NodeInfo, m: &str) -> Result<Option<(CompareKind, bool)>, CompileError> {
    // (comparison that sends a sample to the true child, negated)
    Ok(Some(match m {
        "LEAF" => return Ok(None),
        "BRANCH_LEQ" => (CompareKind::LessOrEqual, false),
        "BRANCH_LT" => (CompareKind::Less, false),
        "BRANCH_GTE" => (CompareKind::GreaterOrEqual, false),
        "BRANCH_GT" => (CompareKind::Greater, false),
        "BRANCH_EQ" => (CompareKind::Equal, false),
        "BRANCH_NEQ" => (CompareKind::Equal, true),
        other => return Err(n.err(format!("unknown node mode '{other}'"))),
    }))
}

fn parse(n: &NodeInfo, prefix: &str, outputs: usize) -> Result<Ensemble, CompileError> {
    let (tree_ids, node_ids) = (ints(n, "nodes_treeids"), ints(n, "nodes_nodeids"));
    let (features, values) = (ints(n, "nodes_featureids"), floats(n, "nodes_values")?);
    let (modes, trues, falses) = (
        strings(n, "nodes_modes"),
        ints(n, "nodes_truenodeids"),
        ints(n, "nodes_falsenodeids"),
    );
    let count = tree_ids.len();
    if [node_ids.len(), features.len(), values.len(), modes.len()]
        .iter()
        .any(|&l| l != count)
        || trues.len() != count
        || falses.len() != count
    {
        return Err(n.err("the nodes_* attributes differ in length"));
    }
    let mut nodes = HashMap::new();
    let mut trees = Vec::new();
    for i in 0..count {
        let t = tree_ids[i];
        if !trees.contains(&t) {
            trees.push(t);
        }
        let node = TreeNode {
            feature: usize::try_from(features[i])
                .map_err(|_| n.err(format!("negative feature id {}", features[i])))?,
            threshold: values[i],
            mode: mode_of(n, &modes[i])?,
            children: [(t, trues[i]), (t, falses[i])],
        };
        nodes.insert((t, node_ids[i]), node);
    }
    let (wt, wn, wi) = (
        ints(n, &format!("{prefix}_treeids")),
        ints(n, &format!("{prefix}_nodeids")),
        ints(n, &format!("{prefix}_ids")),
    );
    let ww = floats(n, &format!("{prefix}_weights"))?;
    if wn.len() != wt.len() || wi.len() != wt.len() || ww.len() != wt.len() {
        return Err(n.err(format!("the {prefix}_* attributes differ in length")));
    }
    let mut weights = Vec::with_capacity(wt.len());
    for i in 0..wt.len() {
        let out = usize::try_from(wi[i])
            .ok()
            .filter(|&o| o < outputs)
            .ok_or_else(|| n.err(format!("{prefix} id {} is out of range", wi[i])))?;
        weights.push(((wt[i], wn[i]), out, ww[i]));
    }
    Ok(Ensemble {
        nodes,
        trees,
        weights,
        outputs,
    })
}

/// The leaf indicators `[N, leaves]` of every tree and each leaf's key; leaves that are roots (trees
/// without a split) have no indicator and are returned apart (their weights are constant).
fn leaf_indicators(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    e: &Ensemble,
) -> Result<Leaves, CompileError> {
    let shape = l.shape(x);
    let (rows, feats) = match shape.as_slice() {
        [f] => (1, *f),
        [r, f] => (*r, *f),
        _ => return Err(n.err(format!("input shape {shape:?} is not [N, features]"))),
    };
    // branch nodes in tree order (breadth first), with their depth and parent literal
    let mut branches: Vec<(i64, i64)> = Vec::new();
    let mut leaves = Vec::new();
    let mut root_leaves = Vec::new();
    // per node: (depth, parent branch index, which side)
    let mut reach: Vec<((i64, i64), usize, usize, usize)> = Vec::new();
    for &t in &e.trees {
        let mut queue = std::collections::VecDeque::from([((t, 0i64), 0usize, 0usize, 0usize)]);
        let mut seen = 0usize;
        while let Some((key, depth, parent, side)) = queue.pop_front() {
            seen += 1;
            if seen > e.nodes.len() {
                return Err(n.err(format!("tree {t} has a cycle")));
            }
            let node = e
                .nodes
                .get(&key)
                .ok_or_else(|| n.err(format!("tree {} has no node {}", key.0, key.1)))?;
            if depth > 0 {
                reach.push((key, depth, parent, side));
            }
            match node.mode {
                None if depth == 0 => root_leaves.push(key),
                None => leaves.push(key),
                Some(_) => {
                    if node.feature >= feats {
                        return Err(n.err(format!("feature {} of {feats}", node.feature)));
                    }
                    let b = branches.len();
                    branches.push(key);
                    queue.push_back((node.children[0], depth + 1, b, 0));
                    queue.push_back((node.children[1], depth + 1, b, 1));
                }
            }
        }
    }
    if branches.is_empty() {
        return Ok((None, leaves, root_leaves));
    }
    let nb = branches.len();
    // comparisons, grouped by kind: `taken[b]` = the true branch of node b is taken
    let mut groups: Vec<(CompareKind, Vec<usize>)> = Vec::new();
    for (b, key) in branches.iter().enumerate() {
        let (kind, _) = e.nodes[key].mode.unwrap_or((CompareKind::Equal, false));
        match groups.iter_mut().find(|g| g.0 == kind) {
            Some(g) => g.1.push(b),
            None => groups.push((kind, vec![b])),
        }
    }
    let mut parts = Vec::new();
    let mut where_is = vec![0u32; nb];
    let mut offset = 0u32;
    for (gi, (kind, members)) in groups.iter().enumerate() {
        let m = members.len();
        let map = (0..rows * m)
            .map(|i| Some((i / m * feats + e.nodes[&branches[members[i % m]]].feature) as u32))
            .collect();
        let xs = gather(
            l,
            n,
            &format!("features{gi}"),
            vec![x],
            vec![rows, m],
            map,
            0.0,
        )?;
        let rhs = (0..rows * m)
            .map(|i| e.nodes[&branches[members[i % m]]].threshold as f32)
            .collect();
        let op = Op::Compare(Compare {
            kind: *kind,
            rhs: Some(rhs),
        });
        parts.push(l.add(n, &format!("branch{gi}"), op, vec![xs])?);
        for (k, &b) in members.iter().enumerate() {
            where_is[b] = offset + k as u32;
        }
        offset += (rows * m) as u32;
    }
    // `taken` in branch order: index over the parts laid end to end
    let group_of = |b: usize| groups.iter().position(|g| g.1.contains(&b)).unwrap_or(0);
    let part_base: Vec<usize> = groups
        .iter()
        .scan(0, |acc, g| {
            let base = *acc;
            *acc += rows * g.1.len();
            Some(base)
        })
        .collect();
    let taken_map = (0..rows * nb)
        .map(|i| {
            let (r, b) = (i / nb, i % nb);
            let g = group_of(b);
            let k = where_is[b] as usize - part_base[g];
            Some((part_base[g] + r * groups[g].1.len() + k) as u32)
        })
        .collect();
    let taken = gather(l, n, "taken", parts, vec![rows, nb], taken_map, 0.0)?;
    // literal[b] = taken (true side, unless the mode is negated), literal[nb + b] = its negation
    let not_taken = l.add(
        n,
        "not_taken",
        Op::Logic(Logic {
            kind: LogicKind::Not,
        }),
        vec![taken],
    )?;
    let literal = |b: usize, side: usize| -> usize {
        let negated = e.nodes[&branches[b]].mode.is_some_and(|m| m.1);
        if (side == 1) != negated {
            nb + b
        } else {
            b
        }
    };
    // levels: level 1 reads literals; level d >= 2 is And(level d-1 by parent, literal)
    let depth_max = reach.iter().map(|r| r.1).max().unwrap_or(0);
    let mut level_tensors: Vec<TensorId> = Vec::new();
    let mut position: HashMap<(i64, i64), (usize, usize)> = HashMap::new();
    let mut branch_pos: HashMap<usize, (usize, usize)> = HashMap::new();
    for d in 1..=depth_max {
        let at: Vec<&((i64, i64), usize, usize, usize)> =
            reach.iter().filter(|r| r.1 == d).collect();
        let m = at.len();
        let lit_map = (0..rows * m)
            .map(|i| {
                let (r, k) = (i / m, i % m);
                let lit = literal(at[k].2, at[k].3);
                let (tensor_row, b) = if lit >= nb { (1, lit - nb) } else { (0, lit) };
                Some((tensor_row * rows * nb + r * nb + b) as u32)
            })
            .collect();
        let lits = gather(
            l,
            n,
            &format!("literals{d}"),
            vec![taken, not_taken],
            vec![rows, m],
            lit_map,
            0.0,
        )?;
        let level = if d == 1 {
            lits
        } else {
            let prev = level_tensors[d - 2];
            let pm = l.shape(prev)[1];
            let par_map = (0..rows * m)
                .map(|i| {
                    let (r, k) = (i / m, i % m);
                    let (_, pk) = branch_pos[&at[k].2];
                    Some((r * pm + pk) as u32)
                })
                .collect();
            let parents = gather(
                l,
                n,
                &format!("parents{d}"),
                vec![prev],
                vec![rows, m],
                par_map,
                0.0,
            )?;
            let and = Op::Logic(Logic {
                kind: LogicKind::And,
            });
            l.add(n, &format!("reach{d}"), and, vec![parents, lits])?
        };
        for (k, r) in at.iter().enumerate() {
            position.insert(r.0, (d, k));
            if let Some(b) = branches.iter().position(|key| *key == r.0) {
                branch_pos.insert(b, (d, k));
            }
        }
        level_tensors.push(level);
    }
    let widths: Vec<usize> = level_tensors.iter().map(|&t| l.shape(t)[1]).collect();
    let bases: Vec<usize> = widths
        .iter()
        .scan(0, |acc, w| {
            let base = *acc;
            *acc += rows * w;
            Some(base)
        })
        .collect();
    let nl = leaves.len();
    let leaf_map = (0..rows * nl)
        .map(|i| {
            let (r, k) = (i / nl, i % nl);
            let (d, p) = position[&leaves[k]];
            Some((bases[d - 1] + r * widths[d - 1] + p) as u32)
        })
        .collect();
    let ind = gather(l, n, "leaves", level_tensors, vec![rows, nl], leaf_map, 0.0)?;
    Ok((Some(ind), leaves, root_leaves))
}

/// Scores `[N, outputs]`: the dense layer over the leaf indicators, before `post_transform`.
fn scores(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    e: &Ensemble,
    average: bool,
) -> Result<TensorId, CompileError> {
    let (ind, leaves, root_leaves) = leaf_indicators(l, n, x, e)?;
    let scale = if average {
        1.0 / e.trees.len() as f64
    } else {
        1.0
    };
    let mut bias = floats(n, "base_values")?;
    if bias.is_empty() {
        bias = vec![0.0; e.outputs];
    }
    if bias.len() != e.outputs {
        return Err(n.err(format!(
            "{} base values for {} outputs",
            bias.len(),
            e.outputs
        )));
    }
    let nl = leaves.len();
    let mut weight = vec![0f64; e.outputs * nl];
    let index: HashMap<(i64, i64), usize> =
        leaves.iter().enumerate().map(|(i, k)| (*k, i)).collect();
    for (key, out, w) in &e.weights {
        match index.get(key) {
            Some(&i) => weight[out * nl + i] += w * scale,
            None if root_leaves.contains(key) => bias[*out] += w * scale,
            None => {
                return Err(n.err(format!(
                    "weight on node {} of tree {} which is not a leaf",
                    key.1, key.0
                )))
            }
        }
    }
    let ind = ind.ok_or_else(|| n.err("no tree has a split: the output is a constant"))?;
    let dense = Dense {
        in_features: nl,
        out_features: e.outputs,
        weight: weight.iter().map(|v| *v as f32).collect(),
        bias: bias.iter().map(|v| *v as f32).collect(),
    };
    l.add(n, "scores", Op::Dense(dense), vec![ind])
}

fn post_transform(l: &mut Lowering, n: &NodeInfo, s: TensorId) -> Result<TensorId, CompileError> {
    match string(n, "post_transform", "NONE").as_str() {
        "NONE" => Ok(s),
        "LOGISTIC" => l.add(
            n,
            "logistic",
            Op::Func(Func {
                f: FuncKind::Sigmoid,
            }),
            vec![s],
        ),
        "SOFTMAX" => {
            let m = reduce_minmax(l, n, s, &[1], true, BinaryKind::Max)?;
            let sub = Op::AddTensors(AddTensors { sign: -1 });
            let d = l.add(n, "shifted", sub, vec![s, m])?;
            let ex = l.add(n, "exp", Op::Func(Func { f: FuncKind::Exp }), vec![d])?;
            let sum = reduce_sum(l, n, ex, &[1], true, false)?;
            let total = l.add(n, "sum", Op::Linear(sum), vec![ex])?;
            let inv = Op::Func(Func {
                f: FuncKind::Reciprocal,
            });
            let inv = l.add(n, "reciprocal", inv, vec![total])?;
            let mul = Op::Binary(Binary {
                kind: BinaryKind::Mul,
            });
            l.add(n, "softmax", mul, vec![ex, inv])
        }
        other => Err(n.err(format!("post_transform {other} is not supported"))),
    }
}

/// The label of the first class of largest score: `[class i wins] = AND_j (s_i > s_j for j < i,
/// s_i >= s_j for j > i)`, then `sum_i label_i * [class i wins]`.
fn label(
    l: &mut Lowering,
    n: &NodeInfo,
    s: TensorId,
    labels: &[i64],
) -> Result<TensorId, CompileError> {
    let shape = l.shape(s);
    let (rows, c) = (shape[0], shape[1]);
    if c < 2 {
        return Err(n.err("a classifier needs at least two classes"));
    }
    // every (class, opponent) pair; ties go to the lower class: strict against lower opponents
    let pairs: Vec<(usize, usize)> = (0..c)
        .flat_map(|i| (0..c).filter(move |&j| j != i).map(move |j| (i, j)))
        .collect();
    let mut parts = Vec::new();
    let mut place: Vec<(usize, usize, usize)> = vec![(0, 0, 0); pairs.len()];
    let mut base = 0;
    for (strict, kind) in [
        (true, CompareKind::Greater),
        (false, CompareKind::GreaterOrEqual),
    ] {
        let sel: Vec<usize> = (0..pairs.len())
            .filter(|&p| (pairs[p].1 < pairs[p].0) == strict)
            .collect();
        let m = sel.len();
        if m == 0 {
            continue;
        }
        let side = |first: bool| -> Vec<Option<u32>> {
            (0..rows * m)
                .map(|k| {
                    let (i, j) = pairs[sel[k % m]];
                    Some((k / m * c + if first { i } else { j }) as u32)
                })
                .collect()
        };
        let what = if strict { "lower" } else { "higher" };
        let a = gather(
            l,
            n,
            &format!("class_{what}"),
            vec![s],
            vec![rows, m],
            side(true),
            0.0,
        )?;
        let b = gather(
            l,
            n,
            &format!("opponent_{what}"),
            vec![s],
            vec![rows, m],
            side(false),
            0.0,
        )?;
        let cmp = Op::Compare(Compare { kind, rhs: None });
        parts.push(l.add(n, &format!("beats_{what}"), cmp, vec![a, b])?);
        for (k, &p) in sel.iter().enumerate() {
            place[p] = (base, m, k);
        }
        base += rows * m;
    }
    // [class i wins] = AND over opponent columns
    let mut wins: Option<TensorId> = None;
    for col in 0..c - 1 {
        let map = (0..rows * c)
            .map(|k| {
                let (r, i) = (k / c, k % c);
                let p = i * (c - 1) + col;
                let (b, m, pos) = place[p];
                Some((b + r * m + pos) as u32)
            })
            .collect();
        let t = gather(
            l,
            n,
            &format!("beats{col}"),
            parts.clone(),
            vec![rows, c],
            map,
            0.0,
        )?;
        wins = Some(match wins {
            None => t,
            Some(w) => {
                let and = Op::Logic(Logic {
                    kind: LogicKind::And,
                });
                l.add(n, &format!("wins{col}"), and, vec![w, t])?
            }
        });
    }
    let wins = wins.ok_or_else(|| n.err("a classifier needs at least two classes"))?;
    let dense = Dense {
        in_features: c,
        out_features: 1,
        weight: labels.iter().map(|v| *v as f32).collect(),
        bias: vec![0.0],
    };
    let lab = l.add(n, "label", Op::Dense(dense), vec![wins])?;
    let map = (0..rows).map(|i| Some(i as u32)).collect();
    gather(l, n, "label_flat", vec![lab], vec![rows], map, 0.0)
}

fn input_act(l: &Lowering, n: &NodeInfo) -> Result<TensorId, CompileError> {
    match l.input(n, 0)? {
        Val::Act(x) => Ok(x),
        Val::Const(_) => Err(n.err("a constant input is folded by no tree op; nothing to prove")),
    }
}

fn classifier(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = input_act(l, n)?;
    let labels = ints(n, "classlabels_int64s");
    if labels.is_empty() {
        return Err(n.err("string class labels are not supported (only classlabels_int64s)"));
    }
    let e = parse(n, "class", labels.len())?;
    let used: std::collections::BTreeSet<usize> = e.weights.iter().map(|w| w.1).collect();
    if used.len() < labels.len() {
        return Err(n.err(
            "a binary classifier with one score column is not supported (export both class columns)",
        ));
    }
    let s = scores(l, n, x, &e, false)?;
    let probs = post_transform(l, n, s)?;
    let lab = label(l, n, s, &labels)?;
    l.set_output_at(n, 0, Val::Act(lab))?;
    l.set_output_at(n, 1, Val::Act(probs))
}

fn regressor(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = input_act(l, n)?;
    let targets = n.attr_int("n_targets", 1).max(1) as usize;
    let e = parse(n, "target", targets)?;
    let average = match string(n, "aggregate_function", "SUM").as_str() {
        "SUM" => false,
        "AVERAGE" => true,
        other => return Err(n.err(format!("aggregate_function {other} is not supported"))),
    };
    let s = scores(l, n, x, &e, average)?;
    let y = post_transform(l, n, s)?;
    l.set_output_at(n, 0, Val::Act(y))
}
