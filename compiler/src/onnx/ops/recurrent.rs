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
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    AddTensors, Binary, BinaryKind, ConstAffine, Dense, Func, Op, Relu, TensorId,
};
use zkinfer_circuits::tables::FuncKind;

pub(super) fn register(r: &mut Registry) {
    r.insert("LSTM", lstm);
    r.insert("GRU", gru);
    r.insert("RNN", rnn);
}

#[derive(Clone, Copy, PartialEq)]
enum Cell {
    Lstm,
    Gru,
    Rnn,
}

impl Cell {
    fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
            Cell::Rnn => 1,
        }
    }
    fn default_activations(self) -> &'static [&'static str] {
        match self {
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
            Cell::Gru => &["Sigmoid", "Tanh"],
            Cell::Rnn => &["Tanh"],
        }
    }
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

/// What one direction of the net computes with.
struct Direction {
    /// [gates*H][I], row-major (Dense's layout).
    w: Vec<f32>,
    /// [gates*H][H].
    r: Vec<f32>,
    /// Input and recurrent biases, [gates*H] each.
    wb: Vec<f32>,
    rb: Vec<f32>,
    /// LSTM peepholes i, o, f ([3*H]).
    p: Option<Vec<f32>>,
    acts: Vec<Op>,
    reverse: bool,
}

struct Net {
    cell: Cell,
    seq: usize,
    batch: usize,
    hidden: usize,
    batch_first: bool,
    clip: Option<f32>,
    x: TensorId,
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
    let direction =
        strings(n, "direction").map_or_else(|| "forward".to_string(), |mut s| s.remove(0));
    let direction = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "direction")
        .map_or(direction, |a| String::from_utf8_lossy(&a.s).to_string());
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

/// Small builders over one node.
struct B<'a, 'b> {
    l: &'a mut Lowering,
    n: &'a NodeInfo<'b>,
    d: usize,
    batch: usize,
    hidden: usize,
}

impl B<'_, '_> {
    fn add(
        &mut self,
        what: &str,
        t: usize,
        op: Op,
        inputs: Vec<TensorId>,
    ) -> Result<TensorId, CompileError> {
        let what = format!("d{}.t{t}.{what}", self.d);
        self.l.add(self.n, &what, op, inputs)
    }
    fn mul(
        &mut self,
        what: &str,
        t: usize,
        a: TensorId,
        b: TensorId,
    ) -> Result<TensorId, CompileError> {
        self.add(
            what,
            t,
            Op::Binary(Binary {
                kind: BinaryKind::Mul,
            }),
            vec![a, b],
        )
    }
    fn sum(
        &mut self,
        what: &str,
        t: usize,
        a: TensorId,
        b: TensorId,
        sign: i8,
    ) -> Result<TensorId, CompileError> {
        self.add(what, t, Op::AddTensors(AddTensors { sign }), vec![a, b])
    }
    fn affine(
        &mut self,
        what: &str,
        t: usize,
        x: TensorId,
        mul: Vec<f32>,
        add: Vec<f32>,
    ) -> Result<TensorId, CompileError> {
        self.add(what, t, Op::ConstAffine(ConstAffine { mul, add }), vec![x])
    }
    /// Gate `k` (of `width` hidden-sized gates) of a [batch, width*H] tensor.
    fn gate(
        &mut self,
        what: &str,
        t: usize,
        x: TensorId,
        k: usize,
        width: usize,
    ) -> Result<TensorId, CompileError> {
        let (b, h) = (self.batch, self.hidden);
        let map = (0..b)
            .flat_map(|bi| (0..h).map(move |j| Some((bi * width * h + k * h + j) as u32)))
            .collect();
        let what = format!("d{}.t{t}.{what}", self.d);
        gather(self.l, self.n, &what, vec![x], vec![b, h], map, 0.0)
    }
    fn dense(
        &mut self,
        what: &str,
        t: usize,
        x: TensorId,
        w: &[f32],
        bias: Vec<f32>,
        inputs: usize,
    ) -> Result<TensorId, CompileError> {
        let op = Op::Dense(Dense {
            in_features: inputs,
            out_features: bias.len(),
            weight: w.to_vec(),
            bias,
        });
        self.add(what, t, op, vec![x])
    }
    /// Clip (when set) then the activation.
    fn act(
        &mut self,
        what: &str,
        t: usize,
        x: TensorId,
        op: &Op,
        clip: Option<f32>,
    ) -> Result<TensorId, CompileError> {
        let x = match clip {
            Some(c) => self.add(
                &format!("{what}.clip"),
                t,
                Op::Func(Func {
                    f: FuncKind::Clip { min: -c, max: c },
                }),
                vec![x],
            )?,
            None => x,
        };
        self.add(what, t, op.clone(), vec![x])
    }
    /// Per-element multipliers of a [batch, H] tensor from a [H] vector.
    fn per_batch(&self, v: &[f32]) -> Vec<f32> {
        (0..self.batch).flat_map(|_| v.iter().copied()).collect()
    }
}

