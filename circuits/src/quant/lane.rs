//! Quantised element-wise ops, one lane row per output element:
//! `q = floor((m_a * a' + m_b * b' + c) / 2^b)`, `z = act(q)`, where `a'`, `b'` are stored (offset) values.

use super::rows::not_identity;
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{AddTensors, ConstAffine, TensorId};
use serde::{Deserialize, Serialize};

/// An element-wise op in fixed point. Vectors of length 1 broadcast to every element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QLane {
    /// The node it comes from.
    pub node: NodeRef,
    /// First input tensor.
    pub a: TensorId,
    /// Second input tensor, if any.
    pub b: Option<TensorId>,
    /// Output tensor.
    pub output: TensorId,
    /// Element of `a` (and `b`) read by each output element; `None` = the same index.
    pub a_map: Option<Vec<u32>>,
    /// Element of `b` read by each output element; `None` = the same index.
    pub b_map: Option<Vec<u32>>,
    /// Coefficients of `a`.
    pub m_a: Vec<i64>,
    /// Coefficients of `b`.
    pub m_b: Vec<i64>,
    /// Product coefficients (empty: 0).
    #[serde(default)]
    pub m_ab: Vec<i64>,
    /// Coefficients of `b` added to the table output (empty: 0).
    #[serde(default)]
    pub m_zb: Vec<i64>,
    /// Constant terms.
    pub c: Vec<i64>,
    /// Activation sub-table tag.
    pub act_tag: u64,
    /// Number of output elements.
    pub numel: usize,
    /// Encoding of the pre-activation value `q` (for messages).
    pub pre: Encoding,
    /// Every row's `q` is a boolean, checked by the lane's boolean gate (comparisons and logic ops).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub boolean: bool,
}

impl QLane {
    /// Coefficients `(m_a, m_b, m_ab, m_zb, c)` of output element `i`.
    pub fn coeffs(&self, i: usize) -> LaneCoeffs {
        let pick = |v: &[i64]| match v.len() {
            0 => 0,
            1 => v[0],
            _ => v[i],
        };
        LaneCoeffs {
            m_a: pick(&self.m_a),
            m_b: pick(&self.m_b),
            m_ab: pick(&self.m_ab),
            m_zb: pick(&self.m_zb),
            c: pick(&self.c),
        }
    }
}

/// The fixed coefficients of one lane row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneCoeffs {
    /// Coefficient of `a`.
    pub m_a: i64,
    /// Coefficient of `b`.
    pub m_b: i64,
    /// Product coefficient.
    pub m_ab: i64,
    /// Coefficient of `b` subtracted from `z` in the activation lookup.
    pub m_zb: i64,
    /// Constant term.
    pub c: i64,
}

pub(crate) fn offset_terms(pre: Encoding, b: u32) -> i128 {
    (1i128 << (b - 1)) + ((pre.offset as i128) << b)
}

/// `y = x * mul + add`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise_affine(
    node: NodeRef,
    op: &ConstAffine,
    input: TensorId,
    x: Encoding,
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    b: u32,
) -> QLane {
    let shift = b as i32 + pre.scale - x.scale;
    let n = op.mul.len().max(op.add.len());
    let (mut m_a, mut c) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 0..n {
        let (mul, add) = op.at(i);
        let ma = (mul as f64 * 2f64.powi(shift)).round() as i64;
        let add_q = (add as f64 * 2f64.powi(pre.scale + b as i32)).round() as i128;
        m_a.push(ma);
        c.push((add_q - ma as i128 * x.offset as i128 + offset_terms(pre, b)) as i64);
    }
    QLane {
        node,
        a: input,
        b: None,
        output,
        a_map: None,
        b_map: None,
        m_a,
        m_b: vec![0],
        m_ab: vec![],
        m_zb: vec![],
        c,
        act_tag,
        numel: 0,
        pre,
        boolean: false,
    }
}

/// `y = a + sign * b` with broadcasting.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise_add(
    node: NodeRef,
    op: &AddTensors,
    shapes: (&Vec<usize>, &Vec<usize>),
    inputs: (TensorId, TensorId),
    enc: (Encoding, Encoding),
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    b: u32,
) -> Result<QLane> {
    let (a_map, b_map) =
        op.index_maps(shapes.0, shapes.1)
            .map_err(|reason| CircuitError::Shape {
                node: node.clone(),
                reason,
            })?;
    let ma = 1i64 << (b as i32 + pre.scale - enc.0.scale);
    let mb = (op.sign as i64) << (b as i32 + pre.scale - enc.1.scale);
    let c = -(ma as i128) * enc.0.offset as i128 - mb as i128 * enc.1.offset as i128
        + offset_terms(pre, b);
    let identity = |m: &Vec<u32>| m.iter().enumerate().all(|(i, &j)| i == j as usize);
    Ok(QLane {
        node,
        a: inputs.0,
        b: Some(inputs.1),
        output,
        a_map: (!identity(&a_map) || a_map.len() != shapes.0.iter().product::<usize>())
            .then_some(a_map),
        b_map: (!identity(&b_map) || b_map.len() != shapes.1.iter().product::<usize>())
            .then_some(b_map),
        m_a: vec![ma],
        m_b: vec![mb],
        m_ab: vec![],
        m_zb: vec![],
        c: vec![c as i64],
        act_tag,
        numel: 0,
        pre,
        boolean: false,
    })
}

