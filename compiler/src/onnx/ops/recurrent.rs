//! Recurrent nets (ONNX LSTM, GRU, RNN) unrolled over their fixed sequence length. Per direction the
//! input projection of every step is one `Dense` (W, with the biases), each step's recurrent product is a
//! `Dense` on the previous hidden state (R), gates are table functions of gathered slices, and the
//! element-wise state updates are `Binary` products and `AddTensors`. All directions (forward, reverse,
//! bidirectional), both layouts, `clip`, LSTM peepholes and `input_forget`, GRU `linear_before_reset` and
//! the activations of the spec with their alpha/beta are supported; `sequence_lens` must be a constant
//! equal to the sequence length for every batch element.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::{ConstTensor, Val};
use super::build::{gather, materialize};
use super::recurrent_cells::{run_direction, Cell, Direction, Net};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{ConstAffine, Func, Op, Relu, TensorId};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("LSTM", lstm);
    r.insert("GRU", gru);
    r.insert("RNN", rnn);
}

/// An activation of the spec, as one IR op.
fn activation_op(
    n: &NodeInfo,
    name: &str,
    alpha: &mut impl Iterator<Item = f32>,
    beta: &mut impl Iterator<Item = f32>,
) -> Result<Op, CompileError> {
    let func = |f| Ok(Op::Func(Func { f }));
    match name.to_ascii_lowercase().as_str() {
        "sigmoid" => func(FuncKind::Sigmoid),
        "tanh" => func(FuncKind::Tanh),
        "relu" => Ok(Op::Relu(Relu)),
        "softsign" => func(FuncKind::Softsign),
        "softplus" => func(FuncKind::Softplus),
        "hardsigmoid" => func(FuncKind::HardSigmoid {
            alpha: alpha.next().unwrap_or(0.2),
            beta: beta.next().unwrap_or(0.5),
        }),
        "leakyrelu" => func(FuncKind::LeakyRelu {
            alpha: alpha.next().unwrap_or(0.01),
        }),
        "elu" => func(FuncKind::Elu {
            alpha: alpha.next().unwrap_or(1.0),
        }),
        "affine" => Ok(Op::ConstAffine(ConstAffine {
            mul: vec![alpha.next().unwrap_or(1.0)],
            add: vec![beta.next().unwrap_or(0.0)],
        })),
        other => Err(n.err(format!(
            "activation {other} is not supported (Sigmoid, Tanh, Relu, Softsign, Softplus, HardSigmoid, \
             LeakyRelu, Elu, Affine are)"
        ))),
    }
}

fn lstm(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    recurrent(l, n, Cell::Lstm)
}
fn gru(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    recurrent(l, n, Cell::Gru)
}
fn rnn(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    recurrent(l, n, Cell::Rnn)
}

fn slice(c: &ConstTensor, d: usize) -> Vec<f32> {
    let per = c.data.len() / c.shape[0].max(1);
    c.data[d * per..(d + 1) * per]
        .iter()
        .map(|v| *v as f32)
        .collect()
}

fn strings(n: &NodeInfo, name: &str) -> Option<Vec<String>> {
    n.proto.attribute.iter().find(|a| a.name == name).map(|a| {
        a.strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).to_string())
            .collect()
    })
}

