//! Convolutions of any spatial rank: Conv (stride, padding, dilation, groups, depthwise) and
//! ConvTranspose. Both become a `Linear`: one position per (batch, group, output pixel), sharing the
//! group's weight matrix; ConvTranspose's positions share a matrix per group and kernel phase.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::index::{indices, ravel, strides, Window};
use super::Registry;
use crate::error::CompileError;
use std::collections::HashMap;
use zkinfer_circuits::graph::{Linear, Matrix, Op, Position};

pub(super) fn register(r: &mut Registry) {
    r.insert("Conv", conv);
    r.insert("ConvTranspose", conv_transpose);
}

/// Stride, dilation and padding attributes of a windowed op over `input` spatial sizes.
pub(super) fn window(
    n: &NodeInfo,
    input: &[usize],
    kernel: Vec<usize>,
) -> Result<Window, CompileError> {
    let k = input.len();
    let per_axis = |name: &str| -> Result<Vec<usize>, CompileError> {
        match n.attr_ints(name) {
            None => Ok(vec![1; k]),
            Some(v) if v.len() == k && v.iter().all(|x| *x >= 1) => {
                Ok(v.iter().map(|x| *x as usize).collect())
            }
            Some(v) => Err(n.err(format!("attribute {name} {v:?} needs {k} positive values"))),
        }
    };
    let strides = per_axis("strides")?;
    let dilations = per_axis("dilations")?;
    if kernel.len() != k || kernel.contains(&0) {
        return Err(n.err(format!("kernel {kernel:?} does not match {k} spatial axes")));
    }
    let auto_pad = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name == "auto_pad")
        .map(|a| String::from_utf8_lossy(&a.s).to_string())
        .unwrap_or_else(|| "NOTSET".into());
    let (pad_begin, pad_end) = match auto_pad.as_str() {
        "NOTSET" => match n.attr_ints("pads") {
            None => (vec![0; k], vec![0; k]),
            Some(p) if p.len() == 2 * k && p.iter().all(|x| *x >= 0) => (
                p[..k].iter().map(|x| *x as usize).collect(),
                p[k..].iter().map(|x| *x as usize).collect(),
            ),
            Some(p) => return Err(n.err(format!("pads {p:?} needs {} non-negative values", 2 * k))),
        },
        "VALID" => (vec![0; k], vec![0; k]),
        "SAME_UPPER" | "SAME_LOWER" => {
            let (mut b, mut e) = (vec![0; k], vec![0; k]);
            for i in 0..k {
                let out = input[i].div_ceil(strides[i]);
                let span = dilations[i] * (kernel[i] - 1) + 1;
                let total = ((out - 1) * strides[i] + span).saturating_sub(input[i]);
                let small = total / 2;
                (b[i], e[i]) = if auto_pad == "SAME_UPPER" {
                    (small, total - small)
                } else {
                    (total - small, small)
                };
            }
            (b, e)
        }
        other => return Err(n.err(format!("auto_pad {other} is not supported"))),
    };
    Ok(Window {
        kernel,
        strides,
        dilations,
        pad_begin,
        pad_end,
    })
}

/// Input coordinate of output coordinate `o` and kernel offset `k` on every axis, or `None` in padding.
pub(super) fn tap(w: &Window, input: &[usize], o: &[usize], k: &[usize]) -> Option<Vec<usize>> {
    (0..input.len())
        .map(|i| {
            let p = (o[i] * w.strides[i] + k[i] * w.dilations[i]) as i64 - w.pad_begin[i] as i64;
            (p >= 0 && (p as usize) < input[i]).then_some(p as usize)
        })
        .collect()
}

