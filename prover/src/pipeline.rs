//! The steps of the pipeline as library functions: compile, setup, prove, verify. The CLI and the tests
//! call these; each returns what it measured.

use crate::backend::{backend_for, Device};
use crate::error::ProverError;
use crate::model_dir::ModelDir;
use halo2_proofs::plonk::{keygen_pk, keygen_vk};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness;
use zkinfer_circuits::Fr;
use zkinfer_compiler::accuracy::{evaluate, AccuracyReport};
use zkinfer_compiler::reference::FloatReference;
use zkinfer_verifier::artifacts::{model_id, write_vk, VerifierArtifacts, VerifierParams};
use zkinfer_verifier::proof_file::{nest, ProofFile, PROOF_VERSION};
use zkinfer_verifier::{instances_hex, Verdict};

/// What `compile` did.
#[derive(Debug, Clone)]
pub struct CompileSummary {
    pub settings: Settings,
    /// Accuracy on the calibration samples (at most 256 of them).
    pub accuracy: AccuracyReport,
    pub rows: usize,
}

/// Compiles `model` into `out`, calibrating on `samples`.
pub fn compile(
    model: &Path,
    out: &ModelDir,
    samples: &[PathBuf],
    target: Target,
) -> Result<CompileSummary, ProverError> {
    let opts = CompileOptions {
        target,
        ..CompileOptions::default()
    };
    let compiled = zkinfer_compiler::compile_onnx(model, samples, &opts)?;
    let settings = out.write_compiled(compiled.settings, compiled.quant.clone())?;
    let cm = CompiledModel::new(compiled.quant, &settings)?;
    let shapes: Vec<Vec<usize>> = settings.inputs.iter().map(|i| i.shape.clone()).collect();
    let reference = FloatReference::load(model, &shapes)?;
    let sizes: Vec<usize> = settings.inputs.iter().map(|i| i.numel()).collect();
    let mut all = Vec::new();
    for s in samples {
        let d = InputData::read(s).map_err(ProverError::input)?;
        all.extend(
            d.samples(&sizes, &s.display().to_string())
                .map_err(ProverError::input)?,
        );
    }
    if all.is_empty() {
        all = zkinfer_compiler::synthetic_samples(&sizes, 16);
    }
    all.truncate(256);
    let accuracy = evaluate(&cm, &reference, &all, None)?;
    Ok(CompileSummary {
        rows: cm.plan.height(),
        settings,
        accuracy,
    })
}

/// What `setup` did.
#[derive(Debug, Clone)]
pub struct SetupSummary {
    pub k: u32,
    pub dev_srs: bool,
    pub keygen: Duration,
    pub vk_bytes: usize,
}

/// Generates and writes the keys of a compiled model.
pub fn setup(dir: &ModelDir, srs: Option<&Path>) -> Result<SetupSummary, ProverError> {
    let (settings, settings_bytes) = dir.settings()?;
    let model = Arc::new(dir.compiled_model(&settings)?);
    let (params, dev_srs) = crate::srs::params_for(settings.k, srs)?;
    let t = Instant::now();
    let circuit = ModelCircuit::for_keygen(settings.clone(), model);
    let vk =
        keygen_vk(&params, &circuit).map_err(ProverError::halo2("verifying key generation"))?;
    let pk = keygen_pk(&params, vk.clone(), &circuit)
        .map_err(ProverError::halo2("proving key generation"))?;
    let keygen = t.elapsed();
    let vk_bytes = write_vk(&vk, &settings_bytes);
    dir.write_pk(&pk, &settings_bytes)?;
    dir.write_vk(&vk_bytes)?;
    dir.write_params(&params)?;
    dir.write_verifier_params(&VerifierParams::from_full(&params).to_bytes())?;
    Ok(SetupSummary {
        k: settings.k,
        dev_srs,
        keygen,
        vk_bytes: vk_bytes.len(),
    })
}

/// What `prove` did.
#[derive(Debug, Clone)]
pub struct ProveSummary {
    pub proof: ProofFile,
    /// Proved outputs, flat, one list per output.
    pub outputs: Vec<Vec<f64>>,
    pub witness: Duration,
    pub proving: Duration,
    pub proof_bytes: usize,
    pub backend: &'static str,
}

