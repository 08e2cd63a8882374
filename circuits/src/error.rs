//! Errors of the circuit layer. Every error that concerns one node names it as `node NAME (OpType)`.

use thiserror::Error;

/// Where in the model graph something went wrong: a node's name and its ONNX op type(s).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NodeRef {
    /// Node name in the source model (ONNX node name, or a generated one when the model has none).
    pub name: String,
    /// ONNX op type(s) the node came from, e.g. `Gemm` or `MatMul+Add`.
    pub op_type: String,
}

impl std::fmt::Display for NodeRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node {} ({})", self.name, self.op_type)
    }
}

/// Errors raised while building, quantising, laying out or witnessing a model circuit.
#[derive(Debug, Error)]
pub enum CircuitError {
    /// The graph is malformed (dangling tensor, shape mismatch, ...).
    #[error("{node}: {message}")]
    Node { node: NodeRef, message: String },
    /// The graph as a whole is malformed.
    #[error("invalid model graph: {0}")]
    Graph(String),
    /// An input has the wrong number of elements.
    #[error("input {index} ('{name}'): expected {expected} values for shape {shape:?}, got {got}")]
    InputShape {
        index: usize,
        name: String,
        shape: Vec<usize>,
        expected: usize,
        got: usize,
    },
    /// The model expects a different number of inputs.
    #[error("the model has {expected} input(s), the input file gives {got}")]
    InputCount { expected: usize, got: usize },
    /// An input value is NaN or infinite.
    #[error("input {index} ('{name}') element {element}: {value} is not a finite number")]
    NonFinite {
        index: usize,
        name: String,
        element: usize,
        value: f64,
    },
    /// An input value does not fit the calibrated range of the circuit.
    #[error(
        "input {index} ('{name}') element {element}: value {} is outside the calibrated range \
         [{min}, {max}]; recompile with a --sample that covers it",
        short(*.value)
    )]
    InputOutOfRange {
        index: usize,
        name: String,
        element: usize,
        value: f64,
        min: f64,
        max: f64,
    },
    /// A value computed inside the model does not fit the lookup table of its node.
    #[error(
        "{node}: output element {element} is {value}, outside the calibrated range [{min}, {max}] of the \
         circuit's lookup table; recompile with a --sample that covers this input"
    )]
    OutOfRange {
        node: NodeRef,
        element: usize,
        value: f64,
        min: f64,
        max: f64,
    },
    /// The model does not fit in the largest supported circuit.
    #[error(
        "the model needs {needed} rows, more than the largest supported circuit (2^{max_k} rows)"
    )]
    TooLarge { needed: usize, max_k: u32 },
    /// Settings, compiled model and plan disagree with each other.
    #[error("inconsistent compiled model: {0}")]
    Inconsistent(String),
}

/// Result alias of this crate.
pub type Result<T, E = CircuitError> = std::result::Result<T, E>;

/// A number for messages: plain when moderate, scientific when huge or tiny.
fn short(v: f64) -> String {
    if v != 0.0 && (v.abs() >= 1e9 || v.abs() < 1e-6) {
        format!("{v:.4e}")
    } else {
        format!("{v}")
    }
}
