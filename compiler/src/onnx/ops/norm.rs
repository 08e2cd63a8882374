//! Normalisation: BatchNormalization (inference) is a per-channel affine, folded into a preceding
//! convolution or dense layer where possible; InstanceNormalization and LayerNormalization compute mean
//! and variance in the circuit (sums, products, an `rsqrt` table); LRN divides by a power of the sum of
//! squares over a window of channels (a product, a window sum, a `pow` table, a product).

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::build::reduce_sum;
use super::index::axis;
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    AddTensors, Binary, BinaryKind, ConstAffine, Func, Linear, Matrix, Op, Position, TensorId,
};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("BatchNormalization", batch_norm);
    r.insert("InstanceNormalization", instance_norm);
    r.insert("LayerNormalization", layer_norm);
    r.insert("LRN", lrn);
}

/// A per-channel vector (axis 1) broadcast to every element of `shape`.
fn per_channel(v: &[f64], shape: &[usize]) -> Vec<f32> {
    let inner: usize = shape.iter().skip(2).product();
    let c = shape.get(1).copied().unwrap_or(1);
    (0..shape.iter().product::<usize>())
        .map(|i| v[(i / inner.max(1)) % c.max(1)] as f32)
        .collect()
}

fn batch_norm(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    if n.proto.output.iter().skip(1).any(|o| !o.is_empty()) || n.attr_int("training_mode", 0) != 0 {
        return Err(n.err("training mode (running statistics outputs) is not supported"));
    }
    let x = l.input(n, 0)?;
    let shape = match &x {
        Val::Act(t) => l.shape(*t),
        Val::Const(c) => c.shape.clone(),
    };
    let c = *shape
        .get(1)
        .ok_or_else(|| n.err("the input has no channel axis"))?;
    let eps = n.attr_float("epsilon", 1e-5) as f64;
    let [scale, bias, mean, var] = [1, 2, 3, 4].map(|i| l.const_input(n, i, "a statistic"));
    let (scale, bias, mean, var) = (scale?, bias?, mean?, var?);
    for t in [&scale, &bias, &mean, &var] {
        if t.data.len() != c {
            return Err(n.err(format!("statistics must have {c} values, one per channel")));
        }
    }
    let mul: Vec<f64> = (0..c)
        .map(|i| scale.data[i] / (var.data[i] + eps).sqrt())
        .collect();
    let add: Vec<f64> = (0..c)
        .map(|i| bias.data[i] - mean.data[i] * mul[i])
        .collect();
    match x {
        Val::Const(t) => {
            let (m, a) = (per_channel(&mul, &shape), per_channel(&add, &shape));
            let data = t
                .data
                .iter()
                .enumerate()
                .map(|(i, v)| v * m[i] as f64 + a[i] as f64)
                .collect();
            l.set_output(n, Val::Const(ConstTensor { shape, data }))
        }
        Val::Act(t) => {
            let op = ConstAffine {
                mul: per_channel(&mul, &shape),
                add: per_channel(&add, &shape),
            };
            l.emit(n, "BatchNormalization", Op::ConstAffine(op), vec![t])
                .map(|_| ())
        }
    }
}

/// `(x - mean) / sqrt(var + eps)` over `axes` (kept as size-1 axes for broadcasting).
fn normalise(
    l: &mut Lowering,
    n: &NodeInfo,
    x: TensorId,
    axes: &[usize],
    eps: f32,
) -> Result<TensorId, CompileError> {
    let mean = reduce_sum(l, n, x, axes, true, true)?;
    let mean = l.add(n, "mean", Op::Linear(mean), vec![x])?;
    let d = l.add(
        n,
        "centred",
        Op::AddTensors(AddTensors { sign: -1 }),
        vec![x, mean],
    )?;
    let sq = l.add(
        n,
        "squared",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
        }),
        vec![d, d],
    )?;
    let var = reduce_sum(l, n, sq, axes, true, true)?;
    let var = l.add(n, "variance", Op::Linear(var), vec![sq])?;
    let rstd = l.add(
        n,
        "rstd",
        Op::Func(Func {
            f: FuncKind::Rsqrt { eps },
        }),
        vec![var],
    )?;
    l.add(
        n,
        "normalised",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
        }),
        vec![d, rstd],
    )
}

fn act(l: &Lowering, n: &NodeInfo) -> Result<TensorId, CompileError> {
    match l.input(n, 0)? {
        Val::Act(t) => Ok(t),
        Val::Const(_) => Err(n.err("a constant input is not supported")),
    }
}

