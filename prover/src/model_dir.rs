//! The model directory: every artifact of one compiled model.
//!
//! | file | written by | read by | format |
//! |---|---|---|---|
//! | `settings.json` | compile | all | [`Settings`] JSON, `version` field |
//! | `model.json` | compile | setup, prove | `{"version": 1, "quant": QuantModel}`; its SHA-256 is in the settings |
//! | `pk.bin` | setup `--store-pk` (optional) | prove | magic `ZKPK\0\0\0\x01`, u32 version, SHA-256 of settings.json, halo2 pk (RawBytes) |
//! | `vk.bin` | setup | verify | see `zkinfer_verifier::artifacts` |
//! | `kzg.srs` | setup | prove | halo2 `ParamsKZG` (RawBytes), downsized to k |
//! | `verifier_params.bin` | setup | verify | see `zkinfer_verifier::artifacts` |

use crate::error::ProverError;
use crate::weights::{WEIGHTS_COMMITMENT, WEIGHTS_OPENINGS};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::quant::QuantModel;
use zkinfer_circuits::settings::Settings;
use zkinfer_verifier::artifacts::{parse_settings, sha256_hex};
use zkinfer_verifier::weights_file::{WeightsCommitmentFile, WeightsOpeningsFile};

pub const MODEL_VERSION: u32 = 1;
pub const PK_MAGIC: &[u8; 8] = b"ZKPK\0\0\0\x01";
pub const PK_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct ModelFile {
    version: u32,
    quant: QuantModel,
}

/// A model directory.
#[derive(Debug, Clone)]
pub struct ModelDir {
    pub path: PathBuf,
}

