//! The files `zkinfer export-evm` writes, and reading them back to deploy.
//!
//! | file | what |
//! |---|---|
//! | `Halo2Verifier.sol` | the verifier's Solidity source (its constructor takes the data contract's address in the split layout) |
//! | `Halo2Verifier.abi.json` | its ABI |
//! | `Halo2Verifier.bin` | its creation code, hex (append the ABI-encoded constructor argument) |
//! | `VerifierData.bin` | split layout only: the data contract's creation code, hex (deploy it first) |
//! | `manifest.json` | [`Manifest`]: layout, sizes, solc version, instance count, settings digest, SRS points |

use crate::contracts::{build, BuildError, CompiledVerifier};
use crate::layout::Layout;
use crate::runtime::MAX_CODE_SIZE;
use crate::solc::Solc;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::visibility::{TensorInstances, Visibility};
use zkinfer_verifier::VerifierArtifacts;

/// The manifest's format version.
pub const MANIFEST_VERSION: u32 = 1;

/// Why an export failed or its files could not be read.
#[derive(Debug, Error)]
pub enum ExportError {
    /// The verifier could not be built.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// A file could not be written or read.
    #[error("{path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not what export writes.
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
}

/// Sizes of one contract.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContractSizes {
    /// Runtime code bytes (EIP-170 limits it to 24,576).
    pub deployed_bytes: usize,
    /// Creation code bytes.
    pub creation_bytes: usize,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The layout written.
    pub layout: Layout,
    /// Whether every contract is under EIP-170's limit (deployable on Ethereum and its L2s).
    pub fits_eip170: bool,
    /// The compiler that built it (`0.8.19+commit.7dd6d404`).
    pub solc_version: String,
    /// The model id (settings, vk, SRS) the verifier was made from.
    pub model_id: String,
    /// How many public instances the calldata carries.
    pub num_instances: usize,
    /// The statement's split: its first `num_inputs` instances are the inputs, the next `num_outputs` the
    /// outputs (then the settings digest and the binding value), counted by visibility: every element of a
    /// public tensor, one commitment of a hashed one, nothing of a private one ([`statement`]). An escrow
    /// listing must state the same.
    #[serde(default)]
    pub num_inputs: usize,
    /// See `num_inputs`.
    #[serde(default)]
    pub num_outputs: usize,
    /// The ranges of the input instances, one per input tensor that has instances, in order: a public
    /// tensor's `count` elements whose stored integers lie in `[0, 2^bits)` (its calibrated encoding), a
    /// hashed tensor's one commitment, `count` 1 and `bits` [`COMMITMENT_BITS`] (any field element below r);
    /// a private tensor has none. An escrow listing's `InputRange`s must be these.
    #[serde(default)]
    pub input_ranges: Vec<InputRange>,
    /// The settings digest instance (hex field element), which the verifier's vk fixes.
    pub settings_digest: String,
    /// The verifier contract.
    pub verifier: ContractSizes,
    /// The data contract (split layout).
    pub data: Option<ContractSizes>,
    /// The SRS points baked in: `[1]₂` and `[τ]₂` (hex of halo2's compressed encoding), and the pinned
    /// ceremony they belong to, if any.
    pub srs_g2: String,
    /// `[τ]₂`.
    pub srs_s_g2: String,
    /// The pinned ceremony of `[τ]₂` (`None`: a development SRS; such a verifier proves nothing to others).
    pub ceremony: Option<String>,
}

/// `count` consecutive input instances whose stored integers lie in `[0, 2^bits)` (one public input tensor),
/// or, with `bits` [`COMMITMENT_BITS`], one commitment (one hashed input tensor).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputRange {
    /// Its instances: a public tensor's elements, or 1 (a commitment).
    pub count: usize,
    /// Its encoding's bits, or [`COMMITMENT_BITS`].
    pub bits: u32,
}

/// The `bits` of a hashed input tensor's range: its one instance is a Poseidon commitment, any field element
/// below r, not a stored integer (the escrow's `COMMITMENT_BITS`; public encodings have 1 to 64 bits).
pub const COMMITMENT_BITS: u32 = 254;

