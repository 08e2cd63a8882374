//! The one verification path: [`judge`] decides whether a proof file proves the caller's statement.

use crate::artifacts::VerifierArtifacts;
use crate::error::VerifyError;
use crate::instances::{describe, encode, statement_vector, InstanceError, ProvedTensor};
use crate::openings_file::TensorKind;
use crate::proof_file::{flatten, flatten_ints, ListError, ProofFile};
use crate::rejection::{Rejection, UnreadableCause};
use crate::trust::{self, SrsIdentity, SrsPolicy, TrustError};
use serde_json::Value;
use std::cmp::Ordering;
use zkinfer_circuits::field::{fr_from_hex, fr_to_hex};
use zkinfer_circuits::poseidon::{fr_from_be_hex, fr_to_be_hex, Opening};
use zkinfer_circuits::settings::{IoSpec, Settings, Visibility};
use zkinfer_circuits::Fr;

/// The inputs a caller expects a proof to be about.
#[derive(Debug, Clone, PartialEq)]
pub enum ExpectedInputs {
    /// Stored fixed-point integers, one list per input (row-major).
    Stored(Vec<Vec<i64>>),
    /// Real values, one list per input (row-major), rounded onto each input's grid.
    Values(Vec<Vec<f64>>),
    /// The openings (stored values and salt) of the hashed inputs, in input order: each must open the
    /// proof's commitment to that input. Public inputs are not checked in this form.
    Openings(Vec<Opening>),
    /// The commitments of the hashed inputs, in input order (a job that names its input by commitment):
    /// the proof's must be these. Public inputs are not checked in this form.
    Commitments(Vec<Fr>),
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
    /// Stored integers of each input (row-major; empty for a hashed or private input).
    pub inputs_q: Vec<Vec<i64>>,
    /// The inputs' values, derived from `inputs_q`.
    pub inputs: Vec<Vec<f64>>,
    /// Stored integers of each output (row-major; empty for a hashed or private output).
    pub outputs_q: Vec<Vec<i64>>,
    /// The outputs' values, derived from `outputs_q`.
    pub outputs: Vec<Vec<f64>>,
    /// The binding value.
    pub bind: Fr,
    /// What the proof states about each input, then each output: stored integers, a commitment, or nothing.
    pub tensors: Vec<ProvedTensor>,
}

/// A hashed tensor's commitment, with the tensor it commits to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamedCommitment {
    /// The tensor's name.
    pub tensor: String,
    /// Input or output.
    pub kind: TensorKind,
    /// Its index among the inputs (or outputs).
    pub index: usize,
    /// The commitment, big-endian `0x` hex (as JavaScript and Solidity print it).
    pub commitment: String,
}

impl Verified {
    /// Each hashed tensor's commitment, named by `settings` (the artifacts' settings).
    pub fn named_commitments(&self, settings: &Settings) -> Vec<NamedCommitment> {
        let n_in = settings.inputs.len();
        self.commitments()
            .into_iter()
            .filter_map(|(i, c)| {
                let (kind, index, spec) = match i < n_in {
                    true => (TensorKind::Input, i, settings.inputs.get(i)?),
                    false => (
                        TensorKind::Output,
                        i - n_in,
                        settings.outputs.get(i - n_in)?,
                    ),
                };
                Some(NamedCommitment {
                    tensor: spec.name.clone(),
                    kind,
                    index,
                    commitment: fr_to_be_hex(&c),
                })
            })
            .collect()
    }

    /// The commitments of the hashed tensors: (tensor index among inputs then outputs, commitment).
    pub fn commitments(&self) -> Vec<(usize, Fr)> {
        commitments_of(&self.tensors)
    }

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

/// Parses a proof file's tensors by their visibility: a public tensor's list of stored integers, a hashed
/// tensor's commitment (the next of `commitments`; its list is `null`), a private tensor's `null`.
fn proved_tensors<'a>(
    specs: &[IoSpec],
    lists: &[Value],
    commitments: &mut impl Iterator<Item = &'a String>,
    name: &'static str,
    kind: &'static str,
) -> Result<Vec<ProvedTensor>, Rejection> {
    tensor_count(kind, specs.len(), lists.len())?;
    specs
        .iter()
        .zip(lists)
        .enumerate()
        .map(|(i, (spec, v))| {
            let at = format!("{name}[{i}]");
            let null = |what: &str| -> Result<(), Rejection> {
                match v {
                    Value::Null => Ok(()),
                    _ => Err(unreadable(
                        name,
                        ListError {
                            at: at.clone(),
                            found: "values".into(),
                            expected: if what == "hashed" {
                                "null (the tensor is hashed: its values are not in the file)"
                            } else {
                                "null (the tensor is private: its values are not in the file)"
                            },
                        },
                    )),
                }
            };
            match spec.visibility {
                Visibility::Public => flatten_ints(v, &at)
                    .map(ProvedTensor::Public)
                    .map_err(|e| unreadable(name, e)),
                Visibility::Hashed => {
                    null("hashed")?;
                    let hex = commitments.next().ok_or_else(|| {
                        unreadable(
                            "commitments",
                            VerifyError::format(
                                "proof",
                                format!(
                                    "no commitment for {kind} {i} ('{}'), which is hashed",
                                    spec.name
                                ),
                            ),
                        )
                    })?;
                    fr_from_be_hex(hex)
                        .map(ProvedTensor::Hashed)
                        .ok_or_else(|| {
                            unreadable(
                                "commitments",
                                VerifyError::format(
                                    "proof",
                                    format!("{hex:.80} is not a 0x big-endian hex field element"),
                                ),
                            )
                        })
                }
                Visibility::Private => null("private").map(|_| ProvedTensor::Private),
            }
        })
        .collect()
}

