//! zkinfer's verifier: proof + verifying key + settings + verifier params -> verdict and verified outputs.
//!
//! It links only the configuration part of `zkinfer-circuits` (halo2's `VerifyingKey::read` rebuilds the
//! constraint system through the circuit's `configure`), never tract, the compiler or the prover, and it
//! builds for wasm32 without threads. The artifact formats (`vk.bin`, `verifier_params.bin`, `proof.json`,
//! `settings.json`) are defined here, so every reader and writer shares one implementation.
//!
//! [`judge`] is the one verification path: it decides whether the SRS can be trusted ([`trust`]),
//! rebuilds the public instances from the proof file's integers ([`instances`]) and checks the proof.
//! Readers never panic on hostile bytes, and every loader checks sizes, k and the memory it will take
//! against the caller's [`LoadLimits`] before it allocates ([`limits`]).
#![warn(missing_docs)]

pub mod artifacts;
pub mod ceremonies;
pub mod chain;
pub mod error;
pub mod evm_transcript;
pub mod input_digest;
pub mod instances;
mod judge;
pub mod limits;
pub mod openings_file;
pub mod params;
pub mod proof_file;
pub mod proof_system;
mod rejection;
pub mod trust;
mod verify;
pub mod vk_file;
pub mod weights_file;

pub use artifacts::{VerifierArtifacts, VerifierParams};
pub use error::VerifyError;
pub use input_digest::input_digest;
pub use judge::{judge, judge_pinned, ExpectedInputs, NamedCommitment, Statement, Verified};
pub use limits::{process_memory_ceiling, LimitError, LoadCost, LoadLimits, ProofFileBounds};
pub use params::Provenance;
pub use proof_file::ProofFile;
pub use proof_system::{TranscriptKind, UnknownTranscript};
pub use rejection::{Rejection, UnreadableCause};
pub use trust::{SrsIdentity, SrsPolicy, UntrustedReason};
pub use verify::{instances_hex, ProofCheckError};
pub use zkinfer_circuits::settings::Settings;
