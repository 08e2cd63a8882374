//! Constant nodes.

use super::super::ctx::{load_const, Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;

pub(super) fn register(r: &mut Registry) {
    r.insert("Constant", constant);
    r.insert("ConstantOfShape", constant_of_shape);
}

fn constant_of_shape(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let shape: Vec<usize> = l
        .const_input(n, 0, "the shape")?
        .as_ints()
        .iter()
        .map(|d| (*d).max(0) as usize)
        .collect();
    let value = match n.attr_tensor("value") {
        Some(t) => load_const(t)
            .map_err(|e| n.err(format!("attribute value: {e}")))?
            .data
            .first()
            .copied()
            .unwrap_or(0.0),
        None => 0.0,
    };
    let count = shape.iter().product();
    l.set_output(
        n,
        Val::Const(ConstTensor {
            shape,
            data: vec![value; count],
        }),
    )
}

fn constant(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let c = if let Some(t) = n.attr_tensor("value") {
        load_const(t).map_err(|e| n.err(format!("attribute value: {e}")))?
    } else if n.has_attr("value_float") {
        ConstTensor::scalar(n.attr_float("value_float", 0.0) as f64)
    } else if let Some(v) = n.attr_floats("value_floats") {
        ConstTensor {
            shape: vec![v.len()],
            data: v.into_iter().map(f64::from).collect(),
        }
    } else if n.has_attr("value_int") {
        ConstTensor::scalar(n.attr_int("value_int", 0) as f64)
    } else if let Some(v) = n.attr_ints("value_ints") {
        ConstTensor {
            shape: vec![v.len()],
            data: v.into_iter().map(|x| x as f64).collect(),
        }
    } else {
        return Err(n.err("needs one of the attributes value, value_float(s), value_int(s)"));
    };
    l.set_output(n, Val::Const(c))
}
