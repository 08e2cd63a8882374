//! Verifier-side artifact files and their binary formats. Every binary file starts with an 8-byte magic
//! and a little-endian u32 format version.
//!
//! - `settings.json`: [`Settings`] (JSON, carries its own `version`).
//! - `vk.bin`: magic `ZKVK\0\0\0\x01`, version, the SHA-256 of `settings.json`, then halo2's verifying key
//!   (`SerdeFormat::Processed`: compressed, checked points).
//! - `verifier_params.bin`: magic `ZKVP\0\0\0\x01`, version, k, then the three points KZG verification needs:
//!   `g[0]` (G1), `g2`, `s*g2` (G2), compressed. Not the whole SRS: a few hundred bytes.

use crate::error::VerifyError;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::plonk::VerifyingKey;
use halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use sha2::{Digest, Sha256};
use std::path::Path;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::settings::Settings;

/// Version of `settings.json` this build reads.
pub const SETTINGS_FORMAT: u32 = zkinfer_circuits::settings::SETTINGS_VERSION;
pub const VK_MAGIC: &[u8; 8] = b"ZKVK\0\0\0\x01";
pub const VK_VERSION: u32 = 1;
pub const PARAMS_MAGIC: &[u8; 8] = b"ZKVP\0\0\0\x01";
pub const PARAMS_VERSION: u32 = 1;

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Reads a whole file with a clear error.
pub fn read_file(path: &Path) -> Result<Vec<u8>, VerifyError> {
    std::fs::read(path).map_err(|e| VerifyError::Io {
        file: path.display().to_string(),
        message: e.to_string(),
    })
}

/// Parses `settings.json` and checks its version and layout.
pub fn parse_settings(bytes: &[u8], file: &str) -> Result<Settings, VerifyError> {
    let v: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| VerifyError::format(file, format!("not valid JSON: {e}")))?;
    let version = v
        .get("version")
        .and_then(|x| x.as_u64())
        .ok_or_else(|| VerifyError::format(file, "missing field \"version\""))?;
    if version != zkinfer_circuits::settings::SETTINGS_VERSION as u64 {
        return Err(VerifyError::Version {
            file: file.to_string(),
            found: version as u32,
            expected: zkinfer_circuits::settings::SETTINGS_VERSION,
        });
    }
    let s: Settings =
        serde_json::from_value(v).map_err(|e| VerifyError::format(file, format!("{e}")))?;
    s.check()
        .map_err(|e| VerifyError::format(file, e.to_string()))?;
    Ok(s)
}

fn header<'a>(
    bytes: &'a [u8],
    magic: &[u8; 8],
    version: u32,
    file: &str,
    what: &str,
) -> Result<&'a [u8], VerifyError> {
    if bytes.len() < 12 || &bytes[..8] != magic {
        return Err(VerifyError::format(
            file,
            format!("not a zkinfer {what} file (bad magic)"),
        ));
    }
    let found = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if found != version {
        return Err(VerifyError::Version {
            file: file.to_string(),
            found,
            expected: version,
        });
    }
    Ok(&bytes[12..])
}

/// Serialises a verifying key for `settings_bytes`.
pub fn write_vk(vk: &VerifyingKey<G1Affine>, settings_bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(VK_MAGIC);
    out.extend_from_slice(&VK_VERSION.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(settings_bytes));
    out.extend_from_slice(&vk.to_bytes(SerdeFormat::Processed));
    out
}

/// Reads a verifying key, checking it was made for exactly these settings.
pub fn read_vk(
    bytes: &[u8],
    settings: &Settings,
    settings_bytes: &[u8],
    file: &str,
) -> Result<VerifyingKey<G1Affine>, VerifyError> {
    let rest = header(bytes, VK_MAGIC, VK_VERSION, file, "verifying key")?;
    if rest.len() < 32 {
        return Err(VerifyError::format(file, "truncated"));
    }
    if rest[..32] != Sha256::digest(settings_bytes)[..] {
        return Err(VerifyError::Mismatch(format!(
            "{file}: this verifying key was made for other settings (another model or another compile of it)"
        )));
    }
    let mut reader = &rest[32..];
    let vk = VerifyingKey::<G1Affine>::read::<_, ModelCircuit>(
        &mut reader,
        SerdeFormat::Processed,
        settings.clone(),
    )
    .map_err(|e| VerifyError::format(file, format!("corrupt verifying key: {e}")))?;
    if !reader.is_empty() {
        return Err(VerifyError::format(
            file,
            "trailing bytes after the verifying key",
        ));
    }
    if vk.get_domain().k() != settings.k {
        return Err(VerifyError::Mismatch(format!(
            "{file}: key for k = {}, settings say k = {}",
            vk.get_domain().k(),
            settings.k
        )));
    }
    Ok(vk)
}

/// The verifier's side of a KZG SRS: k, `g[0]`, `g2`, `s*g2`.
#[derive(Debug, Clone)]
pub struct VerifierParams {
    pub k: u32,
    pub params: ParamsKZG<Bn256>,
}

impl VerifierParams {
    /// Extracts the verifier part of full params.
    pub fn from_full(full: &ParamsKZG<Bn256>) -> Self {
        Self::from_points(full.k(), full.get_g()[0], full.g2(), full.s_g2())
    }

