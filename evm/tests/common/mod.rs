//! Model directories and EVM-transcript proofs for the EVM tests.
//!
//! Until `zkinfer prove --transcript evm` exists, [`evm_proof`] makes the proof here with snark-verifier's
//! EVM transcript on the model's own proving key (the same circuit, instances and SHPLONK prover as
//! `zkinfer_prover::pipeline::prove_bound`, only the transcript differs). Switching to the prover's EVM
//! transcript is one line: the `create_proof` call below becomes the prover's EVM proving call.

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::plonk::create_proof;
use halo2_proofs::transcript::TranscriptWriterBuffer;
use snark_verifier::loader::native::NativeLoader;
use snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use std::path::PathBuf;
use std::sync::Arc;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::witness;
use zkinfer_prover::model_dir::ModelDir;
use zkinfer_verifier::proof_system::{MultiopenProver, Scheme};

pub fn models() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models")
}

/// Compiles and sets up (development SRS) `name` in a temporary directory; returns it and the model's input.
pub fn model_dir(name: &str) -> (tempfile::TempDir, ModelDir, Vec<Vec<f64>>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    let src = models().join(name);
    zkinfer_prover::pipeline::compile(
        &src.join("model.onnx"),
        &md,
        &[src.join("calibration.json")],
        zkinfer_circuits::layout::Target::Resources,
    )
    .expect("compile");
    zkinfer_prover::pipeline::setup(&md, None).expect("setup");
    let (settings, _) = md.settings().expect("settings");
    let input =
        zkinfer_prover::pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    (tmp, md, input)
}

/// An EVM-transcript proof of one inference bound to `bind`: its full instance vector and proof bytes.
pub fn evm_proof(md: &ModelDir, inputs: &[Vec<f64>], bind: Fr) -> (Vec<Fr>, Vec<u8>) {
    let (settings, settings_bytes) = md.settings().expect("settings");
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let pk = md.pk(&settings, &settings_bytes).expect("pk");
    let params = md.params(settings.k).expect("params");
    let w = witness::generate(&model.quant, &model.plan, inputs).expect("witness");
    let circuit = ModelCircuit::with_witness(settings, model, Arc::new(w.with_bind(bind)));
    let instances = circuit.instances();
    let mut transcript =
        EvmTranscript::<G1Affine, NativeLoader, Vec<u8>, Vec<u8>>::init(Vec::new());
    create_proof::<Scheme, MultiopenProver<'_>, _, _, _, _>(
        &params,
        &pk,
        &[circuit],
        &[&[&instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .expect("EVM-transcript proof");
    (instances, transcript.finalize())
}
