//! What a listing's verifier artifacts may cost this server, decided before a verifying key is parsed.
//!
//! Parsing `vk.bin` builds halo2's evaluation domain: FFT twiddles for every size from `2^k` up to the
//! extended domain `2^e` (`e` = the least `e ≥ k` with `2^e ≥ 2^k · (degree − 1)`), two vectors of 32-byte
//! field elements per size plus a transient scratch vector, so loading costs about
//! `64 · (2^(e+1) − 2^k) + 32 · 2^e` bytes (576 · 2^k for zkinfer's circuits, of degree 4 or 5: 0.6 GB at k = 20,
//! 38.7 GB at k = 26), and halo2 panics when `e` exceeds the field's two-adicity (28). So, in this order,
//! and each failure a typed 4xx:
//!
//! 1. each file's size: `settings.json` ≤ [`MAX_SETTINGS_BYTES`], `vk.bin` ≤ [`MAX_VK_BYTES`],
//!    `verifier_params.bin` ≤ [`MAX_PARAMS_BYTES`] (413);
//! 2. the params (160 bytes of points) and the SRS policy: a development SRS only on a `--dev-srs` server;
//! 3. the settings (JSON, bounded by 1), and k: the same in the params, at most the server's `--max-k`,
//!    and an extended domain the field supports;
//! 4. the load cost ([`load_cost`]) within the server's key memory budget (`--key-memory-mb`).
//!
//! Only then is the key parsed, off the request path and inside that budget ([`crate::key_cache`]).

use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use thiserror::Error;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_verifier::trust::{self, SrsIdentity, SrsPolicy, TrustError};
use zkinfer_verifier::{Settings, VerifierParams, VerifyError};

/// Largest `settings.json` a listing may carry.
pub const MAX_SETTINGS_BYTES: usize = 64 << 10;
/// Largest `vk.bin` (4,096 commitments of 32 bytes and headers fit with room to spare).
pub const MAX_VK_BYTES: usize = 512 << 10;
/// Largest `verifier_params.bin` (the format is 176 or 177 bytes).
pub const MAX_PARAMS_BYTES: usize = 1 << 10;
/// The scalar field's two-adicity: halo2 cannot build a larger evaluation domain.
pub const FIELD_TWO_ADICITY: u32 = 28;
/// Memory a loaded key takes besides its FFT tables (constraint system, commitments), counted per key.
pub const KEY_BASE_BYTES: u64 = 4 << 20;
/// Default `--max-k`.
pub const DEFAULT_MAX_K: u32 = 19;
/// Default key memory budget (`--key-memory-mb`): 512 MiB.
pub const DEFAULT_KEY_MEMORY: u64 = 512 << 20;

/// Which artifact file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactFile {
    Settings,
    Vk,
    Params,
}

impl ArtifactFile {
    pub fn name(self) -> &'static str {
        match self {
            Self::Settings => "settings.json",
            Self::Vk => "vk.bin",
            Self::Params => "verifier_params.bin",
        }
    }

    /// The size limit of this file.
    pub fn limit(self) -> usize {
        match self {
            Self::Settings => MAX_SETTINGS_BYTES,
            Self::Vk => MAX_VK_BYTES,
            Self::Params => MAX_PARAMS_BYTES,
        }
    }
}

