//! Gather: every output element is one element of the (concatenated) inputs, or a constant fill.
//! Data movement ops lower to it: Transpose, Slice, Split, Concat, Pad, Gather with constant indices,
//! Expand, Tile, DepthToSpace. Without fill it costs no rows: the output reuses the input cells.

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::{CircuitError, Result};
use crate::quant::{lane, QAlias, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// An index map over the concatenation of the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gather {
    /// The output shape.
    pub out_shape: Vec<usize>,
    /// For each output element: an index into the inputs laid end to end, or `None` for `fill`.
    pub map: Vec<Option<u32>>,
    /// The constant of outputs mapped to `None` (padding).
    pub fill: f32,
}

impl IrOp for Gather {
    fn name(&self) -> &'static str {
        "Gather"
    }

    fn arity(&self) -> Arity {
        Arity::OneOrMore
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let total: usize = inputs.iter().map(|s| s.iter().product::<usize>()).sum();
        let n: usize = self.out_shape.iter().product();
        if self.map.len() != n {
            return Err(ShapeError::IndexCount {
                found: self.map.len(),
                outputs: n,
            });
        }
        let outside = self
            .map
            .iter()
            .enumerate()
            .find_map(|(element, i)| i.filter(|&i| i as usize >= total).map(|i| (element, i)));
        if let Some((element, index)) = outside {
            return Err(ShapeError::IndexOutOfRange {
                element,
                index,
                inputs: total,
            });
        }
        Ok(self.out_shape.clone())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        let all: Vec<f64> = inputs.iter().flat_map(|v| v.iter().copied()).collect();
        self.map
            .iter()
            .map(|i| i.map_or(self.fill as f64, |i| all[i as usize]))
            .collect()
    }

    /// The inputs in one encoding (re-encoded where they differ); without fill the output aliases their
    /// cells, with fill one lane row per output element copies an input cell or writes the fill.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let b = q.b();
        let target = q.common(&nref, &node.inputs)?;
        let inputs = node
            .inputs
            .iter()
            .map(|&t| q.requant(&nref, t, target))
            .collect::<Result<Vec<_>>>()?;
        if !self.has_fill() {
            q.set(node.output, target);
            q.qm.ops.push(QOp::Alias(QAlias {
                node: nref,
                input: inputs[0],
                output: node.output,
                more_inputs: inputs[1..].to_vec(),
                map: Some(self.map.iter().map(|i| i.unwrap_or(0)).collect()),
            }));
            return Ok(());
        }
        let src = if inputs.len() == 1 {
            inputs[0]
        } else {
            let total = inputs.iter().map(|&t| q.qm.tensors[t].numel()).sum();
            let name = format!("{}:concat", nref.name);
            let t = q.new_tensor(name, vec![total]);
            q.set(t, target);
            q.qm.ops.push(QOp::Alias(QAlias {
                node: nref.clone(),
                input: inputs[0],
                output: t,
                more_inputs: inputs[1..].to_vec(),
                map: None,
            }));
            t
        };
        let fill = target
            .quantise(self.fill as f64)
            .ok_or_else(|| CircuitError::Node {
                node: nref.clone(),
                message: format!(
                    "the fill value {} is outside the tensor's range [{}, {}]",
                    self.fill,
                    target.min_value(),
                    target.max_value()
                ),
            })?;
        let l = lane::quantise_fill(nref, src, target, &self.map, fill, node.output, 1, b);
        q.push_lane(l, target);
        Ok(())
    }
}

impl Gather {
    /// Whether any output is the constant fill.
    pub fn has_fill(&self) -> bool {
        self.map.iter().any(Option::is_none)
    }
}
