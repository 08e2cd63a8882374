//! The sub-tables of the shared `(tag, x, y)` lookup table. Each maps a stored input `x` in
//! `[0, 2^bits)` to a stored output `y`; a table is identified by its kind and the encodings of both
//! sides, so every use of the same function at the same scales shares one table.
//!
//! Tables are computed with `libm` (pure Rust), so key generation and proving agree on every machine.

mod func;

pub use func::FuncKind;

use crate::encoding::Encoding;
use serde::{Deserialize, Serialize};

/// A sub-table of the shared lookup table; its tag is its position in `Settings::tables` + 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum TableKind {
    /// `(v, v)` for `v in [0, 2^bits)`: range checks and the identity activation.
    Identity,
    /// `(v, max(v - 2^(bits-1), 0))` for `v in [0, 2^bits)`: Relu of a signed stored value.
    Relu,
    /// The step of `max(a, b) = b + step`: `(v, h * max(v - 2^(bits-1), 0))`, `h = 2` when the
    /// difference was halved to fit the table (`halve`), else 1. Used with the lane's `z - b` input.
    MaxStep {
        /// The difference was halved to fit the table.
        halve: bool,
    },
    /// The step of `min(a, b) = b - step`: `(v, -h * max(v - 2^(bits-1), 0))` (a negative field element).
    MinStep {
        /// The difference was halved to fit the table.
        halve: bool,
    },
    /// `y = quantise_y(f(dequantise_x(v)))`, saturated to `y`'s range.
    Func {
        /// The function.
        f: FuncKind,
        /// Encoding of the stored input.
        x: Encoding,
        /// Encoding of the stored output.
        y: Encoding,
    },
}

impl TableKind {
    /// The table's output for a stored input `v` in `[0, 2^bits)`.
    pub fn apply(&self, v: i64, bits: u32) -> i64 {
        self.apply_checked(v, bits).0
    }

    /// The output and whether it was saturated (the exact function value lies outside the output range).
    pub fn apply_checked(&self, v: i64, bits: u32) -> (i64, bool) {
        let half = 1i64 << (bits - 1);
        match self {
            TableKind::Identity => (v, false),
            TableKind::Relu => ((v - half).max(0), false),
            TableKind::MaxStep { halve } => ((v - half).max(0) * (1 + *halve as i64), false),
            TableKind::MinStep { halve } => (-(v - half).max(0) * (1 + *halve as i64), false),
            TableKind::Func { f, x, y } => {
                let arg = x.dequantise(v);
                let real = f.eval(arg);
                let q = (real * y.unit()).round();
                let (lo, hi) = (0i64, (1i64 << y.bits) - 1);
                // the log of an exact zero is the most negative value the output holds (a table row, as
                // a model may mask it away downstream); the log of a negative value has none
                if matches!(f, FuncKind::Log) && arg == 0.0 {
                    return (lo, false);
                }
                if !q.is_finite() {
                    let s = if real > 0.0 { hi } else { lo };
                    return (s, true);
                }
                let stored = q + y.offset as f64;
                if stored < lo as f64 {
                    (lo, true)
                } else if stored > hi as f64 {
                    (hi, true)
                } else {
                    (stored as i64, false)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_and_functions() {
        assert_eq!(TableKind::Relu.apply(1024 + 5, 11), 5);
        assert_eq!(TableKind::MaxStep { halve: true }.apply(1024 + 5, 11), 10);
        assert_eq!(TableKind::MinStep { halve: false }.apply(1024 + 5, 11), -5);
        assert_eq!(TableKind::MinStep { halve: false }.apply(3, 11), 0);
        let t = TableKind::Func {
            f: FuncKind::Sigmoid,
            x: Encoding::signed(6, 10),
            y: Encoding::signed(8, 10),
        };
        // x stored 512 = 0.0 -> sigmoid 0.5 -> 128 + 512
        assert_eq!(t.apply_checked(512, 10), (640, false));
        let e = TableKind::Func {
            f: FuncKind::Exp,
            x: Encoding::signed(4, 10),
            y: Encoding::signed(4, 10),
        };
        // exp(31.9) saturates the output
        assert!(e.apply_checked(1023, 10).1);
        let log = TableKind::Func {
            f: FuncKind::Log,
            x: Encoding::signed(4, 10),
            y: Encoding::signed(4, 10),
        };
        // ln 0 is the most negative output, a row; the log of a negative value is refused
        assert_eq!(log.apply_checked(512, 10), (0, false));
        assert!(log.apply_checked(511, 10).1);
    }
}