/// Reads an input file for a model: one sample, matching the input shapes.
pub fn read_input(path: &Path, settings: &Settings) -> Result<Vec<Vec<f64>>, ProverError> {
    let d = InputData::read(path).map_err(ProverError::input)?;
    let sizes: Vec<usize> = settings.inputs.iter().map(|i| i.numel()).collect();
    let file = path.display().to_string();
    if d.inputs.len() != sizes.len() {
        return Err(ProverError::InputCount {
            file,
            expected: sizes.len(),
            given: d.inputs.len(),
        });
    }
    for (index, (v, spec)) in d.inputs.iter().zip(&settings.inputs).enumerate() {
        if v.len() != spec.numel() {
            return Err(ProverError::InputSize {
                file,
                index,
                name: spec.name.clone(),
                shape: spec.shape.clone(),
                given: v.len(),
                expected: spec.numel(),
            });
        }
    }
    Ok(d.inputs)
}

/// Proves one inference of the model in `dir` (binding value 0).
pub fn prove(
    dir: &ModelDir,
    inputs: &[Vec<f64>],
    device: Device,
) -> Result<ProveSummary, ProverError> {
    prove_bound(dir, inputs, device, Fr::zero())
}

/// Proves one inference bound to `bind` (the last public instance; see `Settings::bind_instance`):
/// the proof verifies only with that binding value.
pub fn prove_bound(
    dir: &ModelDir,
    inputs: &[Vec<f64>],
    device: Device,
    bind: Fr,
) -> Result<ProveSummary, ProverError> {
    let backend = backend_for(device)?;
    let (settings, settings_bytes) = dir.settings()?;
    let model = Arc::new(dir.compiled_model(&settings)?);
    let pk = dir.pk(&settings, &settings_bytes)?;
    let params = dir.params(settings.k)?;
    let vk_bytes = dir.vk_bytes()?;
    let t = Instant::now();
    let w = Arc::new(witness::generate(&model.quant, &model.plan, inputs)?.with_bind(bind));
    let witness_time = t.elapsed();
    let circuit = ModelCircuit::with_witness(settings.clone(), model.clone(), w.clone());
    let instances = circuit.instances();
    let t = Instant::now();
    let proof = backend.prove(&params, &pk, circuit, &instances)?;
    let proving = t.elapsed();
    // dequantised inputs and outputs, exactly as the instances encode them
    let mut it = w.instances.iter();
    let mut take = |specs: &[zkinfer_circuits::settings::IoSpec]| -> Vec<Vec<f64>> {
        specs
            .iter()
            .map(|s| {
                it.by_ref()
                    .take(s.numel())
                    .map(|v| s.encoding.dequantise(*v as i64))
                    .collect()
            })
            .collect()
    };
    let (ins, outs) = (take(&settings.inputs), take(&settings.outputs));
    let file = ProofFile {
        version: PROOF_VERSION,
        model_id: model_id(&settings_bytes, &vk_bytes),
        proof: hex::encode(&proof),
        instances: instances_hex(&instances),
        bind: zkinfer_circuits::field::fr_to_hex(&bind),
        inputs: ins
            .iter()
            .zip(&settings.inputs)
            .map(|(v, s)| nest(v, &s.shape))
            .collect(),
        outputs: outs
            .iter()
            .zip(&settings.outputs)
            .map(|(v, s)| nest(v, &s.shape))
            .collect(),
    };
    Ok(ProveSummary {
        proof_bytes: proof.len(),
        proof: file,
        outputs: outs,
        witness: witness_time,
        proving,
        backend: backend.name(),
    })
}

/// Verifies a proof file with the model directory's verifier artifacts; with `input`, also checks that
/// the proof is about exactly that input.
pub fn verify(
    dir: &Path,
    proof: &Path,
    input: Option<&Path>,
) -> Result<(Verdict, Duration), ProverError> {
    let art = VerifierArtifacts::load_dir(dir)?;
    let bytes = std::fs::read(proof).map_err(|e| ProverError::io(proof, e))?;
    let file = proof.display().to_string();
    let p = ProofFile::parse(&bytes, &file)?;
    let t = Instant::now();
    let mut verdict = art.verify(&p, &file)?;
    let elapsed = t.elapsed();
    if let (true, Some(input)) = (verdict.valid, input) {
        let given = read_input(input, &art.settings)?;
        for (i, (spec, v)) in art.settings.inputs.iter().zip(&given).enumerate() {
            let want = zkinfer_verifier::instances::encode(spec, v, &format!("input {i}"), false)
                .map_err(ProverError::input)?;
            let proved = zkinfer_verifier::proof_file::flatten(&p.inputs[i], "inputs")
                .map_err(ProverError::input)?;
            let got =
                zkinfer_verifier::instances::encode(spec, &proved, &format!("input {i}"), false)
                    .map_err(ProverError::input)?;
            if want != got {
                verdict = Verdict {
                    valid: false,
                    reason: Some(format!(
                        "the proof is about another input than {}",
                        input.display()
                    )),
                    outputs: vec![],
                };
                break;
            }
        }
    }
    Ok((verdict, elapsed))
}
