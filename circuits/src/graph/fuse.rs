//! Graph rewrites that save rows: a per-feature `x * mul + add` after a dense layer is folded into its
//! weights and bias (MatMul followed by Add, Gemm followed by Mul, ...).

use super::{Graph, Op};

/// Folds each ConstAffine whose only input is a Dense output used nowhere else, when the affine's
/// coefficients depend only on the feature (last axis) index.
pub(super) fn fold_affine_into_dense(g: &mut Graph) {
    fold_affine_into_linear(g);
    loop {
        let Some((di, ai)) = find_foldable(g) else {
            return;
        };
        let affine = match &g.nodes[ai].op {
            Op::ConstAffine(a) => a.clone(),
            _ => unreachable!(),
        };
        let affine_out = g.nodes[ai].output;
        let affine_name = g.nodes[ai].op_type.clone();
        let dense_node = &mut g.nodes[di];
        let Op::Dense(d) = &mut dense_node.op else {
            unreachable!()
        };
        let n = d.in_features;
        for k in 0..d.out_features {
            let (m, a) = affine.at(k);
            for w in &mut d.weight[k * n..(k + 1) * n] {
                *w *= m;
            }
            d.bias[k] = d.bias[k] * m + a;
        }
        dense_node.output = affine_out;
        dense_node.op_type = format!("{}+{}", dense_node.op_type, affine_name);
        g.nodes.remove(ai);
    }
}

fn find_foldable(g: &Graph) -> Option<(usize, usize)> {
    for (ai, node) in g.nodes.iter().enumerate() {
        let Op::ConstAffine(a) = &node.op else {
            continue;
        };
        let src = node.inputs[0];
        if g.use_count(src) != 1 || g.outputs.contains(&src) {
            continue;
        }
        let Some(di) = g.nodes.iter().position(|n| n.output == src) else {
            continue;
        };
        let Op::Dense(d) = &g.nodes[di].op else {
            continue;
        };
        let m = d.out_features;
        let numel = g.tensors[src].numel();
        let per_feature = |v: &[f32]| v.len() == 1 || (0..numel).all(|i| v[i] == v[i % m]);
        if per_feature(&a.mul) && per_feature(&a.add) {
            return Some((di, ai));
        }
    }
    None
}

/// Folds a constant affine (BatchNormalization after a convolution, say) into the `Linear` producing its
/// input, when that input has no other use and the multiplier is constant per weight-matrix row.
fn fold_affine_into_linear(g: &mut Graph) {
    let mut ai = 0;
    while ai < g.nodes.len() {
        let node = &g.nodes[ai];
        let Op::ConstAffine(a) = &node.op else {
            ai += 1;
            continue;
        };
        let src = node.inputs[0];
        let pi = g.nodes.iter().position(|n| n.output == src);
        let foldable = g.use_count(src) == 1 && !g.outputs.contains(&src);
        let folded = match pi.map(|pi| (pi, &g.nodes[pi].op)) {
            Some((pi, Op::Linear(l))) if foldable => {
                let mut l = l.clone();
                let a = a.clone();
                l.fold_affine(|i| a.at(i).0, |i| a.at(i).1)
                    .then_some((pi, l))
            }
            _ => None,
        };
        match folded {
            Some((pi, l)) => {
                let out = g.nodes[ai].output;
                let name = g.nodes[ai].op_type.clone();
                let p = &mut g.nodes[pi];
                p.op = Op::Linear(l);
                p.output = out;
                p.op_type = format!("{}+{}", p.op_type, name);
                g.nodes.remove(ai);
            }
            None => ai += 1,
        }
    }
}
