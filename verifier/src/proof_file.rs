//! `proof.json`: the proof, its public instances, and the inputs and outputs they encode.
//!
//! ```json
//! { "version": 1, "model_id": "<sha256 of settings.json + vk.bin>",
//!   "proof": "<hex>", "instances": ["<hex of each field element, little-endian>", ...],
//!   "bind": "<hex of the binding field element, the last instance>",
//!   "inputs": [<nested list per input>], "outputs": [<nested list per output>] }
//! ```
//! `inputs` and `outputs` hold the fixed-point values the circuit proved (dequantised). A verifier rebuilds
//! the instances from them, so editing an output invalidates the proof.

use crate::error::VerifyError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the proof file format.
pub const PROOF_VERSION: u32 = 1;

/// A proof file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProofFile {
    pub version: u32,
    pub model_id: String,
    pub proof: String,
    pub instances: Vec<String>,
    /// The binding value (hex field element, last instance): 0 unless the proof is bound to, e.g., a market job.
    pub bind: String,
    pub inputs: Vec<Value>,
    pub outputs: Vec<Value>,
}

impl ProofFile {
    /// Parses a proof file; `file` names it in errors.
    pub fn parse(bytes: &[u8], file: &str) -> Result<Self, VerifyError> {
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| VerifyError::format(file, format!("not valid JSON: {e}")))?;
        let version = v
            .get("version")
            .and_then(Value::as_u64)
            .ok_or_else(|| VerifyError::format(file, "missing field \"version\""))?;
        if version != PROOF_VERSION as u64 {
            return Err(VerifyError::Version {
                file: file.to_string(),
                found: version as u32,
                expected: PROOF_VERSION,
            });
        }
        serde_json::from_value(v).map_err(|e| VerifyError::format(file, format!("{e}")))
    }

    /// The proof bytes.
    pub fn proof_bytes(&self, file: &str) -> Result<Vec<u8>, VerifyError> {
        hex::decode(self.proof.trim_start_matches("0x"))
            .map_err(|e| VerifyError::format(file, format!("field proof: not hex: {e}")))
    }

    /// The binding value.
    pub fn bind_value(&self, file: &str) -> Result<zkinfer_circuits::Fr, VerifyError> {
        zkinfer_circuits::field::fr_from_hex(&self.bind).ok_or_else(|| {
            VerifyError::format(file, "field bind: not a 64-digit hex field element")
        })
    }

    /// Serialises with two-space indentation.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| unreachable!("plain data serialises"))
    }
}

/// Nests a flat row-major list by `shape`.
pub fn nest(values: &[f64], shape: &[usize]) -> Value {
    match shape.split_first() {
        None => values.first().copied().map_or(Value::Null, Value::from),
        Some((_, rest)) if rest.is_empty() => Value::from(values.to_vec()),
        Some((&n, rest)) => {
            let step = rest.iter().product::<usize>();
            Value::Array(
                (0..n)
                    .map(|i| nest(&values[i * step..(i + 1) * step], rest))
                    .collect(),
            )
        }
    }
}

/// Flattens a nested list of numbers; `at` names it in errors.
pub fn flatten(v: &Value, at: &str) -> Result<Vec<f64>, String> {
    let mut out = Vec::new();
    fn go(v: &Value, out: &mut Vec<f64>, at: &str) -> Result<(), String> {
        match v {
            Value::Number(n) => out.push(
                n.as_f64()
                    .ok_or_else(|| format!("{at}: {n} is not a number"))?,
            ),
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    go(x, out, &format!("{at}[{i}]"))?;
                }
            }
            other => return Err(format!("{at}: {other} is not a number")),
        }
        Ok(())
    }
    go(v, &mut out, at)?;
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
        assert!(flatten(&serde_json::json!([1, "a"]), "outputs[0]")
            .unwrap_err()
            .contains("outputs[0][1]"));
    }
}
