//! Lowering ONNX graphs to the circuit IR. The model is read with tract-onnx's protobuf loader; each
//! supported op family registers its builders in `ops/`, and constants are folded as they are met.

mod committed;
mod ctx;
mod fold;
pub mod ops;
mod value;

pub use committed::committed_initializers;
pub use ctx::Lowering;
pub use value::{ConstTensor, Sequence, Val};

use crate::error::CompileError;
use std::path::Path;
use tract_onnx::pb;
use tract_onnx::prelude::Framework;
use zkinfer_circuits::graph::Graph;
use zkinfer_circuits::visibility::WeightsMode;

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
    Ok(lower_with(path, WeightsMode::Fixed)?.graph)
}

/// A lowered model and the values of its committed weights.
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The graph (committed weights are its last inputs).
    pub graph: Graph,
    /// The values of each committed weight input, in input order (empty with fixed weights).
    pub weights: Vec<Vec<f64>>,
}

/// Loads and lowers an ONNX model with its weights fixed or committed.
pub fn lower_with(path: &Path, mode: WeightsMode) -> Result<Lowered, CompileError> {
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
    lowering.committed = committed_initializers(graph, mode);
    let (graph, weights) = lowering.lower_graph_with_weights(graph)?;
    Ok(Lowered { graph, weights })
}
