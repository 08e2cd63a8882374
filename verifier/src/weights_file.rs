//! The files of a model with committed weights ([`zkinfer_circuits::settings::WeightsMode::Committed`]):
//!
//! - `weights.commitment.json` (public): the Poseidon commitment to each weight tensor, by name, and the
//!   architecture's digest. What a model's owner publishes and a listing pins: a verifier accepts a proof
//!   only with the commitments it pins ([`crate::judge::judge_pinned`]).
//! - `weights.openings.json` (private to the prover, mode 0600): each weight tensor's stored values and
//!   salt, and its commitment. Whoever holds it knows the weights.
//!
//! ```json
//! { "version": 1, "architecture": "<sha-256 hex>",
//!   "commitments": [ { "tensor": "fc1.weight", "commitment": "0x<big-endian hex>" } ] }
//! { "version": 1, "architecture": "<sha-256 hex>",
//!   "openings": [ { "tensor": "fc1.weight", "commitment": "0x..", "values": [<stored integers>], "salt": "0x.." } ] }
//! ```
//!
//! Tensors are listed in the order of the model's weight inputs (`Settings::weight_inputs`).

use crate::error::VerifyError;
use serde::{Deserialize, Serialize};
use zkinfer_circuits::poseidon::{fr_from_be_hex, Opening};
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::Fr;

/// Version of both weights files.
pub const WEIGHTS_FILE_VERSION: u32 = 1;

/// One weight tensor's commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightCommitment {
    /// The weight tensor's name (its ONNX initializer).
    pub tensor: String,
    /// Its commitment, big-endian `0x` hex.
    pub commitment: String,
}

/// `weights.commitment.json`: the public commitments to one weight set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsCommitmentFile {
    /// Always [`WEIGHTS_FILE_VERSION`].
    pub version: u32,
    /// The digest of the architecture the weights are for (informational: the verifying key pins the
    /// architecture).
    pub architecture: String,
    /// One per weight tensor, in the model's weight-input order.
    pub commitments: Vec<WeightCommitment>,
}

/// One weight tensor's opening.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightOpening {
    /// The weight tensor's name.
    pub tensor: String,
    /// Its commitment, big-endian `0x` hex.
    pub commitment: String,
    /// The stored values (at the tensor's encoding).
    pub values: Vec<i128>,
    /// The salt.
    #[serde(with = "zkinfer_circuits::poseidon::hex::be_hex")]
    pub salt: Fr,
}

impl WeightOpening {
    /// The opening: values and salt.
    pub fn opening(&self) -> Opening {
        Opening {
            values: self.values.clone(),
            salt: self.salt,
        }
    }
}

/// `weights.openings.json`: one weight set, private to the prover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightsOpeningsFile {
    /// Always [`WEIGHTS_FILE_VERSION`].
    pub version: u32,
    /// The architecture's digest.
    pub architecture: String,
    /// One per weight tensor, in the model's weight-input order.
    pub openings: Vec<WeightOpening>,
}

/// The most bytes a weights file of `settings` may have: each value at most 48 bytes, names, commitments
/// and 4 KiB of envelope.
pub fn max_bytes(settings: &Settings) -> u64 {
    4096 + settings
        .weight_inputs()
        .iter()
        .map(|w| 512 + 2 * w.name.len() as u64 + 48 * w.numel() as u64)
        .sum::<u64>()
}

/// Reads at most `max` bytes of `path`, refusing a larger file.
fn read_bounded(path: &std::path::Path, max: u64) -> Result<Vec<u8>, VerifyError> {
    use std::io::Read;
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| VerifyError::format(&file, e.to_string()))?;
    let mut bytes = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| VerifyError::format(&file, e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(VerifyError::format(
            &file,
            format!("larger than the {max} bytes this model's weights files can take"),
        ));
    }
    Ok(bytes)
}

/// Checks that `names` are the model's weight tensors, in order.
fn check_names<'a>(
    names: impl ExactSizeIterator<Item = &'a str>,
    settings: &Settings,
    file: &str,
) -> Result<(), VerifyError> {
    let want: Vec<&str> = settings
        .weight_inputs()
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    let found: Vec<&str> = names.collect();
    match found == want {
        true => Ok(()),
        false => Err(VerifyError::format(
            file,
            format!(
                "names the weight tensors {found:?}, this model's are {want:?} (a file of another model?)"
            ),
        )),
    }
}

impl WeightsCommitmentFile {
    /// Parses a commitment file for a model with `settings` (its tensors must be the model's weights).
    pub fn parse_for(bytes: &[u8], file: &str, settings: &Settings) -> Result<Self, VerifyError> {
        if bytes.len() as u64 > max_bytes(settings) {
            return Err(VerifyError::format(
                file,
                "larger than a weights commitment file",
            ));
        }
        let f: Self = serde_json::from_slice(bytes).map_err(|e| {
            VerifyError::format(file, format!("not a weights commitment file: {e}"))
        })?;
        if f.version != WEIGHTS_FILE_VERSION {
            return Err(VerifyError::Version {
                file: file.to_string(),
                found: f.version,
                expected: WEIGHTS_FILE_VERSION,
            });
        }
        check_names(
            f.commitments.iter().map(|c| c.tensor.as_str()),
            settings,
            file,
        )?;
        f.field_commitments(file)?;
        Ok(f)
    }

    /// Reads `path` (bounded by the model's weight sizes) and parses it with [`Self::parse_for`].
    pub fn read_for(path: &std::path::Path, settings: &Settings) -> Result<Self, VerifyError> {
        let bytes = read_bounded(path, max_bytes(settings))?;
        Self::parse_for(&bytes, &path.display().to_string(), settings)
    }

