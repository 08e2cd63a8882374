//! Element-wise arithmetic: Add, Sub, Mul, Div with numpy broadcasting. With a constant operand they become
//! one `ConstAffine` (later folded into a preceding dense layer where it is per-feature); between two
//! activations Add and Sub become `AddTensors`.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{AddTensors, Binary, BinaryKind, ConstAffine, Func, Op, TensorId};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("Add", add);
    r.insert("Sub", sub);
    r.insert("Mul", mul);
    r.insert("Div", div);
    r.insert("Sum", sum);
    r.insert("Mean", mean);
    r.insert("Max", max);
    r.insert("Min", min);
    r.insert("Pow", pow);
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Add,
    Sub,
    Mul,
    Div,
}

fn add(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Add)
}
fn sub(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Sub)
}
fn mul(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    binary(l, n, Kind::Mul)
}
/// Div; between integers (an integer activation: ONNX gives both operands one type) the quotient is
/// truncated toward zero, as ONNX's integer Div does: `sign(q) * floor(|q| + δ)` of the real quotient `q`,
/// where `δ = 1 / (2 max|c|)` absorbs the fixed-point error (an exact quotient's fraction is 0 or at least
/// `1 / |c|`). The divisor must then be a constant.
fn div(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let integral = [0, 1]
        .into_iter()
        .any(|i| matches!(l.input(n, i), Ok(Val::Act(t)) if l.is_integral(t)));
    if !integral {
        return binary(l, n, Kind::Div);
    }
    let Val::Const(c) = l.input(n, 1)? else {
        return Err(n.err(
            "an integer Div by a divisor computed from the input is not supported (a constant divisor is)",
        ));
    };
    let max = c.data.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max < 1.0 {
        return Err(n.err("an integer Div by zero"));
    }
    binary(l, n, Kind::Div)?;
    let Val::Act(q) = l.output_value(n)? else {
        return Ok(());
    };
    let f = |f| Op::Func(Func { f });
    let abs = l.add(n, "abs", f(FuncKind::Abs), vec![q])?;
    let nudge = Op::ConstAffine(ConstAffine {
        mul: vec![1.0],
        add: vec![(0.5 / max) as f32],
    });
    let abs = l.add(n, "abs_nudged", nudge, vec![abs])?;
    let floor = l.add(n, "floor", f(FuncKind::Floor), vec![abs])?;
    let sign = l.add(n, "sign", f(FuncKind::Sign), vec![q])?;
    let mul = Op::Binary(Binary {
        kind: BinaryKind::Mul,
    });
    let t = l.add(n, "truncated", mul, vec![sign, floor])?;
    l.mark_integral(t);
    l.alias_output(n, t)
}

fn compact(v: Vec<f64>) -> Vec<f32> {
    if v.iter().all(|x| *x == v[0]) {
        vec![v[0] as f32]
    } else {
        v.into_iter().map(|x| x as f32).collect()
    }
}

