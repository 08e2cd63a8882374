//! Quantised dense layer: tile rows accumulate `A + sum_j x'_j W_kj`, then one lane row per output rescales
//! by `2^b` with the bias and every offset correction folded into the lane's constant.

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{Dense, TensorId};
use serde::{Deserialize, Serialize};

/// A dense layer in fixed point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QDense {
    /// The node it comes from.
    pub node: NodeRef,
    /// Input tensor.
    pub input: TensorId,
    /// Output tensor.
    pub output: TensorId,
    /// Leading rows (product of all but the last axis).
    pub rows: usize,
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Row-major `[out][in]` integer weights at scale `s_w = b + s_out - s_in`.
    pub weight: Vec<i64>,
    /// Offset that starts every dot product, so partial sums stay non-negative.
    pub acc_start: i64,
    /// Lane constant per output feature.
    pub lane_c: Vec<i64>,
    /// Activation sub-table tag.
    pub act_tag: u64,
    /// Encoding of the pre-activation value `q` (for messages).
    pub pre: Encoding,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise(
    node: NodeRef,
    d: &Dense,
    input: TensorId,
    x: Encoding,
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    out_shape: &[usize],
    b: u32,
) -> Result<QDense> {
    let (n, m) = (d.in_features, d.out_features);
    let s_w = b as i32 + pre.scale - x.scale;
    let s_acc = pre.scale + b as i32;
    let too_big = |what: &str| {
        CircuitError::Node {
        node: node.clone(),
        message: format!("{what} does not fit 62 bits at scale 2^{s_w}; the weights are too large for fixed point"),
    }
    };
    let weight: Vec<i64> = d
        .weight
        .iter()
        .map(|w| {
            let q = (*w as f64 * 2f64.powi(s_w)).round();
            (q.abs() < 2f64.powi(40))
                .then_some(q as i64)
                .ok_or_else(|| too_big("a weight"))
        })
        .collect::<Result<_>>()?;
    let max_w = weight
        .iter()
        .map(|w| w.unsigned_abs())
        .max()
        .unwrap_or(0)
        .max(1) as u128;
    let bound = (n as u128) * (((1u128) << x.bits) - 1) * max_w;
    let acc_start = bound.next_power_of_two();
    if acc_start >= 1 << 100 {
        return Err(too_big("a dot product"));
    }
    let half = 1i128 << (b - 1);
    let lane_c = (0..m)
        .map(|k| {
            let bias = (d.bias[k] as f64 * 2f64.powi(s_acc)).round();
            if bias.abs() >= 2f64.powi(80) {
                return Err(too_big("the bias"));
            }
            let sum_w: i128 = weight[k * n..(k + 1) * n].iter().map(|&w| w as i128).sum();
            let c = bias as i128 - x.offset as i128 * sum_w - acc_start as i128
                + half
                + ((pre.offset as i128) << b);
            i64::try_from(c).map_err(|_| too_big("the lane constant"))
        })
        .collect::<Result<_>>()?;
    let acc_start = i64::try_from(acc_start).map_err(|_| too_big("a dot product"))?;
    Ok(QDense {
        node,
        input,
        output,
        rows: out_shape.iter().product::<usize>() / m,
        in_features: n,
        out_features: m,
        weight,
        acc_start,
        lane_c,
        act_tag,
        pre,
    })
}
