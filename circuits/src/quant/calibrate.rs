//! Calibration: the largest absolute value of every tensor over sample inputs, from float inference.

use crate::error::Result;
use crate::graph::Graph;
use serde::{Deserialize, Serialize};

/// Observed ranges, one per tensor of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Largest absolute value of each tensor.
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
                *m = v.iter().fold(*m, |acc, x| acc.max(x.abs()));
            }
        }
        Ok(Self {
            max_abs,
            samples: samples.len(),
        })
    }
}
