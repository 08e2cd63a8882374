//! A model's verifier artifacts: `settings.json`, `vk.bin` ([`crate::vk_file`]) and
//! `verifier_params.bin` ([`crate::params`]), and the model id that names all three.
//!
//! - `settings.json`: [`Settings`] (JSON, carries its own `version`).

use crate::error::VerifyError;
use crate::limits::{self, LoadCost, LoadLimits, MAX_SETTINGS_BYTES, MAX_VK_BYTES, PARAMS_BYTES};
use crate::proof_file::ProofFile;
use crate::proof_system::Vk;
use crate::trust::{self, SrsIdentity, SrsPolicy, TrustError};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::Path;
use zkinfer_circuits::settings::{Settings, SettingsError};

pub use crate::params::{Provenance, VerifierParams, PARAMS_MAGIC, PARAMS_VERSION};
pub use crate::vk_file::{read_vk, write_vk, VK_MAGIC, VK_VERSION};

/// Version of `settings.json` this build writes (it also reads version 2 without limb lanes).
pub const SETTINGS_FORMAT: u32 = zkinfer_circuits::settings::SETTINGS_VERSION;
/// Version of the model id's definition (see [`model_id`]).
pub const MODEL_ID_VERSION: u32 = 2;
/// Most dimensions a public tensor may have.
const MAX_RANK: usize = 32;
/// Largest |scale| of a public tensor's encoding.
const MAX_SCALE: i32 = 64;

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a whole file of at most `max` bytes: a larger file is refused ([`limits::LimitError::FileTooLarge`])
/// before its contents are read, and at most `max + 1` bytes are ever read (a file that grows meanwhile).
pub fn read_file_capped(path: &Path, max: u64) -> Result<Vec<u8>, VerifyError> {
    let file = path.display().to_string();
    let io = |source| VerifyError::Io {
        file: file.clone(),
        source,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    limits::check_size(size, max).map_err(|e| VerifyError::limit(&file, e))?;
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    f.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    limits::check_size(bytes.len() as u64, max).map_err(|e| VerifyError::limit(&file, e))?;
    Ok(bytes)
}

/// Parses `settings.json` and checks its version, layout and public tensors (at most
/// [`MAX_SETTINGS_BYTES`]; see [`parse_settings_within`] for the k and memory limits).
pub fn parse_settings(bytes: &[u8], file: &str) -> Result<Settings, VerifyError> {
    limits::check_size(bytes.len() as u64, MAX_SETTINGS_BYTES)
        .map_err(|e| VerifyError::limit(file, e))?;
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| VerifyError::format(file, format!("not valid JSON: {e}")))?;
    let version = v
        .get("version")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| VerifyError::format(file, "missing field \"version\""))?;
    let readable =
        u64::from(zkinfer_circuits::settings::OLDEST_SETTINGS_VERSION)..=u64::from(SETTINGS_FORMAT);
    if !readable.contains(&version) {
        return Err(VerifyError::Version {
            file: file.to_string(),
            found: u32::try_from(version).unwrap_or(u32::MAX),
            expected: SETTINGS_FORMAT,
        });
    }
    let s: Settings =
        serde_json::from_value(v).map_err(|e| VerifyError::format(file, format!("{e}")))?;
    // a readable version may still not fit the layout (version 2 with limb lanes)
    if let Err(SettingsError::Version { found, expected }) = s.check() {
        return Err(VerifyError::Version {
            file: file.to_string(),
            found,
            expected,
        });
    }
    s.check()
        .map_err(|e| VerifyError::format(file, e.to_string()))?;
    check_public_tensors(&s).map_err(|e| VerifyError::format(file, e.to_string()))?;
    Ok(s)
}

/// Parses `settings.json` ([`parse_settings`]) and checks it against `limits` ([`limits::check_settings`]):
/// k no smaller than the settings' tables and instances need, no larger than the caller's ceiling, the
/// memory of loading within its budget. Returns the settings and the cost of loading their verifier.
pub fn parse_settings_within(
    bytes: &[u8],
    file: &str,
    limits: &LoadLimits,
) -> Result<(Settings, LoadCost), VerifyError> {
    let settings = parse_settings(bytes, file)?;
    let cost =
        limits::check_settings(&settings, limits).map_err(|e| VerifyError::limit(file, e))?;
    Ok((settings, cost))
}

