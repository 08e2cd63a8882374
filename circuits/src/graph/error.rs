//! Why an op does not accept the shapes (or the constants) it is given. [`crate::CircuitError::Shape`]
//! adds the node it concerns.

use thiserror::Error;

/// A shape or size check of one op failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShapeError {
    /// The op got the wrong number of activation inputs.
    #[error("{op} takes {expected} activation input(s), got {found}")]
    InputCount {
        /// The op's name (`Dense`, `Add`, a function name, ...).
        op: String,
        /// Inputs the op takes.
        expected: usize,
        /// Inputs it was given.
        found: usize,
    },
    /// Two shapes do not broadcast against each other.
    #[error("shapes {a:?} and {b:?} do not broadcast (axis {axis}: {a_dim} vs {b_dim})")]
    Broadcast {
        /// The first shape.
        a: Vec<usize>,
        /// The second shape.
        b: Vec<usize>,
        /// The first axis (of the broadcast rank) where they disagree.
        axis: usize,
        /// The first shape's size on that axis.
        a_dim: usize,
        /// The second shape's size on that axis.
        b_dim: usize,
    },
    /// An `AddTensors` sign other than 1 or -1.
    #[error("sign must be 1 or -1, not {sign}")]
    Sign {
        /// The sign found.
        sign: i8,
    },
    /// A constant vector has neither one value nor one per element.
    #[error("constant {what} has {found} values for {elements} elements")]
    ConstantCount {
        /// Which constant (`multiplier`, `addend`).
        what: &'static str,
        /// Values it holds.
        found: usize,
        /// Elements of the input.
        elements: usize,
    },
    /// A reshape changes the number of elements.
    #[error(
        "cannot reshape {from:?} ({from_elements} elements) to {to:?} ({to_elements} elements)"
    )]
    Reshape {
        /// The input shape.
        from: Vec<usize>,
        /// Its number of elements.
        from_elements: usize,
        /// The requested shape.
        to: Vec<usize>,
        /// Its number of elements.
        to_elements: usize,
    },
    /// A dense layer's weight or bias vector does not match its feature counts.
    #[error(
        "weight or bias size does not match the layer's features ({weights} weights and {biases} biases \
         for {in_features} -> {out_features} features)"
    )]
    DenseSize {
        /// Weights found.
        weights: usize,
        /// Biases found.
        biases: usize,
        /// Input features.
        in_features: usize,
        /// Output features.
        out_features: usize,
    },
    /// A dense layer's input does not end in its input features.
    #[error("input shape {shape:?} does not end in {in_features} features")]
    DenseInput {
        /// The input shape.
        shape: Vec<usize>,
        /// The layer's input features.
        in_features: usize,
    },
    /// A linear map's bias vector does not have one value per output element.
    #[error("{found} biases for {outputs} outputs")]
    BiasCount {
        /// Biases found.
        found: usize,
        /// Output elements.
        outputs: usize,
    },
    /// A weight matrix holds the wrong number of weights.
    #[error("weight matrix {matrix} has {found} weights, not {outs} x {taps}")]
    MatrixSize {
        /// Index of the matrix.
        matrix: usize,
        /// Weights found.
        found: usize,
        /// Its rows (outputs).
        outs: usize,
        /// Its columns (taps).
        taps: usize,
    },
    /// A position names a matrix that does not exist.
    #[error("position {position} names matrix {matrix}, but there are only {matrices}")]
    MissingMatrix {
        /// Index of the position.
        position: usize,
        /// The matrix it names.
        matrix: u32,
        /// Number of matrices.
        matrices: usize,
    },
    /// A position's patch or outputs do not match its matrix.
    #[error(
        "position {position}: a patch of {taps} taps and {outs} outputs does not match its \
         {matrix_outs} x {matrix_taps} matrix"
    )]
    PatchMismatch {
        /// Index of the position.
        position: usize,
        /// Taps of the patch.
        taps: usize,
        /// Outputs of the position.
        outs: usize,
        /// Rows of its matrix.
        matrix_outs: usize,
        /// Columns of its matrix.
        matrix_taps: usize,
    },
    /// A patch reads an element outside the input.
    #[error("position {position}: a patch reads element {index}, outside the input of {inputs} elements")]
    PatchOutOfRange {
        /// Index of the position.
        position: usize,
        /// The element it reads.
        index: u32,
        /// Elements of the input.
        inputs: usize,
    },
    /// An output element is written by two positions, or does not exist.
    #[error("output element {element} is written twice or is out of range ({outputs} outputs)")]
    OutputWrittenTwice {
        /// The output element.
        element: u32,
        /// Output elements.
        outputs: usize,
    },
    /// Some output elements are never written.
    #[error(
        "some output elements are never written ({missing} of {outputs}, the first is {first})"
    )]
    OutputNotWritten {
        /// The first element never written.
        first: usize,
        /// How many are never written.
        missing: usize,
        /// Output elements.
        outputs: usize,
    },
    /// The operands of a product of two activations do not multiply (ranks, batch axes or inner sizes).
    #[error(
        "activation operands {a:?} and {b:?} do not multiply (equal rank >= 2, equal batch axes and \
         matching inner sizes are needed)"
    )]
    MatMul {
        /// The left operand's shape.
        a: Vec<usize>,
        /// The right operand's shape.
        b: Vec<usize>,
    },
    /// A gather without inputs.
    #[error("Gather needs at least one input")]
    NoInputs,
    /// A gather's index map does not have one entry per output element.
    #[error("{found} indices for {outputs} outputs")]
    IndexCount {
        /// Indices found.
        found: usize,
        /// Output elements.
        outputs: usize,
    },
    /// A gather index is outside its inputs.
    #[error("output element {element}: index {index} is outside the {inputs} input elements")]
    IndexOutOfRange {
        /// The output element.
        element: usize,
        /// Its index.
        index: u32,
        /// Elements of the inputs laid end to end.
        inputs: usize,
    },
}
