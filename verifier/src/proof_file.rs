//! `proof.json`, version 2: the proof, its public instances, and the inputs and outputs they encode,
//! exactly (as the stored fixed-point integers) and for people (as floats).
//!
//! ```json
//! { "version": 2, "model_id": "<model id: settings, vk and SRS>",
//!   "transcript": "blake2b" | "evm",
//!   "proof": "<hex>", "instances": ["<hex of each field element, little-endian>", ...],
//!   "bind": "<hex of the binding field element, the last instance>",
//!   "inputs_q": [<nested list of integers per input>], "outputs_q": [<... per output>],
//!   "inputs": [<nested list of floats per input>], "outputs": [<... per output>],
//!   "commitments": ["0x<big-endian hex>", ...] }
//! ```
//!
//! A hashed or private tensor (`zkinfer_circuits::visibility`) has `null` in its place in `inputs_q` and
//! `inputs` (or `outputs_q` and `outputs`); each hashed tensor's Poseidon commitment is in `commitments`, in
//! order (inputs, then outputs). Files without hashed tensors have no `commitments` field.
//!
//! A verifier rebuilds the instances from `inputs_q` and `outputs_q` and derives the verified floats from
//! them; `inputs` and `outputs` must agree with the integers' values within half a grid step, or the file
//! was edited. Every stored integer lies in `[0, 2^bits)` with `bits <= lookup_bits <= 24` (checked by
//! `Settings::check`), far below 2^53, so JavaScript's `JSON.parse` and Python's `json` keep them exact.
//! Version 1 files carried only decimal floats, which a JSON round trip could move by one ulp off the
//! grid; they are refused with a request to re-prove.
//!
//! `transcript` names the transcript the proof bytes were made with ([`TranscriptKind`]): `blake2b`
//! (halo2's, the default) or `evm` (Keccak-256 in the format the generated Solidity verifiers read). Files
//! written before the field existed have none and read as `blake2b`; any other value is refused.

use crate::error::VerifyError;
use crate::instances::{statement_vector, InstanceError, ProvedTensor};
use crate::proof_system::TranscriptKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use zkinfer_circuits::field::{fr_from_hex, fr_to_hex};
use zkinfer_circuits::poseidon::fr_to_be_hex;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::Fr;

/// Version of the proof file format this build writes and reads.
pub const PROOF_VERSION: u32 = 2;

/// A proof file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofFile {
    /// Always [`PROOF_VERSION`].
    pub version: u32,
    /// The model id ([`crate::artifacts::model_id`]) the proof was made for.
    pub model_id: String,
    /// The transcript the proof was made with (absent in older files: Blake2b).
    #[serde(default)]
    pub transcript: TranscriptKind,
    /// The proof bytes, hex.
    pub proof: String,
    /// The public instances, hex field elements (informational: verifiers rebuild them).
    pub instances: Vec<String>,
    /// The binding value (hex field element, last instance): 0 unless the proof is bound to, e.g., a market job.
    pub bind: String,
    /// The stored integers of each input, nested by its shape.
    pub inputs_q: Vec<Value>,
    /// The stored integers of each output, nested by its shape.
    pub outputs_q: Vec<Value>,
    /// The inputs' values (dequantised `inputs_q`), for people.
    pub inputs: Vec<Value>,
    /// The outputs' values (dequantised `outputs_q`), for people.
    pub outputs: Vec<Value>,
    /// The commitment of each hashed tensor (inputs, then outputs, in settings order), big-endian `0x` hex
    /// as JavaScript and Solidity print field elements; absent when nothing is hashed. A hashed or private
    /// tensor's entries in `inputs_q`/`inputs` (`outputs_q`/`outputs`) are `null`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commitments: Vec<String>,
}

/// A nested list that is not what it should be.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{at}: {found} is not {expected}")]
pub struct ListError {
    /// Where, e.g. `outputs_q[0][3]`.
    pub at: String,
    /// The offending JSON (shortened).
    pub found: String,
    /// What was expected there.
    pub expected: &'static str,
}

