//! Fixed-point encoding of a tensor: `real = (stored - offset) / 2^scale`, with `stored` in `[0, 2^bits)`.
//!
//! Stored values are small and non-negative on purpose: the MSM cost of an advice cell grows with its bit
//! length, and a negative number is a 254-bit field element. Signed tensors use `offset = 2^(bits-1)`.

use serde::{Deserialize, Serialize};

/// How a tensor's real values map to the small non-negative integers stored in the circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Encoding {
    /// Power-of-two scale: one unit of the stored integer is `2^-scale`.
    pub scale: i32,
    /// Added to the quantised value so the stored value is non-negative.
    pub offset: i64,
    /// Stored values lie in `[0, 2^bits)`.
    pub bits: u32,
}

impl Encoding {
    /// A signed encoding: stored = round(v * 2^scale) + 2^(bits-1).
    pub fn signed(scale: i32, bits: u32) -> Self {
        Self {
            scale,
            offset: 1 << (bits - 1),
            bits,
        }
    }

    /// A non-negative encoding (after Relu): stored = round(v * 2^scale).
    pub fn unsigned(scale: i32, bits: u32) -> Self {
        Self {
            scale,
            offset: 0,
            bits,
        }
    }

    /// A boolean: stored 0 or 1, real value the same.
    pub fn boolean() -> Self {
        Self {
            scale: 0,
            offset: 0,
            bits: 1,
        }
    }

    /// `2^scale` as a float.
    pub fn unit(&self) -> f64 {
        2f64.powi(self.scale)
    }

    /// The stored integer of a real value, or `None` when it falls outside `[0, 2^bits)`.
    pub fn quantise(&self, v: f64) -> Option<i64> {
        let q = (v * self.unit()).round();
        if !q.is_finite() {
            return None;
        }
        let stored = q + self.offset as f64;
        (stored >= 0.0 && stored < (1u64 << self.bits) as f64).then_some(stored as i64)
    }

    /// The real value of a stored integer.
    pub fn dequantise(&self, stored: i64) -> f64 {
        (stored - self.offset) as f64 / self.unit()
    }

    /// Smallest representable real value.
    pub fn min_value(&self) -> f64 {
        self.dequantise(0)
    }

    /// Largest representable real value.
    pub fn max_value(&self) -> f64 {
        self.dequantise((1i64 << self.bits) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_round_trip_and_bounds() {
        let e = Encoding::signed(4, 8);
        assert_eq!(e.quantise(0.0), Some(128));
        assert_eq!(e.quantise(-1.0), Some(112));
        assert_eq!(e.dequantise(112), -1.0);
        assert_eq!(e.quantise(8.0), None, "128 + 128 = 256 is out of 8 bits");
        assert_eq!(e.quantise(7.9375), Some(255));
        assert_eq!(e.quantise(-8.0), Some(0));
        assert_eq!(e.quantise(-8.1), None);
        assert_eq!(e.quantise(f64::NAN), None);
        assert_eq!((e.min_value(), e.max_value()), (-8.0, 7.9375));
    }
}