/// Why the settings' public tensors break the bounds the instance layout relies on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
enum PublicTensorError {
    #[error("tensor '{name}' has {rank} dimensions (at most {MAX_RANK})")]
    Rank { name: String, rank: usize },
    #[error("tensor '{name}' has more elements than the circuit has rows")]
    TooLarge { name: String },
    #[error("the public tensors have more elements than the circuit has rows")]
    TooManyInstances,
    #[error("tensor '{name}' has an encoding out of range (offset {offset}, scale {scale})")]
    Encoding {
        name: String,
        offset: i64,
        scale: i32,
    },
}

/// Bounds on the public tensors that the instance layout and the proof file rely on: shapes whose
/// element counts fit the circuit (no overflow), a bounded rank, encodings whose offsets lie in range.
fn check_public_tensors(s: &Settings) -> Result<(), PublicTensorError> {
    let rows = 1usize << s.k;
    let mut total = 1usize; // the binding instance
    for io in s.inputs.iter().chain(&s.outputs) {
        if io.shape.len() > MAX_RANK {
            return Err(PublicTensorError::Rank {
                name: io.name.clone(),
                rank: io.shape.len(),
            });
        }
        let n = io
            .shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= rows)
            .ok_or_else(|| PublicTensorError::TooLarge {
                name: io.name.clone(),
            })?;
        total = total
            .checked_add(n)
            .filter(|&t| t <= rows)
            .ok_or(PublicTensorError::TooManyInstances)?;
        let e = io.encoding;
        if !(0..=(1i64 << e.bits)).contains(&e.offset)
            || !(-MAX_SCALE..=MAX_SCALE).contains(&e.scale)
        {
            return Err(PublicTensorError::Encoding {
                name: io.name.clone(),
                offset: e.offset,
                scale: e.scale,
            });
        }
    }
    Ok(())
}

/// Everything needed to verify proofs of one model.
#[derive(Debug, Clone)]
pub struct VerifierArtifacts {
    /// The model's settings.
    pub settings: Settings,
    /// Its verifying key.
    pub vk: Vk,
    /// The verifier's side of the SRS (not yet judged trustworthy: see [`Self::srs`]).
    pub params: VerifierParams,
    /// [`model_id`] of the three files: names the model, its keys and the SRS.
    pub model_id: String,
    /// What loading cost, and the bounds on this model's proof files ([`Self::parse_proof`]).
    pub cost: LoadCost,
}

impl VerifierArtifacts {
    /// Builds from the bytes of `settings.json`, `vk.bin` and `verifier_params.bin` under the default
    /// [`LoadLimits`] (k up to [`limits::HARD_MAX_K`], no memory budget); see [`Self::from_bytes_within`].
    pub fn from_bytes(
        settings_bytes: &[u8],
        vk_bytes: &[u8],
        params_bytes: &[u8],
    ) -> Result<Self, VerifyError> {
        Self::from_bytes_within(
            settings_bytes,
            vk_bytes,
            params_bytes,
            &LoadLimits::default(),
        )
    }

    /// Builds from the bytes of `settings.json`, `vk.bin` and `verifier_params.bin`, refusing before
    /// anything is sized by them what is over `limits` ([`crate::limits`]): the files' sizes, k, the
    /// memory of loading. Never panics on hostile bytes. Refuses degenerate params
    /// ([`trust::check_structure`]) and non-canonical point encodings; whether the SRS is trusted (a
    /// ceremony, or development params) is [`crate::judge`]'s decision, per policy.
    pub fn from_bytes_within(
        settings_bytes: &[u8],
        vk_bytes: &[u8],
        params_bytes: &[u8],
        limits: &LoadLimits,
    ) -> Result<Self, VerifyError> {
        check_environment()?;
        limits::check_size(vk_bytes.len() as u64, MAX_VK_BYTES)
            .map_err(|e| VerifyError::limit("vk.bin", e))?;
        limits::check_size(params_bytes.len() as u64, PARAMS_BYTES)
            .map_err(|e| VerifyError::limit("verifier_params.bin", e))?;
        let (settings, cost) = parse_settings_within(settings_bytes, "settings.json", limits)?;
        let params = VerifierParams::from_bytes(params_bytes, "verifier_params.bin")?;
        trust::check_structure(&params).map_err(|reason| VerifyError::UntrustedParams {
            file: "verifier_params.bin".into(),
            reason,
        })?;
        if params.k != settings.k {
            return Err(VerifyError::SizeMismatch {
                file: "verifier_params.bin".into(),
                found: params.k,
                expected: settings.k,
            });
        }
        let vk = read_vk(vk_bytes, &settings, settings_bytes, "vk.bin")?;
        let model_id = model_id(settings_bytes, vk_bytes, &params);
        Ok(Self {
            settings,
            vk,
            params,
            model_id,
            cost,
        })
    }

