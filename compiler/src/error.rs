//! Errors of the ONNX front end. Node errors read `node NAME (OpType): ...`.

use thiserror::Error;
use zkinfer_circuits::graph::ShapeError;
use zkinfer_circuits::input_data::InputDataError;
use zkinfer_circuits::CircuitError;

/// Everything that can go wrong while compiling an ONNX model.
#[derive(Debug, Error)]
pub enum CompileError {
    /// The file cannot be read or is not an ONNX model.
    #[error("{file}: {message}")]
    Load {
        /// The model file.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// An op the circuit does not support.
    #[error(
        "node {node} ({op}): unsupported op {op}; supported ops: {supported} (the list is in \
         compiler/src/onnx/ops/ and the README)"
    )]
    UnsupportedOp {
        /// The node's name.
        node: String,
        /// Its op type.
        op: String,
        /// The supported op types, comma-separated.
        supported: String,
    },
    /// A supported op used in a way the circuit does not support, or a malformed node.
    #[error("node {node} ({op}): {message}")]
    Node {
        /// The node's name.
        node: String,
        /// Its op type.
        op: String,
        /// What is wrong.
        message: String,
    },
    /// A node's shapes, axes, windows or constants do not fit its op.
    #[error("node {node} ({op}): {reason}")]
    Lower {
        /// The node's name.
        node: String,
        /// Its op type.
        op: String,
        /// Which check failed.
        reason: LowerError,
    },
    /// A node of constants that tract could not run, and that no builder lowers.
    #[error(
        "node {node} ({op}): unsupported op {op} (on constants it would fold, but tract cannot run it: {chain})"
    )]
    Fold {
        /// The node's name.
        node: String,
        /// Its op type.
        op: String,
        /// tract's error chain, `outer: inner: ...`.
        chain: String,
        /// tract's error, with its whole chain.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The graph's inputs or outputs are unusable.
    #[error("{0}")]
    Graph(String),
    /// A sample or input file is malformed.
    #[error(transparent)]
    Input(#[from] InputDataError),
    /// Errors of the circuit layer (quantisation, layout).
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    /// tract failed while running the float reference.
    #[error("float reference (tract): {0}")]
    Reference(String),
}

/// Why a node's shapes, axes, windows or constants do not fit its op (with the node: [`CompileError::Lower`]).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LowerError {
    /// An axis attribute outside the tensor's rank.
    #[error("axis {axis} is out of range for rank {rank}")]
    Axis {
        /// The axis as given (negative counts from the end).
        axis: i64,
        /// The tensor's rank.
        rank: usize,
    },
    /// A window (kernel with dilation) larger than the padded input.
    #[error(
        "the kernel is larger than the padded input on axis {axis} (it spans {span}, the padded input \
         has {padded})"
    )]
    KernelTooLarge {
        /// The spatial axis.
        axis: usize,
        /// Elements the dilated kernel spans.
        span: usize,
        /// Elements of the padded input.
        padded: usize,
    },
    /// Shapes that do not broadcast (or another shape check of the circuit's ops).
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// A constant operand larger than the activation it applies to.
    #[error("constant of shape {constant:?} would enlarge the activation of shape {activation:?}")]
    ConstantEnlarges {
        /// The constant's shape.
        constant: Vec<usize>,
        /// The activation's shape.
        activation: Vec<usize>,
    },
    /// Constant MatMul folding of operands that are not matrices.
    #[error("constant MatMul folding supports 2-D operands only (shapes {a:?} and {b:?})")]
    MatMulRank {
        /// The left operand's shape.
        a: Vec<usize>,
        /// The right operand's shape.
        b: Vec<usize>,
    },
    /// Constant matrices whose inner dimensions differ.
    #[error("shapes {a:?} and {b:?} do not multiply")]
    MatMulShapes {
        /// The left operand's shape.
        a: Vec<usize>,
        /// The right operand's shape.
        b: Vec<usize>,
    },
    /// tract cannot read an ONNX tensor as numbers.
    #[error("{message}")]
    Tensor {
        /// tract's message.
        message: String,
    },
}
