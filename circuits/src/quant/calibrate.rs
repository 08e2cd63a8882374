//! Calibration: the largest absolute value of every tensor over sample inputs, from float inference.
//! Non-finite values are left out: no fixed-point value is infinite, and where a model computes one (the
//! log of an exact zero, say) the circuit saturates it or refuses it, while an infinite range would only
//! give the tensor's finite values the coarsest scale.

use crate::error::Result;
use crate::graph::Graph;
use serde::{Deserialize, Serialize};

/// Observed ranges, one per tensor of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Largest absolute finite value of each tensor.
    pub max_abs: Vec<f64>,
    /// Number of samples observed.
    pub samples: usize,
}

impl Calibration {
    /// Runs the float graph on each sample (a sample holds one flat vector per graph input).
    pub fn from_samples(g: &Graph, samples: &[Vec<Vec<f64>>]) -> Result<Self> {
        let mut max_abs = vec![0f64; g.tensors.len()];
        for s in samples {
            let values = g.eval_float(s)?;
            for (m, v) in max_abs.iter_mut().zip(&values) {
                *m = v
                    .iter()
                    .filter(|x| x.is_finite())
                    .fold(*m, |acc, x| acc.max(x.abs()));
            }
        }
        Ok(Self {
            max_abs,
            samples: samples.len(),
        })
    }
}