/// Checks the human-readable floats against the proved integers (within half a grid step) and returns
/// the integers' values.
fn values(
    specs: &[IoSpec],
    tensors: &[ProvedTensor],
    floats: &[Value],
    kind: &'static str,
) -> Result<Vec<Vec<f64>>, Rejection> {
    let name = if kind == "input" { "inputs" } else { "outputs" };
    tensor_count(kind, specs.len(), floats.len())?;
    let mut out = Vec::with_capacity(specs.len());
    for (i, ((spec, t), f)) in specs.iter().zip(tensors).zip(floats).enumerate() {
        let what = format!("{kind} {i}");
        let Some(q) = t.stored() else {
            if !f.is_null() {
                return Err(unreadable(
                    name,
                    ListError {
                        at: format!("{name}[{i}]"),
                        found: "values".into(),
                        expected: "null (the tensor is not public)",
                    },
                ));
            }
            out.push(Vec::new());
            continue;
        };
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

/// The hashed tensors among `tensors` and their commitments: (index, commitment).
fn commitments_of(tensors: &[ProvedTensor]) -> Vec<(usize, Fr)> {
    tensors
        .iter()
        .enumerate()
        .filter_map(|(i, t)| t.commitment().map(|c| (i, c)))
        .collect()
}

/// Checks each hashed input's commitment against the caller's opening of it.
fn check_openings(
    specs: &[IoSpec],
    openings: &[Opening],
    proved: &[ProvedTensor],
) -> Result<(), Rejection> {
    let hashed = commitments_of(proved);
    tensor_count(
        "hashed input (openings given)",
        hashed.len(),
        openings.len(),
    )?;
    for ((tensor, commitment), opening) in hashed.into_iter().zip(openings) {
        if !matches!(opening.opens(&commitment), Ok(true)) {
            return Err(Rejection::OpeningMismatch {
                tensor,
                name: specs[tensor].name.clone(),
            });
        }
    }
    Ok(())
}

/// Checks each hashed input's commitment against the one the caller expects.
fn check_commitments(
    specs: &[IoSpec],
    expected: &[Fr],
    proved: &[ProvedTensor],
) -> Result<(), Rejection> {
    let hashed = commitments_of(proved);
    tensor_count(
        "hashed input (commitments given)",
        hashed.len(),
        expected.len(),
    )?;
    match hashed.iter().zip(expected).find(|((_, c), e)| c != *e) {
        Some(((tensor, _), _)) => Err(Rejection::OpeningMismatch {
            tensor: *tensor,
            name: specs[*tensor].name.clone(),
        }),
        None => Ok(()),
    }
}

fn check_inputs(
    art: &VerifierArtifacts,
    expected: &ExpectedInputs,
    proved: &[ProvedTensor],
) -> Result<(), Rejection> {
    // the caller's inputs are the data inputs; committed weights are checked against the pin
    let specs = art.settings.data_inputs();
    let proved = &proved[..specs.len().min(proved.len())];
    let want = match expected {
        ExpectedInputs::Openings(openings) => return check_openings(specs, openings, proved),
        ExpectedInputs::Commitments(expected) => return check_commitments(specs, expected, proved),
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
        let Some(p) = p.stored() else {
            return Err(Rejection::SettingsMismatch {
                source: InstanceError::Visibility {
                    what: format!("input {tensor}"),
                    name: specs[tensor].name.clone(),
                    expected: specs[tensor].visibility.name(),
                    found: "values (give the opening of a hashed input instead)",
                },
            });
        };
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

/// The proof file's statement, rebuilt from its integers and commitments by the settings' visibilities:
/// each input's and output's [`ProvedTensor`] and the instance vector.
fn proved_statement(
    settings: &Settings,
    proof: &ProofFile,
    bind: Fr,
) -> Result<ProvedStatement, Rejection> {
    let mut commitments = proof.commitments.iter();
    let ins = proved_tensors(
        &settings.inputs,
        &proof.inputs_q,
        &mut commitments,
        "inputs_q",
        "input",
    )?;
    let outs = proved_tensors(
        &settings.outputs,
        &proof.outputs_q,
        &mut commitments,
        "outputs_q",
        "output",
    )?;
    if commitments.next().is_some() {
        return Err(unreadable(
            "commitments",
            VerifyError::format(
                "proof",
                format!(
                    "{} commitments for the model's {} hashed tensors",
                    proof.commitments.len(),
                    settings.instance_layout().hashed().len()
                ),
            ),
        ));
    }
    let instances = statement_vector(settings, &ins, &outs, bind)
        .map_err(|source| Rejection::SettingsMismatch { source })?;
    Ok((ins, outs, instances))
}

/// Compares the proof file's own instance list (informational) with the one rebuilt from its integers and
/// commitments: a difference means the file was edited after proving.
fn check_file_instances(
    settings: &Settings,
    proof: &ProofFile,
    instances: &[Fr],
) -> Result<(), Rejection> {
    let n = instances.len().max(proof.instances.len());
    match (0..n)
        .find(|&i| proof.instances.get(i).and_then(|h| fr_from_hex(h)) != instances.get(i).copied())
    {
        Some(index) => Err(Rejection::InstanceMismatch {
            index,
            what: describe(settings, index),
        }),
        None => Ok(()),
    }
}

/// What a proof file states: each input's and output's [`ProvedTensor`], and the instance vector.
type ProvedStatement = (Vec<ProvedTensor>, Vec<ProvedTensor>, Vec<Fr>);

/// The rejection for a list of `found` tensors where the model has `expected` of `kind`.
fn tensor_count(kind: &'static str, expected: usize, found: usize) -> Result<(), Rejection> {
    match expected == found {
        true => Ok(()),
        false => Err(Rejection::SettingsMismatch {
            source: InstanceError::TensorCount {
                what: kind,
                expected,
                found,
            },
        }),
    }
}

/// Checks the proof's commitments to the model's committed weights against the caller's pin (none: a
/// model with committed weights is refused; a model without them needs no pin, and refuses one that names
/// weights).
fn check_weights(
    settings: &Settings,
    pin: Option<&[Fr]>,
    proved: &[ProvedTensor],
) -> Result<(), Rejection> {
    let first = settings.data_inputs().len();
    let weights = settings.weight_inputs();
    let pin = match (weights.is_empty(), pin) {
        (true, None) => return Ok(()),
        (false, None) => return Err(Rejection::WeightsUnpinned),
        (_, Some(pin)) => pin,
    };
    if pin.len() != weights.len() {
        // a pin for another number of weight tensors pins nothing of this model
        let tensor = first + pin.len().min(weights.len());
        return Err(Rejection::WeightsMismatch {
            tensor,
            name: settings
                .inputs
                .get(tensor)
                .map_or_else(|| "(none)".to_string(), |s| s.name.clone()),
        });
    }
    for (w, expected) in pin.iter().enumerate() {
        let tensor = first + w;
        if proved.get(tensor).and_then(ProvedTensor::commitment) != Some(*expected) {
            return Err(Rejection::WeightsMismatch {
                tensor,
                name: settings.inputs[tensor].name.clone(),
            });
        }
    }
    Ok(())
}

/// Decides whether `proof` proves `statement` for the model of `artifacts`. Checks, in order: the SRS
/// against the statement's policy, the model id, the file's fields, the floats against the integers,
/// the file's instance list against the one rebuilt from the integers, the binding value, the expected
/// inputs, and finally the proof itself. Never panics on hostile input.
///
/// A model with committed weights is always refused here ([`Rejection::WeightsUnpinned`]): its proofs
/// say nothing without the weights commitment the caller trusts; [`judge_pinned`] takes one.
pub fn judge(
    artifacts: &VerifierArtifacts,
    proof: &ProofFile,
    statement: &Statement,
) -> Result<Verified, Rejection> {
    judge_pinned(artifacts, proof, statement, None)
}

/// [`judge`] with the commitments of the model's committed weights the caller trusts (from the model
/// owner's `weights.commitment.json`, in weight-input order): the proof must commit to exactly those.
/// `None` for a model with fixed weights.
pub fn judge_pinned(
    artifacts: &VerifierArtifacts,
    proof: &ProofFile,
    statement: &Statement,
    weights: Option<&[Fr]>,
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
    let (ins, outs, instances) = proved_statement(settings, proof, bind)?;
    let inputs = values(&settings.inputs, &ins, &proof.inputs, "input")?;
    let outputs = values(&settings.outputs, &outs, &proof.outputs, "output")?;
    check_file_instances(settings, proof, &instances)?;
    let stored = |t: &[ProvedTensor]| -> Vec<Vec<i64>> {
        t.iter()
            .map(|t| t.stored().map(<[i64]>::to_vec).unwrap_or_default())
            .collect()
    };
    let (inputs_q, outputs_q) = (stored(&ins), stored(&outs));
    let expected_bind = statement.bind.unwrap_or(Fr::zero());
    if bind != expected_bind {
        return Err(Rejection::BindingMismatch {
            expected: fr_to_hex(&expected_bind),
            found: fr_to_hex(&bind),
        });
    }
    if let Some(expected) = &statement.inputs {
        check_inputs(artifacts, expected, &ins)?;
    }
    check_weights(settings, weights, &ins)?;
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
        tensors: ins.into_iter().chain(outs).collect(),
    })
}
