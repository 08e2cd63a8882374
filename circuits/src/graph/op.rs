//! The op set of the IR. Each op lives in its own file and implements [`IrOp`]; this enum names the ops
//! (its serde form is the on-disk format of `model.json`) and dispatches to them in one place.

use super::error::ShapeError;
use super::ir_op::IrOp;
use super::{
    AddTensors, Binary, Compare, ConstAffine, Dense, Func, Gather, GatherByIndex, Linear, Logic,
    MatMulAct, Relu, Reshape, Where,
};
use serde::{Deserialize, Serialize};

/// Declares [`Op`] with one variant per op type and its single dispatch, [`Op::as_dyn`].
macro_rules! ir_ops {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// An IR operation.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub enum Op {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Op {
            /// The op behind the variant: every per-op behaviour is reached through this.
            pub(crate) fn as_dyn(&self) -> &dyn IrOp {
                match self {
                    $(Op::$variant(o) => o,)*
                }
            }
        }
    };
}

ir_ops! {
    /// Fully connected layer over the last axis.
    Dense(Dense),
    /// Element-wise `x * mul + add` by constants.
    ConstAffine(ConstAffine),
    /// Sum or difference of two activations.
    AddTensors(AddTensors),
    /// Rectified linear unit.
    Relu(Relu),
    /// New shape over the same elements.
    Reshape(Reshape),
    /// Constant-weight linear map by patches (convolutions, pooling, sums).
    Linear(Linear),
    /// Index map over the inputs (data movement).
    Gather(Gather),
    /// Element-wise table function.
    Func(Func),
    /// Product, maximum or minimum of two activations.
    Binary(Binary),
    /// Comparison of two activations or of an activation and constants (boolean output).
    Compare(Compare),
    /// Not, And, Or, Xor of booleans.
    Logic(Logic),
    /// Selection by a boolean.
    Where(Where),
    /// Product of two activations (`A @ B`, batched, optionally transposed).
    MatMulAct(MatMulAct),
    /// Elements picked by indices the model computes (a lookup against the data).
    GatherByIndex(GatherByIndex),
}

impl Op {
    /// Output shape for the given input shapes, or why they do not fit. The input count is checked here,
    /// once for every op, against the op's arity.
    pub fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let op = self.as_dyn();
        op.arity().check(op.name(), inputs.len())?;
        op.output_shape(inputs)
    }

    /// Float evaluation (inputs already checked against [`Op::output_shape`]).
    pub fn eval_float(&self, inputs: &[&[f64]], shapes: &[&[usize]]) -> Vec<f64> {
        self.as_dyn().eval_float(inputs, shapes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{BinaryKind, LogicKind};

    fn count(op: &str, expected: usize, found: usize) -> Result<Vec<usize>, ShapeError> {
        Err(ShapeError::InputCount {
            op: op.into(),
            expected,
            found,
        })
    }

    #[test]
    fn the_input_count_is_checked_once_for_every_op() {
        let two: [&[usize]; 2] = [&[2], &[2]];
        assert_eq!(Op::Relu(Relu).output_shape(&two), count("Relu", 1, 2));
        let not = Op::Logic(Logic {
            kind: LogicKind::Not,
        });
        assert_eq!(not.output_shape(&two), count("Not", 1, 2));
        let and = Op::Logic(Logic {
            kind: LogicKind::And,
        });
        assert_eq!(and.output_shape(&two[..1]), count("logic op", 2, 1));
        let select = Op::Where(Where {
            x: Some(vec![1.0]),
            y: None,
        });
        assert_eq!(select.output_shape(&two[..1]), count("Where", 2, 1));
        assert_eq!(select.output_shape(&two), Ok(vec![2]));
        let gather = Op::Gather(Gather {
            out_shape: vec![1],
            map: vec![Some(0)],
            fill: 0.0,
        });
        assert_eq!(gather.output_shape(&[]), Err(ShapeError::NoInputs));
        assert_eq!(gather.output_shape(&two), Ok(vec![1]));
    }

    #[test]
    fn the_serde_form_is_the_variant_name() {
        let ops = [
            Op::Relu(Relu),
            Op::Binary(Binary {
                kind: BinaryKind::Max,
            }),
        ];
        let json = serde_json::to_string(&ops).expect("serialises");
        assert_eq!(json, r#"[{"Relu":null},{"Binary":{"kind":"Max"}}]"#);
        let back: Vec<Op> = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, ops);
    }
}
