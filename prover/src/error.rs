//! Errors of the prover. Each names the file, node or field it concerns.

use thiserror::Error;
use zkinfer_circuits::CircuitError;
use zkinfer_compiler::CompileError;
use zkinfer_verifier::VerifyError;

/// Everything that can stop compile, setup or prove.
#[derive(Debug, Error)]
pub enum ProverError {
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error(transparent)]
    Artifact(#[from] VerifyError),
    /// A file could not be read or written.
    #[error("{file}: {message}")]
    Io { file: String, message: String },
    /// A file exists but is malformed, stale, or from another model.
    #[error("{file}: {what}")]
    Format { file: String, what: String },
    /// An input file is malformed or does not fit the model.
    #[error("{0}")]
    Input(String),
    /// The requested proving device is unavailable.
    #[error("{0}")]
    Device(String),
    /// halo2 failed (this indicates a bug: witness generation checks every constraint first).
    #[error("halo2 {stage} failed: {message}")]
    Halo2 {
        stage: &'static str,
        message: String,
    },
}

impl ProverError {
    pub(crate) fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        Self::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        }
    }
}
