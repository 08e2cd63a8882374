//! Quantised element-wise ops, one lane row per output element:
//! `q = floor((m_a * a' + m_b * b' + c) / 2^b)`, `z = act(q)`, where `a'`, `b'` are stored (offset) values.

use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::{AddTensors, ConstAffine, TensorId};
use serde::{Deserialize, Serialize};

/// An element-wise op in fixed point. Vectors of length 1 broadcast to every element.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QLane {
    pub node: NodeRef,
    pub a: TensorId,
    pub b: Option<TensorId>,
    pub output: TensorId,
    /// Element of `a` (and `b`) read by each output element; `None` = the same index.
    pub a_map: Option<Vec<u32>>,
    pub b_map: Option<Vec<u32>>,
    pub m_a: Vec<i64>,
    pub m_b: Vec<i64>,
    pub c: Vec<i64>,
    pub act_tag: u64,
    pub numel: usize,
    /// Encoding of the pre-activation value `q` (for messages).
    pub pre: Encoding,
}

impl QLane {
    /// Coefficients `(m_a, m_b, c)` of output element `i`.
    pub fn coeffs(&self, i: usize) -> (i64, i64, i64) {
        let pick = |v: &[i64]| if v.len() == 1 { v[0] } else { v[i] };
        (pick(&self.m_a), pick(&self.m_b), pick(&self.c))
    }
}

fn offset_terms(pre: Encoding, b: u32) -> i128 {
    (1i128 << (b - 1)) + ((pre.offset as i128) << b)
}

/// `y = x * mul + add`.
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_affine(
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
        c,
        act_tag,
        numel: 0,
        pre,
    }
}

/// `y = a + sign * b` with broadcasting.
#[allow(clippy::too_many_arguments)]
pub(super) fn quantise_add(
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
            .map_err(|message| CircuitError::Node {
                node: node.clone(),
                message,
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
        c: vec![c as i64],
        act_tag,
        numel: 0,
        pre,
    })
}

/// A Relu that could not be fused into its producer.
pub(super) fn quantise_relu(
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