impl ProofFile {
    /// Builds the proof file of a proof of `settings`' circuit, made with `transcript`, for the stored
    /// inputs and outputs and the binding value (what the prover writes).
    pub fn new(
        settings: &Settings,
        model_id: &str,
        transcript: TranscriptKind,
        proof: &[u8],
        inputs: &[ProvedTensor],
        outputs: &[ProvedTensor],
        bind: Fr,
    ) -> Result<Self, InstanceError> {
        let instances = statement_vector(settings, inputs, outputs, bind)?;
        let nest_all = |specs: &[zkinfer_circuits::settings::IoSpec], tensors: &[ProvedTensor]| {
            let ints = specs
                .iter()
                .zip(tensors)
                .map(|(s, t)| t.stored().map_or(Value::Null, |v| nest(v, &s.shape)))
                .collect();
            let floats = specs
                .iter()
                .zip(tensors)
                .map(|(s, t)| {
                    t.stored().map_or(Value::Null, |v| {
                        let f: Vec<f64> = v.iter().map(|&q| s.encoding.dequantise(q)).collect();
                        nest(&f, &s.shape)
                    })
                })
                .collect();
            (ints, floats)
        };
        let commitments = inputs
            .iter()
            .chain(outputs)
            .filter_map(ProvedTensor::commitment)
            .map(|c| fr_to_be_hex(&c))
            .collect();
        let (inputs_q, inputs) = nest_all(&settings.inputs, inputs);
        let (outputs_q, outputs) = nest_all(&settings.outputs, outputs);
        Ok(Self {
            version: PROOF_VERSION,
            model_id: model_id.to_string(),
            transcript,
            proof: hex::encode(proof),
            instances: instances.iter().map(fr_to_hex).collect(),
            bind: fr_to_hex(&bind),
            inputs_q,
            outputs_q,
            inputs,
            outputs,
            commitments,
        })
    }

    /// Parses a proof file; `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, VerifyError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::format(file, format!("not valid JSON: {e}")))?;
        let version = v
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| VerifyError::format(file, "missing field \"version\""))?;
        if version == 1 {
            return Err(VerifyError::format(
                file,
                "proof file version 1 stores the outputs only as decimal floats, which cannot be \
                 checked exactly; re-prove with this version of zkinfer (it writes version 2)",
            ));
        }
        if version != u64::from(PROOF_VERSION) {
            return Err(VerifyError::Version {
                file: file.to_string(),
                found: u32::try_from(version).unwrap_or(u32::MAX),
                expected: PROOF_VERSION,
            });
        }
        match v.get("transcript") {
            None => {}
            Some(Value::String(name)) => {
                name.parse::<TranscriptKind>().map_err(|e| {
                    VerifyError::format(
                        file,
                        format!("field transcript: {e}; this build reads proofs of those two"),
                    )
                })?;
            }
            Some(other) => {
                return Err(VerifyError::format(
                    file,
                    format!(
                        "field transcript: {} is not a transcript name (blake2b or evm)",
                        shorten(other)
                    ),
                ))
            }
        }
        serde_json::from_value(v).map_err(|e| VerifyError::format(file, format!("{e}")))
    }

    /// Parses a proof file within `bounds` (its model's, [`crate::limits::ProofFileBounds::of`]): the
    /// file's size and its count of JSON values are checked before it is parsed, the proof's length
    /// before it is decoded.
    pub fn parse_within(
        bytes: &[u8],
        file: &str,
        bounds: &crate::limits::ProofFileBounds,
    ) -> Result<Self, VerifyError> {
        use crate::limits::{check_size, count_json_values, LimitError};
        let limit = |e| VerifyError::limit(file, e);
        check_size(bytes.len() as u64, bounds.max_file_bytes).map_err(limit)?;
        let values = count_json_values(bytes);
        if values > bounds.max_values {
            return Err(limit(LimitError::TooManyValues {
                values,
                max: bounds.max_values,
            }));
        }
        let p = Self::parse(bytes, file)?;
        let hex_digits = p.proof.trim_start_matches("0x").len() as u64;
        if hex_digits / 2 > bounds.max_proof_bytes {
            return Err(limit(LimitError::ProofTooLong {
                bytes: hex_digits / 2,
                max: bounds.max_proof_bytes,
            }));
        }
        Ok(p)
    }

    /// The proof bytes.
    pub fn proof_bytes(&self, file: &str) -> Result<Vec<u8>, VerifyError> {
        hex::decode(self.proof.trim_start_matches("0x"))
            .map_err(|e| VerifyError::format(file, format!("field proof: not hex: {e}")))
    }

    /// The binding value.
    pub fn bind_value(&self, file: &str) -> Result<Fr, VerifyError> {
        fr_from_hex(&self.bind).ok_or_else(|| {
            VerifyError::format(file, "field bind: not a 64-digit hex field element")
        })
    }

    /// Serialises with two-space indentation.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain data serialises"))
    }
}