fn conv(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let Val::Act(x) = l.input(n, 0)? else {
        return Err(n.err("convolving a constant input is not supported"));
    };
    if let Val::Act(w) = l.input(n, 1)? {
        // committed weights
        return super::conv_committed::conv_committed(l, n, x, w);
    }
    let w = l.const_input(n, 1, "the weights")?;
    let xs = l.shape(x);
    if xs.len() < 3 || w.shape.len() != xs.len() {
        return Err(n.err(format!(
            "input {xs:?} and weights {:?} must both be [N, C, spatial...]",
            w.shape
        )));
    }
    let (batch, c_in, spatial) = (xs[0], xs[1], &xs[2..]);
    let (m, cg, kernel) = (w.shape[0], w.shape[1], w.shape[2..].to_vec());
    let groups = n.attr_int("group", 1).max(1) as usize;
    if c_in != cg * groups || m % groups != 0 {
        return Err(n.err(format!(
            "{c_in} input channels, {m} filters of {cg} channels and {groups} groups do not agree"
        )));
    }
    let bias = conv_bias(l, n, m)?;
    let win = window(n, spatial, kernel.clone())?;
    let out_sp = win.output(spatial, false).map_err(|e| n.lower_err(e))?;
    let mg = m / groups;
    let kn: usize = kernel.iter().product();
    let taps = cg * kn;
    let matrices: Vec<Matrix> = (0..groups)
        .map(|g| Matrix {
            outs: mg,
            taps,
            w: w.data[g * mg * taps..(g + 1) * mg * taps]
                .iter()
                .map(|v| *v as f32)
                .collect(),
        })
        .collect();
    let (in_sp_n, out_sp_n): (usize, usize) = (spatial.iter().product(), out_sp.iter().product());
    let (in_st, out_st) = (strides(spatial), strides(&out_sp));
    let kernels: Vec<Vec<usize>> = indices(&kernel).collect();
    let mut positions = Vec::with_capacity(batch * groups * out_sp_n);
    for b in 0..batch {
        for g in 0..groups {
            for o in indices(&out_sp) {
                let mut patch = Vec::with_capacity(taps);
                for c in 0..cg {
                    let base = (b * c_in + g * cg + c) * in_sp_n;
                    for k in &kernels {
                        patch.push(
                            tap(&win, spatial, &o, k).map(|p| (base + ravel(&p, &in_st)) as u32),
                        );
                    }
                }
                let o_flat = ravel(&o, &out_st);
                let outs = (0..mg)
                    .map(|j| ((b * m + g * mg + j) * out_sp_n + o_flat) as u32)
                    .collect();
                positions.push(Position {
                    patch,
                    matrix: g as u32,
                    outs,
                });
            }
        }
    }
    let shape = (batch, m, out_sp);
    emit_linear(l, n, x, shape, &bias, matrices, positions)
}

/// Emits a convolution's `Linear`: output [N, M, spatial...], the per-channel bias on every element.
fn emit_linear(
    l: &mut Lowering,
    n: &NodeInfo,
    x: usize,
    (batch, m, out_sp): (usize, usize, Vec<usize>),
    bias: &[f64],
    matrices: Vec<Matrix>,
    positions: Vec<Position>,
) -> Result<(), CompileError> {
    let out_sp_n: usize = out_sp.iter().product();
    let mut out_shape = vec![batch, m];
    out_shape.extend(&out_sp);
    let bias = (0..batch * m * out_sp_n)
        .map(|i| bias[(i / out_sp_n) % m] as f32)
        .collect();
    let op = Linear {
        out_shape,
        matrices,
        positions,
        bias,
    };
    l.emit(n, &n.op, Op::Linear(op), vec![x]).map(|_| ())
}

/// The optional bias input: `m` constants, zeros when absent.
fn conv_bias(l: &Lowering, n: &NodeInfo, m: usize) -> Result<Vec<f64>, CompileError> {
    match l.opt_input(n, 2)? {
        None => Ok(vec![0.0; m]),
        Some(Val::Const(b)) if b.data.len() == m => Ok(b.data),
        Some(_) => Err(n.err(format!("the bias must be a constant of {m} values"))),
    }
}

