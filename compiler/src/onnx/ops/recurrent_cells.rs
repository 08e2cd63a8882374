//! One direction of an unrolled recurrent net (see `recurrent.rs`): the LSTM, GRU and RNN cell equations of
//! the ONNX spec, step by step, as IR ops.

use super::super::ctx::{Lowering, NodeInfo};
use super::build::gather;
use crate::error::CompileError;
use zkinfer_circuits::graph::{
    AddTensors, Binary, BinaryKind, ConstAffine, Dense, Func, Op, TensorId,
};
use zkinfer_circuits::tables::FuncKind;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Cell {
    Lstm,
    Gru,
    Rnn,
}

impl Cell {
    pub(super) fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
            Cell::Rnn => 1,
        }
    }
    pub(super) fn default_activations(self) -> &'static [&'static str] {
        match self {
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
            Cell::Gru => &["Sigmoid", "Tanh"],
            Cell::Rnn => &["Tanh"],
        }
    }
}

/// What one direction of the net computes with.
pub(super) struct Direction {
    /// [gates*H][I], row-major (Dense's layout).
    pub(super) w: Vec<f32>,
    /// [gates*H][H].
    pub(super) r: Vec<f32>,
    /// Input and recurrent biases, [gates*H] each.
    pub(super) wb: Vec<f32>,
    pub(super) rb: Vec<f32>,
    /// LSTM peepholes i, o, f ([3*H]).
    pub(super) p: Option<Vec<f32>>,
    pub(super) acts: Vec<Op>,
    pub(super) reverse: bool,
}

pub(super) struct Net {
    pub(super) cell: Cell,
    pub(super) seq: usize,
    pub(super) batch: usize,
    pub(super) hidden: usize,
    pub(super) batch_first: bool,
    pub(super) clip: Option<f32>,
    pub(super) x: TensorId,
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
pub(super) fn run_direction(
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