impl ModelDir {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, ProverError> {
        let p = self.file(name);
        std::fs::read(&p).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ProverError::Missing {
                file: p.display().to_string(),
                step: if name.ends_with(".json") {
                    "compile"
                } else {
                    "setup"
                },
            },
            _ => ProverError::io(&p, e),
        })
    }

    /// Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so a
    /// reader (another prover loading the folder) or a crash never sees half a key.
    fn write(&self, name: &str, bytes: &[u8]) -> Result<(), ProverError> {
        std::fs::create_dir_all(&self.path).map_err(|e| ProverError::io(&self.path, e))?;
        let p = self.file(name);
        let tmp = self.file(&format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, bytes).map_err(|e| ProverError::io(&tmp, e))?;
        std::fs::rename(&tmp, &p).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ProverError::io(&p, e)
        })
    }

    /// Writes a weight set's openings (`weights.openings.json`, readable by its owner only: mode 0600 on
    /// Unix) and its public commitments (`weights.commitment.json`).
    pub fn write_weights(&self, openings: &WeightsOpeningsFile) -> Result<(), ProverError> {
        self.write_private(WEIGHTS_OPENINGS, openings.to_json().as_bytes())?;
        self.write(
            WEIGHTS_COMMITMENT,
            openings.commitment_file().to_json().as_bytes(),
        )
    }

    /// Removes the weights files of an earlier compile (a model compiled with fixed weights has none).
    pub fn remove_weights(&self) {
        for stale in [WEIGHTS_OPENINGS, WEIGHTS_COMMITMENT] {
            let _ = std::fs::remove_file(self.file(stale));
        }
    }

    /// Reads the model directory's weights openings (`weights.openings.json`), or `path`'s.
    pub fn weights_openings(
        &self,
        settings: &Settings,
        path: Option<&Path>,
    ) -> Result<WeightsOpeningsFile, ProverError> {
        let p = path.map_or_else(|| self.file(WEIGHTS_OPENINGS), Path::to_path_buf);
        if !p.exists() {
            return Err(ProverError::Missing {
                file: p.display().to_string(),
                step: "compile --weights committed` or `zkinfer commit-weights",
            });
        }
        Ok(WeightsOpeningsFile::read_for(&p, settings)?)
    }

    /// Reads the model directory's weights commitment (`weights.commitment.json`).
    pub fn weights_commitment(
        &self,
        settings: &Settings,
    ) -> Result<WeightsCommitmentFile, ProverError> {
        let p = self.file(WEIGHTS_COMMITMENT);
        if !p.exists() {
            return Err(ProverError::Missing {
                file: p.display().to_string(),
                step: "compile --weights committed",
            });
        }
        Ok(WeightsCommitmentFile::read_for(&p, settings)?)
    }

    /// [`ModelDir::write`] for a file only its owner may read (mode 0600 on Unix, set before a byte is
    /// written).
    fn write_private(&self, name: &str, bytes: &[u8]) -> Result<(), ProverError> {
        write_private_file(&self.path, &self.file(name), bytes)
    }

    /// Writes `model.json` and `settings.json` (with the model's hash), removing keys of an earlier compile.
    pub fn write_compiled(
        &self,
        mut settings: Settings,
        quant: QuantModel,
    ) -> Result<Settings, ProverError> {
        let model = serde_json::to_vec(&ModelFile {
            version: MODEL_VERSION,
            quant,
        })
        .map_err(|e| ProverError::json(&self.file("model.json"), e))?;
        settings.model_hash = sha256_hex(&model);
        let s = serde_json::to_vec_pretty(&settings)
            .map_err(|e| ProverError::json(&self.file("settings.json"), e))?;
        for stale in ["pk.bin", "vk.bin", "kzg.srs", "verifier_params.bin"] {
            let _ = std::fs::remove_file(self.file(stale));
        }
        self.write("model.json", &model)?;
        self.write("settings.json", &s)?;
        Ok(settings)
    }

    /// Reads `settings.json` and its bytes.
    pub fn settings(&self) -> Result<(Settings, Vec<u8>), ProverError> {
        let bytes = self.read("settings.json")?;
        let s = parse_settings(&bytes, &self.file("settings.json").display().to_string())?;
        Ok((s, bytes))
    }

    /// Reads `model.json`, checks it against the settings, and plans its rows.
    pub fn compiled_model(&self, settings: &Settings) -> Result<CompiledModel, ProverError> {
        let path = self.file("model.json");
        let file = path.display().to_string();
        let bytes = self.read("model.json")?;
        if sha256_hex(&bytes) != settings.model_hash {
            return Err(ProverError::Format {
                file,
                what: "does not match settings.json (model_hash differs): recompile".into(),
            });
        }
        let v: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| ProverError::json(&path, e))?;
        let version = v.get("version").and_then(|x| x.as_u64()).unwrap_or(0);
        if version != MODEL_VERSION as u64 {
            return Err(ProverError::Format {
                file,
                what: format!(
                    "format version {version} is not supported (this build reads {MODEL_VERSION})"
                ),
            });
        }
        let m: ModelFile = serde_json::from_value(v).map_err(|e| ProverError::json(&path, e))?;
        Ok(CompiledModel::new(m.quant, settings)?)
    }

    /// Writes the proving key.
    pub fn write_pk(
        &self,
        pk: &ProvingKey<G1Affine>,
        settings_bytes: &[u8],
    ) -> Result<(), ProverError> {
        let mut out = Vec::new();
        out.extend_from_slice(PK_MAGIC);
        out.extend_from_slice(&PK_VERSION.to_le_bytes());
        out.extend_from_slice(&Sha256::digest(settings_bytes));
        out.extend_from_slice(&pk.to_bytes(SerdeFormat::RawBytes));
        self.write("pk.bin", &out)
    }

    /// Reads the proving key, checking it belongs to these settings.
    pub fn pk(
        &self,
        settings: &Settings,
        settings_bytes: &[u8],
    ) -> Result<ProvingKey<G1Affine>, ProverError> {
        let file = self.file("pk.bin").display().to_string();
        let bytes = self.read("pk.bin")?;
        let bad = |what: &str| ProverError::Format {
            file: file.clone(),
            what: what.to_string(),
        };
        if bytes.len() < 44 || &bytes[..8] != PK_MAGIC {
            return Err(bad("not a zkinfer proving key (bad magic)"));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != PK_VERSION {
            return Err(bad(&format!(
                "format version {version} is not supported (this build reads {PK_VERSION})"
            )));
        }
        if bytes[12..44] != Sha256::digest(settings_bytes)[..] {
            return Err(bad(
                "was made for other settings: run `zkinfer setup` again",
            ));
        }
        let mut r = &bytes[44..];
        ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut r,
            SerdeFormat::RawBytes,
            settings.clone(),
        )
        .map_err(|source| ProverError::ProvingKey { file, source })
    }

    /// The proving key: `pk.bin` when setup stored one, otherwise rebuilt from `vk.bin` (halo2's
    /// `keygen_pk` from the verifying key: the fixed and permutation polynomials and their cosets), which
    /// costs about what reading a stored key does and needs no file of hundreds of megabytes. A rebuilt key
    /// is the key of `vk.bin` by construction.
    pub fn proving_key(
        &self,
        settings: &Settings,
        settings_bytes: &[u8],
        params: &ParamsKZG<Bn256>,
        model: &std::sync::Arc<CompiledModel>,
    ) -> Result<ProvingKey<G1Affine>, ProverError> {
        if self.file("pk.bin").exists() {
            return self.pk(settings, settings_bytes);
        }
        let file = self.file("vk.bin").display().to_string();
        let vk =
            zkinfer_verifier::vk_file::read_vk(&self.vk_bytes()?, settings, settings_bytes, &file)?;
        let circuit = ModelCircuit::for_keygen(settings.clone(), model.clone());
        halo2_proofs::plonk::keygen_pk(params, vk, &circuit)
            .map_err(ProverError::halo2("proving key generation (from vk.bin)"))
    }

    /// Removes a stored proving key (setup without `--store-pk`: a key of an earlier setup must not be
    /// used with the new verifying key).
    pub fn remove_pk(&self) -> Result<(), ProverError> {
        match std::fs::remove_file(self.file("pk.bin")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(ProverError::io(&self.file("pk.bin"), e))
            }
            _ => Ok(()),
        }
    }

    pub fn write_vk(&self, vk_bytes: &[u8]) -> Result<(), ProverError> {
        self.write("vk.bin", vk_bytes)
    }

    pub fn vk_bytes(&self) -> Result<Vec<u8>, ProverError> {
        self.read("vk.bin")
    }

    pub fn write_verifier_params(&self, bytes: &[u8]) -> Result<(), ProverError> {
        self.write("verifier_params.bin", bytes)
    }

    /// The prover's params (`kzg.srs`).
    pub fn params(&self, k: u32) -> Result<ParamsKZG<Bn256>, ProverError> {
        use halo2_proofs::poly::commitment::Params;
        let path = self.file("kzg.srs");
        if !path.exists() {
            return Err(ProverError::Missing {
                file: path.display().to_string(),
                step: "setup",
            });
        }
        let p = crate::srs::read_params(&path)?;
        if p.k() != k {
            return Err(ProverError::Format {
                file: path.display().to_string(),
                what: format!("params for k = {}, settings need {k}", p.k()),
            });
        }
        Ok(p)
    }

    pub fn write_params(&self, p: &ParamsKZG<Bn256>) -> Result<(), ProverError> {
        crate::srs::write_params(p, &self.file("kzg.srs"))
    }

    /// Whether a file exists in the directory.
    pub fn has(&self, name: &str) -> bool {
        Path::new(&self.file(name)).exists()
    }
}

/// Writes a private file whole (temporary file created with mode 0600 on Unix, then renamed over `path`).
pub fn write_private_file(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), ProverError> {
    use std::io::Write;
    if !dir.as_os_str().is_empty() {
        std::fs::create_dir_all(dir).map_err(|e| ProverError::io(dir, e))?;
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "weights".into());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = options
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(ProverError::io(&tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        ProverError::io(path, e)
    })
}
