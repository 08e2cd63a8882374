//! Constant folding through tract: a node whose inputs are all constants is run by tract's own
//! implementation of the op (a one-node model built from the node's protobuf), so shape arithmetic
//! (`Shape` → `Gather` → `Concat` → `Reshape`, `Range`, `ConstantOfShape`, `Where`, `Equal`, integer
//! `Div`, ...) folds with tract's semantics and exact integer types, whatever op it uses.

use std::fmt;
use tract_onnx::pb;
use tract_onnx::prelude::*;

/// Runs single nodes on constant inputs.
pub struct Folder {
    onnx: tract_onnx::Onnx,
    opset: i64,
}

impl fmt::Debug for Folder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Folder")
            .field("opset", &self.opset)
            .finish()
    }
}

/// ONNX's data type code of a tract datum type (the types a constant can have).
fn onnx_type(dt: DatumType) -> Option<pb::tensor_proto::DataType> {
    use pb::tensor_proto::DataType as D;
    Some(match dt {
        DatumType::F32 => D::Float,
        DatumType::F64 => D::Double,
        DatumType::F16 => D::Float16,
        DatumType::I8 => D::Int8,
        DatumType::I16 => D::Int16,
        DatumType::I32 => D::Int32,
        DatumType::I64 => D::Int64,
        DatumType::U8 => D::Uint8,
        DatumType::U16 => D::Uint16,
        DatumType::U32 => D::Uint32,
        DatumType::U64 => D::Uint64,
        DatumType::Bool => D::Bool,
        _ => return None,
    })
}

/// An ONNX tensor holding `t` (raw little-endian bytes, as ONNX stores them). A tensor of tract's
/// symbolic dimensions (what tract's `Shape` gives) is written as the int64 that ONNX's `Shape` gives,
/// when every dimension is a number.
pub fn to_proto(name: &str, t: &Tensor) -> TractResult<pb::TensorProto> {
    if t.datum_type() == DatumType::TDim {
        let dims = t.cast_to::<i64>()?;
        return to_proto(name, &dims);
    }
    let dt = onnx_type(t.datum_type()).ok_or_else(|| {
        tract_onnx::tract_core::internal::format_err!(
            "constants of type {:?} cannot be folded",
            t.datum_type()
        )
    })?;
    // the plain storage of every type accepted above, in the machine's (little-endian) byte order
    let raw = t.as_bytes().to_vec();
    Ok(pb::TensorProto {
        name: name.to_string(),
        dims: t.shape().iter().map(|d| *d as i64).collect(),
        data_type: dt as i32,
        raw_data: raw,
        ..Default::default()
    })
}

impl Folder {
    pub fn new(opset: i64) -> Self {
        Self {
            onnx: tract_onnx::onnx(),
            opset,
        }
    }

    /// Runs `node` with `inputs` (by position; `None` for an absent optional input) and returns its
    /// outputs by position (`None` for an output the node does not name).
    pub fn fold(
        &self,
        node: &pb::NodeProto,
        inputs: &[Option<Tensor>],
    ) -> TractResult<Vec<Option<Tensor>>> {
        let mut initializer = Vec::new();
        for (name, t) in node.input.iter().zip(inputs) {
            if let Some(t) = t {
                if !initializer
                    .iter()
                    .any(|i: &pb::TensorProto| &i.name == name)
                {
                    initializer.push(to_proto(name, t)?);
                }
            }
        }
        let output = node
            .output
            .iter()
            .filter(|o| !o.is_empty())
            .map(|o| pb::ValueInfoProto {
                name: o.clone(),
                ..Default::default()
            })
            .collect();
        let proto = pb::ModelProto {
            ir_version: 8,
            opset_import: vec![pb::OperatorSetIdProto {
                domain: String::new(),
                version: self.opset,
            }],
            graph: Some(pb::GraphProto {
                name: "fold".into(),
                node: vec![node.clone()],
                initializer,
                output,
                ..Default::default()
            }),
            ..Default::default()
        };
        let model = self.onnx.model_for_proto_model(&proto)?;
        let plan = model.into_typed()?.into_runnable()?;
        let mut outs = plan.run(tvec![])?.into_iter();
        Ok(node
            .output
            .iter()
            .map(|o| {
                if o.is_empty() {
                    None
                } else {
                    outs.next().map(|t| t.into_tensor())
                }
            })
            .collect())
    }
}
