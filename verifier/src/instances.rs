//! The public instance vector, defined once ([`instance_vector`]): every input element, then every output
//! element, each as its stored fixed-point integer, then the settings digest (`Settings::digest`, which the
//! circuit also fixes, so the verifying key commits to it), then the binding value. The market and the CLI rebuild
//! instances with this, never trusting the instances inside a proof file.

use thiserror::Error;
use zkinfer_circuits::field::fr_from_i128;
use zkinfer_circuits::settings::{IoSpec, Settings, Visibility};
use zkinfer_circuits::Fr;

/// Why values do not fit a model's public tensors.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InstanceError {
    /// A tensor given as another visibility than the settings give it (values of a hashed tensor, say).
    #[error("{what} ('{name}') is {expected} in this model's settings, but the proof gives it as {found}")]
    Visibility {
        /// e.g. "input 0".
        what: String,
        /// The tensor's name.
        name: String,
        /// Its visibility in the settings.
        expected: &'static str,
        /// How it was given.
        found: &'static str,
    },
    /// Wrong number of tensors.
    #[error("the model has {expected} {what} tensor(s), found {found}")]
    TensorCount {
        /// "input" or "output".
        what: &'static str,
        /// What the model has.
        expected: usize,
        /// What was given.
        found: usize,
    },
    /// A tensor with the wrong number of elements.
    #[error("{what} ('{name}') has {found} values, the model's shape {shape:?} needs {expected}")]
    ElementCount {
        /// e.g. "input 0".
        what: String,
        /// The tensor's name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Elements it needs.
        expected: usize,
        /// Elements given.
        found: usize,
    },
    /// A value outside the calibrated range.
    #[error("{what} ('{name}') element {index}: {value} is outside the range [{min}, {max}]")]
    OutOfRange {
        /// e.g. "input 0".
        what: String,
        /// The tensor's name.
        name: String,
        /// Element index (row-major).
        index: usize,
        /// The value.
        value: f64,
        /// Smallest value the encoding holds.
        min: f64,
        /// Largest value the encoding holds.
        max: f64,
    },
    /// A value that is not on the fixed-point grid where an exact value was required.
    #[error("{what} ('{name}') element {index}: {value} is not a value the circuit can output (not on its fixed-point grid)")]
    OffGrid {
        /// e.g. "output 0".
        what: String,
        /// The tensor's name.
        name: String,
        /// Element index (row-major).
        index: usize,
        /// The value.
        value: f64,
    },
    /// A stored integer outside `[0, 2^bits)`.
    #[error("{what} ('{name}') element {index}: stored integer {value} is outside [0, 2^{bits})")]
    StoredOutOfRange {
        /// e.g. "output 0".
        what: String,
        /// The tensor's name.
        name: String,
        /// Element index (row-major).
        index: usize,
        /// The integer.
        value: i64,
        /// The encoding's bits.
        bits: u32,
    },
}

/// Stored integers of the values of one tensor; values must lie exactly on the tensor's fixed-point grid
/// when `exact`, else they are rounded onto it.
pub fn encode(
    spec: &IoSpec,
    values: &[f64],
    what: &str,
    exact: bool,
) -> Result<Vec<i64>, InstanceError> {
    check_len(spec, values.len(), what)?;
    let e = spec.encoding;
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            let s = e.quantise(value).ok_or_else(|| InstanceError::OutOfRange {
                what: what.to_string(),
                name: spec.name.clone(),
                index,
                value,
                min: e.min_value(),
                max: e.max_value(),
            })?;
            if exact && e.dequantise(s) != value {
                return Err(InstanceError::OffGrid {
                    what: what.to_string(),
                    name: spec.name.clone(),
                    index,
                    value,
                });
            }
            Ok(s)
        })
        .collect()
}

/// Checks stored integers of one tensor: the count and the range `[0, 2^bits)`.
pub fn check_stored(spec: &IoSpec, stored: &[i64], what: &str) -> Result<(), InstanceError> {
    check_len(spec, stored.len(), what)?;
    let bits = spec.encoding.bits;
    match stored
        .iter()
        .position(|&v| v < 0 || (bits < 63 && v >= 1i64 << bits))
    {
        Some(index) => Err(InstanceError::StoredOutOfRange {
            what: what.to_string(),
            name: spec.name.clone(),
            index,
            value: stored[index],
            bits,
        }),
        None => Ok(()),
    }
}

fn check_len(spec: &IoSpec, found: usize, what: &str) -> Result<(), InstanceError> {
    if found != spec.numel() {
        return Err(InstanceError::ElementCount {
            what: what.to_string(),
            name: spec.name.clone(),
            shape: spec.shape.clone(),
            expected: spec.numel(),
            found,
        });
    }
    Ok(())
}

fn check_count(what: &'static str, expected: usize, found: usize) -> Result<(), InstanceError> {
    if expected != found {
        return Err(InstanceError::TensorCount {
            what,
            expected,
            found,
        });
    }
    Ok(())
}

