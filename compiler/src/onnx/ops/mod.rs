//! Supported ONNX ops, registered by family: each file has `register(&mut Registry)` adding its builders.
//! A builder lowers one node into IR nodes, or folds it when all its inputs are constants.

mod activation;
mod arith;
mod build;
mod cast;
mod compare;
mod computed_index;
mod constant;
mod conv;
mod conv_committed;
mod embedding;
mod index;
mod indexed;
mod linear;
mod matmul_act;
mod movement;
mod nonlinear;
mod norm;
mod one_hot;
mod pool;
mod recurrent;
mod recurrent_cells;
mod reduce;
mod resize;
mod select_const;
mod sequence;
mod shape;
mod top_k;
mod tree;

use super::ctx::{Lowering, NodeInfo};
use crate::error::CompileError;
use std::collections::BTreeMap;

/// Lowers one ONNX node.
pub type OpBuilder = fn(&mut Lowering, &NodeInfo) -> Result<(), CompileError>;

/// Builders by ONNX op type.
#[derive(Debug, Default)]
pub struct Registry(BTreeMap<&'static str, OpBuilder>);

impl Registry {
    /// A registry with every supported op family.
    pub fn with_all_ops() -> Self {
        let mut r = Registry::default();
        activation::register(&mut r);
        arith::register(&mut r);
        cast::register(&mut r);
        constant::register(&mut r);
        linear::register(&mut r);
        shape::register(&mut r);
        conv::register(&mut r);
        movement::register(&mut r);
        indexed::register(&mut r);
        nonlinear::register(&mut r);
        norm::register(&mut r);
        one_hot::register(&mut r);
        pool::register(&mut r);
        recurrent::register(&mut r);
        reduce::register(&mut r);
        resize::register(&mut r);
        sequence::register(&mut r);
        compare::register(&mut r);
        top_k::register(&mut r);
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

/// Every op type this build lowers from activations, sorted (nodes of constants are folded by tract
/// whatever their op).
pub fn supported_ops() -> Vec<&'static str> {
    Registry::with_all_ops().ops()
}
