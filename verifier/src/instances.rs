//! The public instance vector, defined once ([`instance_vector`]): every input element, then every output
//! element, each as its stored fixed-point integer, then the settings digest (`Settings::digest`, which the
//! circuit also fixes, so the verifying key commits to it), then the binding value. The market and the CLI rebuild
//! instances with this, never trusting the instances inside a proof file.

use thiserror::Error;
use zkinfer_circuits::field::fr_from_i128;
use zkinfer_circuits::settings::{IoSpec, Settings};
use zkinfer_circuits::Fr;

/// Why values do not fit a model's public tensors.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InstanceError {
    /// Settings with a hashed or private tensor: the circuit supports them (`zkinfer_circuits::visibility`),
    /// proof files and this verifier do not carry commitments yet.
    #[error(
        "tensor '{name}' is {visibility}: proof files and verifiers carry public tensors only so far"
    )]
    NotPublic {
        /// The tensor's name.
        name: String,
        /// Its visibility.
        visibility: &'static str,
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

/// The instance vector, the one definition of its layout: every input element, every output element
/// (stored integers, row-major, tensors in settings order), then the settings digest and the binding value. Checks counts and
/// ranges.
pub fn instance_vector(
    settings: &Settings,
    inputs_q: &[Vec<i64>],
    outputs_q: &[Vec<i64>],
    bind: Fr,
) -> Result<Vec<Fr>, InstanceError> {
    check_count("input", settings.inputs.len(), inputs_q.len())?;
    check_count("output", settings.outputs.len(), outputs_q.len())?;
    if let Some(io) = settings
        .inputs
        .iter()
        .chain(&settings.outputs)
        .find(|io| !io.visibility.is_public())
    {
        return Err(InstanceError::NotPublic {
            name: io.name.clone(),
            visibility: io.visibility.name(),
        });
    }
    let mut out = Vec::with_capacity(settings.num_instances());
    for (kind, specs, tensors) in [
        ("input", &settings.inputs, inputs_q),
        ("output", &settings.outputs, outputs_q),
    ] {
        for (i, (spec, v)) in specs.iter().zip(tensors).enumerate() {
            check_stored(spec, v, &format!("{kind} {i}"))?;
            out.extend(v.iter().map(|&s| fr_from_i128(i128::from(s))));
        }
    }
    out.push(settings.digest());
    out.push(bind);
    Ok(out)
}

/// What instance `index` of `settings`' vector holds, for messages: "input 0 element 3", "binding".
pub fn describe(settings: &Settings, index: usize) -> String {
    let mut at = index;
    for (kind, specs) in [("input", &settings.inputs), ("output", &settings.outputs)] {
        for (i, spec) in specs.iter().enumerate() {
            if at < spec.numel() {
                return format!("{kind} {i} ('{}') element {at}", spec.name);
            }
            at -= spec.numel();
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
