//! A quantised gather by computed indices: the gather chip's lookup (`chips::gather`), then one lane row
//! per output element storing the picked value.

use crate::encoding::Encoding;
use crate::error::NodeRef;
use crate::graph::TensorId;
use serde::{Deserialize, Serialize};

/// Where a gather's data comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum QGatherData {
    /// A tensor of the model: its range-checked cells are the table's values.
    Tensor(TensorId),
    /// Constant stored values, in the output's encoding (flat, the data's order).
    Const(Vec<i64>),
}

/// A gather of `data` by the computed `index` tensor: output element `i` is element
/// `slices[picks[i][0]][j]` of the data, `j` the value of index element `picks[i][1]` (negative values
/// count from the end of the axis, as ONNX says).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QGather {
    /// The node it comes from.
    pub node: NodeRef,
    /// The data.
    pub data: QGatherData,
    /// The index tensor.
    pub index: TensorId,
    /// The output tensor.
    pub output: TensorId,
    /// The index tensor's encoding: index `j` is stored as `j * 2^scale + offset` (scale >= 0, so every
    /// integer index has one exact stored value).
    pub index_encoding: Encoding,
    /// Length of the indexed axis: the valid indices are `-axis_len..axis_len`.
    pub axis_len: usize,
    /// Each slice's data elements along the axis (flat data indices, `axis_len` each).
    pub slices: Vec<Vec<u32>>,
    /// Per output element: its slice and the index element that picks within it.
    pub picks: Vec<[u32; 2]>,
    /// The output's encoding (the data's), for messages.
    pub pre: Encoding,
}

impl QGather {
    /// The valid indices of the axis with their stored encodings (`(index, key)`), the non-negative ones
    /// first; an index whose encoding falls outside the stored range `[0, 2^bits)` cannot occur and has
    /// no key.
    pub fn keys(&self) -> Vec<(usize, i64)> {
        let e = self.index_encoding;
        let len = self.axis_len as i64;
        let unit = 1i64 << e.scale.clamp(0, 62);
        let top = 1i64 << e.bits.min(62);
        (0..len)
            .map(|j| (j, j))
            .chain((0..len).map(|j| (j, j - len)))
            .filter_map(|(j, signed)| {
                let key = signed.checked_mul(unit)?.checked_add(e.offset)?;
                (0..top).contains(&key).then_some((j as usize, key))
            })
            .collect()
    }

    /// The real index a stored index value encodes, for messages.
    pub fn index_value(&self, stored: i128) -> f64 {
        self.index_encoding.dequantise(stored as i64)
    }
}

/// A constant table in the finest signed `b`-bit encoding that holds every value (integers below
/// `2^(b-1)` stay exact): its stored values and the encoding, or the first value that cannot be stored.
pub(crate) fn const_table(values: &[f32], b: u32) -> Result<(Vec<i64>, Encoding), f32> {
    let max = values.iter().fold(0f64, |m, v| m.max((*v as f64).abs()));
    let enc = Encoding::signed(super::scale_for(max, 1.0, b), b);
    let stored = values
        .iter()
        .map(|&v| enc.quantise(v as f64).ok_or(v))
        .collect::<Result<Vec<_>, f32>>()?;
    Ok((stored, enc))
}
