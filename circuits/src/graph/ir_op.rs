//! The one trait every IR op implements: how many inputs it takes, its output shape, its float
//! evaluation, and its quantisation (the quantised ops it emits, whose rows the row plan lays out).
//! [`super::Op`] dispatches to it in one place ([`super::Op::as_dyn`]).

use super::error::ShapeError;
use super::Node;
use crate::error::Result;
use crate::quant::Quantiser;
use crate::tables::FuncKind;

/// How many activation inputs an op takes. [`super::Op::output_shape`] checks it before the op sees its
/// inputs, so an op indexes its inputs without checking their count again (graph validation runs it on
/// every node before evaluation and quantisation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    /// Exactly this many.
    Exactly(usize),
    /// One or more (laid end to end, as Concat's inputs are).
    OneOrMore,
}

impl Arity {
    /// Checks an input count against the arity of the op named `op`.
    pub(crate) fn check(self, op: &str, found: usize) -> Result<(), ShapeError> {
        match self {
            Arity::Exactly(expected) if found != expected => Err(ShapeError::InputCount {
                op: op.to_string(),
                expected,
                found,
            }),
            Arity::OneOrMore if found == 0 => Err(ShapeError::NoInputs),
            _ => Ok(()),
        }
    }
}

/// An element-wise activation that a producer's rescale lane can apply through its lookup, so that it
/// costs no rows of its own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Activation {
    /// `max(x, 0)` (the Relu table).
    Relu,
    /// A table function.
    Func(FuncKind),
}

/// An op of the IR. The rows an op needs are those its quantised ops plan to (lane, tile or none for an
/// alias): the layout is chosen from a trial plan of the quantised model, never from a per-op formula.
pub(crate) trait IrOp {
    /// The op's name in messages.
    fn name(&self) -> &'static str;

    /// How many activation inputs it takes.
    fn arity(&self) -> Arity;

    /// Output shape for input shapes whose count matches [`IrOp::arity`], or why they do not fit.
    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError>;

    /// Float evaluation on inputs whose shapes passed [`IrOp::output_shape`].
    fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64>;

    /// Quantises the node (of this op) into the quantised model: sets its output's encoding and emits its
    /// quantised ops. `act` is the activation node fused into it ([`IrOp::fuses_activation`]), whose
    /// output tensor the emitted ops produce instead of the node's.
    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()>;

    /// The activation this op is, if a producer can apply it through its lookup.
    fn activation(&self) -> Option<Activation> {
        None
    }

    /// Whether its rows end in a rescale lane whose lookup can apply a following activation.
    fn fuses_activation(&self) -> bool {
        false
    }
}