/// Nests a flat row-major list by `shape` (a scalar for an empty shape; `null` where values run short).
pub fn nest<T: Copy + Into<Value>>(values: &[T], shape: &[usize]) -> Value {
    match shape.split_first() {
        None => values.first().copied().map_or(Value::Null, Into::into),
        Some((_, [])) => Value::Array(values.iter().map(|&v| v.into()).collect()),
        Some((&n, rest)) => {
            let step = rest.iter().product::<usize>();
            Value::Array(
                (0..n)
                    .map(|i| {
                        let chunk = i
                            .checked_mul(step)
                            .and_then(|a| values.get(a..a.checked_add(step)?));
                        chunk.map_or(Value::Null, |c| nest(c, rest))
                    })
                    .collect(),
            )
        }
    }
}

fn shorten(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s,
    }
}

fn walk<T>(
    v: &Value,
    at: &str,
    expected: &'static str,
    leaf: &impl Fn(&serde_json::Number) -> Option<T>,
    out: &mut Vec<T>,
) -> Result<(), ListError> {
    let err = |at: &str, v: &Value| ListError {
        at: at.to_string(),
        found: shorten(v),
        expected,
    };
    match v {
        Value::Number(n) => out.push(leaf(n).ok_or_else(|| err(at, v))?),
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, &format!("{at}[{i}]"), expected, leaf, out)?;
            }
        }
        other => return Err(err(at, other)),
    }
    Ok(())
}

/// Flattens a nested list of numbers; `at` names it in errors.
pub fn flatten(v: &Value, at: &str) -> Result<Vec<f64>, ListError> {
    let mut out = Vec::new();
    walk(v, at, "a number", &|n| n.as_f64(), &mut out)?;
    Ok(out)
}

/// Flattens a nested list of JSON integers (no fraction or exponent); `at` names it in errors.
pub fn flatten_ints(v: &Value, at: &str) -> Result<Vec<i64>, ListError> {
    let mut out = Vec::new();
    walk(v, at, "an integer", &|n| n.as_i64(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nest_and_flatten_round_trip() {
        let v: Vec<f64> = (0..6).map(f64::from).collect();
        let n = nest(&v, &[1, 2, 3]);
        assert_eq!(n.to_string(), "[[[0.0,1.0,2.0],[3.0,4.0,5.0]]]");
        assert_eq!(flatten(&n, "x").expect("flat"), v);
        let e = flatten(&serde_json::json!([1, "a"]), "outputs[0]").expect_err("a string");
        assert_eq!(e.at, "outputs[0][1]");
        let q: Vec<i64> = (0..6).collect();
        assert_eq!(flatten_ints(&nest(&q, &[2, 3]), "q").expect("ints"), q);
        assert!(flatten_ints(&serde_json::json!([1.5]), "q").is_err());
        assert!(flatten_ints(&serde_json::json!([1e3]), "q").is_err());
        assert_eq!(nest(&q[..2], &[2, 3]), serde_json::json!([null, null]));
    }

    fn file_with(transcript: Option<Value>) -> Vec<u8> {
        let mut v = serde_json::json!({
            "version": 2, "model_id": "m", "proof": "00", "instances": [], "bind": "00",
            "inputs_q": [], "outputs_q": [], "inputs": [], "outputs": []
        });
        if let (Some(t), Some(o)) = (transcript, v.as_object_mut()) {
            o.insert("transcript".into(), t);
        }
        serde_json::to_vec(&v).expect("json")
    }

    #[test]
    fn the_transcript_field_defaults_to_blake2b_and_refuses_unknown_names() {
        let old = ProofFile::parse(&file_with(None), "p.json").expect("an older file");
        assert_eq!(old.transcript, TranscriptKind::Blake2b);
        for t in TranscriptKind::ALL {
            let f = ProofFile::parse(&file_with(Some(t.name().into())), "p.json").expect("known");
            assert_eq!(f.transcript, t);
            let round = ProofFile::parse(f.to_json().as_bytes(), "p.json").expect("round trip");
            assert_eq!(round, f);
            assert!(f.to_json().contains(&format!("\"transcript\": \"{t}\"")));
        }
        let e = ProofFile::parse(&file_with(Some("poseidon".into())), "p.json")
            .expect_err("unknown transcript");
        assert_eq!(
            e.to_string(),
            "p.json: field transcript: unknown transcript 'poseidon' (expected blake2b or evm); \
             this build reads proofs of those two"
        );
        let e = ProofFile::parse(&file_with(Some(serde_json::json!(1))), "p.json")
            .expect_err("not a string");
        assert!(e.to_string().contains("field transcript: 1 is not"), "{e}");
    }
}
