//! GatherByIndex: every output element is one element of the data, picked by an index the model computes
//! (ONNX `Gather`, `GatherElements`, `GatherND` whose indices are not constants; tree ensembles converted
//! by hummingbird walk their trees this way). The data is an activation (input 0) or a constant table;
//! the last input is the index tensor. The data is cut into slices along the indexed axis; output element
//! `i` reads slice `picks[i][0]` at the index held by index element `picks[i][1]`, which may be negative
//! (counting from the end, as ONNX says). In the circuit it is a lookup of `(slice, index, value)` against
//! the slice's entries (`chips::gather`): an index outside the axis has no entry and no proof.

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::{CircuitError, Result};
use crate::quant::{gather, QGather, QGatherData, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// A gather by computed indices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GatherByIndex {
    /// The output shape.
    pub out_shape: Vec<usize>,
    /// Length of the indexed axis: the valid indices are `-axis_len..axis_len`.
    pub axis_len: usize,
    /// Each slice's data elements along the axis (flat data indices, `axis_len` each).
    pub slices: Vec<Vec<u32>>,
    /// Per output element: its slice and the index element that picks within it.
    pub picks: Vec<[u32; 2]>,
    /// Constant data (then the index tensor is the only input), flat.
    pub data: Option<Vec<f32>>,
}

impl GatherByIndex {
    /// The element of the axis an index value picks, if it is an integer in `-axis_len..axis_len`.
    pub fn position(&self, index: f64) -> Option<usize> {
        let len = self.axis_len as f64;
        if index.fract() != 0.0 || !(-len..len).contains(&index) {
            return None;
        }
        Some(if index < 0.0 { index + len } else { index } as usize)
    }
}

impl IrOp for GatherByIndex {
    fn name(&self) -> &'static str {
        "GatherByIndex"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1 + self.data.is_none() as usize)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let n: usize = self.out_shape.iter().product();
        if self.picks.len() != n {
            return Err(ShapeError::IndexCount {
                found: self.picks.len(),
                outputs: n,
            });
        }
        let data_len = match &self.data {
            Some(d) => d.len(),
            None => inputs[0].iter().product(),
        };
        let index_len: usize = inputs[inputs.len() - 1].iter().product();
        for (element, slice) in self.slices.iter().enumerate() {
            if slice.len() != self.axis_len {
                return Err(ShapeError::IndexCount {
                    found: slice.len(),
                    outputs: self.axis_len,
                });
            }
            if let Some(&index) = slice.iter().find(|&&i| i as usize >= data_len) {
                return Err(ShapeError::IndexOutOfRange {
                    element,
                    index,
                    inputs: data_len,
                });
            }
        }
        for (element, &[slice, index]) in self.picks.iter().enumerate() {
            if slice as usize >= self.slices.len() {
                return Err(ShapeError::IndexOutOfRange {
                    element,
                    index: slice,
                    inputs: self.slices.len(),
                });
            }
            if index as usize >= index_len {
                return Err(ShapeError::IndexOutOfRange {
                    element,
                    index,
                    inputs: index_len,
                });
            }
        }
        Ok(self.out_shape.clone())
    }

    /// An index that is not an integer of the axis gives NaN (the circuit has no proof for it).
    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        let index = inputs[inputs.len() - 1];
        let value = |at: u32| -> f64 {
            match &self.data {
                Some(d) => d[at as usize] as f64,
                None => inputs[0][at as usize],
            }
        };
        self.picks
            .iter()
            .map(|&[slice, i]| {
                self.position(index[i as usize])
                    .map_or(f64::NAN, |j| value(self.slices[slice as usize][j]))
            })
            .collect()
    }

    /// The data's encoding for the output (a constant table: the finest that holds all of it), the
    /// index's encoding checked to store every integer exactly (scale >= 0), then the gather.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, _act: Option<&Node>) -> Result<()> {
        let nref = node.node_ref();
        let index = node.inputs[node.inputs.len() - 1];
        let index_encoding = q.enc(&nref, index)?;
        if index_encoding.scale < 0 {
            return Err(CircuitError::Node {
                node: nref,
                message: format!(
                    "the indices are stored at scale 2^{}, which does not hold every integer index \
                     exactly",
                    index_encoding.scale
                ),
            });
        }
        let (data, pre) = match &self.data {
            None => (
                QGatherData::Tensor(node.inputs[0]),
                q.enc(&nref, node.inputs[0])?,
            ),
            Some(values) => {
                let (stored, enc) =
                    gather::const_table(values, q.b()).map_err(|v| CircuitError::Node {
                        node: nref.clone(),
                        message: format!("the table value {v} cannot be stored"),
                    })?;
                (QGatherData::Const(stored), enc)
            }
        };
        q.set(node.output, pre);
        q.qm.ops.push(QOp::Gather(QGather {
            node: nref,
            data,
            index,
            output: node.output,
            index_encoding,
            axis_len: self.axis_len,
            slices: self.slices.clone(),
            picks: self.picks.clone(),
            pre,
        }));
        Ok(())
    }
}
