//! Quantised linear map (convolutions, pooling, sums): like a dense layer, tile rows accumulate
//! `A + sum_t x'_t W_kt` per patch, then one lane row per output rescales by `2^b` with the bias and
//! every offset correction folded into the lane constant of that output element.

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Linear, Position, TensorId};
use serde::{Deserialize, Serialize};

/// A weight matrix in fixed point, `[outs][taps]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QMatrix {
    /// Rows: outputs per position.
    pub outs: usize,
    /// Columns: inputs per patch.
    pub taps: usize,
    /// Integer weights, `w[out * taps + tap]`.
    pub w: Vec<i64>,
}

/// A linear map in fixed point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QLinear {
    /// The node it comes from.
    pub node: NodeRef,
    /// Input tensor.
    pub input: TensorId,
    /// Output tensor.
    pub output: TensorId,
    /// Weight matrices.
    pub matrices: Vec<QMatrix>,
    /// Patches and the outputs they produce (as in the float graph).
    pub positions: Vec<Position>,
    /// Offset that starts every dot product, so partial sums stay non-negative.
    pub acc_start: i64,
    /// Lane constant per output element.
    pub lane_c: Vec<i64>,
    /// Activation sub-table tag.
    pub act_tag: u64,
    /// Encoding of the pre-activation value `q` (for messages).
    pub pre: Encoding,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise(
    node: NodeRef,
    l: &Linear,
    input: TensorId,
    x: Encoding,
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    b: u32,
) -> Result<QLinear> {
    let s_w = b as i32 + pre.scale - x.scale;
    let s_acc = pre.scale + b as i32;
    let too_big = |what: &str| {
        CircuitError::Node {
        node: node.clone(),
        message: format!(
            "{what} does not fit 62 bits at scale 2^{s_w}; the weights are too large for fixed point"
        ),
    }
    };
    let matrices: Vec<QMatrix> = l
        .matrices
        .iter()
        .map(|m| {
            let w =
                m.w.iter()
                    .map(|w| {
                        let q = (*w as f64 * 2f64.powi(s_w)).round();
                        (q.abs() < 2f64.powi(40))
                            .then_some(q as i64)
                            .ok_or_else(|| too_big("a weight"))
                    })
                    .collect::<Result<_>>()?;
            Ok(QMatrix {
                outs: m.outs,
                taps: m.taps,
                w,
            })
        })
        .collect::<Result<_>>()?;
    let bound = matrices
        .iter()
        .map(|m| {
            let max_w =
                m.w.iter()
                    .map(|w| w.unsigned_abs())
                    .max()
                    .unwrap_or(0)
                    .max(1) as u128;
            m.taps as u128 * ((1u128 << x.bits) - 1) * max_w
        })
        .max()
        .unwrap_or(1);
    let acc_start = bound.next_power_of_two();
    if acc_start >= 1 << 100 {
        return Err(too_big("a dot product"));
    }
    let half = 1i128 << (b - 1);
    let mut lane_c = vec![0i64; l.bias.len()];
    for p in &l.positions {
        let m = &matrices[p.matrix as usize];
        for (k, &o) in p.outs.iter().enumerate() {
            let bias = (l.bias[o as usize] as f64 * 2f64.powi(s_acc)).round();
            if bias.abs() >= 2f64.powi(80) {
                return Err(too_big("the bias"));
            }
            let sum_w: i128 = p
                .patch
                .iter()
                .zip(&m.w[k * m.taps..(k + 1) * m.taps])
                .filter(|(i, _)| i.is_some())
                .map(|(_, &w)| w as i128)
                .sum();
            let c = bias as i128 - x.offset as i128 * sum_w - acc_start as i128
                + half
                + ((pre.offset as i128) << b);
            lane_c[o as usize] = i64::try_from(c).map_err(|_| too_big("the lane constant"))?;
        }
    }
    let acc_start = i64::try_from(acc_start).map_err(|_| too_big("a dot product"))?;
    Ok(QLinear {
        node,
        input,
        output,
        matrices,
        positions: l.positions.clone(),
        acc_start,
        lane_c,
        act_tag,
        pre,
    })
}