fn conv_transpose(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let Val::Act(x) = l.input(n, 0)? else {
        return Err(n.err("a constant input is not supported"));
    };
    let w = l.const_input(n, 1, "the weights")?;
    let xs = l.shape(x);
    if xs.len() < 3 || w.shape.len() != xs.len() {
        return Err(n.err(format!(
            "input {xs:?} and weights {:?} must both be [N, C, spatial...]",
            w.shape
        )));
    }
    let (batch, c_in, spatial) = (xs[0], xs[1], xs[2..].to_vec());
    let groups = n.attr_int("group", 1).max(1) as usize;
    let (wc, mg, kernel) = (w.shape[0], w.shape[1], w.shape[2..].to_vec());
    if wc != c_in || c_in % groups != 0 {
        return Err(n.err(format!(
            "weights {:?} do not fit {c_in} input channels in {groups} groups",
            w.shape
        )));
    }
    let (cg, m) = (c_in / groups, mg * groups);
    let bias = conv_bias(l, n, m)?;
    if n.has_attr("output_shape") {
        return Err(n.err("the output_shape attribute is not supported; give pads instead"));
    }
    let mut win = window(n, &spatial, kernel.clone())?;
    let k = spatial.len();
    let out_pad: Vec<usize> = n
        .attr_ints("output_padding")
        .map_or(vec![0; k], |v| v.iter().map(|x| *x as usize).collect());
    let out_sp: Vec<usize> = (0..k)
        .map(|i| {
            let full = win.strides[i] * (spatial[i] - 1)
                + out_pad[i]
                + (kernel[i] - 1) * win.dilations[i]
                + 1;
            full.checked_sub(win.pad_begin[i] + win.pad_end[i])
                .ok_or_else(|| n.err("the padding is larger than the output"))
        })
        .collect::<Result<_, _>>()?;
    win.pad_end = vec![0; k];
    let kn: usize = kernel.iter().product();
    let (in_sp_n, out_sp_n): (usize, usize) = (spatial.iter().product(), out_sp.iter().product());
    let (in_st, k_st, out_st) = (strides(&spatial), strides(&kernel), strides(&out_sp));
    let kernels: Vec<Vec<usize>> = indices(&kernel).collect();
    // one matrix per (group, set of contributing kernel offsets)
    let mut matrices: Vec<Matrix> = Vec::new();
    let mut by_key: HashMap<(usize, Vec<usize>), u32> = HashMap::new();
    let mut positions = Vec::new();
    for b in 0..batch {
        for g in 0..groups {
            for o in indices(&out_sp) {
                // kernel offsets k and input pixels i with i * stride + k * dil - pad = o
                let mut contrib: Vec<(usize, usize)> = Vec::new();
                for kk in &kernels {
                    let mut pix = Vec::with_capacity(k);
                    for a in 0..k {
                        let num = o[a] as i64 + win.pad_begin[a] as i64
                            - (kk[a] * win.dilations[a]) as i64;
                        let s = win.strides[a] as i64;
                        if num < 0 || num % s != 0 || (num / s) as usize >= spatial[a] {
                            break;
                        }
                        pix.push((num / s) as usize);
                    }
                    if pix.len() == k {
                        contrib.push((ravel(kk, &k_st), ravel(&pix, &in_st)));
                    }
                }
                let key = (g, contrib.iter().map(|c| c.0).collect::<Vec<_>>());
                let taps = (cg * contrib.len()).max(1);
                let id = *by_key.entry(key).or_insert_with(|| {
                    let mut wm = vec![0f32; mg * taps];
                    for j in 0..mg {
                        for c in 0..cg {
                            for (t, (ki, _)) in contrib.iter().enumerate() {
                                let ci = g * cg + c;
                                wm[j * taps + c * contrib.len() + t] =
                                    w.data[(ci * mg + j) * kn + ki] as f32;
                            }
                        }
                    }
                    matrices.push(Matrix {
                        outs: mg,
                        taps,
                        w: wm,
                    });
                    (matrices.len() - 1) as u32
                });
                let mut patch = Vec::with_capacity(taps);
                for c in 0..cg {
                    for (_, pi) in &contrib {
                        patch.push(Some(((b * c_in + g * cg + c) * in_sp_n + pi) as u32));
                    }
                }
                if patch.is_empty() {
                    patch.push(None);
                }
                let o_flat = ravel(&o, &out_st);
                let outs = (0..mg)
                    .map(|j| ((b * m + g * mg + j) * out_sp_n + o_flat) as u32)
                    .collect();
                positions.push(Position {
                    patch,
                    matrix: id,
                    outs,
                });
            }
        }
    }
    emit_linear(l, n, x, (batch, m, out_sp), &bias, matrices, positions)
}
