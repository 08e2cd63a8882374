//! Resize (and the older Upsample) with constant scales or sizes: `nearest` is an index map (`Gather`),
//! `linear` (n-linear over the resized axes) a `Linear` whose positions hold the 2^r neighbours and their
//! interpolation weights. Every coordinate transformation of the spec except `tf_crop_and_resize` is
//! supported; `cubic` is reported.

use super::super::ctx::{Lowering, NodeInfo};
use super::super::value::Val;
use super::index::{indices, ravel, strides};
use super::movement::{apply, shape_of};
use super::Registry;
use crate::error::CompileError;
use zkinfer_circuits::graph::{Linear, Matrix, Op, Position};

pub(super) fn register(r: &mut Registry) {
    r.insert("Resize", resize);
    r.insert("Upsample", resize);
}

fn string_attr(n: &NodeInfo, name: &str, default: &str) -> String {
    n.proto
        .attribute
        .iter()
        .find(|a| a.name == name)
        .map_or(default.to_string(), |a| {
            String::from_utf8_lossy(&a.s).to_string()
        })
}

/// Output shape and per-axis scales from the constant scales or sizes.
fn target(l: &Lowering, n: &NodeInfo, s: &[usize]) -> Result<(Vec<usize>, Vec<f64>), CompileError> {
    let (scales_at, sizes_at) = if n.op == "Upsample" || l.opset < 11 {
        (1, usize::MAX)
    } else {
        (2, 3)
    };
    let konst = |i: usize| -> Result<Option<Vec<f64>>, CompileError> {
        if i == usize::MAX {
            return Ok(None);
        }
        match l.opt_input(n, i)? {
            None => Ok(None),
            Some(Val::Const(c)) if c.data.is_empty() => Ok(None),
            Some(Val::Const(c)) => Ok(Some(c.data)),
            Some(Val::Act(_)) => Err(n.err(format!(
                "input {i} (scales or sizes) must be a constant, it is computed from the model's input"
            ))),
        }
    };
    if n.has_attr("axes") {
        return Err(
            n.err("the axes attribute is not supported (give scales or sizes for every axis)")
        );
    }
    if let Some(sizes) = konst(sizes_at)? {
        if sizes.len() != s.len() {
            return Err(n.err(format!("sizes {sizes:?} do not fit rank {}", s.len())));
        }
        let out: Vec<usize> = sizes.iter().map(|v| *v as usize).collect();
        let scales = out
            .iter()
            .zip(s)
            .map(|(o, i)| *o as f64 / *i as f64)
            .collect();
        return Ok((out, scales));
    }
    let scales = match (konst(scales_at)?, n.attr_floats("scales")) {
        (Some(v), _) => v,
        (None, Some(v)) => v.into_iter().map(f64::from).collect(),
        (None, None) => return Err(n.err("needs scales or sizes")),
    };
    if scales.len() != s.len() {
        return Err(n.err(format!("scales {scales:?} do not fit rank {}", s.len())));
    }
    let out = s
        .iter()
        .zip(&scales)
        .map(|(d, k)| (*d as f64 * k).floor() as usize)
        .collect();
    Ok((out, scales))
}

fn resize(l: &mut Lowering, n: &NodeInfo) -> Result<(), CompileError> {
    let v = l.input(n, 0)?;
    let s = shape_of(l, &v);
    let (out_shape, scales) = target(l, n, &s)?;
    let mode = string_attr(n, "mode", "nearest");
    let default_ct = if n.op == "Upsample" || l.opset < 11 {
        "asymmetric"
    } else {
        "half_pixel"
    };
    let ct = string_attr(n, "coordinate_transformation_mode", default_ct);
    let nearest = string_attr(n, "nearest_mode", "round_prefer_floor");
    if n.attr_int("antialias", 0) != 0 {
        return Err(n.err("antialias is not supported"));
    }
    // the source coordinate of output coordinate x on an axis
    let coord =
        |x: usize, len_in: usize, len_out: usize, scale: f64| -> Result<f64, CompileError> {
            let x = x as f64;
            Ok(match ct.as_str() {
                "half_pixel" => (x + 0.5) / scale - 0.5,
                "pytorch_half_pixel" if len_out > 1 => (x + 0.5) / scale - 0.5,
                "pytorch_half_pixel" => 0.0,
                "align_corners" if len_out > 1 => {
                    x * (len_in as f64 - 1.0) / (len_out as f64 - 1.0)
                }
                "align_corners" => 0.0,
                "asymmetric" => x / scale,
                "tf_half_pixel_for_nn" => (x + 0.5) / scale,
                other => {
                    return Err(n.err(format!(
                        "coordinate_transformation_mode {other} is not supported"
                    )))
                }
            })
        };
    let st = strides(&s);
    match mode.as_str() {
        "nearest" => {
            let mut map = Vec::new();
            for o in indices(&out_shape) {
                let mut src = Vec::with_capacity(s.len());
                for a in 0..s.len() {
                    let c = coord(o[a], s[a], out_shape[a], scales[a])?;
                    let i = match nearest.as_str() {
                        "floor" => c.floor(),
                        "ceil" => c.ceil(),
                        "round_prefer_ceil" => (c + 0.5).floor(),
                        _ if c.fract() == 0.5 => c.floor(),
                        _ => c.round(),
                    };
                    src.push((i.max(0.0) as usize).min(s[a] - 1));
                }
                map.push(Some(ravel(&src, &st) as u32));
            }
            apply(l, n, 0, &[v], out_shape, map, 0.0)
        }
        "linear" => {
            let x = match v {
                Val::Act(t) => t,
                Val::Const(_) => return Err(n.err("internal: a constant input is folded by tract")),
            };
            let axes: Vec<usize> = (0..s.len())
                .filter(|&a| s[a] != out_shape[a] || scales[a] != 1.0)
                .collect();
            let taps = 1usize << axes.len();
            let mut matrices = Vec::new();
            let mut positions = Vec::new();
            for (flat, o) in indices(&out_shape).enumerate() {
                // per resized axis: the two neighbours and the weight of the upper one
                let mut near = Vec::new();
                for &a in &axes {
                    let c =
                        coord(o[a], s[a], out_shape[a], scales[a])?.clamp(0.0, s[a] as f64 - 1.0);
                    let lo = c.floor() as usize;
                    let hi = (lo + 1).min(s[a] - 1);
                    near.push((lo, hi, c - lo as f64));
                }
                let mut patch = Vec::with_capacity(taps);
                let mut w = Vec::with_capacity(taps);
                for corner in 0..taps {
                    let mut src = o.clone();
                    let mut weight = 1.0;
                    for (bit, (&a, &(lo, hi, f))) in axes.iter().zip(&near).enumerate() {
                        let up = corner >> bit & 1 == 1;
                        src[a] = if up { hi } else { lo };
                        weight *= if up { f } else { 1.0 - f };
                    }
                    patch.push(Some(ravel(&src, &st) as u32));
                    w.push(weight as f32);
                }
                positions.push(Position {
                    patch,
                    matrix: matrices.len() as u32,
                    outs: vec![flat as u32],
                });
                matrices.push(Matrix { outs: 1, taps, w });
            }
            let op = Linear {
                bias: vec![0.0; positions.len()],
                out_shape,
                matrices,
                positions,
            };
            l.emit(n, "Resize", Op::Linear(op), vec![x]).map(|_| ())
        }
        other => Err(n.err(format!(
            "mode {other} is not supported (nearest and linear are)"
        ))),
    }
}
