//! The nonlinear functions a lookup table can hold, with their ONNX parameters.

use serde::{Deserialize, Serialize};

/// A scalar function of one real value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fn", rename_all = "snake_case")]
pub enum FuncKind {
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// Hyperbolic tangent.
    Tanh,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Log,
    /// Square root (of `max(x, 0)`).
    Sqrt,
    /// `1 / x`.
    Reciprocal,
    /// `1 / sqrt(x + eps)` (normalisation layers).
    Rsqrt {
        /// Added before the square root.
        eps: f32,
    },
    /// Error function.
    Erf,
    /// Gelu with the exact error function.
    Gelu,
    /// Gelu with the tanh approximation.
    GeluTanh,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x` for `x >= 0`, else `alpha * (e^x - 1)`.
    Elu {
        /// Scale of the negative part.
        alpha: f32,
    },
    /// `gamma * elu(x, alpha)`.
    Selu {
        /// Scale of the negative part.
        alpha: f32,
        /// Overall scale.
        gamma: f32,
    },
    /// `x` for `x >= 0`, else `alpha * x`.
    LeakyRelu {
        /// Slope of the negative part.
        alpha: f32,
    },
    /// `clamp(alpha * x + beta, 0, 1)`.
    HardSigmoid {
        /// Slope.
        alpha: f32,
        /// Offset.
        beta: f32,
    },
    /// `x * clamp(x / 6 + 1/2, 0, 1)`.
    HardSwish,
    /// Absolute value.
    Abs,
    /// -1, 0 or 1.
    Sign,
    /// `clamp(x, min, max)`.
    Clip {
        /// Lower bound.
        min: f32,
        /// Upper bound.
        max: f32,
    },
    /// `x + bias` below `-lambd`, `x - bias` above `lambd`, else 0.
    Shrink {
        /// Shift towards 0 outside the threshold.
        bias: f32,
        /// Threshold.
        lambd: f32,
    },
    /// `x^p` for a constant exponent.
    Pow {
        /// The exponent.
        p: f32,
    },
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// `-x`.
    Neg,
    /// 1 where the value is exactly 0, else 0 (ArgMax's equality test).
    IsZero,
    /// Largest integer not above `x`.
    Floor,
    /// Smallest integer not below `x`.
    Ceil,
    /// Nearest integer, ties to even.
    Round,
    /// Tangent.
    Tan,
    /// Arc sine (NaN outside [-1, 1], which the table saturates).
    Asin,
    /// Arc cosine.
    Acos,
    /// Arc tangent.
    Atan,
}

impl FuncKind {
    /// The ONNX-style name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            FuncKind::Sigmoid => "Sigmoid",
            FuncKind::Tanh => "Tanh",
            FuncKind::Exp => "Exp",
            FuncKind::Log => "Log",
            FuncKind::Sqrt => "Sqrt",
            FuncKind::Reciprocal => "Reciprocal",
            FuncKind::Rsqrt { .. } => "Rsqrt",
            FuncKind::Erf => "Erf",
            FuncKind::Gelu => "Gelu",
            FuncKind::GeluTanh => "Gelu(tanh)",
            FuncKind::Softplus => "Softplus",
            FuncKind::Softsign => "Softsign",
            FuncKind::Elu { .. } => "Elu",
            FuncKind::Selu { .. } => "Selu",
            FuncKind::LeakyRelu { .. } => "LeakyRelu",
            FuncKind::HardSigmoid { .. } => "HardSigmoid",
            FuncKind::HardSwish => "HardSwish",
            FuncKind::Abs => "Abs",
            FuncKind::Sign => "Sign",
            FuncKind::Clip { .. } => "Clip",
            FuncKind::Shrink { .. } => "Shrink",
            FuncKind::Pow { .. } => "Pow",
            FuncKind::Sin => "Sin",
            FuncKind::Cos => "Cos",
            FuncKind::Neg => "Neg",
            FuncKind::IsZero => "IsZero",
            FuncKind::Floor => "Floor",
            FuncKind::Ceil => "Ceil",
            FuncKind::Round => "Round",
            FuncKind::Tan => "Tan",
            FuncKind::Asin => "Asin",
            FuncKind::Acos => "Acos",
            FuncKind::Atan => "Atan",
        }
    }

    /// The function's value (`libm`, so every platform computes the same tables). Outside its domain
    /// (log of a non-positive value, say) it returns a non-finite value, which the table saturates.
    pub fn eval(&self, x: f64) -> f64 {
        use libm::{erf, exp, fabs, log, sqrt, tanh};
        let sigmoid = |v: f64| 1.0 / (1.0 + exp(-v));
        match *self {
            FuncKind::Sigmoid => sigmoid(x),
            FuncKind::Tanh => tanh(x),
            FuncKind::Exp => exp(x),
            FuncKind::Log => {
                if x > 0.0 {
                    log(x)
                } else {
                    f64::NEG_INFINITY
                }
            }
            FuncKind::Sqrt => sqrt(x.max(0.0)),
            FuncKind::Reciprocal => 1.0 / x,
            FuncKind::Rsqrt { eps } => {
                let v = x + eps as f64;
                if v > 0.0 {
                    1.0 / sqrt(v)
                } else {
                    f64::INFINITY
                }
            }
            FuncKind::Erf => erf(x),
            FuncKind::Gelu => 0.5 * x * (1.0 + erf(x / std::f64::consts::SQRT_2)),
            FuncKind::GeluTanh => {
                let c = (2.0 / std::f64::consts::PI).sqrt();
                0.5 * x * (1.0 + tanh(c * (x + 0.044715 * x * x * x)))
            }
            FuncKind::Softplus => {
                if x > 30.0 {
                    x
                } else {
                    libm::log1p(exp(x))
                }
            }
            FuncKind::Softsign => x / (1.0 + fabs(x)),
            FuncKind::Elu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha as f64 * libm::expm1(x)
                }
            }
            FuncKind::Selu { alpha, gamma } => {
                gamma as f64
                    * if x > 0.0 {
                        x
                    } else {
                        alpha as f64 * libm::expm1(x)
                    }
            }
            FuncKind::LeakyRelu { alpha } => {
                if x >= 0.0 {
                    x
                } else {
                    alpha as f64 * x
                }
            }
            FuncKind::HardSigmoid { alpha, beta } => {
                (alpha as f64 * x + beta as f64).clamp(0.0, 1.0)
            }
            FuncKind::HardSwish => x * (x / 6.0 + 0.5).clamp(0.0, 1.0),
            FuncKind::Abs => fabs(x),
            FuncKind::Sign => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            FuncKind::Clip { min, max } => x.clamp(min as f64, max as f64),
            FuncKind::Shrink { bias, lambd } => {
                let (b, l) = (bias as f64, lambd as f64);
                if x < -l {
                    x + b
                } else if x > l {
                    x - b
                } else {
                    0.0
                }
            }
            FuncKind::Pow { p } => libm::pow(x, p as f64),
            FuncKind::Sin => libm::sin(x),
            FuncKind::Cos => libm::cos(x),
            FuncKind::Neg => -x,
            FuncKind::IsZero => (x == 0.0) as u8 as f64,
            FuncKind::Floor => libm::floor(x),
            FuncKind::Ceil => libm::ceil(x),
            FuncKind::Round => libm::rint(x),
            FuncKind::Tan => libm::tan(x),
            FuncKind::Asin => libm::asin(x),
            FuncKind::Acos => libm::acos(x),
            FuncKind::Atan => libm::atan(x),
        }
    }
}
