//! Errors for unreadable, corrupt or mismatched artifacts. A proof that does not verify is not a
//! `VerifyError`: [`crate::judge`] reports it as a [`crate::Rejection`].

use thiserror::Error;

/// Why artifacts could not be read or do not belong together.
#[derive(Debug, Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// The file.
        file: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file is malformed; `what` names the field or part.
    #[error("{file}: {what}")]
    Format {
        /// The file.
        file: String,
        /// The field or part, and what is wrong with it.
        what: String,
    },
    /// A file was written by another format version.
    #[error(
        "{file}: format version {found} is not supported (this build reads version {expected})"
    )]
    Version {
        /// The file.
        file: String,
        /// The version in the file.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A verifying key made for other settings (another model, or another compile of it).
    #[error("{file}: this verifying key was made for other settings (another model or another compile of it)")]
    SettingsMismatch {
        /// The verifying key file.
        file: String,
    },
    /// Artifacts made for different circuit sizes.
    #[error("{file}: made for k = {found}, the settings say k = {expected}")]
    SizeMismatch {
        /// The file whose k differs from the settings'.
        file: String,
        /// Its k.
        found: u32,
        /// The settings' k.
        expected: u32,
    },
    /// Verifier params that no policy accepts (degenerate points: every pairing check would pass).
    #[error("{file}: these verifier params cannot be trusted: {reason}")]
    UntrustedParams {
        /// The params file.
        file: String,
        /// What is wrong with them.
        reason: crate::trust::UntrustedReason,
    },
    /// A file is refused before it is loaded: over a size cap, or a k or memory cost over the caller's
    /// limits ([`crate::limits`]).
    #[error("{file}: {limit}")]
    Limit {
        /// The file.
        file: String,
        /// Which limit (in the message, not a separate source, so that one line says it all).
        limit: crate::limits::LimitError,
    },
    /// The environment would change halo2's constraint system.
    #[error(
        "the environment variable {variable}={value} changes halo2's constraint system; unset it"
    )]
    Environment {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
}

impl VerifyError {
    pub(crate) fn limit(file: &str, limit: crate::limits::LimitError) -> Self {
        Self::Limit {
            file: file.to_string(),
            limit,
        }
    }

    pub(crate) fn format(file: &str, what: impl Into<String>) -> Self {
        Self::Format {
            file: file.to_string(),
            what: what.into(),
        }
    }

    /// The same error with its file name prefixed by `dir` (for errors about files of a directory).
    pub fn in_dir(self, dir: &std::path::Path) -> Self {
        let at = |file: String| dir.join(file).display().to_string();
        match self {
            Self::Format { file, what } => Self::Format {
                file: at(file),
                what,
            },
            Self::Version {
                file,
                found,
                expected,
            } => Self::Version {
                file: at(file),
                found,
                expected,
            },
            Self::SettingsMismatch { file } => Self::SettingsMismatch { file: at(file) },
            Self::Limit { file, limit } => Self::Limit {
                file: at(file),
                limit,
            },
            Self::UntrustedParams { file, reason } => Self::UntrustedParams {
                file: at(file),
                reason,
            },
            Self::SizeMismatch {
                file,
                found,
                expected,
            } => Self::SizeMismatch {
                file: at(file),
                found,
                expected,
            },
            other => other,
        }
    }
}
