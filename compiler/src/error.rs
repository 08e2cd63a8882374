//! Errors of the ONNX front end. Node errors read `node NAME (OpType): ...`.

use thiserror::Error;
use zkinfer_circuits::CircuitError;

/// Everything that can go wrong while compiling an ONNX model.
#[derive(Debug, Error)]
pub enum CompileError {
    /// The file cannot be read or is not an ONNX model.
    #[error("{file}: {message}")]
    Load { file: String, message: String },
    /// An op the circuit does not support.
    #[error(
        "node {node} ({op}): unsupported op {op}; supported ops: {supported} (the list is in \
         compiler/src/onnx/ops/ and the README)"
    )]
    UnsupportedOp {
        node: String,
        op: String,
        supported: String,
    },
    /// A supported op used in a way the circuit does not support, or a malformed node.
    #[error("node {node} ({op}): {message}")]
    Node {
        node: String,
        op: String,
        message: String,
    },
    /// The graph's inputs or outputs are unusable.
    #[error("{0}")]
    Graph(String),
    /// A sample or input file is malformed.
    #[error("{0}")]
    Input(String),
    /// Errors of the circuit layer (quantisation, layout).
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    /// tract failed while running the float reference.
    #[error("float reference (tract): {0}")]
    Reference(String),
}