/// What a proof states about one input or output tensor, by its visibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvedTensor {
    /// A public tensor's stored integers (row-major).
    Public(Vec<i64>),
    /// A hashed tensor's commitment ([`zkinfer_circuits::poseidon::commit`] of its stored values).
    Hashed(Fr),
    /// A private tensor: nothing.
    Private,
}

impl ProvedTensor {
    /// The stored integers of a public tensor.
    pub fn stored(&self) -> Option<&[i64]> {
        match self {
            ProvedTensor::Public(v) => Some(v),
            _ => None,
        }
    }

    /// The commitment of a hashed tensor.
    pub fn commitment(&self) -> Option<Fr> {
        match self {
            ProvedTensor::Hashed(c) => Some(*c),
            _ => None,
        }
    }

    /// Its visibility.
    pub fn visibility(&self) -> Visibility {
        match self {
            ProvedTensor::Public(_) => Visibility::Public,
            ProvedTensor::Hashed(_) => Visibility::Hashed,
            ProvedTensor::Private => Visibility::Private,
        }
    }
}

/// The instance vector, the one definition of its layout ([`zkinfer_circuits::visibility`]): for each
/// input, then each output (settings order), its stored integers (public, row-major), its commitment
/// (hashed) or nothing (private), then the settings digest and the binding value. Checks counts, ranges
/// and that each tensor is given as its visibility says.
pub fn statement_vector(
    settings: &Settings,
    inputs: &[ProvedTensor],
    outputs: &[ProvedTensor],
    bind: Fr,
) -> Result<Vec<Fr>, InstanceError> {
    check_count("input", settings.inputs.len(), inputs.len())?;
    check_count("output", settings.outputs.len(), outputs.len())?;
    let mut out = Vec::with_capacity(settings.num_instances());
    for (kind, specs, tensors) in [
        ("input", &settings.inputs, inputs),
        ("output", &settings.outputs, outputs),
    ] {
        for (i, (spec, t)) in specs.iter().zip(tensors).enumerate() {
            if t.visibility() != spec.visibility {
                return Err(InstanceError::Visibility {
                    what: format!("{kind} {i}"),
                    name: spec.name.clone(),
                    expected: spec.visibility.name(),
                    found: t.visibility().name(),
                });
            }
            match t {
                ProvedTensor::Public(v) => {
                    check_stored(spec, v, &format!("{kind} {i}"))?;
                    out.extend(v.iter().map(|&s| fr_from_i128(i128::from(s))));
                }
                ProvedTensor::Hashed(c) => out.push(*c),
                ProvedTensor::Private => {}
            }
        }
    }
    out.push(settings.digest());
    out.push(bind);
    Ok(out)
}

/// [`statement_vector`] of a model whose inputs and outputs are all public, from their stored integers.
pub fn instance_vector(
    settings: &Settings,
    inputs_q: &[Vec<i64>],
    outputs_q: &[Vec<i64>],
    bind: Fr,
) -> Result<Vec<Fr>, InstanceError> {
    let public = |v: &[Vec<i64>]| -> Vec<ProvedTensor> {
        v.iter().cloned().map(ProvedTensor::Public).collect()
    };
    statement_vector(settings, &public(inputs_q), &public(outputs_q), bind)
}

/// What instance `index` of `settings`' vector holds, for messages: "input 0 element 3", "binding".
pub fn describe(settings: &Settings, index: usize) -> String {
    let mut at = index;
    for (kind, specs) in [("input", &settings.inputs), ("output", &settings.outputs)] {
        for (i, spec) in specs.iter().enumerate() {
            let rows = match spec.visibility {
                Visibility::Public => spec.numel(),
                Visibility::Hashed => 1,
                Visibility::Private => 0,
            };
            if at < rows {
                return match spec.visibility {
                    Visibility::Hashed => format!("the commitment to {kind} {i} ('{}')", spec.name),
                    _ => format!("{kind} {i} ('{}') element {at}", spec.name),
                };
            }
            at -= rows;
        }
    }
    if at == 0 {
        "the settings digest (the proof was made for other settings)".into()
    } else if at == 1 {
        "the binding value".into()
    } else {
        format!(
            "instance {index} (beyond the model's {})",
            settings.num_instances()
        )
    }
}

/// The instance vector for (dequantised) inputs and outputs, which must lie exactly on their fixed-point
/// grids; see [`instance_vector`].
pub fn instances(
    settings: &Settings,
    inputs: &[Vec<f64>],
    outputs: &[Vec<f64>],
    bind: Fr,
) -> Result<Vec<Fr>, InstanceError> {
    check_count("input", settings.inputs.len(), inputs.len())?;
    check_count("output", settings.outputs.len(), outputs.len())?;
    let enc = |specs: &[IoSpec], vals: &[Vec<f64>], kind: &str| {
        specs
            .iter()
            .zip(vals)
            .enumerate()
            .map(|(i, (s, v))| encode(s, v, &format!("{kind} {i}"), true))
            .collect::<Result<Vec<_>, _>>()
    };
    let ins = enc(&settings.inputs, inputs, "input")?;
    let outs = enc(&settings.outputs, outputs, "output")?;
    instance_vector(settings, &ins, &outs, bind)
}