#[allow(clippy::too_many_arguments)]
fn run_direction(
    l: &mut Lowering,
    n: &NodeInfo,
    net: &Net,
    d: usize,
    spec: &Direction,
    mut h_prev: Option<TensorId>,
    mut c_prev: Option<TensorId>,
    lbr: bool,
    input_forget: bool,
) -> Result<(Vec<TensorId>, Vec<Option<TensorId>>), CompileError> {
    let (g, h, b, seq) = (net.cell.gates(), net.hidden, net.batch, net.seq);
    let features = l.shape(net.x)[2];
    // the input projection of every step; GRU with linear_before_reset keeps Rbh for the reset product
    let mut bias: Vec<f32> = spec.wb.iter().zip(&spec.rb).map(|(a, c)| a + c).collect();
    if net.cell == Cell::Gru && lbr {
        bias[2 * h..].copy_from_slice(&spec.wb[2 * h..]);
    }
    let mut s = B {
        l,
        n,
        d,
        batch: b,
        hidden: h,
    };
    let proj_op = Op::Dense(Dense {
        in_features: features,
        out_features: g * h,
        weight: spec.w.clone(),
        bias,
    });
    let proj =
        s.l.add(n, &format!("d{d}.projection"), proj_op, vec![net.x])?;
    let mut hs = vec![None; seq];
    let mut cs = vec![None; seq];
    let steps: Vec<usize> = if spec.reverse {
        (0..seq).rev().collect()
    } else {
        (0..seq).collect()
    };
    for t in steps {
        // this step's projection, [batch, g*H]
        let map = (0..b)
            .flat_map(|bi| (0..g * h).map(move |j| (bi, j)))
            .map(|(bi, j)| {
                let row = if net.batch_first {
                    bi * seq + t
                } else {
                    t * b + bi
                };
                Some((row * g * h + j) as u32)
            })
            .collect();
        let xt = gather(
            s.l,
            n,
            &format!("d{d}.t{t}.x"),
            vec![proj],
            vec![b, g * h],
            map,
            0.0,
        )?;
        let (hn, cn) = match net.cell {
            Cell::Rnn => {
                let pre = match h_prev {
                    Some(hp) => {
                        let rec = s.dense("rec", t, hp, &spec.r, vec![0.0; h], h)?;
                        s.sum("pre", t, xt, rec, 1)?
                    }
                    None => xt,
                };
                (s.act("h", t, pre, &spec.acts[0], net.clip)?, None)
            }
            Cell::Lstm => {
                let pre = match h_prev {
                    Some(hp) => {
                        let rec = s.dense("rec", t, hp, &spec.r, vec![0.0; g * h], h)?;
                        s.sum("pre", t, xt, rec, 1)?
                    }
                    None => xt,
                };
                let (f, gg, hh) = (&spec.acts[0], &spec.acts[1], &spec.acts[2]);
                // gates in ONNX order i, o, f, c; peepholes in order i, o, f
                let peep = |s: &mut B,
                            what: &str,
                            pre: TensorId,
                            k: usize,
                            c: Option<TensorId>|
                 -> Result<TensorId, CompileError> {
                    match (&spec.p, c) {
                        (Some(p), Some(c)) => {
                            let m = s.per_batch(&p[k * h..(k + 1) * h]);
                            let pc = s.affine(&format!("{what}.peep"), t, c, m, vec![0.0])?;
                            s.sum(&format!("{what}.pre"), t, pre, pc, 1)
                        }
                        _ => Ok(pre),
                    }
                };
                let pi = s.gate("pre_i", t, pre, 0, 4)?;
                let pi = peep(&mut s, "i", pi, 0, c_prev)?;
                let i = s.act("i", t, pi, f, net.clip)?;
                let fg = if input_forget {
                    s.affine("f", t, i, vec![-1.0], vec![1.0])?
                } else {
                    let pf = s.gate("pre_f", t, pre, 2, 4)?;
                    let pf = peep(&mut s, "f", pf, 2, c_prev)?;
                    s.act("f", t, pf, f, net.clip)?
                };
                let pc = s.gate("pre_c", t, pre, 3, 4)?;
                let cc = s.act("c_candidate", t, pc, gg, net.clip)?;
                let ic = s.mul("i*c", t, i, cc)?;
                let c = match c_prev {
                    Some(cp) => {
                        let fc = s.mul("f*c", t, fg, cp)?;
                        s.sum("c", t, fc, ic, 1)?
                    }
                    None => ic,
                };
                let po = s.gate("pre_o", t, pre, 1, 4)?;
                let po = peep(&mut s, "o", po, 1, Some(c))?;
                let o = s.act("o", t, po, f, net.clip)?;
                let hc = s.add("h(c)", t, hh.clone(), vec![c])?;
                (s.mul("h", t, o, hc)?, Some(c))
            }
            Cell::Gru => {
                let (f, gg) = (&spec.acts[0], &spec.acts[1]);
                let pre_zr = s.gate("pre_z", t, xt, 0, 3)?;
                let pre_rr = s.gate("pre_r", t, xt, 1, 3)?;
                let pre_h = s.gate("pre_h", t, xt, 2, 3)?;
                let (pz, pr) = match h_prev {
                    Some(hp) => {
                        let rz = s.dense("rec_z", t, hp, &spec.r[..h * h], vec![0.0; h], h)?;
                        let rr =
                            s.dense("rec_r", t, hp, &spec.r[h * h..2 * h * h], vec![0.0; h], h)?;
                        (
                            s.sum("pz", t, pre_zr, rz, 1)?,
                            s.sum("pr", t, pre_rr, rr, 1)?,
                        )
                    }
                    None => (pre_zr, pre_rr),
                };
                let z = s.act("z", t, pz, f, net.clip)?;
                let r = s.act("r", t, pr, f, net.clip)?;
                let rh_w = &spec.r[2 * h * h..];
                let rbh = spec.rb[2 * h..].to_vec();
                let ph = match (h_prev, lbr) {
                    (Some(hp), true) => {
                        let rec = s.dense("rec_h", t, hp, rh_w, rbh, h)?;
                        let gated = s.mul("r*rec_h", t, r, rec)?;
                        s.sum("ph", t, pre_h, gated, 1)?
                    }
                    (None, true) => {
                        let m = s.per_batch(&rbh);
                        let gated = s.affine("r*rbh", t, r, m, vec![0.0])?;
                        s.sum("ph", t, pre_h, gated, 1)?
                    }
                    (Some(hp), false) => {
                        let rh = s.mul("r*h", t, r, hp)?;
                        let rec = s.dense("rec_h", t, rh, rh_w, vec![0.0; h], h)?;
                        s.sum("ph", t, pre_h, rec, 1)?
                    }
                    (None, false) => pre_h,
                };
                let cand = s.act("h_candidate", t, ph, gg, net.clip)?;
                // H = (1 - z) * cand + z * H_prev = cand + z * (H_prev - cand)
                let hn = match h_prev {
                    Some(hp) => {
                        let diff = s.sum("h-cand", t, hp, cand, -1)?;
                        let zd = s.mul("z*diff", t, z, diff)?;
                        s.sum("h", t, cand, zd, 1)?
                    }
                    None => {
                        let one_minus = s.affine("1-z", t, z, vec![-1.0], vec![1.0])?;
                        s.mul("h", t, one_minus, cand)?
                    }
                };
                (hn, None)
            }
        };
        hs[t] = Some(hn);
        cs[t] = cn;
        h_prev = Some(hn);
        c_prev = cn.or(c_prev);
    }
    let hs = hs
        .into_iter()
        .map(|v| v.ok_or_else(|| n.err("the sequence is empty")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((hs, cs))
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
