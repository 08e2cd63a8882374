//! tract's float inference of the original ONNX model: the reference the proved outputs are compared with.

use crate::error::CompileError;
use std::path::Path;
use tract_onnx::prelude::*;

/// A runnable float model.
#[derive(Debug)]
pub struct FloatReference {
    plan: std::sync::Arc<TypedRunnableModel>,
    shapes: Vec<Vec<usize>>,
}

impl FloatReference {
    /// Loads `path` with the given input shapes.
    pub fn load(path: &Path, shapes: &[Vec<usize>]) -> Result<Self, CompileError> {
        let err = |e: TractError| CompileError::Reference(format!("{}: {e:#}", path.display()));
        let mut model = tract_onnx::onnx().model_for_path(path).map_err(err)?;
        for (i, s) in shapes.iter().enumerate() {
            model = model.with_input_fact(i, f32::fact(s).into()).map_err(err)?;
        }
        let plan = model
            .into_optimized()
            .map_err(err)?
            .into_runnable()
            .map_err(err)?;
        Ok(Self {
            plan,
            shapes: shapes.to_vec(),
        })
    }

    /// Runs one sample; returns each output flattened.
    pub fn run(&self, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, CompileError> {
        let err = |e: TractError| CompileError::Reference(format!("{e:#}"));
        let tensors: TVec<TValue> = inputs
            .iter()
            .zip(&self.shapes)
            .map(|(v, s)| {
                let data: Vec<f32> = v.iter().map(|x| *x as f32).collect();
                Tensor::from_shape(s, &data).map(|t| t.into())
            })
            .collect::<TractResult<_>>()
            .map_err(err)?;
        let outs = self.plan.run(tensors).map_err(err)?;
        outs.iter()
            .map(|t| {
                let t = t.cast_to::<f64>().map_err(err)?;
                Ok(t.to_plain_array_view::<f64>()
                    .map_err(err)?
                    .iter()
                    .copied()
                    .collect())
            })
            .collect()
    }
}
