//! zkinfer's verifier for the browser: bytes in, values out, no panic across the boundary.
//!
//! ```ts
//! verify(vk: Uint8Array, settings_json: string, params: Uint8Array, proof_json: string,
//!        options?: VerifyOptions): VerifyResult
//! new ModelVerifier(vk, settings_json, params).verify(proof_json, options?): VerifyResult
//! version(): string
//! ```
//! Every verdict comes from `zkinfer_verifier::judge`. By default only a pinned public ceremony's SRS
//! is accepted: development params (made by whoever ran `zkinfer setup`, who may know their secret) are
//! refused with `code: "development_params"` unless `options.allowDevSrs` is true. Circuits over
//! k = 21 (`zkinfer_verifier::limits::BROWSER_MAX_K`; loading takes memory in proportion to 2^k) and
//! files over their size caps are refused before anything is allocated for them. A malformed artifact,
//! proof file or option throws an `Error` whose message names what was wrong; an invalid proof returns
//! `{ valid: false, reason, code }`. Single-threaded: halo2 is built without `multicore`.

mod outcome;

pub use outcome::{
    code, from_judgement, judge_json, srs_of, verify_bytes, Options, SrsInfo, VerifyOutcome, CODES,
};
use wasm_bindgen::prelude::*;
use zkinfer_verifier::{LoadLimits, VerifierArtifacts};

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** What the caller expects of a proof. Every field is optional. */
export interface VerifyOptions {
  /** accept development params (an SRS whose secret whoever ran setup may know); default false */
  allowDevSrs?: boolean;
  /** the model id the proof must be about; default: the loaded artifacts' own */
  expectedModelId?: string;
  /** the binding value the proof must carry (64 hex digits, optional 0x); default zero (unbound) */
  bind?: string;
  /** for a model with hashed inputs: the text of proof.openings.json (values and salts) the proof must be about */
  openings?: string;
  /** for a model with committed weights: the text of the owner's weights.commitment.json the proof must commit to (without it such a proof is refused: weights_mismatch) */
  weightsCommitment?: string;
}

/** The SRS a verdict rests on. */
export type SrsInfo =
  | { kind: "ceremony"; /** the pinned public ceremony */ name: string; /** where its [τ]₂ is published */ source: string }
  | { kind: "development"; /** SHA-256 of the compressed s·g2 (hex) */ fingerprint: string };

/** Why a proof was refused: one stable code per reason. */
export type RejectionCode =
  | "untrusted_params" | "development_params" | "model_mismatch" | "settings_mismatch"
  | "instance_mismatch" | "input_mismatch" | "binding_mismatch" | "edited_value"
  | "unreadable" | "trailing_bytes" | "proof_fails" | "weights_mismatch";

/** The verdict on one proof. */
export interface VerifyResult {
  /** true when the proof verifies for its inputs and outputs under this model's key and a trusted SRS */
  valid: boolean;
  /** why the proof is invalid (null when valid) */
  reason: string | null;
  /** machine-readable reason (null when valid) */
  code: RejectionCode | null;
  /** the SRS the verdict rests on (null when invalid) */
  srs: SrsInfo | null;
  /** SHA-256 over settings.json, vk.bin and the verifier params: the model the proof was checked against */
  model_id: string;
  /** the verified outputs, derived from outputs_q: one flat row-major list per model output (empty when invalid) */
  outputs: number[][];
  /** the proved fixed-point integers of each output (empty when invalid) */
  outputs_q: number[][];
  /** the shape of each output */
  output_shapes: number[][];
  /** the proved inputs' values (empty when invalid) */
  inputs: number[][];
  /** the proved fixed-point integers of each input (empty when invalid) */
  inputs_q: number[][];
  /** the binding value (hex; null when invalid) */
  bind: string | null;
  /** each hashed input's and output's Poseidon commitment, 0x big-endian hex (empty when invalid or nothing is
   * hashed; a hashed or private tensor's entry in inputs/outputs is empty) */
  commitments: { tensor: string; kind: "input" | "output"; index: number; commitment: string }[];
}
"#;

