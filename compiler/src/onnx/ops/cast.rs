//! Shape, Size and Cast. `Shape` and `Size` of an activation are constants (shapes are static in the
//! circuit), so the integer subgraphs that PyTorch exports around them fold. `Cast` between float types
//! is the identity on fixed-point values; to an integer type it truncates toward zero
//! (`sign(x) * floor(|x|)` through tables), or is the identity where the value is already an integer.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::Registry;
use crate::error::CompileError;
use tract_onnx::pb::tensor_proto::DataType;
use zkinfer_circuits::graph::{Binary, BinaryKind, Func, Op};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("Shape", shape);
    r.insert("Size", size);
    r.insert("Cast", cast);
}

fn shape(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let dims = match l.input(n, 0)? {
        Val::Act(t) => l.shape(t),
        Val::Const(c) => c.shape,
    };
    // opset 15: an optional [start, end) window of the dimensions
    let rank = dims.len() as i64;
    let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
    let start = clamp(n.attr_int("start", 0));
    let end = clamp(n.attr_int("end", rank));
    let picked: Vec<i64> = dims[start..end.max(start)]
        .iter()
        .map(|d| *d as i64)
        .collect();
    l.set_ints(n, 0, &[picked.len()], picked)
}

fn size(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let count = match l.input(n, 0)? {
        Val::Act(t) => l.shape(t).iter().product::<usize>(),
        Val::Const(c) => c.data.len(),
    };
    l.set_ints(n, 0, &[], vec![count as i64])
}

fn type_name(code: i64) -> String {
    DataType::try_from(code as i32)
        .map_or_else(|_| format!("type {code}"), |d| d.as_str_name().to_string())
}

/// Cast of an activation (a node of constants is folded by tract before it gets here).
pub(super) fn cast(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = match l.input(n, 0)? {
        Val::Act(t) => t,
        c @ Val::Const(_) => return l.set_output(n, c),
    };
    let to = n.attr_int("to", DataType::Float as i64);
    let d = DataType::try_from(to as i32).ok();
    use DataType as D;
    match d {
        Some(D::Float | D::Double | D::Float16 | D::Bfloat16) => l.set_output(n, Val::Act(x)),
        Some(
            D::Int8 | D::Int16 | D::Int32 | D::Int64 | D::Uint8 | D::Uint16 | D::Uint32 | D::Uint64,
        ) => {
            if l.is_integral(x) {
                return l.set_output(n, Val::Act(x));
            }
            let unsigned = matches!(d, Some(D::Uint8 | D::Uint16 | D::Uint32 | D::Uint64));
            let f = |f| Op::Func(Func { f });
            let abs = l.add(n, "abs", f(FuncKind::Abs), vec![x])?;
            let floor = l.add(n, "floor", f(FuncKind::Floor), vec![abs])?;
            if unsigned {
                // ONNX leaves a negative float cast to an unsigned type undefined: the magnitude is used
                return l.set_output(n, Val::Act(floor));
            }
            let sign = l.add(n, "sign", f(FuncKind::Sign), vec![x])?;
            let mul = Op::Binary(Binary {
                kind: BinaryKind::Mul,
            });
            l.emit(n, "Cast", mul, vec![sign, floor]).map(|_| ())
        }
        _ => Err(n.err(format!(
            "Cast of an activation to {} is not supported (numeric casts between float and integer \
             types are; booleans come from comparisons)",
            type_name(to)
        ))),
    }
}
