//! Why [`crate::judge`] refused a proof.

use crate::error::VerifyError;
use crate::instances::InstanceError;
use crate::params::Provenance;
use crate::proof_file::ListError;
use crate::proof_system::{ProofCheckError, TranscriptKind};
use crate::trust::UntrustedReason;
use halo2_proofs::plonk::Error as PlonkError;
use thiserror::Error;

/// A rejected proof: the verdict is INVALID, and this says why.
#[derive(Debug, Error)]
pub enum Rejection {
    /// The verifier params are degenerate or malformed for any policy.
    #[error("the verifier params cannot be trusted: {reason}")]
    UntrustedParams {
        /// What is wrong with them.
        reason: UntrustedReason,
    },
    /// The params are of no pinned ceremony and the caller did not opt in to development params.
    #[error(
        "the verifier params are not from a pinned public ceremony (SRS {}; {provenance}): whoever made \
         them may know their secret and forge proofs; accept them only for development",
        hex::encode(&fingerprint[..8])
    )]
    DevelopmentParams {
        /// SHA-256 of the compressed `s·g2`.
        fingerprint: [u8; 32],
        /// What the params file says about itself (informational).
        provenance: Provenance,
    },
    /// The proof (or the caller) names another model.
    #[error("the proof was made for model {found}, expected model {expected}")]
    ModelMismatch {
        /// The model id expected (the caller's, or the artifacts').
        expected: String,
        /// The model id found.
        found: String,
    },
    /// The proof file's inputs or outputs do not fit the model's settings (counts, ranges).
    #[error("the proof's inputs or outputs do not fit this model: {source}")]
    SettingsMismatch {
        /// What does not fit.
        #[source]
        source: InstanceError,
    },
    /// The file's instance list differs from the one rebuilt from its integers.
    #[error("public instance {index} ({what}) differs from the one rebuilt from the file's integers (edited after proving)")]
    InstanceMismatch {
        /// Position in the instance vector.
        index: usize,
        /// What that position holds.
        what: String,
    },
    /// The proof is about another input than the caller expected.
    #[error("the proof is about another input: input {tensor} element {element} is {found}, expected {expected}")]
    InputMismatch {
        /// Input tensor.
        tensor: usize,
        /// Element (row-major).
        element: usize,
        /// Expected stored integer.
        expected: i64,
        /// Stored integer in the proof.
        found: i64,
    },
    /// A hashed input's commitment is not the one the caller expects (given as a commitment, or as the
    /// opening it must open: other values, or another salt).
    #[error("the proof is about another input: its commitment to input {tensor} ('{name}') is not the expected one (other values, or another salt)")]
    OpeningMismatch {
        /// Input tensor.
        tensor: usize,
        /// Its name.
        name: String,
    },
    /// The model's weights are committed ([`zkinfer_circuits::settings::WeightsMode::Committed`]) and the
    /// caller pinned no weights commitment: any weights at all could have produced the proof, so it proves
    /// nothing about the model the caller has in mind.
    #[error(
        "the model's weights are committed, and no weights commitment was pinned: the proof could be about \
         any weights (pass the weights commitment the model's owner published)"
    )]
    WeightsUnpinned,
    /// The proof's commitment to a weight tensor is not the pinned one (other weights, or another salt), or
    /// the pin names another number of weight tensors.
    #[error("the proof is about other weights: its commitment to weight tensor {tensor} ('{name}') is not the pinned one")]
    WeightsMismatch {
        /// The weight tensor's index among the model's inputs.
        tensor: usize,
        /// Its name.
        name: String,
    },
    /// The proof is bound to another value than the caller expected (0 when none is expected).
    #[error("the proof is bound to {found}, expected {expected}")]
    BindingMismatch {
        /// Expected binding value (hex).
        expected: String,
        /// The proof's (hex).
        found: String,
    },
    /// A human-readable float disagrees with the proved integer by more than half a grid step.
    #[error("{what} element {element} says {float}, but the proved value is {proved} (edited after proving)")]
    EditedValue {
        /// e.g. "output 0".
        what: String,
        /// Element (row-major).
        element: usize,
        /// The float in the file.
        float: f64,
        /// The dequantised proved integer.
        proved: f64,
    },
    /// A part of the proof file cannot be read.
    #[error("{what}: {source}")]
    Unreadable {
        /// The part.
        what: String,
        /// Why.
        #[source]
        source: UnreadableCause,
    },
    /// The proof verified, but more bytes follow it.
    #[error("the proof has trailing bytes")]
    TrailingBytes,
    /// The cryptographic check failed (a proof read with another transcript than it was made with, e.g.
    /// a Blake2b proof labelled `evm`, fails here too).
    #[error(
        "the proof does not verify against this model's verifying key (read with the {transcript} \
         transcript its file names): {source}"
    )]
    ProofFails {
        /// The transcript the proof was read with (the proof file's `transcript`).
        transcript: TranscriptKind,
        /// halo2's error (`Transcript` when the bytes cannot be read as a proof).
        #[source]
        source: PlonkError,
    },
}

