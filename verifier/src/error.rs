//! Errors for unreadable, corrupt or mismatched artifacts. An invalid proof is not an error: it is a
//! [`crate::Verdict`] with `valid = false` and a reason.

use thiserror::Error;

/// Why artifacts could not be read or do not belong together.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    /// A file is malformed; `what` names the field or part.
    #[error("{file}: {what}")]
    Format { file: String, what: String },
    /// A file was written by another format version.
    #[error(
        "{file}: format version {found} is not supported (this build reads version {expected})"
    )]
    Version {
        file: String,
        found: u32,
        expected: u32,
    },
    /// Artifacts that do not belong together (vk of another model, params of another size, ...).
    #[error("{0}")]
    Mismatch(String),
    /// The environment would change halo2's constraint system.
    #[error("{0}")]
    Environment(String),
}

impl VerifyError {
    pub(crate) fn format(file: &str, what: impl Into<String>) -> Self {
        Self::Format {
            file: file.to_string(),
            what: what.into(),
        }
    }
}
