//! Element-wise nonlinear functions, each proved by a lookup table over the quantised domain (one table
//! per function and pair of scales, shared by every use): Sigmoid, Tanh, Exp, Log, Sqrt, Reciprocal, Erf,
//! Gelu, Softplus, Softsign, Elu, Selu, LeakyRelu, HardSigmoid, HardSwish, Abs, Sign, Clip, Shrink,
//! Sin, Cos, Tan, Asin, Acos, Atan, Floor, Ceil, Round; Neg is affine; Celu is a scaled Elu; PRelu with per-channel slopes is `s*x + (1-s)*relu(x)`.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, ConstAffine, Func, Op, Relu};
use zkinfer_circuits::tables::FuncKind;

/// `table!(r, "Op", |l, n| kind)`: registers ONNX op `Op` as the lookup-table function that the closure
/// constructs from the node (its attributes, and for Clip its bound inputs).
macro_rules! table {
    ($r:expr, $op:literal, $kind:expr) => {
        $r.insert($op, |l, n| {
            let kind: KindFn = $kind;
            let f = kind(l, n)?;
            func(l, n, f)
        })
    };
}

/// Constructs a node's table function.
type KindFn = fn(&Lowering, &NodeInfo) -> Result<FuncKind, CompileError>;

pub(super) fn register(r: &mut Registry) {
    table!(r, "Sigmoid", |_, _| Ok(FuncKind::Sigmoid));
    table!(r, "Tanh", |_, _| Ok(FuncKind::Tanh));
    table!(r, "Exp", |_, _| Ok(FuncKind::Exp));
    table!(r, "Log", |_, _| Ok(FuncKind::Log));
    table!(r, "Sqrt", |_, _| Ok(FuncKind::Sqrt));
    table!(r, "Reciprocal", |_, _| Ok(FuncKind::Reciprocal));
    table!(r, "Erf", |_, _| Ok(FuncKind::Erf));
    table!(r, "Gelu", |_, n| Ok(gelu(n)));
    table!(r, "Softplus", |_, _| Ok(FuncKind::Softplus));
    table!(r, "Softsign", |_, _| Ok(FuncKind::Softsign));
    table!(r, "Elu", |_, n| Ok(FuncKind::Elu {
        alpha: n.attr_float("alpha", 1.0)
    }));
    table!(r, "Selu", |_, n| Ok(FuncKind::Selu {
        alpha: n.attr_float("alpha", 1.673_263_2),
        gamma: n.attr_float("gamma", 1.050_701),
    }));
    table!(r, "LeakyRelu", |_, n| Ok(FuncKind::LeakyRelu {
        alpha: n.attr_float("alpha", 0.01)
    }));
    table!(r, "HardSigmoid", |_, n| Ok(FuncKind::HardSigmoid {
        alpha: n.attr_float("alpha", 0.2),
        beta: n.attr_float("beta", 0.5),
    }));
    table!(r, "HardSwish", |_, _| Ok(FuncKind::HardSwish));
    table!(r, "Abs", |_, _| Ok(FuncKind::Abs));
    table!(r, "Sign", |_, _| Ok(FuncKind::Sign));
    table!(r, "Clip", clip);
    table!(r, "Shrink", |_, n| Ok(FuncKind::Shrink {
        bias: n.attr_float("bias", 0.0),
        lambd: n.attr_float("lambd", 0.5),
    }));
    table!(r, "Sin", |_, _| Ok(FuncKind::Sin));
    table!(r, "Cos", |_, _| Ok(FuncKind::Cos));
    table!(r, "Tan", |_, _| Ok(FuncKind::Tan));
    table!(r, "Asin", |_, _| Ok(FuncKind::Asin));
    table!(r, "Acos", |_, _| Ok(FuncKind::Acos));
    table!(r, "Atan", |_, _| Ok(FuncKind::Atan));
    table!(r, "Floor", |_, _| Ok(FuncKind::Floor));
    table!(r, "Ceil", |_, _| Ok(FuncKind::Ceil));
    table!(r, "Round", |_, _| Ok(FuncKind::Round));
    r.insert("Neg", neg);
    r.insert("Celu", celu);
    r.insert("PRelu", prelu);
}

/// Gelu, exact or (`approximate = "tanh"`) its tanh approximation.
fn gelu(n: &NodeInfo) -> FuncKind {
    let approx = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "approximate")
        .map(|a| String::from_utf8_lossy(&a.s).to_string());
    match approx.as_deref() {
        Some("tanh") => FuncKind::GeluTanh,
        _ => FuncKind::Gelu,
    }
}

