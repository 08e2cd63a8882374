//! Activations: Relu.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Op, Relu};

pub(super) fn register(r: &mut Registry) {
    r.insert("Relu", relu);
}

fn relu(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    match l.input(n, 0)? {
        Val::Act(x) => l.emit(n, "Relu", Op::Relu(Relu), vec![x]).map(|_| ()),
        Val::Const(c) => l.set_output(
            n,
            Val::Const(ConstTensor {
                shape: c.shape,
                data: c.data.iter().map(|v| v.max(0.0)).collect(),
            }),
        ),
    }
}
