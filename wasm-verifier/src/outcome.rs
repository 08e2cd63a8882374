//! The browser verifier's core, free of JavaScript types: options in, a verdict out. Every call goes
//! through [`zkinfer_verifier::judge`], the one verification path.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::scalar_hex::parse_scalar;
use zkinfer_circuits::Fr;
use zkinfer_verifier::openings_file::OpeningsFile;
use zkinfer_verifier::trust::TrustError;
use zkinfer_verifier::weights_file::WeightsCommitmentFile;
use zkinfer_verifier::Settings;
use zkinfer_verifier::{
    judge_pinned, LoadLimits, Rejection, SrsIdentity, SrsPolicy, Statement, Verified,
    VerifierArtifacts,
};
use zkinfer_verifier::{ExpectedInputs, NamedCommitment};

/// Why a call from JavaScript could not produce a verdict: a malformed artifact, proof file or option. (A
/// proof that fails is a verdict, never this.)
#[derive(Debug, Error)]
pub enum CallError {
    /// An option has a malformed value.
    #[error("options.{option}: {value:?} is not a 64-digit hex field element")]
    BadOption {
        /// The option's name.
        option: &'static str,
        /// The value given.
        value: String,
    },
    /// An artifact or the proof file cannot be read.
    #[error(transparent)]
    Artifact(#[from] zkinfer_verifier::VerifyError),
    /// The verifier params are refused whatever the policy.
    #[error("the verifier params cannot be trusted: {0}")]
    Untrusted(zkinfer_verifier::UntrustedReason),
    /// Development params where the caller did not allow them.
    #[error("development params refused")]
    DevelopmentRefused,
}

/// What the caller expects (the JavaScript options object; every field optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Options {
    /// Accept development params (an SRS whose secret someone may know). Off by default.
    #[serde(default)]
    pub allow_dev_srs: Option<bool>,
    /// The model id the proof must be about (defaults to the loaded artifacts' own).
    #[serde(default)]
    pub expected_model_id: Option<String>,
    /// The binding value the proof must carry, as a 64-digit hex field element (defaults to zero: an
    /// unbound proof).
    #[serde(default)]
    pub bind: Option<String>,
    /// For a model with hashed inputs: the text of the openings file `zkinfer prove` wrote beside the proof
    /// (`proof.openings.json`: the values and salts); the proof must then be about those values.
    #[serde(default)]
    pub openings: Option<String>,
    /// For a model with committed weights: the text of the model owner's `weights.commitment.json`; the
    /// proof must commit to exactly those weights. Without it such a proof is refused
    /// (`weights_mismatch`): nothing would say which weights it ran.
    #[serde(default)]
    pub weights_commitment: Option<String>,
}

impl Options {
    /// The SRS policy these options ask for.
    pub fn policy(&self) -> SrsPolicy {
        if self.allow_dev_srs == Some(true) {
            SrsPolicy::AllowDevelopment
        } else {
            SrsPolicy::CeremonyOnly
        }
    }

    /// The weights commitments to pin, in weight-input order (`None`: no `weightsCommitment` given); `Err`
    /// for a file that is not a weights commitment of this model.
    pub fn weights_pin(&self, settings: &Settings) -> Result<Option<Vec<Fr>>, CallError> {
        let Some(text) = &self.weights_commitment else {
            return Ok(None);
        };
        let name = "options.weightsCommitment";
        let f = WeightsCommitmentFile::parse_for(text.as_bytes(), name, settings)?;
        Ok(Some(f.field_commitments(name)?))
    }

    /// The statement to judge against for a model with `settings`; `Err` for a malformed option.
    pub fn statement(&self, settings: &Settings) -> Result<Statement, CallError> {
        let bind = match &self.bind {
            None => None,
            Some(h) => Some(parse_scalar(h).map_err(|_| CallError::BadOption {
                option: "bind",
                value: h.clone(),
            })?),
        };
        let inputs = match &self.openings {
            None => None,
            Some(text) => Some(ExpectedInputs::Openings(
                OpeningsFile::parse_for(text.as_bytes(), "options.openings", settings)?.inputs(),
            )),
        };
        Ok(Statement {
            model_id: self.expected_model_id.clone(),
            inputs,
            bind,
            srs: self.policy(),
        })
    }
}

/// The SRS a verdict rests on, as shown to JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SrsInfo {
    /// A pinned public ceremony.
    Ceremony {
        /// The ceremony's name.
        name: String,
        /// Where its `[τ]₂` is published.
        source: String,
    },
    /// Development params: made by whoever ran setup, who may know their secret.
    Development {
        /// SHA-256 of the compressed `s·g2` (hex).
        fingerprint: String,
    },
}