/// Why part of a proof file is unreadable.
#[derive(Debug, Error)]
pub enum UnreadableCause {
    /// Malformed file or field.
    #[error(transparent)]
    File(#[from] VerifyError),
    /// A nested list of numbers that is not one.
    #[error(transparent)]
    List(#[from] ListError),
}

impl Rejection {
    /// The rejection for a failed [`crate::proof_system::check`] of a proof read with `transcript`.
    pub fn from_check(e: ProofCheckError, transcript: TranscriptKind) -> Self {
        match e {
            ProofCheckError::TrailingBytes => Self::TrailingBytes,
            ProofCheckError::Plonk(source) => Self::ProofFails { transcript, source },
        }
    }

    /// True when the proof could not even be read (garbage, truncated, malformed fields, trailing
    /// bytes): nothing was proved wrong, so a market changes nothing. False for a readable proof that
    /// fails or does not match the statement.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self,
            Self::Unreadable { .. }
                | Self::TrailingBytes
                | Self::ProofFails {
                    source: PlonkError::Transcript(_),
                    ..
                }
        )
    }

    /// The stable machine-readable name of the rejection: the browser verifier's `code`, Python's
    /// `InvalidProof.code`. One of [`Rejection::CODES`].
    pub fn code(&self) -> &'static str {
        match self {
            Self::UntrustedParams { .. } => "untrusted_params",
            Self::DevelopmentParams { .. } => "development_params",
            Self::ModelMismatch { .. } => "model_mismatch",
            Self::SettingsMismatch { .. } => "settings_mismatch",
            Self::InstanceMismatch { .. } => "instance_mismatch",
            Self::InputMismatch { .. } | Self::OpeningMismatch { .. } => "input_mismatch",
            Self::BindingMismatch { .. } => "binding_mismatch",
            Self::WeightsUnpinned | Self::WeightsMismatch { .. } => "weights_mismatch",
            Self::EditedValue { .. } => "edited_value",
            Self::Unreadable { .. } => "unreadable",
            Self::TrailingBytes => "trailing_bytes",
            Self::ProofFails { .. } => "proof_fails",
        }
    }

    /// Every code [`Rejection::code`] can return.
    pub const CODES: [&'static str; 12] = [
        "untrusted_params",
        "development_params",
        "model_mismatch",
        "settings_mismatch",
        "instance_mismatch",
        "input_mismatch",
        "binding_mismatch",
        "edited_value",
        "unreadable",
        "trailing_bytes",
        "proof_fails",
        "weights_mismatch",
    ];

    /// True when the artifacts or the caller's policy, not the proof, caused the rejection.
    pub fn is_about_params(&self) -> bool {
        matches!(
            self,
            Self::UntrustedParams { .. } | Self::DevelopmentParams { .. }
        )
    }
}
