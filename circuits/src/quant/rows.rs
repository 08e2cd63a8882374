//! Lane rows given by their coefficients, for ops that emit several lane ops of their own (comparisons,
//! logic ops, selections: `crate::graph::{compare, logic, select}`), with the checks they share.

use super::node::Quantiser;
use super::QLane;
use crate::encoding::Encoding;
use crate::error::{CircuitError, NodeRef, Result};
use crate::graph::TensorId;
use crate::settings::TableKind;

/// Coefficients of one lane op (vectors of length 1 broadcast).
pub(crate) struct Rows {
    /// First input.
    pub(crate) a: TensorId,
    /// Second input, if any.
    pub(crate) b: Option<TensorId>,
    /// Element of `a` read by each row (`None`: the same index).
    pub(crate) a_map: Option<Vec<u32>>,
    /// Element of `b` read by each row (`None`: the same index).
    pub(crate) b_map: Option<Vec<u32>>,
    /// Coefficients of `a`.
    pub(crate) m_a: Vec<i64>,
    /// Coefficients of `b`.
    pub(crate) m_b: Vec<i64>,
    /// Product coefficients.
    pub(crate) m_ab: Vec<i64>,
    /// Constant terms.
    pub(crate) c: Vec<i64>,
}

/// An index map, or `None` when it is the identity over `numel` elements.
pub(crate) fn not_identity(m: Vec<u32>, numel: usize) -> Option<Vec<u32>> {
    let identity = m.len() == numel && m.iter().enumerate().all(|(i, &j)| i == j as usize);
    (!identity).then_some(m)
}

/// Turns an op's shape error into the node's error.
pub(crate) fn shape_err(node: &NodeRef) -> impl Fn(crate::graph::ShapeError) -> CircuitError + '_ {
    move |reason| CircuitError::Shape {
        node: node.clone(),
        reason,
    }
}

impl Quantiser<'_> {
    /// Elements of a tensor of the quantised model.
    pub(crate) fn numel(&self, t: TensorId) -> usize {
        self.qm.tensors[t].numel()
    }

    /// Pushes a lane op producing `output` (a new tensor when `None`) in encoding `enc`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn emit_rows(
        &mut self,
        node: &NodeRef,
        rows: Rows,
        output: Option<TensorId>,
        shape: &[usize],
        what: &str,
        enc: Encoding,
        boolean: bool,
    ) -> TensorId {
        let out = output
            .unwrap_or_else(|| self.new_tensor(format!("{}/{what}", node.name), shape.to_vec()));
        let act_tag = self.qm.tag_or_add(TableKind::Identity);
        let l = QLane {
            node: node.clone(),
            a: rows.a,
            b: rows.b,
            output: out,
            a_map: rows.a_map,
            b_map: rows.b_map,
            m_a: rows.m_a,
            m_b: rows.m_b,
            m_ab: rows.m_ab,
            m_zb: vec![],
            c: rows.c,
            act_tag,
            numel: 0,
            pre: enc,
            boolean,
        };
        self.push_lane(l, enc);
        out
    }

    /// Checks that a tensor holds booleans the circuit constrains.
    pub(crate) fn require_bool(&self, node: &NodeRef, t: TensorId) -> Result<()> {
        if self.enc(node, t)? != Encoding::boolean() {
            return Err(CircuitError::Node {
                node: node.clone(),
                message: format!(
                    "input '{}' must be a boolean (a comparison's or logic op's result, or a boolean input)",
                    self.qm.tensors[t].name
                ),
            });
        }
        Ok(())
    }
}
