//! Model directories and EVM-transcript proofs for the EVM tests.
//!
//! [`evm_proof`] proves through the prover's own path, `zkinfer_prover::pipeline::prove_with` with the EVM
//! transcript: the proof `zkinfer prove --transcript evm` writes.

use halo2_proofs::halo2curves::bn256::Fr;
use std::path::PathBuf;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_evm::contracts::proof_file_instances;
use zkinfer_prover::model_dir::ModelDir;
use zkinfer_prover::pipeline::{prove_with, ProveOptions};
use zkinfer_verifier::proof_system::TranscriptKind;

pub fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Compiles (at least `2^min_k` rows, `zkinfer compile --logrows`; 0 for the fewest) and sets up (development
/// SRS) `name` in a temporary directory; returns it and the model's input.
#[allow(dead_code)] // not every test binary uses it
pub fn model_dir(name: &str, min_k: u32) -> (tempfile::TempDir, ModelDir, Vec<Vec<f64>>) {
    model_dir_with(
        name,
        &CompileOptions {
            target: Target::Resources,
            min_k,
            ..CompileOptions::default()
        },
    )
}

/// Compiles `name` with `options` (`zkinfer compile`, e.g. `--input-visibility hashed`) and sets it up
/// (development SRS) in a temporary directory; returns it and the model's input.
pub fn model_dir_with(
    name: &str,
    options: &CompileOptions,
) -> (tempfile::TempDir, ModelDir, Vec<Vec<f64>>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    let src = models().join(name);
    zkinfer_prover::pipeline::compile_with(
        &src.join("model.onnx"),
        &md,
        &[src.join("calibration.json")],
        options,
    )
    .expect("compile");
    zkinfer_prover::pipeline::setup(&md, None).expect("setup");
    let (settings, _) = md.settings().expect("settings");
    let input =
        zkinfer_prover::pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    (tmp, md, input)
}

/// An EVM-transcript proof of one inference bound to `bind`, made by the prover's pipeline: its full
/// instance vector and proof bytes.
pub fn evm_proof(md: &ModelDir, inputs: &[Vec<f64>], bind: Fr) -> (Vec<Fr>, Vec<u8>) {
    let options = ProveOptions {
        bind,
        transcript: TranscriptKind::Evm,
        ..ProveOptions::default()
    };
    let summary = prove_with(md, inputs, &options).expect("EVM-transcript proof");
    assert_eq!(summary.proof.transcript, TranscriptKind::Evm);
    let proof = summary.proof.proof_bytes("proof").expect("proof hex");
    let instances = proof_file_instances(&summary.proof).expect("instances");
    (instances, proof)
}