    /// The commitments as field elements, in weight-input order.
    pub fn field_commitments(&self, file: &str) -> Result<Vec<Fr>, VerifyError> {
        self.commitments
            .iter()
            .map(|c| {
                fr_from_be_hex(&c.commitment).ok_or_else(|| {
                    VerifyError::format(
                        file,
                        format!(
                            "the commitment of '{}' is not a 0x hex field element",
                            c.tensor
                        ),
                    )
                })
            })
            .collect()
    }

    /// Serialises with two-space indentation.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain data serialises"))
    }
}

impl WeightsOpeningsFile {
    /// Parses an openings file for a model with `settings`: the model's weight tensors in order, each with
    /// its element count, each opening its stated commitment.
    pub fn parse_for(bytes: &[u8], file: &str, settings: &Settings) -> Result<Self, VerifyError> {
        if bytes.len() as u64 > max_bytes(settings) {
            return Err(VerifyError::format(
                file,
                "larger than a weights openings file",
            ));
        }
        let f: Self = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::format(file, format!("not a weights openings file: {e}")))?;
        if f.version != WEIGHTS_FILE_VERSION {
            return Err(VerifyError::Version {
                file: file.to_string(),
                found: f.version,
                expected: WEIGHTS_FILE_VERSION,
            });
        }
        check_names(f.openings.iter().map(|o| o.tensor.as_str()), settings, file)?;
        for (o, spec) in f.openings.iter().zip(settings.weight_inputs()) {
            let opens = fr_from_be_hex(&o.commitment)
                .is_some_and(|c| matches!(o.opening().opens(&c), Ok(true)));
            if o.values.len() != spec.numel() || !opens {
                return Err(VerifyError::format(
                    file,
                    format!(
                        "the opening of '{}' has {} values for its {} elements, or does not open its \
                         commitment (edited, or values outside [0, 2^24))",
                        o.tensor,
                        o.values.len(),
                        spec.numel()
                    ),
                ));
            }
        }
        Ok(f)
    }

    /// Reads `path` (bounded by the model's weight sizes) and parses it with [`Self::parse_for`].
    pub fn read_for(path: &std::path::Path, settings: &Settings) -> Result<Self, VerifyError> {
        let bytes = read_bounded(path, max_bytes(settings))?;
        Self::parse_for(&bytes, &path.display().to_string(), settings)
    }

    /// The public commitment file of these openings.
    pub fn commitment_file(&self) -> WeightsCommitmentFile {
        WeightsCommitmentFile {
            version: WEIGHTS_FILE_VERSION,
            architecture: self.architecture.clone(),
            commitments: self
                .openings
                .iter()
                .map(|o| WeightCommitment {
                    tensor: o.tensor.clone(),
                    commitment: o.commitment.clone(),
                })
                .collect(),
        }
    }

    /// Serialises with two-space indentation.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain data serialises"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkinfer_circuits::encoding::Encoding;
    use zkinfer_circuits::poseidon::{commit, fr_to_be_hex};
    use zkinfer_circuits::settings::{IoSpec, TensorRole, Visibility};

    fn settings() -> Settings {
        let io = |name: &str, role| IoSpec {
            name: name.into(),
            shape: vec![2, 2],
            encoding: Encoding::signed(6, 12),
            visibility: match role {
                TensorRole::Weights => Visibility::Hashed,
                TensorRole::Data => Visibility::Public,
            },
            role,
        };
        Settings {
            inputs: vec![io("x", TensorRole::Data), io("w", TensorRole::Weights)],
            ..Settings::default()
        }
    }

    fn openings(values: Vec<i128>) -> WeightsOpeningsFile {
        let salt = Fr::from(5);
        let c = commit(&values, salt).unwrap_or_else(|_| Fr::zero());
        WeightsOpeningsFile {
            version: WEIGHTS_FILE_VERSION,
            architecture: "ab".into(),
            openings: vec![WeightOpening {
                tensor: "w".into(),
                commitment: fr_to_be_hex(&c),
                values,
                salt,
            }],
        }
    }

    #[test]
    fn weights_files_must_name_the_models_weights_and_open_their_commitments() {
        let s = settings();
        let good = openings(vec![1, 2, 3, 4]);
        let parsed = WeightsOpeningsFile::parse_for(good.to_json().as_bytes(), "w", &s);
        assert_eq!(parsed.ok(), Some(good.clone()));
        let public = good.commitment_file();
        let parsed = WeightsCommitmentFile::parse_for(public.to_json().as_bytes(), "c", &s);
        assert_eq!(parsed.ok(), Some(public.clone()));
        // another tensor name
        let renamed = public.to_json().replace(r#""w""#, r#""x""#);
        assert!(WeightsCommitmentFile::parse_for(renamed.as_bytes(), "c", &s).is_err());
        // an edited value no longer opens its commitment; a wrong element count is refused
        let mut edited = good.clone();
        edited.openings[0].values[0] = 9;
        assert!(WeightsOpeningsFile::parse_for(edited.to_json().as_bytes(), "w", &s).is_err());
        let short = openings(vec![1, 2, 3]);
        assert!(WeightsOpeningsFile::parse_for(short.to_json().as_bytes(), "w", &s).is_err());
        // larger than the model's weights can take, before parsing
        let huge = vec![b' '; max_bytes(&s) as usize + 1];
        assert!(WeightsCommitmentFile::parse_for(&huge, "c", &s).is_err());
    }
}