/// The statement's split by visibility ([`Settings::instance_layout`]): the input instances, the output
/// instances and the input ranges ([`Manifest::input_ranges`]). With the settings digest and the binding
/// value the counts make `settings.num_instances()`; for a public model they are its element counts.
pub fn statement(settings: &Settings) -> (usize, usize, Vec<InputRange>) {
    let layout = settings.instance_layout();
    let instances = |t: &TensorInstances| match t.visibility {
        Visibility::Public => t.numel,
        Visibility::Hashed => 1,
        Visibility::Private => 0,
    };
    let (inputs, outputs) = layout.tensors.split_at(layout.inputs);
    let ranges = settings
        .inputs
        .iter()
        .zip(inputs)
        .filter_map(|(spec, t)| match t.visibility {
            Visibility::Public => Some(InputRange {
                count: t.numel,
                bits: spec.encoding.bits,
            }),
            Visibility::Hashed => Some(InputRange {
                count: 1,
                bits: COMMITMENT_BITS,
            }),
            Visibility::Private => None,
        })
        .collect();
    (
        inputs.iter().map(instances).sum(),
        outputs.iter().map(instances).sum(),
        ranges,
    )
}

/// What [`export`] wrote.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The manifest.
    pub manifest: Manifest,
    /// Every file written.
    pub files: Vec<PathBuf>,
}

/// Builds both layouts and picks the one to ship: the inline layout when it fits EIP-170 (it costs less
/// gas: no `EXTCODECOPY`, no memory for the constants), else the split layout.
pub fn choose(art: &VerifierArtifacts, solc: &Solc) -> Result<CompiledVerifier, BuildError> {
    let inline = build(art, Layout::Inline, solc)?;
    if inline.deployed.len() <= MAX_CODE_SIZE {
        return Ok(inline);
    }
    build(art, Layout::Split, solc)
}

fn write(path: PathBuf, bytes: &[u8], files: &mut Vec<PathBuf>) -> Result<(), ExportError> {
    std::fs::write(&path, bytes).map_err(|source| ExportError::Io {
        path: path.clone(),
        source,
    })?;
    files.push(path);
    Ok(())
}

/// Writes the verifier of the model whose verifier artifacts are in `dir` to `out` (see the module docs).
pub fn export(
    dir: &Path,
    out: &Path,
    layout: Option<Layout>,
    solc: &Solc,
) -> Result<Exported, ExportError> {
    let art = VerifierArtifacts::load_dir(dir).map_err(|e| ExportError::Format {
        path: dir.to_path_buf(),
        what: e.to_string(),
    })?;
    let v = match layout {
        Some(l) => build(&art, l, solc)?,
        None => choose(&art, solc)?,
    };
    std::fs::create_dir_all(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    write(
        out.join("Halo2Verifier.sol"),
        v.laid_out.solidity.as_bytes(),
        &mut files,
    )?;
    let abi = serde_json::to_vec_pretty(&v.abi).map_err(|e| ExportError::Format {
        path: out.join("Halo2Verifier.abi.json"),
        what: e.to_string(),
    })?;
    write(out.join("Halo2Verifier.abi.json"), &abi, &mut files)?;
    write(
        out.join("Halo2Verifier.bin"),
        hex::encode(&v.creation).as_bytes(),
        &mut files,
    )?;
    let data = match (v.data_initcode(), &v.laid_out.data) {
        (Some(init), Some(runtime)) => {
            write(
                out.join("VerifierData.bin"),
                hex::encode(&init).as_bytes(),
                &mut files,
            )?;
            Some(ContractSizes {
                deployed_bytes: runtime.len(),
                creation_bytes: init.len(),
            })
        }
        _ => None,
    };
    let fits = v.deployed.len() <= MAX_CODE_SIZE
        && data
            .as_ref()
            .is_none_or(|d| d.deployed_bytes <= MAX_CODE_SIZE);
    let params = &art.params.params;
    let (num_inputs, num_outputs, input_ranges) = statement(&art.settings);
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        layout: v.laid_out.layout,
        fits_eip170: fits,
        solc_version: v.solc_version.clone(),
        model_id: art.model_id.clone(),
        num_instances: v.num_instances,
        num_inputs,
        num_outputs,
        input_ranges,
        settings_digest: fr_to_hex(&art.settings.digest()),
        verifier: ContractSizes {
            deployed_bytes: v.deployed.len(),
            creation_bytes: v.creation.len(),
        },
        data,
        srs_g2: hex::encode(halo2_proofs::halo2curves::group::GroupEncoding::to_bytes(
            &params.g2(),
        )),
        srs_s_g2: hex::encode(halo2_proofs::halo2curves::group::GroupEncoding::to_bytes(
            &params.s_g2(),
        )),
        ceremony: zkinfer_verifier::ceremonies::find(&params.s_g2()).map(|c| c.name.to_string()),
    };
    let m = serde_json::to_vec_pretty(&manifest).map_err(|e| ExportError::Format {
        path: out.join("manifest.json"),
        what: e.to_string(),
    })?;
    write(out.join("manifest.json"), &m, &mut files)?;
    Ok(Exported { manifest, files })
}

