//! `openings.json`: what the prover hands the owner of hashed inputs and outputs, beside `proof.json`. For
//! each hashed tensor its commitment (the proof's public instance) and its opening: the stored values and
//! the salt ([`zkinfer_circuits::poseidon::Opening`]). Whoever holds it can check that the proof is about
//! those values (`zkinfer verify --input openings.json`); whoever does not learns nothing from the proof
//! but the commitment. Keep it as private as the values themselves.
//!
//! ```json
//! { "version": 1, "model_id": "<model id>",
//!   "openings": [ { "tensor": "x", "kind": "input", "index": 0,
//!                   "commitment": "0x<big-endian hex>", "values": [<stored integers>], "salt": "0x<hex>" } ] }
//! ```

use crate::error::VerifyError;
use serde::{Deserialize, Serialize};
use zkinfer_circuits::poseidon::{fr_from_be_hex, Opening};
use zkinfer_circuits::settings::{Settings, Visibility};
use zkinfer_circuits::Fr;

/// Version of the openings file format.
pub const OPENINGS_VERSION: u32 = 1;

/// Whether a tensor is an input or an output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TensorKind {
    /// A model input.
    Input,
    /// A model output.
    Output,
}

/// The opening of one hashed tensor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TensorOpening {
    /// The tensor's name.
    pub tensor: String,
    /// Input or output.
    pub kind: TensorKind,
    /// Its index among the model's inputs (or outputs).
    pub index: usize,
    /// The commitment, big-endian `0x` hex.
    pub commitment: String,
    /// The committed stored values.
    pub values: Vec<i128>,
    /// The salt.
    #[serde(with = "zkinfer_circuits::poseidon::hex::be_hex")]
    pub salt: Fr,
}

impl TensorOpening {
    /// The opening: values and salt.
    pub fn opening(&self) -> Opening {
        Opening {
            values: self.values.clone(),
            salt: self.salt,
        }
    }
}

/// An openings file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningsFile {
    /// Always [`OPENINGS_VERSION`].
    pub version: u32,
    /// The model id of the proof the openings belong to.
    pub model_id: String,
    /// One per hashed tensor, inputs then outputs.
    pub openings: Vec<TensorOpening>,
}

impl OpeningsFile {
    /// The largest openings file of a model with these settings: its hashed tensors' values (at most 32 bytes
    /// each, as `to_json` writes them), their names and commitments, and 4 KiB of envelope. Checked before a
    /// file is read ([`OpeningsFile::read_within`]).
    pub fn max_bytes(settings: &Settings) -> u64 {
        let tensors = settings.inputs.iter().chain(&settings.outputs);
        4096 + tensors
            .filter(|io| io.visibility == Visibility::Hashed)
            .map(|io| 512 + 6 * io.name.len() as u64 + 32 * io.numel() as u64)
            .sum::<u64>()
    }

    /// Reads and parses the openings file at `path` for a model with `settings`: its size is checked against
    /// [`OpeningsFile::max_bytes`] before a byte is read, and each opening must be of one of the model's hashed
    /// tensors with that tensor's element count.
    pub fn read_within(path: &std::path::Path, settings: &Settings) -> Result<Self, VerifyError> {
        use std::io::Read;
        let file = path.display().to_string();
        let max = Self::max_bytes(settings);
        let f = std::fs::File::open(path).map_err(|e| VerifyError::format(&file, e.to_string()))?;
        let mut bytes = Vec::new();
        f.take(max + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| VerifyError::format(&file, e.to_string()))?;
        if bytes.len() as u64 > max {
            return Err(VerifyError::format(
                &file,
                format!("larger than the {max} bytes this model's openings can take"),
            ));
        }
        Self::parse_for(&bytes, &file, settings)
    }

    /// [`OpeningsFile::parse`], then checks each opening against the model's hashed tensors (kind, index,
    /// element count).
    pub fn parse_for(bytes: &[u8], file: &str, settings: &Settings) -> Result<Self, VerifyError> {
        if bytes.len() as u64 > Self::max_bytes(settings) {
            return Err(VerifyError::format(
                file,
                format!(
                    "larger than the {} bytes this model's openings can take",
                    Self::max_bytes(settings)
                ),
            ));
        }
        let f = Self::parse(bytes, file)?;
        for o in &f.openings {
            let spec = match o.kind {
                TensorKind::Input => settings.inputs.get(o.index),
                TensorKind::Output => settings.outputs.get(o.index),
            };
            match spec {
                Some(s) if s.visibility == Visibility::Hashed && s.numel() == o.values.len() => {}
                _ => {
                    return Err(VerifyError::format(
                        file,
                        format!(
                        "the opening of '{}' is not of one of this model's hashed tensors (kind, \
                             index or element count differ)",
                        o.tensor
                    ),
                    ))
                }
            }
        }
        Ok(f)
    }

    /// Parses an openings file and checks that each opening opens its stated commitment; `file` names it
    /// in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, VerifyError> {
        let f: Self = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::format(file, format!("not an openings file: {e}")))?;
        if f.version != OPENINGS_VERSION {
            return Err(VerifyError::Version {
                file: file.to_string(),
                found: f.version,
                expected: OPENINGS_VERSION,
            });
        }
        for o in &f.openings {
            let stated = fr_from_be_hex(&o.commitment).ok_or_else(|| {
                VerifyError::format(
                    file,
                    format!(
                        "the commitment of '{}' is not a 0x hex field element",
                        o.tensor
                    ),
                )
            })?;
            if !matches!(o.opening().opens(&stated), Ok(true)) {
                return Err(VerifyError::format(
                    file,
                    format!(
                        "the values and salt of '{}' do not open its commitment (edited, or values \
                         outside [0, 2^24))",
                        o.tensor
                    ),
                ));
            }
        }
        Ok(f)
    }

    /// The openings of the inputs, in input order.
    pub fn inputs(&self) -> Vec<Opening> {
        self.openings
            .iter()
            .filter(|o| o.kind == TensorKind::Input)
            .map(TensorOpening::opening)
            .collect()
    }

    /// The commitment of each opening.
    pub fn commitments(&self) -> Vec<Option<Fr>> {
        self.openings
            .iter()
            .map(|o| fr_from_be_hex(&o.commitment))
            .collect()
    }

    /// Serialises with two-space indentation.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain data serialises"))
    }
}
