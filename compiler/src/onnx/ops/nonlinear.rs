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

pub(super) fn register(r: &mut Registry) {
    for op in [
        "Sigmoid",
        "Tanh",
        "Exp",
        "Log",
        "Sqrt",
        "Reciprocal",
        "Erf",
        "Gelu",
        "Softplus",
        "Softsign",
        "Elu",
        "Selu",
        "LeakyRelu",
        "HardSigmoid",
        "HardSwish",
        "Abs",
        "Sign",
        "Clip",
        "Shrink",
        "Sin",
        "Cos",
        "Floor",
        "Ceil",
        "Round",
        "Tan",
        "Asin",
        "Acos",
        "Atan",
    ] {
        r.insert(op, func);
    }
    r.insert("Neg", neg);
    r.insert("Celu", celu);
    r.insert("PRelu", prelu);
}

/// The function of a node, with its attributes.
fn kind(l: &Lowering, n: &NodeInfo) -> Result<FuncKind, CompileError> {
    let f = |name: &str, d: f32| n.attr_float(name, d);
    Ok(match n.op.as_str() {
        "Sigmoid" => FuncKind::Sigmoid,
        "Tanh" => FuncKind::Tanh,
        "Exp" => FuncKind::Exp,
        "Log" => FuncKind::Log,
        "Sqrt" => FuncKind::Sqrt,
        "Reciprocal" => FuncKind::Reciprocal,
        "Erf" => FuncKind::Erf,
        "Gelu" => {
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
        "Softplus" => FuncKind::Softplus,
        "Softsign" => FuncKind::Softsign,
        "Elu" => FuncKind::Elu {
            alpha: f("alpha", 1.0),
        },
        "Selu" => FuncKind::Selu {
            alpha: f("alpha", 1.673_263_2),
            gamma: f("gamma", 1.050_701),
        },
        "LeakyRelu" => FuncKind::LeakyRelu {
            alpha: f("alpha", 0.01),
        },
        "HardSigmoid" => FuncKind::HardSigmoid {
            alpha: f("alpha", 0.2),
            beta: f("beta", 0.5),
        },
        "HardSwish" => FuncKind::HardSwish,
        "Abs" => FuncKind::Abs,
        "Sign" => FuncKind::Sign,
        "Shrink" => FuncKind::Shrink {
            bias: f("bias", 0.0),
            lambd: f("lambd", 0.5),
        },
        "Sin" => FuncKind::Sin,
        "Cos" => FuncKind::Cos,
        "Tan" => FuncKind::Tan,
        "Asin" => FuncKind::Asin,
        "Acos" => FuncKind::Acos,
        "Atan" => FuncKind::Atan,
        "Floor" => FuncKind::Floor,
        "Ceil" => FuncKind::Ceil,
        "Round" => FuncKind::Round,
        "Clip" => {
            let bound = |i: usize, attr: &str, d: f32| -> Result<f32, CompileError> {
                if l.opset >= 11 {
                    match l.opt_input(n, i)? {
                        None => Ok(d),
                        Some(Val::Const(c)) if c.data.len() == 1 => Ok(c.data[0] as f32),
                        Some(_) => {
                            Err(n.err(format!("the {attr} bound must be a scalar constant")))
                        }
                    }
                } else {
                    Ok(n.attr_float(attr, d))
                }
            };
            FuncKind::Clip {
                min: bound(1, "min", f32::MIN)?,
                max: bound(2, "max", f32::MAX)?,
            }
        }
        other => return Err(n.err(format!("internal: {other} is not a table function"))),
    })
}

fn func(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let f = kind(l, n)?;
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
