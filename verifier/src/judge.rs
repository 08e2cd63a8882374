//! The one verification path: [`judge`] decides whether a proof file proves the caller's statement.

use crate::artifacts::VerifierArtifacts;
use crate::instances::{describe, encode, instance_vector, InstanceError};
use crate::proof_file::{flatten, flatten_ints, ProofFile};
use crate::rejection::{Rejection, UnreadableCause};
use crate::trust::{self, SrsIdentity, SrsPolicy, TrustError};
use serde_json::Value;
use std::cmp::Ordering;
use zkinfer_circuits::field::{fr_from_hex, fr_to_hex};
use zkinfer_circuits::settings::IoSpec;
use zkinfer_circuits::Fr;

/// The inputs a caller expects a proof to be about.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedInputs {
    /// Stored fixed-point integers, one list per input (row-major).
    Stored(Vec<Vec<i64>>),
    /// Real values, one list per input (row-major), rounded onto each input's grid.
    Values(Vec<Vec<f64>>),
}

/// What the caller expects a proof to prove.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Statement {
    /// The model id the caller expects; `None` accepts the artifacts' own.
    pub model_id: Option<String>,
    /// The inputs the proof must be about; `None` accepts any input.
    pub inputs: Option<ExpectedInputs>,
    /// The binding value the proof must carry; `None` means it must be zero (an unbound proof).
    pub bind: Option<Fr>,
    /// Which SRSs the caller accepts.
    pub srs: SrsPolicy,
}

/// A proof that passed: what it proves.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The model id (settings, vk and SRS).
    pub model_id: String,
    /// The SRS the verdict rests on.
    pub srs: SrsIdentity,
    /// Stored integers of each input (row-major).
    pub inputs_q: Vec<Vec<i64>>,
    /// The inputs' values, derived from `inputs_q`.
    pub inputs: Vec<Vec<f64>>,
    /// Stored integers of each output (row-major).
    pub outputs_q: Vec<Vec<i64>>,
    /// The outputs' values, derived from `outputs_q`.
    pub outputs: Vec<Vec<f64>>,
    /// The binding value.
    pub bind: Fr,
}

impl Verified {
    /// The digest of the proved input ([`crate::input_digest()`]): which input this proof is about.
    pub fn input_digest(&self) -> String {
        crate::input_digest::input_digest(&self.inputs_q)
    }
}

fn unreadable(what: &str, cause: impl Into<UnreadableCause>) -> Rejection {
    Rejection::Unreadable {
        what: what.to_string(),
        source: cause.into(),
    }
}

/// Parses a proof file's lists of stored integers.
fn ints(lists: &[Value], name: &str) -> Result<Vec<Vec<i64>>, Rejection> {
    lists
        .iter()
        .enumerate()
        .map(|(i, v)| flatten_ints(v, &format!("{name}[{i}]")).map_err(|e| unreadable(name, e)))
        .collect()
}

/// Checks the human-readable floats against the proved integers (within half a grid step) and returns
/// the integers' values.
fn values(
    specs: &[IoSpec],
    stored: &[Vec<i64>],
    floats: &[Value],
    kind: &'static str,
) -> Result<Vec<Vec<f64>>, Rejection> {
    let name = if kind == "input" { "inputs" } else { "outputs" };
    if floats.len() != specs.len() {
        return Err(Rejection::SettingsMismatch {
            source: InstanceError::TensorCount {
                what: kind,
                expected: specs.len(),
                found: floats.len(),
            },
        });
    }
    let mut out = Vec::with_capacity(specs.len());
    for (i, ((spec, q), f)) in specs.iter().zip(stored).zip(floats).enumerate() {
        let what = format!("{kind} {i}");
        let f = flatten(f, &format!("{name}[{i}]")).map_err(|e| unreadable(name, e))?;
        if f.len() != q.len() {
            return Err(Rejection::SettingsMismatch {
                source: InstanceError::ElementCount {
                    what,
                    name: spec.name.clone(),
                    shape: spec.shape.clone(),
                    expected: q.len(),
                    found: f.len(),
                },
            });
        }
        let half_step = 0.5 / spec.encoding.unit();
        let proved: Vec<f64> = q.iter().map(|&s| spec.encoding.dequantise(s)).collect();
        if let Some(element) = proved.iter().zip(&f).position(|(p, x)| {
            !matches!(
                (x - p).abs().partial_cmp(&half_step),
                Some(Ordering::Less | Ordering::Equal)
            )
        }) {
            return Err(Rejection::EditedValue {
                what,
                element,
                float: f[element],
                proved: proved[element],
            });
        }
        out.push(proved);
    }
    Ok(out)
}

