//! zkinfer's verifier for the browser: bytes in, values out, no panic across the boundary.
//!
//! ```ts
//! verify(vk: Uint8Array, settings_json: string, params: Uint8Array, proof_json: string): VerifyResult
//! version(): string
//! ```
//! A malformed or mismatched artifact throws an `Error` whose message names what was wrong; an invalid proof
//! returns `{ valid: false, reason }`. Single-threaded: halo2 is built without `multicore`.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use zkinfer_verifier::VerifierArtifacts;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The verdict on one proof. */
export interface VerifyResult {
  /** true when the proof verifies for its inputs and outputs under this model's key */
  valid: boolean;
  /** why the proof is invalid (null when valid) */
  reason: string | null;
  /** the verified outputs, one flat row-major list per model output (empty when invalid) */
  outputs: number[][];
  /** the shape of each output */
  output_shapes: number[][];
  /** SHA-256 of settings.json and vk.bin: the model the proof was checked against */
  model_id: string;
}
"#;

/// The verdict, as returned to JavaScript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyOutcome {
    pub valid: bool,
    pub reason: Option<String>,
    pub outputs: Vec<Vec<f64>>,
    pub output_shapes: Vec<Vec<usize>>,
    pub model_id: String,
}

/// Verifies a proof; `Err` names the malformed or mismatched artifact.
pub fn verify_bytes(
    vk: &[u8],
    settings_json: &[u8],
    params: &[u8],
    proof_json: &[u8],
) -> Result<VerifyOutcome, String> {
    let art =
        VerifierArtifacts::from_bytes(settings_json, vk, params).map_err(|e| e.to_string())?;
    outcome(&art, proof_json)
}

/// A model's verifier, built once (the verifying key rebuilds the constraint system) and used for many proofs.
#[wasm_bindgen]
#[derive(Debug)]
pub struct ModelVerifier {
    art: VerifierArtifacts,
}

#[wasm_bindgen]
impl ModelVerifier {
    /// Loads a model's verifying key, settings and verifier params; throws if they are malformed or mismatched.
    #[wasm_bindgen(constructor)]
    pub fn new(vk: &[u8], settings_json: &str, params: &[u8]) -> Result<ModelVerifier, JsError> {
        let art = VerifierArtifacts::from_bytes(settings_json.as_bytes(), vk, params)
            .map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Self { art })
    }

    /// Verifies one proof file; throws if it is malformed.
    #[wasm_bindgen(unchecked_return_type = "VerifyResult")]
    pub fn verify(&self, proof_json: &str) -> Result<JsValue, JsError> {
        let outcome = outcome(&self.art, proof_json.as_bytes()).map_err(|e| JsError::new(&e))?;
        serde_wasm_bindgen::to_value(&outcome).map_err(|e| JsError::new(&format!("internal: {e}")))
    }

    /// The model id proofs of this model carry.
    #[wasm_bindgen(getter)]
    pub fn model_id(&self) -> String {
        self.art.model_id.clone()
    }
}

fn outcome(art: &VerifierArtifacts, proof_json: &[u8]) -> Result<VerifyOutcome, String> {
    let verdict = art
        .verify_json(proof_json, "proof.json")
        .map_err(|e| e.to_string())?;
    Ok(VerifyOutcome {
        valid: verdict.valid,
        reason: verdict.reason,
        outputs: verdict.outputs,
        output_shapes: art
            .settings
            .outputs
            .iter()
            .map(|o| o.shape.clone())
            .collect(),
        model_id: art.model_id.clone(),
    })
}

/// Verifies `proof_json` against a model's verifying key, settings and verifier params.
#[wasm_bindgen(unchecked_return_type = "VerifyResult")]
pub fn verify(
    vk: &[u8],
    settings_json: &str,
    params: &[u8],
    proof_json: &str,
) -> Result<JsValue, JsError> {
    let outcome = verify_bytes(vk, settings_json.as_bytes(), params, proof_json.as_bytes())
        .map_err(|e| JsError::new(&e))?;
    serde_wasm_bindgen::to_value(&outcome).map_err(|e| JsError::new(&format!("internal: {e}")))
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
