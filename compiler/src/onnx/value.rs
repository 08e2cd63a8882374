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

/// A sequence (ONNX `seq(tensor)`) known at compile time: its elements in order. Sequence ops move whole
/// elements at constant positions, so a sequence costs no rows; its elements are ordinary values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sequence {
    pub items: Vec<Val>,
}

impl Sequence {
    /// A possibly negative position: in `-len..len`, or `-len..=len` when `at_end` allows the position
    /// just past the last element (inserting).
    pub fn position(&self, p: i64, at_end: bool) -> Option<usize> {
        let len = self.items.len() as i64;
        let k = if p < 0 { p + len } else { p };
        let end = if at_end { len + 1 } else { len };
        (0..end).contains(&k).then_some(k as usize)
    }
}
