//! Linear: a constant-weight linear map given by patches, the general form of Conv (any rank, stride,
//! padding, dilation, groups), ConvTranspose, average pooling and sums over axes.
//!
//! Each *position* reads a patch of input elements (`None` = padding, contributes 0) and writes one output
//! element per row of its weight matrix: `y[outs[k]] = sum_t W[k][t] * x[patch[t]] + bias[outs[k]]`.
//! Positions sharing weights (all spatial positions of a convolution) share one matrix.

use super::error::ShapeError;
use super::ir_op::{Arity, IrOp};
use super::Node;
use crate::error::Result;
use crate::quant::{linear, QOp, Quantiser};
use serde::{Deserialize, Serialize};

/// A weight matrix `[outs][taps]`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    /// Rows: outputs per position.
    pub outs: usize,
    /// Columns: inputs per patch.
    pub taps: usize,
    /// Weights, `w[out * taps + tap]`.
    pub w: Vec<f32>,
}

/// One patch of inputs and the outputs it produces.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    /// Input element of each tap (`None` = padding).
    pub patch: Vec<Option<u32>>,
    /// Index of the weight matrix.
    pub matrix: u32,
    /// Output element of each matrix row.
    pub outs: Vec<u32>,
}

/// A linear map with constant weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    /// The output shape.
    pub out_shape: Vec<usize>,
    /// Weight matrices, shared by the positions that name them.
    pub matrices: Vec<Matrix>,
    /// Patches and the outputs they produce.
    pub positions: Vec<Position>,
    /// One per output element.
    pub bias: Vec<f32>,
}

impl IrOp for Linear {
    fn name(&self) -> &'static str {
        "Linear"
    }

    fn arity(&self) -> Arity {
        Arity::Exactly(1)
    }

    fn output_shape(&self, inputs: &[&[usize]]) -> Result<Vec<usize>, ShapeError> {
        let x = inputs[0];
        let n_in: usize = x.iter().product();
        let n_out: usize = self.out_shape.iter().product();
        if self.bias.len() != n_out {
            return Err(ShapeError::BiasCount {
                found: self.bias.len(),
                outputs: n_out,
            });
        }
        for (matrix, m) in self.matrices.iter().enumerate() {
            if m.w.len() != m.outs * m.taps {
                return Err(ShapeError::MatrixSize {
                    matrix,
                    found: m.w.len(),
                    outs: m.outs,
                    taps: m.taps,
                });
            }
        }
        let mut covered = vec![false; n_out];
        for (position, p) in self.positions.iter().enumerate() {
            let m = self
                .matrices
                .get(p.matrix as usize)
                .ok_or(ShapeError::MissingMatrix {
                    position,
                    matrix: p.matrix,
                    matrices: self.matrices.len(),
                })?;
            if p.patch.len() != m.taps || p.outs.len() != m.outs {
                return Err(ShapeError::PatchMismatch {
                    position,
                    taps: p.patch.len(),
                    outs: p.outs.len(),
                    matrix_outs: m.outs,
                    matrix_taps: m.taps,
                });
            }
            if let Some(&index) = p.patch.iter().flatten().find(|&&i| i as usize >= n_in) {
                return Err(ShapeError::PatchOutOfRange {
                    position,
                    index,
                    inputs: n_in,
                });
            }
            for &o in &p.outs {
                match covered.get_mut(o as usize) {
                    Some(c) if !*c => *c = true,
                    _ => {
                        return Err(ShapeError::OutputWrittenTwice {
                            element: o,
                            outputs: n_out,
                        })
                    }
                }
            }
        }
        if let Some(first) = covered.iter().position(|c| !c) {
            return Err(ShapeError::OutputNotWritten {
                first,
                missing: covered.iter().filter(|c| !**c).count(),
                outputs: n_out,
            });
        }
        Ok(self.out_shape.clone())
    }

    fn eval_float(&self, inputs: &[&[f64]], _shapes: &[&[usize]]) -> Vec<f64> {
        let x = inputs[0];
        let mut out: Vec<f64> = self.bias.iter().map(|b| *b as f64).collect();
        for p in &self.positions {
            let m = &self.matrices[p.matrix as usize];
            for (k, &o) in p.outs.iter().enumerate() {
                let w = &m.w[k * m.taps..(k + 1) * m.taps];
                let dot: f64 = p
                    .patch
                    .iter()
                    .zip(w)
                    .filter_map(|(i, w)| i.map(|i| x[i as usize] * *w as f64))
                    .sum();
                out[o as usize] += dot;
            }
        }
        out
    }

    fn quantise(&self, q: &mut Quantiser<'_>, node: &Node, act: Option<&Node>) -> Result<()> {
        q.rescaled(node, act, false, |_, r| {
            Ok(QOp::Linear(linear::quantise(
                r.node.clone(),
                self,
                node.inputs[0],
                r.ins[0],
                r.out,
                r.pre,
                r.tag,
                r.b,
            )?))
        })
    }

    fn fuses_activation(&self) -> bool {
        true
    }
}

impl Linear {
    /// Multiplies output element `i` by `mul[i]` and adds `add[i]`, when every matrix row keeps a single
    /// multiplier across the positions that use it (per-channel scales after a convolution). Returns
    /// whether it folded.
    pub fn fold_affine(&mut self, mul: impl Fn(usize) -> f32, add: impl Fn(usize) -> f32) -> bool {
        let mut per_row: Vec<Vec<Option<f32>>> =
            self.matrices.iter().map(|m| vec![None; m.outs]).collect();
        for p in &self.positions {
            for (k, &o) in p.outs.iter().enumerate() {
                let m = mul(o as usize);
                match per_row[p.matrix as usize][k] {
                    None => per_row[p.matrix as usize][k] = Some(m),
                    Some(prev) if prev == m => {}
                    Some(_) => return false,
                }
            }
        }
        for (m, rows) in self.matrices.iter_mut().zip(&per_row) {
            for (k, s) in rows.iter().enumerate() {
                let s = s.unwrap_or(1.0);
                for w in &mut m.w[k * m.taps..(k + 1) * m.taps] {
                    *w *= s;
                }
            }
        }
        for (i, b) in self.bias.iter_mut().enumerate() {
            *b = *b * mul(i) + add(i);
        }
        true
    }
}