/// Clip's bounds: scalar constant inputs 1 and 2 from opset 11, attributes before.
fn clip(l: &Lowering, n: &NodeInfo) -> Result<FuncKind, CompileError> {
    let bound = |i: usize, attr: &str, d: f32| -> Result<f32, CompileError> {
        if l.opset >= 11 {
            match l.opt_input(n, i)? {
                None => Ok(d),
                Some(Val::Const(c)) if c.data.len() == 1 => Ok(c.data[0] as f32),
                Some(_) => Err(n.err(format!("the {attr} bound must be a scalar constant"))),
            }
        } else {
            Ok(n.attr_float(attr, d))
        }
    };
    Ok(FuncKind::Clip {
        min: bound(1, "min", f32::MIN)?,
        max: bound(2, "max", f32::MAX)?,
    })
}

/// A constant input is evaluated; an activation gets the table.
fn func(l: &mut Lowering, n: &NodeInfo, f: FuncKind) -> Result<(), CompileError> {
    match l.input(n, 0)? {
        Val::Const(c) => l.set_output(
            n,
            Val::Const(ConstTensor {
                shape: c.shape,
                data: c.data.iter().map(|v| f.eval(*v)).collect(),
            }),
        ),
        Val::Act(x) => l.emit(n, &n.op, Op::Func(Func { f }), vec![x]).map(|_| ()),
    }
}

/// `celu(x, a) = a * elu(x / a, 1)`: two constant scalings around the Elu table.
fn celu(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let a = n.attr_float("alpha", 1.0);
    if a == 0.0 {
        return Err(n.err("alpha 0 divides by zero"));
    }
    let x = match l.input(n, 0)? {
        Val::Act(x) => x,
        Val::Const(_) => return Err(n.err("internal: a constant input is folded by tract")),
    };
    let scale = |m: f32| {
        Op::ConstAffine(ConstAffine {
            mul: vec![m],
            add: vec![0.0],
        })
    };
    let down = l.add(n, "scaled", scale(1.0 / a), vec![x])?;
    let elu = Func {
        f: FuncKind::Elu { alpha: 1.0 },
    };
    let e = l.add(n, "elu", Op::Func(elu), vec![down])?;
    l.emit(n, "Celu", scale(a), vec![e]).map(|_| ())
}

fn neg(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    match l.input(n, 0)? {
        Val::Const(c) => l.set_output(
            n,
            Val::Const(ConstTensor {
                shape: c.shape,
                data: c.data.iter().map(|v| -v).collect(),
            }),
        ),
        Val::Act(x) => {
            let op = ConstAffine {
                mul: vec![-1.0],
                add: vec![0.0],
            };
            l.emit(n, "Neg", Op::ConstAffine(op), vec![x]).map(|_| ())
        }
    }
}

fn prelu(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let Val::Act(x) = l.input(n, 0)? else {
        return Err(n.err("a constant input is not supported"));
    };
    let slope = l.const_input(n, 1, "the slope")?;
    let shape = l.shape(x);
    let s = match slope.broadcast_to(&shape) {
        Ok(s) => s,
        // older exporters give a per-channel slope of shape [C] (legacy broadcast on axis 1)
        Err(_) if slope.shape.len() == 1 && shape.get(1) == Some(&slope.data.len()) => {
            let inner: usize = shape[2..].iter().product();
            (0..shape.iter().product::<usize>())
                .map(|i| slope.data[(i / inner.max(1)) % slope.data.len()])
                .collect()
        }
        Err(e) => return Err(n.lower_err(e)),
    };
    if s.iter().all(|v| *v == s[0]) {
        let f = FuncKind::LeakyRelu { alpha: s[0] as f32 };
        return l
            .emit(n, "PRelu", Op::Func(Func { f }), vec![x])
            .map(|_| ());
    }
    // y = s*x + (1-s)*relu(x)
    let r = l.add(n, "relu", Op::Relu(Relu), vec![x])?;
    let scaled = |v: Vec<f64>| ConstAffine {
        mul: v.into_iter().map(|m| m as f32).collect(),
        add: vec![0.0],
    };
    let pos = l.add(
        n,
        "positive",
        Op::ConstAffine(scaled(s.iter().map(|v| 1.0 - v).collect())),
        vec![r],
    )?;
    let lin = l.add(n, "linear", Op::ConstAffine(scaled(s.clone())), vec![x])?;
    l.emit(
        n,
        "PRelu",
        Op::AddTensors(AddTensors { sign: 1 }),
        vec![lin, pos],
    )
    .map(|_| ())
}