    fn from_points(k: u32, g0: G1Affine, g2: G2Affine, s_g2: G2Affine) -> Self {
        // A k = 0 stand-in gives `from_parts` its receiver; the result has n = 2^k and only g[0].
        let mut seed = Vec::new();
        seed.extend_from_slice(&0u32.to_le_bytes());
        for p in [
            g0.to_bytes().as_ref().to_vec(),
            g0.to_bytes().as_ref().to_vec(),
            g2.to_bytes().as_ref().to_vec(),
            s_g2.to_bytes().as_ref().to_vec(),
        ] {
            seed.extend_from_slice(&p);
        }
        let base = ParamsKZG::<Bn256>::read_custom(&mut seed.as_slice(), SerdeFormat::Processed)
            .unwrap_or_else(|_| unreachable!("points encoded by their own encoder"));
        let params = base.from_parts(k, vec![g0], Some(Vec::new()), g2, s_g2);
        Self { k, params }
    }

    /// Serialises as `verifier_params.bin`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(PARAMS_MAGIC);
        out.extend_from_slice(&PARAMS_VERSION.to_le_bytes());
        out.extend_from_slice(&self.k.to_le_bytes());
        out.extend_from_slice(self.params.get_g()[0].to_bytes().as_ref());
        out.extend_from_slice(self.params.g2().to_bytes().as_ref());
        out.extend_from_slice(self.params.s_g2().to_bytes().as_ref());
        out
    }

    /// Parses `verifier_params.bin`.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Self, VerifyError> {
        let rest = header(bytes, PARAMS_MAGIC, PARAMS_VERSION, file, "verifier params")?;
        if rest.len() != 4 + 32 + 64 + 64 {
            return Err(VerifyError::format(
                file,
                format!("expected 164 bytes after the header, found {}", rest.len()),
            ));
        }
        let k = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        if !(1..=28).contains(&k) {
            return Err(VerifyError::format(
                file,
                format!("k = {k} is out of range"),
            ));
        }
        let mut g0 = <G1Affine as GroupEncoding>::Repr::default();
        g0.as_mut().copy_from_slice(&rest[4..36]);
        let mut g2 = <G2Affine as GroupEncoding>::Repr::default();
        g2.as_mut().copy_from_slice(&rest[36..100]);
        let mut sg2 = <G2Affine as GroupEncoding>::Repr::default();
        sg2.as_mut().copy_from_slice(&rest[100..164]);
        let bad =
            |what: &str| VerifyError::format(file, format!("{what} is not a valid curve point"));
        let g0 = Option::from(G1Affine::from_bytes(&g0)).ok_or_else(|| bad("g[0]"))?;
        let g2 = Option::from(G2Affine::from_bytes(&g2)).ok_or_else(|| bad("g2"))?;
        let sg2 = Option::from(G2Affine::from_bytes(&sg2)).ok_or_else(|| bad("s*g2"))?;
        Ok(Self::from_points(k, g0, g2, sg2))
    }
}

/// Everything needed to verify proofs of one model.
#[derive(Debug, Clone)]
pub struct VerifierArtifacts {
    pub settings: Settings,
    pub vk: VerifyingKey<G1Affine>,
    pub params: VerifierParams,
    /// SHA-256 of `settings.json` followed by `vk.bin`: names the model and its keys.
    pub model_id: String,
}

impl VerifierArtifacts {
    /// Builds from the bytes of `settings.json`, `vk.bin` and `verifier_params.bin`.
    pub fn from_bytes(
        settings_bytes: &[u8],
        vk_bytes: &[u8],
        params_bytes: &[u8],
    ) -> Result<Self, VerifyError> {
        check_environment()?;
        let settings = parse_settings(settings_bytes, "settings.json")?;
        let params = VerifierParams::from_bytes(params_bytes, "verifier_params.bin")?;
        if params.k != settings.k {
            return Err(VerifyError::Mismatch(format!(
                "verifier_params.bin is for k = {}, the settings need k = {}",
                params.k, settings.k
            )));
        }
        let vk = read_vk(vk_bytes, &settings, settings_bytes, "vk.bin")?;
        Ok(Self {
            settings,
            vk,
            params,
            model_id: model_id(settings_bytes, vk_bytes),
        })
    }

    /// Loads `settings.json`, `vk.bin` and `verifier_params.bin` from a model directory.
    pub fn load_dir(dir: &Path) -> Result<Self, VerifyError> {
        let rd = |name: &str| read_file(&dir.join(name));
        let (s, vk, p) = (
            rd("settings.json")?,
            rd("vk.bin")?,
            rd("verifier_params.bin")?,
        );
        Self::from_bytes(&s, &vk, &p).map_err(|e| match e {
            VerifyError::Format { file, what } => VerifyError::Format {
                file: dir.join(file).display().to_string(),
                what,
            },
            VerifyError::Version {
                file,
                found,
                expected,
            } => VerifyError::Version {
                file: dir.join(file).display().to_string(),
                found,
                expected,
            },
            other => other,
        })
    }
}

/// The model id of a settings file and verifying key.
pub fn model_id(settings_bytes: &[u8], vk_bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(settings_bytes);
    h.update(vk_bytes);
    hex::encode(h.finalize())
}

/// halo2-axiom reads `MAX_DEGREE` from the environment when it builds a constraint system; any value but
/// its default would give this verifier a different constraint system from the prover's (and the browser's).
pub fn check_environment() -> Result<(), VerifyError> {
    #[cfg(not(target_arch = "wasm32"))]
    if let Ok(v) = std::env::var("MAX_DEGREE") {
        if v.trim() != "5" {
            return Err(VerifyError::Environment(format!(
                "the environment variable MAX_DEGREE={v} changes halo2's constraint system; unset it"
            )));
        }
    }
    Ok(())
}
