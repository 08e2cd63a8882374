//! Committed weights (`compile --weights committed`): one circuit and one verifying key for every weight set
//! of an architecture. The weights of MatMul and Gemm are hashed inputs of the circuit; the prover holds
//! their openings (`weights.openings.json`: stored values and one salt per tensor, mode 0600) and publishes
//! their commitments (`weights.commitment.json`), which a verifier pins.
//!
//! A weight set is quantised at the encodings `compile` fixed for its tensors (chosen from the compiled
//! weight set's ranges with the compile headroom); a weight that does not fit them is refused, naming
//! the tensor ([`WeightsError::OutOfRange`]).

use halo2_proofs::halo2curves::ff::Field;
use rand::rngs::OsRng;
use std::path::Path;
use thiserror::Error;
use zkinfer_circuits::poseidon::{commit, fr_to_be_hex};
use zkinfer_circuits::settings::{Settings, WeightsMode};
use zkinfer_circuits::Fr;
use zkinfer_verifier::weights_file::{WeightOpening, WeightsOpeningsFile, WEIGHTS_FILE_VERSION};

/// The private openings of the model directory's weight set.
pub const WEIGHTS_OPENINGS: &str = "weights.openings.json";
/// The public commitments of the model directory's weight set.
pub const WEIGHTS_COMMITMENT: &str = "weights.commitment.json";

/// Why a weight set cannot be committed or proved with.
#[derive(Debug, Error)]
pub enum WeightsError {
    /// The model was compiled with fixed weights.
    #[error("the model's weights are fixed in its circuit (compile it with --weights committed)")]
    NotCommitted,
    /// Another architecture than the compiled model's.
    #[error(
        "{file} is another architecture than the compiled model (architecture digest {found}, the \
         model's {expected}): only the values of the committed weights may differ"
    )]
    Architecture {
        /// The ONNX file.
        file: String,
        /// The model directory's architecture digest.
        expected: String,
        /// The file's.
        found: String,
    },
    /// The weight set names other tensors, or other shapes.
    #[error(
        "the weight set's tensors {found:?} are not the model's committed weights {expected:?}"
    )]
    Tensors {
        /// The model's weight tensors (name and element count).
        expected: Vec<(String, usize)>,
        /// The given ones.
        found: Vec<(String, usize)>,
    },
    /// A weight value outside its tensor's encoding.
    #[error(
        "weight tensor '{tensor}' element {element} is {value}, outside the range [{min}, {max}] its \
         encoding was given at compile: compile the model again with this weight set (or a larger \
         headroom)"
    )]
    OutOfRange {
        /// The weight tensor.
        tensor: String,
        /// The element (row-major).
        element: usize,
        /// Its value.
        value: f64,
        /// The smallest value of the encoding.
        min: f64,
        /// The largest.
        max: f64,
    },
    /// A stored value the commitment cannot pack (over 24 bits).
    #[error("weight tensor '{tensor}': {message}")]
    Commitment {
        /// The weight tensor.
        tensor: String,
        /// Why.
        message: String,
    },
}

/// The stored values of a weight set (float values, one list per weight input) at the model's encodings.
pub fn quantise_weights(
    settings: &Settings,
    values: &[Vec<f64>],
) -> Result<Vec<Vec<i128>>, WeightsError> {
    let specs = settings.weight_inputs();
    let found: Vec<(String, usize)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let name = specs
                .get(i)
                .map_or_else(|| format!("#{i}"), |s| s.name.clone());
            (name, v.len())
        })
        .collect();
    let expected: Vec<(String, usize)> =
        specs.iter().map(|s| (s.name.clone(), s.numel())).collect();
    if found != expected {
        return Err(WeightsError::Tensors { expected, found });
    }
    specs
        .iter()
        .zip(values)
        .map(|(spec, v)| {
            let e = spec.encoding;
            v.iter()
                .enumerate()
                .map(|(element, &value)| {
                    e.quantise(value)
                        .map(i128::from)
                        .ok_or(WeightsError::OutOfRange {
                            tensor: spec.name.clone(),
                            element,
                            value,
                            min: e.min_value(),
                            max: e.max_value(),
                        })
                })
                .collect()
        })
        .collect()
}

/// Commits to a weight set: its stored values and a fresh salt per tensor from the OS's random source.
pub fn commit_weights(
    settings: &Settings,
    architecture: &str,
    values: &[Vec<f64>],
) -> Result<WeightsOpeningsFile, WeightsError> {
    if !settings.has_committed_weights() {
        return Err(WeightsError::NotCommitted);
    }
    let stored = quantise_weights(settings, values)?;
    let openings = settings
        .weight_inputs()
        .iter()
        .zip(stored)
        .map(|(spec, values)| {
            let salt = Fr::random(OsRng);
            let c = commit(&values, salt).map_err(|e| WeightsError::Commitment {
                tensor: spec.name.clone(),
                message: e.to_string(),
            })?;
            Ok(WeightOpening {
                tensor: spec.name.clone(),
                commitment: fr_to_be_hex(&c),
                values,
                salt,
            })
        })
        .collect::<Result<_, WeightsError>>()?;
    Ok(WeightsOpeningsFile {
        version: WEIGHTS_FILE_VERSION,
        architecture: architecture.to_string(),
        openings,
    })
}

/// The float values of a weights openings file (each stored value dequantised at its tensor's encoding:
/// exact, the witness quantises them back to the same integers).
pub fn dequantised(settings: &Settings, file: &WeightsOpeningsFile) -> Vec<Vec<f64>> {
    settings
        .weight_inputs()
        .iter()
        .zip(&file.openings)
        .map(|(spec, o)| {
            o.values
                .iter()
                .map(|&q| {
                    spec.encoding
                        .dequantise(i64::try_from(q).unwrap_or(i64::MAX))
                })
                .collect()
        })
        .collect()
}

/// Commits to the weights of `model`, another weight set of the architecture compiled in `settings`
/// (whose architecture digest is `architecture`): refused for another architecture.
pub fn commit_other_weights(
    settings: &Settings,
    architecture: &str,
    model: &Path,
) -> Result<WeightsOpeningsFile, crate::error::ProverError> {
    if !settings.has_committed_weights() {
        return Err(WeightsError::NotCommitted.into());
    }
    let (_, weights) = zkinfer_compiler::lower_weights(model, WeightsMode::Committed)?;
    if weights.architecture != architecture {
        return Err(WeightsError::Architecture {
            file: model.display().to_string(),
            expected: architecture.to_string(),
            found: weights.architecture,
        }
        .into());
    }
    Ok(commit_weights(settings, architecture, &weights.values)?)
}
