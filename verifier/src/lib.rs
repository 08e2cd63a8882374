//! zkinfer's verifier: proof + verifying key + settings + verifier params -> verdict and verified outputs.
//!
//! It links only the configuration part of `zkinfer-circuits` (halo2's `VerifyingKey::read` rebuilds the
//! constraint system through the circuit's `configure`), never tract, the compiler or the prover, and it
//! builds for wasm32 without threads. The artifact formats (`vk.bin`, `verifier_params.bin`, `proof.json`,
//! `settings.json`) are defined here, so every reader and writer shares one implementation.

pub mod artifacts;
pub mod error;
pub mod instances;
pub mod proof_file;
mod verify;

pub use artifacts::{VerifierArtifacts, VerifierParams};
pub use error::VerifyError;
pub use proof_file::ProofFile;
pub use verify::{instances_hex, ProofCheckError, Verdict};
pub use zkinfer_circuits::settings::Settings;