fn instance_norm(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = act(l, n)?;
    let shape = l.shape(x);
    if shape.len() < 3 {
        return Err(n.err(format!("input {shape:?} must be [N, C, spatial...]")));
    }
    let c = shape[1];
    let (scale, bias) = (
        l.const_input(n, 1, "the scale")?,
        l.const_input(n, 2, "the bias")?,
    );
    if scale.data.len() != c || bias.data.len() != c {
        return Err(n.err(format!("scale and bias need {c} values")));
    }
    let axes: Vec<usize> = (2..shape.len()).collect();
    let y = normalise(l, n, x, &axes, n.attr_float("epsilon", 1e-5))?;
    let op = ConstAffine {
        mul: per_channel(&scale.data, &shape),
        add: per_channel(&bias.data, &shape),
    };
    l.emit(n, "InstanceNormalization", Op::ConstAffine(op), vec![y])
        .map(|_| ())
}

fn layer_norm(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = act(l, n)?;
    let shape = l.shape(x);
    if n.proto.output.iter().skip(1).any(|o| !o.is_empty()) {
        return Err(n.err("the Mean and InvStdDev outputs are not supported"));
    }
    let a = axis(n.attr_int("axis", -1), shape.len()).map_err(|e| n.lower_err(e))?;
    let axes: Vec<usize> = (a..shape.len()).collect();
    let y = normalise(l, n, x, &axes, n.attr_float("epsilon", 1e-5))?;
    let scale = l.const_input(n, 1, "the scale")?;
    let bias = match l.opt_input(n, 2)? {
        None => ConstTensor::scalar(0.0),
        Some(Val::Const(b)) => b,
        Some(Val::Act(_)) => return Err(n.err("the bias must be a constant")),
    };
    let mul = scale.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
    let add = bias.broadcast_to(&shape).map_err(|e| n.lower_err(e))?;
    let op = ConstAffine {
        mul: mul.into_iter().map(|v| v as f32).collect(),
        add: add.into_iter().map(|v| v as f32).collect(),
    };
    l.emit(n, "LayerNormalization", Op::ConstAffine(op), vec![y])
        .map(|_| ())
}

/// Local response normalisation: `y = x * (bias + alpha/size * sum of x^2 over the channels
/// c - floor((size-1)/2) ..= c + ceil((size-1)/2))^-beta`, as `x*x` (a product), the window sum with
/// `alpha/size` and `bias` (a `Linear`), the `pow` table of `-beta`, and a product with `x`.
fn lrn(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let x = act(l, n)?;
    let shape = l.shape(x);
    if shape.len() < 2 {
        return Err(n.err(format!(
            "needs a channel axis, the input has shape {shape:?}"
        )));
    }
    let size = n.attr_int("size", 0);
    if size <= 0 {
        return Err(n.err(format!("size {size} must be positive")));
    }
    let size = size as usize;
    let alpha = n.attr_float("alpha", 1e-4);
    let beta = n.attr_float("beta", 0.75);
    let bias = n.attr_float("bias", 1.0);
    let (c, inner) = (shape[1], shape[2..].iter().product::<usize>());
    let (below, above) = ((size - 1) / 2, size / 2);
    let mul = Op::Binary(Binary {
        kind: BinaryKind::Mul,
    });
    let squares = l.add(n, "squares", mul.clone(), vec![x, x])?;
    let total: usize = shape.iter().product();
    let positions = (0..total)
        .map(|o| {
            let (ch, rest) = ((o / inner) % c, o % inner);
            let base = o - ch * inner - rest;
            let patch = (0..size)
                .map(|k| {
                    let cc = (ch + k).checked_sub(below).filter(|&cc| cc < c);
                    cc.map(|cc| (base + cc * inner + rest) as u32)
                })
                .collect();
            Position {
                patch,
                matrix: 0,
                outs: vec![o as u32],
            }
        })
        .collect();
    debug_assert_eq!(below + above + 1, size);
    let window = Linear {
        out_shape: shape.clone(),
        matrices: vec![Matrix {
            outs: 1,
            taps: size,
            w: vec![alpha / size as f32; size],
        }],
        positions,
        bias: vec![bias; total],
    };
    let sums = l.add(n, "window_sum", Op::Linear(window), vec![squares])?;
    let f = Func {
        f: FuncKind::Pow { p: -beta },
    };
    let scale = l.add(n, "scale", Op::Func(f), vec![sums])?;
    l.emit(n, "LRN", mul, vec![x, scale]).map(|_| ())
}
