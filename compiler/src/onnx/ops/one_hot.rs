//! OneHot(indices, depth, values) with a constant depth and constant values (hummingbird's decision trees):
//! the indices are spread along the new axis by a gather, each element is compared with its position `j`
//! (and with `j - depth`, the negative index of the same class), and `off + (on - off) * hit` is the output.
//! Indices outside `[-depth, depth)` give `off` everywhere, as the spec says.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::build::gather;
use super::index::{axis, indices, ravel, strides};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, Compare, CompareKind, ConstAffine, Op};

pub(super) fn register(r: &mut Registry) {
    r.insert("OneHot", one_hot);
}

fn one_hot(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = match l.input(n, 0)? {
        Val::Act(t) => t,
        Val::Const(_) => return Err(n.err("internal: constant indices are folded by tract")),
    };
    let depth = l.const_input(n, 1, "depth")?;
    let values = l.const_input(n, 2, "values")?;
    let depth = match depth.data.as_slice() {
        [d] if d.fract() == 0.0 && *d >= 1.0 && *d <= 65_536.0 => *d as usize,
        d => {
            return Err(n.err(format!(
                "depth must be one whole number in [1, 65536], it is {d:?}"
            )))
        }
    };
    let [off, on] = values.data.as_slice() else {
        return Err(n.err(format!(
            "values must hold two elements [off, on], it holds {}",
            values.data.len()
        )));
    };
    let (off, on) = (*off as f32, *on as f32);
    let in_shape = l.shape(x);
    let a = axis(n.attr_int("axis", -1), in_shape.len() + 1).map_err(|e| n.lower_err(e))?;
    let mut out_shape = in_shape.clone();
    out_shape.insert(a, depth);
    let in_strides = strides(&in_shape);
    let (mut map, mut class) = (Vec::new(), Vec::new());
    for idx in indices(&out_shape) {
        let mut src = idx.clone();
        class.push(src.remove(a) as f32);
        map.push(Some(ravel(&src, &in_strides) as u32));
    }
    let spread = gather(l, n, "spread", vec![x], out_shape, map, 0.0)?;
    let hit = |l: &mut Lowering, what: &str, rhs: Vec<f32>| {
        let op = Op::Compare(Compare {
            kind: CompareKind::Equal,
            rhs: Some(rhs),
        });
        l.add(n, what, op, vec![spread])
    };
    let positive = hit(l, "is_class", class.clone())?;
    let negative = hit(
        l,
        "is_class_negative",
        class.iter().map(|c| c - depth as f32).collect(),
    )?;
    // at most one of the two holds: their sum is the hit
    let hits = l.add(
        n,
        "hit",
        Op::AddTensors(AddTensors { sign: 1 }),
        vec![positive, negative],
    )?;
    let op = Op::ConstAffine(ConstAffine {
        mul: vec![on - off],
        add: vec![off],
    });
    l.emit(n, "OneHot", op, vec![hits]).map(|_| ())
}