impl std::fmt::Display for ArtifactFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a listing's artifacts are refused before its key is parsed.
#[derive(Debug, Error)]
pub enum KeyLimitError {
    #[error("{file} has {bytes} bytes; this server accepts at most {}", .file.limit())]
    FileTooLarge { file: ArtifactFile, bytes: usize },
    #[error("unreadable verifier artifacts: {0}")]
    Unreadable(#[source] VerifyError),
    #[error("{0}")]
    Srs(#[source] TrustError),
    #[error("verifier_params.bin is for k = {params}, settings.json says k = {settings}")]
    KMismatch { params: u32, settings: u32 },
    #[error("k = {k} is larger than this server's limit of {max_k} (--max-k)")]
    KTooLarge { k: u32, max_k: u32 },
    #[error("k = {k} with constraint degree {degree} needs an evaluation domain of 2^{extended_k}, more than the field's 2^{FIELD_TWO_ADICITY}")]
    DomainTooLarge {
        k: u32,
        degree: usize,
        extended_k: u32,
    },
    #[error("loading this verifying key (k = {k}) takes about {} MiB, more than this server's key memory budget of {} MiB (--key-memory-mb)", .cost >> 20, .budget >> 20)]
    OverBudget { k: u32, cost: u64, budget: u64 },
}

/// The server's limits on what a key may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyLimits {
    /// Largest k.
    pub max_k: u32,
    /// Bytes all loaded keys may take together (one key must fit alone).
    pub memory_budget: u64,
    /// Which SRSs are accepted.
    pub policy: SrsPolicy,
}

/// Artifacts that passed every check short of parsing the key.
#[derive(Debug, Clone)]
pub struct Prechecked {
    pub settings: Settings,
    pub srs: SrsIdentity,
    /// Bytes loading the key will take ([`load_cost`]).
    pub cost: u64,
}

/// The extended domain's log2 size and the constraint degree of `settings`' circuit.
pub fn extended_k(settings: &Settings) -> (u32, usize) {
    let mut cs = ConstraintSystem::default();
    let _ = ModelCircuit::configure_with_params(&mut cs, settings.clone());
    let degree = cs.degree();
    let quotient = degree.saturating_sub(1).max(1) as u128;
    let n = 1u128 << settings.k;
    let mut e = settings.k;
    while (1u128 << e) < n * quotient && e < 64 {
        e += 1;
    }
    (e, degree)
}

/// Bytes that parsing the verifying key of `settings` allocates at its peak, and keeps (see the module
/// documentation); an error when halo2 could not build the domain at all.
pub fn load_cost(settings: &Settings) -> Result<u64, KeyLimitError> {
    let (e, degree) = extended_k(settings);
    if e > FIELD_TWO_ADICITY {
        return Err(KeyLimitError::DomainTooLarge {
            k: settings.k,
            degree,
            extended_k: e,
        });
    }
    let k = settings.k;
    let twiddles = 64u64 * ((1u64 << (e + 1)) - (1u64 << k));
    let scratch = 32u64 << e;
    Ok(twiddles + scratch + KEY_BASE_BYTES)
}

/// Checks sizes, the SRS and k, and estimates the load cost, without parsing the key (see the module
/// documentation for the order).
pub fn precheck(
    settings_bytes: &[u8],
    vk_bytes: &[u8],
    params_bytes: &[u8],
    limits: &KeyLimits,
) -> Result<Prechecked, KeyLimitError> {
    for (file, bytes) in [
        (ArtifactFile::Settings, settings_bytes),
        (ArtifactFile::Vk, vk_bytes),
        (ArtifactFile::Params, params_bytes),
    ] {
        if bytes.len() > file.limit() {
            return Err(KeyLimitError::FileTooLarge {
                file,
                bytes: bytes.len(),
            });
        }
    }
    let params = VerifierParams::from_bytes(params_bytes, ArtifactFile::Params.name())
        .map_err(KeyLimitError::Unreadable)?;
    let srs = trust::assess(&params, limits.policy).map_err(KeyLimitError::Srs)?;
    let settings =
        zkinfer_verifier::artifacts::parse_settings(settings_bytes, ArtifactFile::Settings.name())
            .map_err(KeyLimitError::Unreadable)?;
    if params.k != settings.k {
        return Err(KeyLimitError::KMismatch {
            params: params.k,
            settings: settings.k,
        });
    }
    if settings.k > limits.max_k {
        return Err(KeyLimitError::KTooLarge {
            k: settings.k,
            max_k: limits.max_k,
        });
    }
    let cost = load_cost(&settings)?;
    if cost > limits.memory_budget {
        return Err(KeyLimitError::OverBudget {
            k: settings.k,
            cost,
            budget: limits.memory_budget,
        });
    }
    Ok(Prechecked {
        settings,
        srs,
        cost,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iris(k: u32) -> Settings {
        let bytes = include_bytes!("../../verifier/tests/fixtures/iris/settings.json");
        let mut s = zkinfer_verifier::artifacts::parse_settings(bytes, "settings.json")
            .expect("fixture settings");
        s.k = k;
        s
    }

    #[test]
    fn cost_grows_with_k_and_matches_the_measured_factor() {
        // zkinfer's circuits have degree 4 or 5: e = k + 2, 576 bytes per row
        let (e, degree) = extended_k(&iris(12));
        assert_eq!(e, 14);
        assert!((4..=5).contains(&degree), "degree {degree}");
        let c20 = load_cost(&iris(20)).expect("k = 20");
        assert_eq!(c20, 576 * (1 << 20) + KEY_BASE_BYTES);
        assert!(load_cost(&iris(26)).expect("k = 26") > 38_000_000_000);
        assert!(matches!(
            load_cost(&iris(27)),
            Err(KeyLimitError::DomainTooLarge { extended_k: 29, .. })
        ));
        // the defaults: k = 19 fits the default budget, k = 20 does not
        assert!(load_cost(&iris(DEFAULT_MAX_K)).expect("19") <= DEFAULT_KEY_MEMORY);
        assert!(load_cost(&iris(DEFAULT_MAX_K + 1)).expect("20") > DEFAULT_KEY_MEMORY);
    }
}
