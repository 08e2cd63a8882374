//! Products whose operands are not "activation x constant": activation x activation (a `MatMulAct`:
//! exact dot products in the dot tile, one rescale per output) and constant x activation (a `Linear` per
//! column).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::ConstTensor;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Linear, MatMulAct, Matrix, Op, Position, TensorId};

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
    let op = MatMulAct { trans_a, trans_b };
    if op.dims(&sa, &sb).is_err() {
        return Err(n.err(format!(
            "activation operands {sa:?} and {sb:?} must have equal rank >= 2 and batch axes and \
             multiply"
        )));
    }
    l.add(n, "product", Op::MatMulAct(op), vec![a, b])
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
