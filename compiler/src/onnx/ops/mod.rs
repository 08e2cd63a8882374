//! Supported ONNX ops, registered by family: each file has `register(&mut Registry)` adding its builders.
//! A builder lowers one node into IR nodes, or folds it when all its inputs are constants.

mod activation;
mod arith;
mod build;
mod compare;
mod constant;
mod conv;
mod index;
mod linear;
mod matmul_act;
mod movement;
mod nonlinear;
mod norm;
mod pool;
mod reduce;
mod shape;
mod tree;

use super::ctx::{Lowering, NodeInfo};
use crate::error::CompileError;
use std::collections::BTreeMap;

/// Lowers one ONNX node.
pub type OpBuilder = fn(&mut Lowering, &NodeInfo) -> Result<(), CompileError>;

/// Every op type this build lowers (kept in step with the registry by a test).
pub const SUPPORTED_OPS: &[&str] = &[
    "Abs",
    "Add",
    "And",
    "ArgMax",
    "ArgMin",
    "AveragePool",
    "BatchNormalization",
    "Ceil",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "ConvTranspose",
    "Cos",
    "DepthToSpace",
    "Div",
    "Dropout",
    "Elu",
    "Equal",
    "Erf",
    "Exp",
    "Expand",
    "Flatten",
    "Floor",
    "Gather",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Greater",
    "GreaterOrEqual",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "InstanceNormalization",
    "LayerNormalization",
    "LeakyRelu",
    "Less",
    "LessOrEqual",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Max",
    "MaxPool",
    "Mean",
    "Min",
    "Mul",
    "Neg",
    "Not",
    "Or",
    "PRelu",
    "Pad",
    "Pow",
    "Reciprocal",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceSum",
    "Relu",
    "Reshape",
    "Round",
    "Selu",
    "Shrink",
    "Sigmoid",
    "Sign",
    "Sin",
    "Slice",
    "Softmax",
    "Softplus",
    "Softsign",
    "SpaceToDepth",
    "Split",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Sum",
    "Tanh",
    "Tile",
    "Transpose",
    "TreeEnsembleClassifier",
    "TreeEnsembleRegressor",
    "Unsqueeze",
    "Where",
    "Xor",
];

/// Builders by ONNX op type.
#[derive(Debug, Default)]
pub struct Registry(BTreeMap<&'static str, OpBuilder>);

impl Registry {
    /// A registry with every supported op family.
    pub fn with_all_ops() -> Self {
        let mut r = Registry::default();
        activation::register(&mut r);
        arith::register(&mut r);
        constant::register(&mut r);
        linear::register(&mut r);
        shape::register(&mut r);
        conv::register(&mut r);
        movement::register(&mut r);
        nonlinear::register(&mut r);
        norm::register(&mut r);
        pool::register(&mut r);
        reduce::register(&mut r);
        compare::register(&mut r);
        tree::register(&mut r);
        r
    }

    pub fn insert(&mut self, op: &'static str, builder: OpBuilder) {
        self.0.insert(op, builder);
    }

    pub fn get(&self, op: &str) -> Option<OpBuilder> {
        self.0.get(op).copied()
    }

    /// Registered op types, sorted.
    pub fn ops(&self) -> Vec<&'static str> {
        self.0.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn supported_list_matches_the_registry() {
        assert_eq!(
            super::Registry::with_all_ops().ops(),
            super::SUPPORTED_OPS.to_vec()
        );
    }
}