/// An exported verifier read back: its manifest and creation codes.
#[derive(Debug, Clone)]
pub struct ExportedCode {
    /// `manifest.json`.
    pub manifest: Manifest,
    /// `Halo2Verifier.bin`.
    pub verifier_creation: Vec<u8>,
    /// `VerifierData.bin`, when the layout is split.
    pub data_creation: Option<Vec<u8>>,
}

fn read(path: PathBuf) -> Result<Vec<u8>, ExportError> {
    std::fs::read(&path).map_err(|source| ExportError::Io { path, source })
}

fn read_hex(path: PathBuf) -> Result<Vec<u8>, ExportError> {
    let text = read(path.clone())?;
    hex::decode(String::from_utf8_lossy(&text).trim()).map_err(|e| ExportError::Format {
        path,
        what: format!("not hex: {e}"),
    })
}

impl ExportedCode {
    /// Reads what [`export`] wrote to `out`.
    pub fn load(out: &Path) -> Result<Self, ExportError> {
        let mpath = out.join("manifest.json");
        let manifest: Manifest =
            serde_json::from_slice(&read(mpath.clone())?).map_err(|e| ExportError::Format {
                path: mpath.clone(),
                what: e.to_string(),
            })?;
        if manifest.version != MANIFEST_VERSION {
            return Err(ExportError::Format {
                path: mpath,
                what: format!(
                    "version {} (this build reads {MANIFEST_VERSION})",
                    manifest.version
                ),
            });
        }
        let data_creation = match manifest.layout {
            Layout::Split => Some(read_hex(out.join("VerifierData.bin"))?),
            Layout::Inline => None,
        };
        Ok(Self {
            verifier_creation: read_hex(out.join("Halo2Verifier.bin"))?,
            data_creation,
            manifest,
        })
    }

    /// Deploys the data contract (split layout) and the verifier on `chain`; returns the verifier's address.
    pub fn deploy(
        &self,
        chain: &mut crate::runtime::Chain,
        from: crate::runtime::Address,
    ) -> Result<crate::runtime::Address, crate::runtime::ChainError> {
        let zero = crate::runtime::U256::ZERO;
        let mut args = Vec::new();
        if let Some(init) = &self.data_creation {
            let d = chain.deploy(from, init, &[], zero)?;
            args = [[0u8; 12].as_slice(), d.address.as_slice()].concat();
        }
        Ok(chain
            .deploy(from, &self.verifier_creation, &args, zero)?
            .address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkinfer_circuits::encoding::Encoding;
    use zkinfer_circuits::settings::IoSpec;

    fn settings(inputs: &[(usize, Visibility)], outputs: &[(usize, Visibility)]) -> Settings {
        let specs = |t: &[(usize, Visibility)], bits: u32| {
            t.iter()
                .enumerate()
                .map(|(i, &(n, visibility))| IoSpec {
                    name: format!("t{i}"),
                    shape: vec![1, n],
                    encoding: Encoding::signed(6, bits + i as u32),
                    visibility,
                    ..IoSpec::default()
                })
                .collect()
        };
        Settings {
            inputs: specs(inputs, 16),
            outputs: specs(outputs, 12),
            ..Settings::default()
        }
    }

    #[test]
    fn the_statement_is_counted_by_visibility() {
        use Visibility::*;
        let r = |count, bits| InputRange { count, bits };
        // public: element counts and encoding bits (the manifest of a public model as before visibilities)
        let s = settings(&[(4, Public), (2, Public)], &[(3, Public)]);
        assert_eq!(statement(&s), (6, 3, vec![r(4, 16), r(2, 17)]));
        assert_eq!(6 + 3 + 2, s.num_instances());
        // hashed: one commitment each (range bits COMMITMENT_BITS); private: nothing
        let s = settings(
            &[(4, Public), (5, Hashed), (7, Private), (2, Hashed)],
            &[(3, Public), (8, Hashed), (9, Private)],
        );
        let c = r(1, COMMITMENT_BITS);
        assert_eq!(statement(&s), (6, 4, vec![r(4, 16), c, c]));
        assert_eq!(6 + 4 + 2, s.num_instances());
        let s = settings(&[(4, Private)], &[(3, Hashed)]);
        assert_eq!(statement(&s), (0, 1, vec![]));
        assert_eq!(3, s.num_instances());
    }
}
