//! Products whose operands are not "activation x constant": activation x activation (element-wise
//! products gathered into [.., I, J, K], then a sum over K) and constant x activation (a `Linear` per
//! column).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::ConstTensor;
use super::build::{gather, reduce_sum};
use super::index::{indices, ravel, strides};
use crate::error::CompileError;
use zkinfer_circuits::graph::{Binary, BinaryKind, Linear, Matrix, Op, Position, TensorId};

/// `A @ B` for activations of rank >= 2 with equal leading (batch) dimensions, each optionally
/// transposed in its last two axes. Returns the product tensor.
pub fn product(
    l: &mut Lowering,
    n: &NodeInfo,
    a: TensorId,
    b: TensorId,
    trans_a: bool,
    trans_b: bool,
) -> Result<TensorId, CompileError> {
    let (sa, sb) = (l.shape(a), l.shape(b));
    if sa.len() < 2 || sb.len() != sa.len() || sa[..sa.len() - 2] != sb[..sb.len() - 2] {
        return Err(n.err(format!(
            "activation operands {sa:?} and {sb:?} must have equal rank >= 2 and batch axes"
        )));
    }
    let r = sa.len();
    let (i_n, ka) = if trans_a {
        (sa[r - 1], sa[r - 2])
    } else {
        (sa[r - 2], sa[r - 1])
    };
    let (kb, j_n) = if trans_b {
        (sb[r - 1], sb[r - 2])
    } else {
        (sb[r - 2], sb[r - 1])
    };
    if ka != kb {
        return Err(n.err(format!("operands {sa:?} and {sb:?} do not multiply")));
    }
    let mut big = sa[..r - 2].to_vec();
    big.extend([i_n, j_n, ka]);
    let (sta, stb) = (strides(&sa), strides(&sb));
    let (mut ma, mut mb) = (Vec::new(), Vec::new());
    for idx in indices(&big) {
        let (i, j, k) = (idx[r - 2], idx[r - 1], idx[r]);
        let mut pa = idx[..r - 2].to_vec();
        let mut pb = pa.clone();
        pa.extend(if trans_a { [k, i] } else { [i, k] });
        pb.extend(if trans_b { [j, k] } else { [k, j] });
        ma.push(Some(ravel(&pa, &sta) as u32));
        mb.push(Some(ravel(&pb, &stb) as u32));
    }
    let ga = gather(l, n, "rows", vec![a], big.clone(), ma, 0.0)?;
    let gb = gather(l, n, "columns", vec![b], big.clone(), mb, 0.0)?;
    let p = l.add(
        n,
        "products",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
        }),
        vec![ga, gb],
    )?;
    let sum = reduce_sum(l, n, p, &[r], false, false)?;
    l.add(n, "sums", Op::Linear(sum), vec![p])
}

/// `W @ x` for a 2-D constant `W` [I, K] and an activation `x` [.., K, J]: one position per column.
pub fn const_left(
    l: &mut Lowering,
    n: &NodeInfo,
    w: &ConstTensor,
    x: TensorId,
) -> Result<Linear, CompileError> {
    let xs = l.shape(x);
    let [i_n, k] = w.shape[..] else {
        return Err(n.err(format!(
            "the constant operand must be 2-D, got {:?}",
            w.shape
        )));
    };
    if xs.len() < 2 || xs[xs.len() - 2] != k {
        return Err(n.err(format!("{:?} @ {xs:?} does not multiply", w.shape)));
    }
    let j_n = xs[xs.len() - 1];
    let batch: usize = xs[..xs.len() - 2].iter().product();
    let mut out_shape = xs[..xs.len() - 2].to_vec();
    out_shape.extend([i_n, j_n]);
    let mut positions = Vec::with_capacity(batch * j_n);
    for bt in 0..batch {
        for j in 0..j_n {
            positions.push(Position {
                patch: (0..k)
                    .map(|kk| Some((bt * k * j_n + kk * j_n + j) as u32))
                    .collect(),
                matrix: 0,
                outs: (0..i_n)
                    .map(|i| (bt * i_n * j_n + i * j_n + j) as u32)
                    .collect(),
            });
        }
    }
    Ok(Linear {
        bias: vec![0.0; batch * i_n * j_n],
        out_shape,
        matrices: vec![Matrix {
            outs: i_n,
            taps: k,
            w: w.data.iter().map(|v| *v as f32).collect(),
        }],
        positions,
    })
}
