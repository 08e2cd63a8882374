//! Errors of the circuit layer. Every error that concerns one node names it as `node NAME (OpType)`.

use crate::graph::ShapeError;
use crate::settings::SettingsError;
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
    /// A node is malformed or cannot be quantised (dangling tensor, a weight too large, ...).
    #[error("{node}: {message}")]
    Node {
        /// The node.
        node: NodeRef,
        /// What is wrong with it.
        message: String,
    },
    /// A node's op does not accept its input shapes or constants.
    #[error("{node}: {reason}")]
    Shape {
        /// The node.
        node: NodeRef,
        /// Which shape check failed.
        reason: ShapeError,
    },
    /// The graph as a whole is malformed.
    #[error("invalid model graph: {0}")]
    Graph(String),
    /// An input has the wrong number of elements.
    #[error("input {index} ('{name}'): expected {expected} values for shape {shape:?}, got {got}")]
    InputShape {
        /// Index of the input.
        index: usize,
        /// Its tensor name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Elements the shape holds.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// The model expects a different number of inputs.
    #[error("the model has {expected} input(s), the input file gives {got}")]
    InputCount {
        /// Inputs of the model.
        expected: usize,
        /// Inputs given.
        got: usize,
    },
    /// An input value is NaN or infinite.
    #[error("input {index} ('{name}') element {element}: {value} is not a finite number")]
    NonFinite {
        /// Index of the input.
        index: usize,
        /// Its tensor name.
        name: String,
        /// Index of the element (row-major).
        element: usize,
        /// The value.
        value: f64,
    },
    /// An input value does not fit the calibrated range of the circuit.
    #[error(
        "input {index} ('{name}') element {element}: value {} is outside the calibrated range \
         [{min}, {max}]; recompile with a --sample that covers it",
        short(*.value)
    )]
    InputOutOfRange {
        /// Index of the input.
        index: usize,
        /// Its tensor name.
        name: String,
        /// Index of the element (row-major).
        element: usize,
        /// The value.
        value: f64,
        /// Smallest value the input's encoding holds.
        min: f64,
        /// Largest value the input's encoding holds.
        max: f64,
    },
    /// A value computed inside the model does not fit the lookup table of its node.
    #[error(
        "{node}: output element {element} is {value}, outside the calibrated range [{min}, {max}] of the \
         circuit's lookup table; recompile with a --sample that covers this input"
    )]
    OutOfRange {
        /// The node.
        node: NodeRef,
        /// Index of the output element (row-major).
        element: usize,
        /// The pre-activation value, dequantised.
        value: f64,
        /// Smallest value the table takes.
        min: f64,
        /// Largest value the table takes.
        max: f64,
    },
    /// A table function's value does not fit the calibrated output range of its table.
    #[error(
        "{node}: element {element}: {func}({value}) is outside the calibrated output range [{min}, {max}]; \
         recalibrate with inputs like this one"
    )]
    FuncOutOfRange {
        /// The node.
        node: NodeRef,
        /// Index of the output element (row-major).
        element: usize,
        /// The function's name (`Exp`, `Sigmoid`, ...).
        func: &'static str,
        /// The function's argument, dequantised.
        value: f64,
        /// Smallest value the output encoding holds.
        min: f64,
        /// Largest value the output encoding holds.
        max: f64,
    },
    /// The model does not fit in the largest supported circuit.
    #[error(
        "the model needs {needed} rows, more than the largest supported circuit (2^{max_k} rows)"
    )]
    TooLarge {
        /// Rows the model needs.
        needed: usize,
        /// log2 of the largest circuit.
        max_k: u32,
    },
    /// A minimum circuit size (`--logrows`) above the largest supported one.
    #[error("--logrows {requested} is above the largest supported circuit (2^{max_k} rows)")]
    LogrowsTooLarge {
        /// The requested log2 of the rows.
        requested: u32,
        /// log2 of the largest circuit.
        max_k: u32,
    },
    /// The settings are unusable (a field out of its range, another format version).
    #[error("inconsistent compiled model: {reason}")]
    Settings {
        /// Which check failed.
        reason: SettingsError,
    },
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

/// An error and its chain of sources on one line, `error: cause: root cause` (what anyhow's `{:#}` prints),
/// for callers that keep an error as text. Errors of this crate that wrap another error (I/O, JSON) keep
/// it as their `source` and do not repeat it in their own message.
pub fn display_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Graph, Op, Reshape};

    #[test]
    fn shape_errors_name_the_node_and_the_chain_is_one_line() {
        let mut g = Graph::new("g");
        let x = g.add_input("x", vec![2, 3]);
        let op = Op::Reshape(Reshape { shape: vec![4] });
        let e = g
            .add_node("r", "Reshape", op, vec![x], "y")
            .expect_err("6 elements do not reshape to 4");
        assert!(
            matches!(
                &e,
                CircuitError::Shape {
                    node,
                    reason: ShapeError::Reshape {
                        from_elements: 6,
                        to_elements: 4,
                        ..
                    }
                } if node.name == "r"
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "node r (Reshape): cannot reshape [2, 3] (6 elements) to [4] (4 elements)"
        );
        let io = crate::input_data::InputData::read(std::path::Path::new("/nonexistent/in.json"))
            .expect_err("no such file");
        let text = display_chain(&io);
        assert!(
            text.starts_with("/nonexistent/in.json: cannot read: ") && text.len() > 36,
            "{text}"
        );
    }
}