fn binary(l: &mut Lowering, n: &NodeInfo, kind: Kind) -> Result<(), CompileError> {
    let (a, b) = (l.input(n, 0)?, l.input(n, 1)?);
    match (a, b) {
        (Val::Const(a), Val::Const(b)) => {
            let f = |x: f64, y: f64| match kind {
                Kind::Add => x + y,
                Kind::Sub => x - y,
                Kind::Mul => x * y,
                Kind::Div => x / y,
            };
            let c = a.zip(&b, f).map_err(|e| n.lower_err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(c)) => affine(l, n, kind, x, &c, false),
        (Val::Const(c), Val::Act(x)) => affine(l, n, kind, x, &c, true),
        (Val::Act(x), Val::Act(y)) => match kind {
            Kind::Add | Kind::Sub => {
                let sign = if kind == Kind::Add { 1 } else { -1 };
                l.emit(n, &n.op, Op::AddTensors(AddTensors { sign }), vec![x, y])
                    .map(|_| ())
            }
            Kind::Mul => l
                .emit(
                    n,
                    "Mul",
                    Op::Binary(Binary {
                        kind: BinaryKind::Mul,
                    }),
                    vec![x, y],
                )
                .map(|_| ()),
            Kind::Div => {
                let f = Func {
                    f: FuncKind::Reciprocal,
                };
                let inv = l.add(n, "reciprocal", Op::Func(f), vec![y])?;
                l.emit(
                    n,
                    "Div",
                    Op::Binary(Binary {
                        kind: BinaryKind::Mul,
                    }),
                    vec![x, inv],
                )
                .map(|_| ())
            }
        },
    }
}

/// `x (op) c`, or `c (op) x` when `const_first`.
fn affine(
    l: &mut Lowering,
    n: &NodeInfo,
    kind: Kind,
    x: usize,
    c: &ConstTensor,
    const_first: bool,
) -> Result<(), CompileError> {
    let shape = l.shape(x);
    let cv = c.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
    let ones = vec![1.0; cv.len()];
    let zeros = vec![0.0; cv.len()];
    let (mul, add) = match (kind, const_first) {
        (Kind::Add, _) => (ones, cv),
        (Kind::Sub, false) => (ones, cv.iter().map(|v| -v).collect()),
        (Kind::Sub, true) => (vec![-1.0; cv.len()], cv),
        (Kind::Mul, _) => (cv, zeros),
        (Kind::Div, false) => {
            if cv.contains(&0.0) {
                return Err(n.err("division by a constant zero"));
            }
            (cv.iter().map(|v| 1.0 / v).collect(), zeros)
        }
        (Kind::Div, true) => {
            // c / x = c * (1 / x): a reciprocal table, then the constant factor
            let f = Func {
                f: FuncKind::Reciprocal,
            };
            let inv = l.add(n, "reciprocal", Op::Func(f), vec![x])?;
            let op = ConstAffine {
                mul: compact(cv),
                add: vec![0.0],
            };
            return l.emit(n, "Div", Op::ConstAffine(op), vec![inv]).map(|_| ());
        }
    };
    let op = ConstAffine {
        mul: compact(mul),
        add: compact(add),
    };
    l.emit(n, &n.op, Op::ConstAffine(op), vec![x]).map(|_| ())
}

/// Variadic Sum, Mean, Max, Min: a chain of binary nodes (constants folded first).
fn variadic(
    l: &mut Lowering,
    n: &NodeInfo,
    kind: Kind,
    minmax: Option<BinaryKind>,
) -> Result<(), CompileError> {
    let count = l.input_count(n);
    if count == 0 {
        return Err(n.err("needs at least one input"));
    }
    let vals: Vec<Val> = (0..count)
        .map(|i| l.input(n, i))
        .collect::<Result<_, _>>()?;
    let fold = |a: f64, b: f64| match minmax {
        Some(BinaryKind::Max) => a.max(b),
        Some(BinaryKind::Min) => a.min(b),
        _ => a + b,
    };
    let mut acc: Option<Val> = None;
    for (i, v) in vals.into_iter().enumerate() {
        acc = Some(match (acc, v) {
            (None, v) => v,
            (Some(Val::Const(a)), Val::Const(b)) => {
                Val::Const(a.zip(&b, fold).map_err(|e| n.lower_err(e))?)
            }
            (Some(Val::Act(a)), Val::Act(b)) => {
                let op = match minmax {
                    Some(k) => Op::Binary(Binary { kind: k }),
                    None => Op::AddTensors(AddTensors { sign: 1 }),
                };
                Val::Act(l.add(n, &format!("step{i}"), op, vec![a, b])?)
            }
            (Some(a), b) => {
                let (t, c): (TensorId, ConstTensor) = match (a, b) {
                    (Val::Act(t), Val::Const(c)) | (Val::Const(c), Val::Act(t)) => (t, c),
                    _ => unreachable!(),
                };
                let shape = l.shape(t);
                let cv = c.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
                let op = match minmax {
                    None => Op::ConstAffine(ConstAffine {
                        mul: vec![1.0],
                        add: compact(cv),
                    }),
                    Some(k) => {
                        if !cv.iter().all(|v| *v == cv[0]) {
                            return Err(
                                n.err("max/min with a non-uniform constant is not supported")
                            );
                        }
                        let (lo, hi) = if k == BinaryKind::Max {
                            (cv[0] as f32, f32::MAX)
                        } else {
                            (f32::MIN, cv[0] as f32)
                        };
                        Op::Func(Func {
                            f: FuncKind::Clip { min: lo, max: hi },
                        })
                    }
                };
                Val::Act(l.add(n, &format!("step{i}"), op, vec![t])?)
            }
        });
    }
    let mut out = acc.expect("at least one input");
    if kind == Kind::Div {
        // Mean: divide by the count
        out = match out {
            Val::Const(c) => Val::Const(ConstTensor {
                shape: c.shape,
                data: c.data.iter().map(|v| v / count as f64).collect(),
            }),
            Val::Act(t) => {
                let op = ConstAffine {
                    mul: vec![1.0 / count as f32],
                    add: vec![0.0],
                };
                Val::Act(l.add(n, "mean", Op::ConstAffine(op), vec![t])?)
            }
        };
    }
    l.set_output(n, out)
}

fn sum(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    variadic(l, n, Kind::Add, None)
}
fn mean(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    variadic(l, n, Kind::Div, None)
}
fn max(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    variadic(l, n, Kind::Add, Some(BinaryKind::Max))
}
fn min(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    variadic(l, n, Kind::Add, Some(BinaryKind::Min))
}

/// `x ^ p` for a scalar constant exponent: `x * x` for 2, else a table. Otherwise `exp(y * ln x)`
/// (tables and a product), defined for a positive base.
fn pow(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    match (l.input(n, 0)?, l.input(n, 1)?) {
        (Val::Const(a), Val::Const(b)) => {
            let c = a.zip(&b, f64::powf).map_err(|e| n.lower_err(e))?;
            l.set_output(n, Val::Const(c))
        }
        (Val::Act(x), Val::Const(p)) if p.data.len() == 1 => {
            let p = p.data[0];
            if p == 1.0 {
                return l.set_output(n, Val::Act(x));
            }
            if p == 2.0 {
                return l
                    .emit(
                        n,
                        "Pow",
                        Op::Binary(Binary {
                            kind: BinaryKind::Mul,
                        }),
                        vec![x, x],
                    )
                    .map(|_| ());
            }
            let f = Func {
                f: FuncKind::Pow { p: p as f32 },
            };
            l.emit(n, "Pow", Op::Func(f), vec![x]).map(|_| ())
        }
        (Val::Act(x), Val::Act(y)) => {
            // x^y = exp(y * ln x) for x > 0; the log table has no row for x <= 0, so such an input has
            // no proof (its witness fails on the node's `ln` table)
            let ln = l.add(n, "ln", Op::Func(Func { f: FuncKind::Log }), vec![x])?;
            let mul = Op::Binary(Binary {
                kind: BinaryKind::Mul,
            });
            let e = l.add(n, "y_ln_x", mul, vec![y, ln])?;
            l.emit(n, "Pow", Op::Func(Func { f: FuncKind::Exp }), vec![e])
                .map(|_| ())
        }
        (Val::Act(x), Val::Const(p)) => {
            // per-element exponents: exp(p * ln x), x > 0
            let ln = l.add(n, "ln", Op::Func(Func { f: FuncKind::Log }), vec![x])?;
            let shape = l.shape(ln);
            let mul = p.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
            let op = Op::ConstAffine(ConstAffine {
                mul: mul.iter().map(|v| *v as f32).collect(),
                add: vec![0.0],
            });
            let e = l.add(n, "p_ln_x", op, vec![ln])?;
            l.emit(n, "Pow", Op::Func(Func { f: FuncKind::Exp }), vec![e])
                .map(|_| ())
        }
        (Val::Const(c), Val::Act(y)) => {
            // c^y = exp(y * ln c) for a positive base
            if let Some(v) = c
                .data
                .iter()
                .find(|v| v.partial_cmp(&&0.0) != Some(std::cmp::Ordering::Greater))
            {
                return Err(n.err(format!(
                    "a constant base with a computed exponent must be positive (it holds {v})"
                )));
            }
            let shape = l.shape(y);
            let ln_c = c.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
            let op = Op::ConstAffine(ConstAffine {
                mul: ln_c.iter().map(|v| v.ln() as f32).collect(),
                add: vec![0.0],
            });
            let e = l.add(n, "y_ln_c", op, vec![y])?;
            l.emit(n, "Pow", Op::Func(Func { f: FuncKind::Exp }), vec![e])
                .map(|_| ())
        }
    }
}