/// A Relu that could not be fused into its producer.
pub(crate) fn quantise_relu(
    node: NodeRef,
    input: TensorId,
    x: Encoding,
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    b: u32,
) -> QLane {
    let op = ConstAffine {
        mul: vec![1.0],
        add: vec![0.0],
    };
    quantise_affine(node, &op, input, x, output, pre, act_tag, b)
}

/// `y = a * b` (element-wise, broadcast): `q = floor((M*(a'-o_a)*(b'-o_b) + 2^(b-1)) / 2^b) + o_q` with
/// `M = 2^(b + s_q - s_a - s_b)`, expanded into the lane's product, linear and constant terms.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise_mul(
    node: NodeRef,
    maps: (Vec<u32>, Vec<u32>),
    numels: (usize, usize),
    inputs: (TensorId, TensorId),
    enc: (Encoding, Encoding),
    output: TensorId,
    pre: Encoding,
    act_tag: u64,
    b: u32,
) -> Result<QLane> {
    let shift = b as i32 + pre.scale - enc.0.scale - enc.1.scale;
    if !(0..=40).contains(&shift) {
        return Err(CircuitError::Node {
            node,
            message: format!(
                "the product's scale 2^{} is out of reach of its inputs'",
                pre.scale
            ),
        });
    }
    let m = 1i128 << shift;
    let (oa, ob) = (enc.0.offset as i128, enc.1.offset as i128);
    let c = m * oa * ob + offset_terms(pre, b);
    let fits = |v: i128| i64::try_from(v).is_ok();
    if ![c, m * ob, m * oa, m].into_iter().all(fits) {
        return Err(CircuitError::Node {
            node,
            message: format!(
                "the product's coefficients do not fit 62 bits at {b}-bit values (scale 2^{})",
                pre.scale
            ),
        });
    }
    Ok(QLane {
        node,
        a: inputs.0,
        b: Some(inputs.1),
        output,
        a_map: not_identity(maps.0, numels.0),
        b_map: not_identity(maps.1, numels.1),
        m_a: vec![(-m * ob) as i64],
        m_b: vec![(-m * oa) as i64],
        m_ab: vec![m as i64],
        m_zb: vec![],
        c: vec![c as i64],
        act_tag,
        numel: 0,
        pre,
        boolean: false,
    })
}

/// `y = max(a, b)` or `min(a, b)` of two tensors in the same encoding: `q = floor((a - b) / h) + 2^(b-1)`
/// (or `b - a` for min), `z = b + step(q)`; `h = 2` when the difference needs one more bit than the table.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise_minmax(
    node: NodeRef,
    is_max: bool,
    maps: (Vec<u32>, Vec<u32>),
    numels: (usize, usize),
    inputs: (TensorId, TensorId),
    enc: Encoding,
    output: TensorId,
    step_tag: u64,
    halve: bool,
    b: u32,
) -> QLane {
    let unit = 1i64 << (b - halve as u32);
    let sign = if is_max { 1 } else { -1 };
    QLane {
        node,
        a: inputs.0,
        b: Some(inputs.1),
        output,
        a_map: not_identity(maps.0, numels.0),
        b_map: not_identity(maps.1, numels.1),
        m_a: vec![sign * unit],
        m_b: vec![-sign * unit],
        m_ab: vec![],
        m_zb: vec![1],
        c: vec![1i64 << (2 * b - 1)],
        act_tag: step_tag,
        numel: 0,
        pre: enc,
        boolean: false,
    }
}

/// A gather with constant fill (Pad): copies `x[map[i]]`, or writes the stored `fill`, into lane rows.
#[allow(clippy::too_many_arguments)]
pub(crate) fn quantise_fill(
    node: NodeRef,
    input: TensorId,
    enc: Encoding,
    map: &[Option<u32>],
    fill: i64,
    output: TensorId,
    id_tag: u64,
    b: u32,
) -> QLane {
    let half = 1i64 << (b - 1);
    let m_a = map
        .iter()
        .map(|i| if i.is_some() { 1i64 << b } else { 0 })
        .collect();
    let c = map
        .iter()
        .map(|i| match i {
            Some(_) => half,
            None => (fill << b) + half,
        })
        .collect();
    QLane {
        node,
        a: input,
        b: None,
        output,
        a_map: Some(map.iter().map(|i| i.unwrap_or(0)).collect()),
        b_map: None,
        m_a,
        m_b: vec![0],
        m_ab: vec![],
        m_zb: vec![],
        c,
        act_tag: id_tag,
        numel: 0,
        pre: enc,
        boolean: false,
    }
}