fn options(value: Option<JsValue>) -> Result<Options, JsError> {
    match value {
        None => Ok(Options::default()),
        Some(v) if v.is_undefined() || v.is_null() => Ok(Options::default()),
        // through a JSON value, so that unknown (e.g. misspelt) options are refused, not ignored
        Some(v) => serde_wasm_bindgen::from_value::<serde_json::Value>(v)
            .map_err(|e| e.to_string())
            .and_then(|json| serde_json::from_value(json).map_err(|e| e.to_string()))
            .map_err(|e| JsError::new(&format!("options: {e}"))),
    }
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    serde_wasm_bindgen::to_value(value).map_err(|e| JsError::new(&format!("internal: {e}")))
}

/// A model's verifier, built once (the verifying key rebuilds the constraint system) and used for many proofs.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ModelVerifier {
    art: VerifierArtifacts,
}

#[wasm_bindgen]
impl ModelVerifier {
    /// Loads a model's verifying key, settings and verifier params; throws if they are malformed,
    /// mismatched or degenerate (whether the SRS is trusted is decided per proof, by the options).
    #[wasm_bindgen(constructor)]
    pub fn new(vk: &[u8], settings_json: &str, params: &[u8]) -> Result<ModelVerifier, JsError> {
        let art = VerifierArtifacts::from_bytes_within(
            settings_json.as_bytes(),
            vk,
            params,
            &LoadLimits::browser(),
        )
        .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { art })
    }

    /// Verifies one proof file; throws if it or the options are malformed.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult")]
    pub fn verify(
        &self,
        proof_json: &str,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "VerifyOptions")]
        options_obj: Option<JsValue>,
    ) -> Result<JsValue, JsError> {
        let opts = options(options_obj)?;
        let outcome = judge_json(&self.art, proof_json.as_bytes(), &opts)
            .map_err(|e| JsError::new(&e.to_string()))?;
        to_js(&outcome)
    }

    /// The model id proofs of this model carry.
    #[wasm_bindgen(getter)]
    pub fn model_id(&self) -> String {
        self.art.model_id.clone()
    }

    /// The SRS of the loaded params (a pinned ceremony, or development params that verdicts accept
    /// only with `allowDevSrs`).
    #[wasm_bindgen(getter, unchecked_return_type = "SrsInfo")]
    pub fn srs(&self) -> Result<JsValue, JsError> {
        to_js(&srs_of(&self.art).map_err(|e| JsError::new(&e.to_string()))?)
    }
}

/// Verifies `proof_json` against a model's verifying key, settings and verifier params.
#[wasm_bindgen(unchecked_return_type = "VerifyResult")]
pub fn verify(
    vk: &[u8],
    settings_json: &str,
    params: &[u8],
    proof_json: &str,
    #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "VerifyOptions")]
    options_obj: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let opts = options(options_obj)?;
    let outcome = verify_bytes(
        vk,
        settings_json.as_bytes(),
        params,
        proof_json.as_bytes(),
        &opts,
    )
    .map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&outcome)
}

/// The model id (SHA-256 over `settings.json`, `vk.bin` and the verifier params) that proofs of this
/// model carry; throws if the params are malformed.
#[wasm_bindgen]
pub fn model_id(vk: &[u8], settings_json: &str, params: &[u8]) -> Result<String, JsError> {
    let params = zkinfer_verifier::VerifierParams::from_bytes(params, "verifier_params.bin")
        .map_err(|e| JsError::new(&e.to_string()))?;
    Ok(zkinfer_verifier::artifacts::model_id(
        settings_json.as_bytes(),
        vk,
        &params,
    ))
}

/// The verifier's version and the artifact format versions it reads.
#[wasm_bindgen]
pub fn version() -> String {
    format!(
        "zkinfer-wasm-verifier {} (settings v{}, vk v{}, verifier params v{}, proof v{})",
        env!("CARGO_PKG_VERSION"),
        zkinfer_verifier::artifacts::SETTINGS_FORMAT,
        zkinfer_verifier::artifacts::VK_VERSION,
        zkinfer_verifier::artifacts::PARAMS_VERSION,
        zkinfer_verifier::proof_file::PROOF_VERSION
    )
}
