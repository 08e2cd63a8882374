//! Values during lowering: activations (tensors of the IR) or constants folded at compile time.

use crate::error::LowerError;
use zkinfer_circuits::graph::{broadcast_index_map, broadcast_shapes, TensorId};

/// A constant tensor (floats; integer tensors such as shapes are stored exactly as f64).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstTensor {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl ConstTensor {
    pub fn scalar(v: f64) -> Self {
        Self {
            shape: vec![],
            data: vec![v],
        }
    }

    /// Broadcasts to `shape` (which it must broadcast to).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Vec<f64>, LowerError> {
        let out = broadcast_shapes(&self.shape, shape)?;
        if out != shape {
            return Err(LowerError::ConstantEnlarges {
                constant: self.shape.clone(),
                activation: shape.to_vec(),
            });
        }
        Ok(broadcast_index_map(&self.shape, shape)
            .into_iter()
            .map(|i| self.data[i as usize])
            .collect())
    }

    /// Element-wise binary op with broadcasting.
    pub fn zip(
        &self,
        other: &ConstTensor,
        f: impl Fn(f64, f64) -> f64,
    ) -> Result<ConstTensor, LowerError> {
        let shape = broadcast_shapes(&self.shape, &other.shape)?;
        let a = broadcast_index_map(&self.shape, &shape);
        let b = broadcast_index_map(&other.shape, &shape);
        let data = a
            .iter()
            .zip(&b)
            .map(|(&i, &j)| f(self.data[i as usize], other.data[j as usize]))
            .collect();
        Ok(ConstTensor { shape, data })
    }

    /// The values as integers (shapes, axes).
    pub fn as_ints(&self) -> Vec<i64> {
        self.data.iter().map(|v| *v as i64).collect()
    }
}

/// A lowered value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Act(TensorId),
    Const(ConstTensor),
}