    /// Loads `settings.json`, `vk.bin` and `verifier_params.bin` from a model directory under the
    /// default [`LoadLimits`]; see [`Self::load_dir_within`].
    pub fn load_dir(dir: &Path) -> Result<Self, VerifyError> {
        Self::load_dir_within(dir, &LoadLimits::default())
    }

    /// Loads `settings.json`, `vk.bin` and `verifier_params.bin` from a model directory under `limits`;
    /// no file is read past its cap ([`read_file_capped`]).
    pub fn load_dir_within(dir: &Path, limits: &LoadLimits) -> Result<Self, VerifyError> {
        let rd = |name: &str, max: u64| read_file_capped(&dir.join(name), max);
        let (s, vk, p) = (
            rd("settings.json", MAX_SETTINGS_BYTES)?,
            rd("vk.bin", MAX_VK_BYTES)?,
            rd("verifier_params.bin", PARAMS_BYTES)?,
        );
        Self::from_bytes_within(&s, &vk, &p, limits).map_err(|e| e.in_dir(dir))
    }

    /// Parses a `proof.json` of this model, refusing before it is parsed a file larger, or with more
    /// JSON values, than this model's proofs can have, and a proof longer than its circuit's
    /// ([`limits::ProofFileBounds`]).
    pub fn parse_proof(&self, bytes: &[u8], file: &str) -> Result<ProofFile, VerifyError> {
        ProofFile::parse_within(bytes, file, &self.cost.proof)
    }

    /// Reads and parses a `proof.json` of this model from `path`, never reading past the largest
    /// proof file of this model ([`Self::parse_proof`]).
    pub fn read_proof(&self, path: &Path) -> Result<ProofFile, VerifyError> {
        let file = path.display().to_string();
        let bytes = read_file_capped(path, self.cost.proof.max_file_bytes)?;
        self.parse_proof(&bytes, &file)
    }

    /// The SRS these artifacts' verdicts would rest on under `policy`, or why it is refused.
    pub fn srs(&self, policy: SrsPolicy) -> Result<SrsIdentity, TrustError> {
        trust::assess(&self.params, policy)
    }
}

/// The model id: SHA-256 (lower-case hex) of `"zkinfer-model-id/v2"`, then `settings.json`, `vk.bin`
/// and the params' canonical encoding ([`VerifierParams::canonical_bytes`]), each preceded by its length
/// (u64 LE). Everything a verdict depends on: another SRS is another model id.
pub fn model_id(settings_bytes: &[u8], vk_bytes: &[u8], params: &VerifierParams) -> String {
    let mut h = Sha256::new();
    h.update(b"zkinfer-model-id/v2");
    for part in [settings_bytes, vk_bytes, &params.canonical_bytes()] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    hex::encode(h.finalize())
}

/// halo2-axiom reads `MAX_DEGREE` from the environment when it builds a constraint system; any value but
/// its default would give this verifier a different constraint system from the prover's (and the browser's).
pub fn check_environment() -> Result<(), VerifyError> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(v) = std::env::var("MAX_DEGREE") {
        if v.trim() != "5" {
            return Err(VerifyError::Environment {
                variable: "MAX_DEGREE",
                value: v,
            });
        }
    }
    Ok(())
}