fn recurrent(l: &mut Lowering, n: &NodeInfo, cell: Cell) -> Result<(), CompileError> {
    let x = match l.input(n, 0)? {
        Val::Act(t) => t,
        Val::Const(_) => {
            return Err(n.err("internal: a constant input sequence is folded by tract"))
        }
    };
    let xs = l.shape(x);
    if xs.len() != 3 {
        return Err(n.err(format!(
            "the input sequence must have rank 3, it has shape {xs:?}"
        )));
    }
    let batch_first = n.attr_int("layout", 0) != 0;
    let (seq, batch, features) = if batch_first {
        (xs[1], xs[0], xs[2])
    } else {
        (xs[0], xs[1], xs[2])
    };
    if seq == 0 || batch == 0 {
        return Err(n.err(format!(
            "the input sequence of shape {xs:?} is empty (no time step or no batch element)"
        )));
    }
    let w = l.const_input(n, 1, "W")?;
    let r = l.const_input(n, 2, "R")?;
    let g = cell.gates();
    let dirs = w.shape.first().copied().unwrap_or(0);
    let h = match n.attr_int("hidden_size", 0) {
        0 => r.shape.get(2).copied().unwrap_or(0),
        v => v as usize,
    };
    if w.shape != [dirs, g * h, features] || r.shape != [dirs, g * h, h] || h == 0 {
        return Err(n.err(format!(
            "W {:?} and R {:?} do not fit {g} gates of hidden size {h} over {features} features",
            w.shape, r.shape
        )));
    }
    // `direction` is a string attribute (`s`), never a list of strings
    let direction = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "direction")
        .map_or_else(
            || "forward".to_string(),
            |a| String::from_utf8_lossy(&a.s).to_string(),
        );
    let reverse: Vec<bool> = match (direction.as_str(), dirs) {
        ("forward", 1) => vec![false],
        ("reverse", 1) => vec![true],
        ("bidirectional", 2) => vec![false, true],
        (d, k) => return Err(n.err(format!("direction {d} does not fit {k} weight directions"))),
    };
    if let Some(lens) = l.opt_input(n, 4)? {
        match lens {
            Val::Const(c) if c.data.iter().all(|v| *v as usize == seq) => {}
            _ => {
                return Err(n.err(
                    "sequence_lens must be a constant equal to the sequence length for every batch element",
                ))
            }
        }
    }
    let bias = match l.opt_input(n, 3)? {
        None => None,
        Some(Val::Const(c)) if c.shape == [dirs, 2 * g * h] => Some(c),
        Some(_) => {
            return Err(n.err("the bias B must be a constant of shape [directions, 2*gates*hidden]"))
        }
    };
    let peep = if cell == Cell::Lstm {
        match l.opt_input(n, 7)? {
            None => None,
            Some(Val::Const(c)) if c.shape == [dirs, 3 * h] => Some(c),
            Some(_) => {
                return Err(
                    n.err("the peepholes P must be a constant of shape [directions, 3*hidden]")
                )
            }
        }
    } else {
        None
    };
    let names = strings(n, "activations").unwrap_or_default();
    let per_dir = cell.default_activations().len();
    let mut alpha = n
        .attr_floats("activation_alpha")
        .unwrap_or_default()
        .into_iter();
    let mut beta = n
        .attr_floats("activation_beta")
        .unwrap_or_default()
        .into_iter();
    let clip = n.has_attr("clip").then(|| n.attr_float("clip", 0.0));
    let net = Net {
        cell,
        seq,
        batch,
        hidden: h,
        batch_first,
        clip,
        x,
    };
    let mut dir_specs = Vec::new();
    for (d, &rev) in reverse.iter().enumerate() {
        let acts = (0..per_dir)
            .map(|i| {
                let name = names
                    .get(d * per_dir + i)
                    .map_or(cell.default_activations()[i], String::as_str)
                    .to_string();
                activation_op(n, &name, &mut alpha, &mut beta)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let b = bias.as_ref().map(|b| slice(b, d));
        let (wb, rb) = match b {
            Some(b) => (b[..g * h].to_vec(), b[g * h..].to_vec()),
            None => (vec![0.0; g * h], vec![0.0; g * h]),
        };
        dir_specs.push(Direction {
            w: slice(&w, d),
            r: slice(&r, d),
            wb,
            rb,
            p: peep
                .as_ref()
                .map(|p| slice(p, d))
                .filter(|p| p.iter().any(|v| *v != 0.0)),
            acts,
            reverse: rev,
        });
    }
    let init_h = initial_states(l, n, &net, 5, dirs)?;
    let init_c = if cell == Cell::Lstm {
        initial_states(l, n, &net, 6, dirs)?
    } else {
        vec![None; dirs]
    };
    let lbr = n.attr_int("linear_before_reset", 0) != 0;
    let input_forget = n.attr_int("input_forget", 0) != 0;
    // hs[d][t], cs[d][t] by time index
    let mut hs = Vec::new();
    let mut cs = Vec::new();
    for (d, spec) in dir_specs.iter().enumerate() {
        let (hd, cd) = run_direction(l, n, &net, d, spec, init_h[d], init_c[d], lbr, input_forget)?;
        hs.push(hd);
        cs.push(cd);
    }
    outputs(l, n, &net, &reverse, &hs, &cs)
}

/// The initial state of each direction ([batch, H]); `None` where it is zero.
fn initial_states(
    l: &mut Lowering,
    n: &NodeInfo,
    net: &Net,
    input: usize,
    dirs: usize,
) -> Result<Vec<Option<TensorId>>, CompileError> {
    let (b, h) = (net.batch, net.hidden);
    let index = |d: usize, bi: usize, j: usize| {
        if net.batch_first {
            (bi * dirs + d) * h + j
        } else {
            (d * b + bi) * h + j
        }
    };
    let mut out = Vec::new();
    match l.opt_input(n, input)? {
        None => out.resize(dirs, None),
        Some(Val::Const(c)) => {
            if c.data.len() != dirs * b * h {
                return Err(n.err(format!("initial state {input} has shape {:?}", c.shape)));
            }
            for d in 0..dirs {
                let data: Vec<f64> = (0..b)
                    .flat_map(|bi| (0..h).map(move |j| (bi, j)))
                    .map(|(bi, j)| c.data[index(d, bi, j)])
                    .collect();
                if data.iter().all(|v| *v == 0.0) {
                    out.push(None);
                } else {
                    let k = ConstTensor {
                        shape: vec![b, h],
                        data,
                    };
                    out.push(Some(materialize(
                        l,
                        n,
                        &format!("init{input}.{d}"),
                        net.x,
                        &k,
                    )?));
                }
            }
        }
        Some(Val::Act(t)) => {
            for d in 0..dirs {
                let map = (0..b)
                    .flat_map(|bi| (0..h).map(move |j| (bi, j)))
                    .map(|(bi, j)| Some(index(d, bi, j) as u32))
                    .collect();
                out.push(Some(gather(
                    l,
                    n,
                    &format!("init{input}.{d}"),
                    vec![t],
                    vec![b, h],
                    map,
                    0.0,
                )?));
            }
        }
    }
    Ok(out)
}

/// Y ([seq, dirs, batch, H], or [batch, seq, dirs, H] in layout 1), Y_h and Y_c ([dirs, batch, H], or
/// [batch, dirs, H]).
fn outputs(
    l: &mut Lowering,
    n: &NodeInfo,
    net: &Net,
    reverse: &[bool],
    hs: &[Vec<TensorId>],
    cs: &[Vec<Option<TensorId>>],
) -> Result<(), CompileError> {
    let (seq, b, h, dirs) = (net.seq, net.batch, net.hidden, hs.len());
    let named = |i: usize| n.proto.output.get(i).is_some_and(|s| !s.is_empty());
    if named(0) {
        let inputs: Vec<TensorId> = hs.iter().flatten().copied().collect();
        let (shape, map) = if net.batch_first {
            let shape = vec![b, seq, dirs, h];
            let map = (0..b)
                .flat_map(|bi| {
                    (0..seq).flat_map(move |t| {
                        (0..dirs).flat_map(move |d| (0..h).map(move |j| (bi, t, d, j)))
                    })
                })
                .map(|(bi, t, d, j)| Some((((d * seq + t) * b + bi) * h + j) as u32))
                .collect();
            (shape, map)
        } else {
            let shape = vec![seq, dirs, b, h];
            let map = (0..seq)
                .flat_map(|t| {
                    (0..dirs).flat_map(move |d| {
                        (0..b).flat_map(move |bi| (0..h).map(move |j| (bi, t, d, j)))
                    })
                })
                .map(|(bi, t, d, j)| Some((((d * seq + t) * b + bi) * h + j) as u32))
                .collect();
            (shape, map)
        };
        let op = Op::Gather(zkinfer_circuits::graph::Gather {
            out_shape: shape,
            map,
            fill: 0.0,
        });
        l.emit(n, &n.op, op, inputs)?;
    }
    // the state after the last step a direction takes
    let last = |d: usize| if reverse[d] { 0 } else { seq - 1 };
    let states = || -> (Vec<usize>, Vec<Option<u32>>) {
        if net.batch_first {
            let map = (0..b)
                .flat_map(|bi| {
                    (0..dirs)
                        .flat_map(move |d| (0..h).map(move |j| Some(((d * b + bi) * h + j) as u32)))
                })
                .collect();
            (vec![b, dirs, h], map)
        } else {
            (
                (vec![dirs, b, h]),
                (0..dirs * b * h).map(|i| Some(i as u32)).collect(),
            )
        }
    };
    if named(1) {
        let finals: Vec<TensorId> = (0..dirs).map(|d| hs[d][last(d)]).collect();
        let (shape, map) = states();
        let t = gather(l, n, "Y_h", finals, shape, map, 0.0)?;
        l.set_output_at(n, 1, Val::Act(t))?;
    }
    if named(2) && net.cell == Cell::Lstm {
        let finals: Vec<TensorId> = (0..dirs)
            .map(|d| cs[d][last(d)].ok_or_else(|| n.err("no cell state")))
            .collect::<Result<_, _>>()?;
        let (shape, map) = states();
        let t = gather(l, n, "Y_c", finals, shape, map, 0.0)?;
        l.set_output_at(n, 2, Val::Act(t))?;
    }
    Ok(())
}
