//! Errors of the SRS importer. Each names the file, and where it applies the section, the sizes expected and
//! found, or the consistency check that failed.

use thiserror::Error;

/// Which check of an imported SRS failed (see [`super::check_powers`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsistencyCheck {
    /// The first G1 point, \[τ⁰]₁, is not the BN254 G1 generator.
    G1NotGenerator,
    /// \[τ⁰]₂ (the G2 generator of the file) is not the BN254 G2 generator.
    G2NotGenerator,
    /// \[τ]₂ is the point at infinity (τ = 0).
    TauG2Identity,
    /// \[τ]₂ is the G2 generator (τ = 1: no secret at all).
    TauIsOne,
    /// \[τ]₂ is on the twist but outside the prime-order subgroup.
    TauG2NotInSubgroup,
    /// The G1 points are not \[τⁱ]₁ for the τ of \[τ]₂: the pairing check on a random linear combination,
    /// e(Σ rᵢ·gᵢ₊₁, g₂) = e(Σ rᵢ·gᵢ, \[τ]₂), failed.
    PowersNotGeometric,
}

impl std::fmt::Display for ConsistencyCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::G1NotGenerator => "the first G1 point is not the BN254 G1 generator",
            Self::G2NotGenerator => "the G2 generator of the file is not the BN254 G2 generator",
            Self::TauG2Identity => "[tau]_2 is the point at infinity",
            Self::TauIsOne => "[tau]_2 is the G2 generator (tau = 1)",
            Self::TauG2NotInSubgroup => "[tau]_2 is not in the prime-order subgroup of G2",
            Self::PowersNotGeometric => {
                "the G1 points are not the powers of the tau of [tau]_2 (pairing check failed)"
            }
        })
    }
}

/// Everything that can stop an SRS import.
#[derive(Debug, Error)]
pub enum SrsImportError {
    /// The file could not be opened or read.
    #[error("{file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file is shorter than its own header says, or longer than the format allows.
    #[error("{file}: {what}: expected {expected} bytes, found {found}")]
    Size {
        file: String,
        what: String,
        expected: u64,
        found: u64,
    },
    /// A `.ptau` section has the wrong size for the file's power.
    #[error("{file}: section {section} ({name}): expected {expected} bytes, found {found}")]
    SectionSize {
        file: String,
        section: u32,
        name: &'static str,
        expected: u64,
        found: u64,
    },
    /// A `.ptau` section the importer needs is missing or present twice.
    #[error("{file}: section {section} ({name}) {what}")]
    Section {
        file: String,
        section: u32,
        name: &'static str,
        what: &'static str,
    },
    /// A header field is not what BN254 KZG params need (wrong curve, version, power, ...).
    #[error("{file}: {what}")]
    Header { file: String, what: String },
    /// The file has fewer powers of τ than requested.
    #[error("{file}: the file has 2^{available} powers of tau, 2^{requested} were requested")]
    TooSmall {
        file: String,
        available: u32,
        requested: u32,
    },
    /// A point does not decode to a BN254 point (coordinate not below the modulus, or not on the curve).
    #[error("{file}: {section} point {index} is not a valid BN254 point")]
    BadPoint {
        file: String,
        section: &'static str,
        index: u64,
    },
    /// The points decode but do not form a KZG SRS.
    #[error("{file}: consistency check failed: {check}")]
    Inconsistent {
        file: String,
        check: ConsistencyCheck,
    },
}

impl SrsImportError {
    pub(crate) fn io(file: &str, source: std::io::Error) -> Self {
        Self::Io {
            file: file.to_string(),
            source,
        }
    }

    /// The failed consistency check, if this is one.
    pub fn consistency_check(&self) -> Option<ConsistencyCheck> {
        match self {
            Self::Inconsistent { check, .. } => Some(*check),
            _ => None,
        }
    }
}