fn check_inputs(
    art: &VerifierArtifacts,
    expected: &ExpectedInputs,
    proved: &[Vec<i64>],
) -> Result<(), Rejection> {
    let specs = &art.settings.inputs;
    let want = match expected {
        ExpectedInputs::Stored(s) => s.clone(),
        ExpectedInputs::Values(v) => {
            if v.len() != specs.len() {
                return Err(Rejection::SettingsMismatch {
                    source: InstanceError::TensorCount {
                        what: "expected input",
                        expected: specs.len(),
                        found: v.len(),
                    },
                });
            }
            specs
                .iter()
                .zip(v)
                .enumerate()
                .map(|(i, (s, v))| encode(s, v, &format!("expected input {i}"), false))
                .collect::<Result<_, _>>()
                .map_err(|source| Rejection::SettingsMismatch { source })?
        }
    };
    if want.len() != proved.len() {
        return Err(Rejection::SettingsMismatch {
            source: InstanceError::TensorCount {
                what: "expected input",
                expected: proved.len(),
                found: want.len(),
            },
        });
    }
    for (tensor, (w, p)) in want.iter().zip(proved).enumerate() {
        if w.len() != p.len() {
            return Err(Rejection::SettingsMismatch {
                source: InstanceError::ElementCount {
                    what: format!("expected input {tensor}"),
                    name: specs[tensor].name.clone(),
                    shape: specs[tensor].shape.clone(),
                    expected: p.len(),
                    found: w.len(),
                },
            });
        }
        if let Some(element) = w.iter().zip(p).position(|(a, b)| a != b) {
            return Err(Rejection::InputMismatch {
                tensor,
                element,
                expected: w[element],
                found: p[element],
            });
        }
    }
    Ok(())
}

/// Decides whether `proof` proves `statement` for the model of `artifacts`. Checks, in order: the SRS
/// against the statement's policy, the model id, the file's fields, the floats against the integers,
/// the file's instance list against the one rebuilt from the integers, the binding value, the expected
/// inputs, and finally the proof itself. Never panics on hostile input.
pub fn judge(
    artifacts: &VerifierArtifacts,
    proof: &ProofFile,
    statement: &Statement,
) -> Result<Verified, Rejection> {
    let srs = trust::assess(&artifacts.params, statement.srs).map_err(|e| match e {
        TrustError::Untrusted(reason) => Rejection::UntrustedParams { reason },
        TrustError::Development {
            fingerprint,
            provenance,
        } => Rejection::DevelopmentParams {
            fingerprint,
            provenance,
        },
    })?;
    if let Some(expected) = &statement.model_id {
        // a hex digest: the owner's published id matches in either case
        if !expected.eq_ignore_ascii_case(&artifacts.model_id) {
            return Err(Rejection::ModelMismatch {
                expected: expected.clone(),
                found: artifacts.model_id.clone(),
            });
        }
    }
    if proof.model_id != artifacts.model_id {
        return Err(Rejection::ModelMismatch {
            expected: artifacts.model_id.clone(),
            found: proof.model_id.clone(),
        });
    }
    let bytes = proof
        .proof_bytes("proof")
        .map_err(|e| unreadable("proof", e))?;
    let bind = proof
        .bind_value("proof")
        .map_err(|e| unreadable("bind", e))?;
    let settings = &artifacts.settings;
    let inputs_q = ints(&proof.inputs_q, "inputs_q")?;
    let outputs_q = ints(&proof.outputs_q, "outputs_q")?;
    let instances = instance_vector(settings, &inputs_q, &outputs_q, bind)
        .map_err(|source| Rejection::SettingsMismatch { source })?;
    let inputs = values(&settings.inputs, &inputs_q, &proof.inputs, "input")?;
    let outputs = values(&settings.outputs, &outputs_q, &proof.outputs, "output")?;
    let n = instances.len().max(proof.instances.len());
    if let Some(index) = (0..n)
        .find(|&i| proof.instances.get(i).and_then(|h| fr_from_hex(h)) != instances.get(i).copied())
    {
        return Err(Rejection::InstanceMismatch {
            index,
            what: describe(settings, index),
        });
    }
    let expected_bind = statement.bind.unwrap_or(Fr::zero());
    if bind != expected_bind {
        return Err(Rejection::BindingMismatch {
            expected: fr_to_hex(&expected_bind),
            found: fr_to_hex(&bind),
        });
    }
    if let Some(expected) = &statement.inputs {
        check_inputs(artifacts, expected, &inputs_q)?;
    }
    artifacts
        .check_proof(&bytes, &instances, proof.transcript)
        .map_err(|e| Rejection::from_check(e, proof.transcript))?;
    Ok(Verified {
        model_id: artifacts.model_id.clone(),
        srs,
        inputs_q,
        inputs,
        outputs_q,
        outputs,
        bind,
    })
}
