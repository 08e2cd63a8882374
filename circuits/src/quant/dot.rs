//! Quantised product of two activations: dot tile rows accumulate the exact integer dot product
//! `A + sum_k (x_k - ox)(y_k - oy)` of each output element, then one lane row rescales it by `2^b` (times
//! `2^shift`) with every offset correction folded into the lane constant: one rounding per output.

use super::lane::offset_terms;
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{MatMulDims, TensorId};
use serde::{Deserialize, Serialize};

/// A product of two activations in fixed point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QDot {
    /// The node it comes from.
    pub node: NodeRef,
    /// Left operand tensor.
    pub a: TensorId,
    /// Right operand tensor.
    pub b: TensorId,
    /// Output tensor.
    pub output: TensorId,
    /// Sizes and operand layout.
    pub dims: MatMulDims,
    /// Offsets of the two operands' encodings (`ox`, `oy` of the dot tile).
    pub offsets: (i64, i64),
    /// Offset that starts every dot product, so partial sums stay non-negative.
    pub acc_start: i64,
    /// Rescale lane multiplier `2^shift` of the dot product.
    pub lane_m: i64,
    /// Rescale lane constant (the same for every output element).
    pub lane_c: i64,
    /// Activation sub-table tag.
    pub act_tag: u64,
    /// Encoding of the pre-activation value `q` (for messages).
    pub pre: Encoding,
}

/// Largest `|stored - offset|` of an encoding.
fn max_centred(e: Encoding) -> u128 {
    let top = (1u128 << e.bits.min(64)) - 1;
    let o = e.offset.max(0) as u128;
    o.max(top.saturating_sub(o))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise(
    node: NodeRef,
    dims: MatMulDims,
    (a, b): (TensorId, TensorId),
    (ea, eb): (Encoding, Encoding),
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    bits: u32,
) -> Result<QDot> {
    let err = |message: String| CircuitError::Node {
        node: node.clone(),
        message,
    };
    let shift = bits as i32 + pre.scale - ea.scale - eb.scale;
    if !(0..=40).contains(&shift) {
        return Err(err(format!(
            "the product's scale 2^{} is out of reach of its inputs'",
            pre.scale
        )));
    }
    let m = 1i128 << shift;
    let bound = dims.depth as u128 * max_centred(ea) * max_centred(eb);
    let acc_start = bound.max(1).next_power_of_two();
    if acc_start >= 1 << 62 {
        return Err(err(format!(
            "a dot product of {} terms does not fit 62 bits",
            dims.depth
        )));
    }
    let c = offset_terms(pre, bits) - m * acc_start as i128;
    let lane_c = i64::try_from(c).map_err(|_| {
        err(format!(
            "the rescale constant of a dot product of {} terms at scale 2^{shift} does not fit 64 bits",
            dims.depth
        ))
    })?;
    Ok(QDot {
        node,
        a,
        b,
        output,
        dims,
        offsets: (ea.offset, eb.offset),
        acc_start: acc_start as i64,
        lane_m: m as i64,
        lane_c,
        act_tag,
        pre,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lane_constant_undoes_the_start_and_rounds_to_nearest() {
        let dims = MatMulDims {
            batch: 1,
            rows: 1,
            cols: 1,
            depth: 3,
            trans_a: false,
            trans_b: false,
        };
        let node = NodeRef {
            name: "p".into(),
            op_type: "MatMul".into(),
        };
        let (ea, eb) = (Encoding::signed(4, 8), Encoding::unsigned(3, 7));
        let pre = Encoding::signed(2, 8);
        let d = quantise(node, dims, (0, 1), (ea, eb), 2, pre, 1, 8).expect("fits");
        // |x - 128| <= 128, |y| <= 127: 3 * 128 * 127 -> 2^16
        assert_eq!(d.acc_start, 1 << 16);
        assert_eq!(d.lane_m, 1 << (8 + 2 - 4 - 3));
        // x = (1.5, -2, 0.25), y = (2, 0.5, -0): exact 3 - 1 = 2 -> stored 2 * 2^2 + 128
        let xs = [1.5, -2.0, 0.25].map(|v: f64| ea.quantise(v).expect("in range") as i128);
        let ys = [2.0, 0.5, 0.0].map(|v: f64| eb.quantise(v).expect("in range") as i128);
        let s: i128 = (0..3).map(|k| (xs[k] - 128) * ys[k]).sum();
        let t = d.lane_m as i128 * (d.acc_start as i128 + s) + d.lane_c as i128;
        assert_eq!(t.div_euclid(1 << 8), 2 * 4 + 128);
    }
}
