//! Lowering ONNX graphs to the circuit IR. The model is read with tract-onnx's protobuf loader; each
//! supported op family registers its builders in `ops/`, and constants are folded as they are met.

mod ctx;
mod fold;
pub mod ops;
mod value;

pub use ctx::Lowering;
pub use value::{ConstTensor, Sequence, Val};

use crate::error::CompileError;
use std::path::Path;
use tract_onnx::pb;
use tract_onnx::prelude::Framework;
use zkinfer_circuits::graph::Graph;

/// Reads an ONNX file into its protobuf model.
pub fn read_proto(path: &Path) -> Result<pb::ModelProto, CompileError> {
    let load = |message: String| CompileError::Load {
        file: path.display().to_string(),
        message,
    };
    if !path.exists() {
        return Err(load("no such file".into()));
    }
    tract_onnx::onnx()
        .proto_model_for_path(path)
        .map_err(|e| load(format!("not a readable ONNX model: {e:#}")))
}

/// Loads and lowers an ONNX model.
pub fn lower(path: &Path) -> Result<Graph, CompileError> {
    let proto = read_proto(path)?;
    let graph = proto.graph.as_ref().ok_or_else(|| CompileError::Load {
        file: path.display().to_string(),
        message: "the model has no graph".into(),
    })?;
    let name = if graph.name.is_empty() {
        "model".to_string()
    } else {
        graph.name.clone()
    };
    let mut lowering = Lowering::new(name);
    lowering.opset = proto
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(13, |o| o.version);
    lowering.lower_graph(graph)
}