impl From<&SrsIdentity> for SrsInfo {
    fn from(id: &SrsIdentity) -> Self {
        match id {
            SrsIdentity::Ceremony(c) => Self::Ceremony {
                name: c.name.to_string(),
                source: c.source.to_string(),
            },
            SrsIdentity::Development { fingerprint } => Self::Development {
                fingerprint: hex(fingerprint),
            },
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The verdict, as returned to JavaScript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyOutcome {
    /// Whether the proof proves the statement.
    pub valid: bool,
    /// Why not (null when valid).
    pub reason: Option<String>,
    /// A stable machine-readable reason ([`code`]); null when valid.
    pub code: Option<&'static str>,
    /// The SRS the verdict rests on (null when invalid).
    pub srs: Option<SrsInfo>,
    /// The model id of the loaded artifacts.
    pub model_id: String,
    /// The outputs' values, derived from `outputs_q` (empty when invalid).
    pub outputs: Vec<Vec<f64>>,
    /// The proved stored integers of each output (empty when invalid).
    pub outputs_q: Vec<Vec<i64>>,
    /// The shape of each output.
    pub output_shapes: Vec<Vec<usize>>,
    /// The inputs' values, derived from `inputs_q` (empty when invalid).
    pub inputs: Vec<Vec<f64>>,
    /// The proved stored integers of each input (empty when invalid).
    pub inputs_q: Vec<Vec<i64>>,
    /// The binding value (hex; null when invalid).
    pub bind: Option<String>,
    /// The commitment of each hashed input and output (empty when invalid or nothing is hashed); a hashed
    /// or private tensor's entry in `inputs`/`outputs` is empty.
    pub commitments: Vec<NamedCommitment>,
}

/// The stable machine-readable code of each rejection ([`Rejection::code`]).
pub fn code(r: &Rejection) -> &'static str {
    r.code()
}

/// Every code [`code`] can return.
pub const CODES: [&str; 12] = Rejection::CODES;

fn shapes(art: &VerifierArtifacts) -> Vec<Vec<usize>> {
    art.settings
        .outputs
        .iter()
        .map(|o| o.shape.clone())
        .collect()
}

/// Turns [`judge_pinned`]'s answer into the verdict JavaScript sees.
pub fn from_judgement(art: &VerifierArtifacts, j: Result<Verified, Rejection>) -> VerifyOutcome {
    match j {
        Ok(v) => VerifyOutcome {
            commitments: v.named_commitments(&art.settings),
            valid: true,
            reason: None,
            code: None,
            srs: Some(SrsInfo::from(&v.srs)),
            model_id: v.model_id,
            outputs: v.outputs,
            outputs_q: v.outputs_q,
            output_shapes: shapes(art),
            inputs: v.inputs,
            inputs_q: v.inputs_q,
            bind: Some(fr_to_hex(&v.bind)),
        },
        Err(r) => VerifyOutcome {
            valid: false,
            reason: Some(r.to_string()),
            code: Some(code(&r)),
            srs: None,
            model_id: art.model_id.clone(),
            outputs: Vec::new(),
            outputs_q: Vec::new(),
            output_shapes: shapes(art),
            inputs: Vec::new(),
            inputs_q: Vec::new(),
            bind: None,
            commitments: Vec::new(),
        },
    }
}

/// Judges `proof_json` for the model of `art`; `Err` when the proof file or an option is malformed.
pub fn judge_json(
    art: &VerifierArtifacts,
    proof_json: &[u8],
    options: &Options,
) -> Result<VerifyOutcome, CallError> {
    let statement = options.statement(&art.settings)?;
    let pin = options.weights_pin(&art.settings)?;
    let proof = art.parse_proof(proof_json, "proof.json")?;
    Ok(from_judgement(
        art,
        judge_pinned(art, &proof, &statement, pin.as_deref()),
    ))
}

/// Loads the artifacts and judges a proof; `Err` names the malformed artifact or option.
pub fn verify_bytes(
    vk: &[u8],
    settings_json: &[u8],
    params: &[u8],
    proof_json: &[u8],
    options: &Options,
) -> Result<VerifyOutcome, CallError> {
    let art =
        VerifierArtifacts::from_bytes_within(settings_json, vk, params, &LoadLimits::browser())?;
    judge_json(&art, proof_json, options)
}

/// The SRS of `art` as it would be judged with development params allowed; `Err` says why it is
/// refused whatever the policy.
pub fn srs_of(art: &VerifierArtifacts) -> Result<SrsInfo, CallError> {
    art.srs(SrsPolicy::AllowDevelopment)
        .map(|id| SrsInfo::from(&id))
        .map_err(|e| match e {
            TrustError::Untrusted(reason) => CallError::Untrusted(reason),
            TrustError::Development { .. } => CallError::DevelopmentRefused,
        })
}
