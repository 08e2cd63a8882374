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
use zkinfer_circuits::error::display_chain;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::Fr;
use zkinfer_compiler::accuracy::{evaluate_with_weights, AccuracyReport};
use zkinfer_compiler::reference::FloatReference;
use zkinfer_verifier::artifacts::{write_vk, VerifierArtifacts, VerifierParams};
use zkinfer_verifier::proof_file::ProofFile;
use zkinfer_verifier::{
    judge_pinned, ExpectedInputs, Provenance, Rejection, SrsPolicy, Statement, TranscriptKind,
    Verified,
};

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
    compile_with(model, out, samples, &opts)
}

/// [`compile`] with every option (e.g. a minimum circuit size).
pub fn compile_with(
    model: &Path,
    out: &ModelDir,
    samples: &[PathBuf],
    opts: &CompileOptions,
) -> Result<CompileSummary, ProverError> {
    let (compiled, weights) = zkinfer_compiler::compile_onnx_weights(model, samples, opts)?;
    let settings = out.write_compiled(compiled.settings, compiled.quant.clone())?;
    // committed weights: the compiled weight set's openings (private) and commitments (public)
    match settings.has_committed_weights() {
        true => out.write_weights(&crate::weights::commit_weights(
            &settings,
            &weights.architecture,
            &weights.values,
        )?)?,
        false => out.remove_weights(),
    }
    let cm = CompiledModel::new(compiled.quant, &settings)?;
    let data = settings.data_inputs();
    let shapes: Vec<Vec<usize>> = data.iter().map(|i| i.shape.clone()).collect();
    let reference = FloatReference::load(model, &shapes)?;
    let sizes: Vec<usize> = data.iter().map(|i| i.numel()).collect();
    let mut all = Vec::new();
    for s in samples {
        let d = InputData::read(s).map_err(|e| ProverError::input(display_chain(&e)))?;
        all.extend(
            d.samples(&sizes, &s.display().to_string())
                .map_err(|e| ProverError::input(display_chain(&e)))?,
        );
    }
    if all.is_empty() {
        all = zkinfer_compiler::synthetic_samples(&sizes, 16);
    }
    all.truncate(256);
    let accuracy = evaluate_with_weights(&cm, &reference, &all, None, &weights.values)?;
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
    /// The pinned public ceremony the imported SRS comes from (`None` for a development SRS, or for an
    /// imported SRS whose `[τ]₂` no pinned ceremony has: verifiers will refuse its proofs).
    pub ceremony: Option<&'static zkinfer_verifier::ceremonies::Ceremony>,
    pub keygen: Duration,
    pub vk_bytes: usize,
    /// Bytes of `pk.bin` when setup stored the proving key ([`PkStorage::Store`]).
    pub pk_bytes: Option<u64>,
}

/// Whether setup stores the proving key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PkStorage {
    /// No `pk.bin`: each prover rebuilds the proving key from `vk.bin` when it loads the model
    /// ([`ModelDir::proving_key`]), in about the time reading a stored one takes; nothing of hundreds of
    /// megabytes to keep or download.
    #[default]
    Rebuild,
    /// Write `pk.bin` (halo2's proving key, with its extended-domain polynomials).
    Store,
}

/// Generates and writes the keys of a compiled model (the proving key is rebuilt at load).
pub fn setup(dir: &ModelDir, srs: Option<&Path>) -> Result<SetupSummary, ProverError> {
    setup_with(dir, srs, PkStorage::Rebuild)
}

/// [`setup`], storing the proving key in `pk.bin` or not.
pub fn setup_with(
    dir: &ModelDir,
    srs: Option<&Path>,
    pk_storage: PkStorage,
) -> Result<SetupSummary, ProverError> {
    let (settings, settings_bytes) = dir.settings()?;
    let model = Arc::new(dir.compiled_model(&settings)?);
    let (params, dev_srs) = crate::srs::params_for(settings.k, srs)?;
    let t = Instant::now();
    let circuit = ModelCircuit::for_keygen(settings.clone(), model);
    let vk =
        keygen_vk(&params, &circuit).map_err(ProverError::halo2("verifying key generation"))?;
    let pk_bytes = match pk_storage {
        PkStorage::Store => {
            let pk = keygen_pk(&params, vk.clone(), &circuit)
                .map_err(ProverError::halo2("proving key generation"))?;
            dir.write_pk(&pk, &settings_bytes)?;
            std::fs::metadata(dir.file("pk.bin")).ok().map(|m| m.len())
        }
        PkStorage::Rebuild => {
            dir.remove_pk()?;
            None
        }
    };
    let keygen = t.elapsed();
    let vk_bytes = write_vk(&vk, &settings_bytes);
    dir.write_vk(&vk_bytes)?;
    dir.write_params(&params)?;
    let provenance = if dev_srs {
        Provenance::Development
    } else {
        Provenance::Imported
    };
    dir.write_verifier_params(
        &VerifierParams::from_full(&params)
            .with_provenance(provenance)
            .to_bytes(),
    )?;
    Ok(SetupSummary {
        k: settings.k,
        dev_srs,
        ceremony: zkinfer_verifier::ceremonies::find(&params.s_g2()),
        keygen,
        vk_bytes: vk_bytes.len(),
        pk_bytes,
    })
}

/// What `prove` did.
#[derive(Debug, Clone)]
pub struct ProveSummary {
    pub proof: ProofFile,
    /// The openings of the hashed inputs and outputs (none when nothing is hashed): what the owner of the
    /// values keeps beside the proof.
    pub openings: zkinfer_verifier::openings_file::OpeningsFile,
    /// Proved outputs, flat, one list per output.
    pub outputs: Vec<Vec<f64>>,
    pub witness: Duration,
    pub proving: Duration,
    pub proof_bytes: usize,
    pub backend: &'static str,
}

/// Reads an input file for a model: one sample, matching the input shapes.
pub fn read_input(path: &Path, settings: &Settings) -> Result<Vec<Vec<f64>>, ProverError> {
    let d = InputData::read(path).map_err(|e| ProverError::input(display_chain(&e)))?;
    // the data inputs: a model's committed weights come from their openings, never an input file
    let specs = settings.data_inputs();
    let sizes: Vec<usize> = specs.iter().map(|i| i.numel()).collect();
    let file = path.display().to_string();
    if d.inputs.len() != sizes.len() {
        return Err(ProverError::InputCount {
            file,
            expected: sizes.len(),
            given: d.inputs.len(),
        });
    }
    for (index, (v, spec)) in d.inputs.iter().zip(specs).enumerate() {
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
/// the proof verifies only with that binding value. Blake2b transcript.
pub fn prove_bound(
    dir: &ModelDir,
    inputs: &[Vec<f64>],
    device: Device,
    bind: Fr,
) -> Result<ProveSummary, ProverError> {
    prove_with(
        dir,
        inputs,
        &ProveOptions {
            device,
            bind,
            transcript: TranscriptKind::Blake2b,
        },
    )
}

/// How [`prove_with`] proves.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProveOptions {
    /// Where the proof is computed.
    pub device: Device,
    /// The binding value (the last public instance; zero for an unbound proof).
    pub bind: Fr,
    /// The transcript the proof is written with (`Evm` for the generated Solidity verifiers).
    pub transcript: TranscriptKind,
}

/// Proves one inference of the model in `dir` as `options` say; the proof file records the transcript.
pub fn prove_with(
    dir: &ModelDir,
    inputs: &[Vec<f64>],
    options: &ProveOptions,
) -> Result<ProveSummary, ProverError> {
    let ProveOptions {
        device,
        bind,
        transcript,
    } = *options;
    let backend = backend_for(device)?;
    crate::loaded::LoadedModel::load(dir)?.prove_with(inputs, backend.as_ref(), bind, transcript)
}

/// [`prove_with`] for a model with committed weights, proving with the weight set whose openings are at
/// `weights` (from `zkinfer commit-weights`) instead of the model directory's `weights.openings.json`.
pub fn prove_with_weights(
    dir: &ModelDir,
    inputs: &[Vec<f64>],
    options: &ProveOptions,
    weights: &Path,
) -> Result<ProveSummary, ProverError> {
    let backend = backend_for(options.device)?;
    let (settings, _) = dir.settings()?;
    let file = dir.weights_openings(&settings, Some(weights))?;
    crate::loaded::LoadedModel::load(dir)?
        .with_weights(file)?
        .prove_with(inputs, backend.as_ref(), options.bind, options.transcript)
}

/// Writes the openings of another weight set of the model's architecture (the ONNX file `model`) to
/// `PREFIX.openings.json` (mode 0600) and its commitments to `PREFIX.commitment.json`.
pub fn commit_weights(
    dir: &ModelDir,
    model: &Path,
    prefix: &Path,
) -> Result<zkinfer_verifier::weights_file::WeightsOpeningsFile, ProverError> {
    let (settings, _) = dir.settings()?;
    let own = dir.weights_commitment(&settings)?;
    let openings = crate::weights::commit_other_weights(&settings, &own.architecture, model)?;
    let with = |ext: &str| {
        let mut p = prefix.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let parent = prefix.parent().unwrap_or_else(|| Path::new(""));
    crate::model_dir::write_private_file(
        parent,
        &with(".openings.json"),
        openings.to_json().as_bytes(),
    )?;
    let public = with(".commitment.json");
    std::fs::write(&public, openings.commitment_file().to_json())
        .map_err(|e| ProverError::io(&public, e))?;
    Ok(openings)
}

/// Proves the hashed inputs that `openings` open (values and salts), so that the proof commits to exactly
/// those commitments ([`crate::loaded::LoadedModel::prove_opened`]).
pub fn prove_opened(
    dir: &ModelDir,
    openings: &[zkinfer_circuits::poseidon::Opening],
    options: &ProveOptions,
) -> Result<ProveSummary, ProverError> {
    let backend = backend_for(options.device)?;
    crate::loaded::LoadedModel::load(dir)?.prove_opened(
        openings,
        backend.as_ref(),
        options.bind,
        options.transcript,
    )
}

/// What `zkinfer verify` expects of a proof besides the model directory's artifacts.
#[derive(Debug, Clone, Default)]
pub struct VerifyRequest<'a> {
    /// The proof must be about exactly this input file.
    pub input: Option<&'a Path>,
    /// The model id the caller got from the model's owner (pins settings, vk and SRS).
    pub model_id: Option<String>,
    /// The binding value the proof must carry (hex field element); `None`: it must be zero.
    pub bind: Option<Fr>,
    /// Which SRSs are accepted.
    pub srs: SrsPolicy,
    /// For a model with committed weights: the weights commitment file to pin (default: the model
    /// directory's `weights.commitment.json`).
    pub weights_commitment: Option<&'a Path>,
}

/// Verifies a proof file with the model directory's verifier artifacts through the verifier's one path
/// ([`zkinfer_verifier::judge`]). `Err` means unreadable artifacts or request files; a proof that does
/// not prove the statement is `Ok(Err(rejection))`.
pub fn verify(
    dir: &Path,
    proof: &Path,
    request: &VerifyRequest<'_>,
) -> Result<(Result<Verified, Rejection>, Duration), ProverError> {
    let art = VerifierArtifacts::load_dir(dir)?;
    let bytes = std::fs::read(proof).map_err(|e| ProverError::io(proof, e))?;
    let file = proof.display().to_string();
    let p = ProofFile::parse(&bytes, &file)?;
    let inputs = match request.input {
        Some(path) => Some(ExpectedInputs::Values(read_input(path, &art.settings)?)),
        None => None,
    };
    let statement = Statement {
        model_id: request.model_id.clone(),
        inputs,
        bind: request.bind,
        srs: request.srs,
    };
    let pin = weights_pin(dir, &art.settings, request.weights_commitment)?;
    let t = Instant::now();
    let verdict = judge_pinned(&art, &p, &statement, pin.as_deref());
    Ok((verdict, t.elapsed()))
}

/// The weights commitments to pin for a model with committed weights: `file`'s, else the model directory's
/// `weights.commitment.json`; `None` for a model with fixed weights.
pub fn weights_pin(
    dir: &Path,
    settings: &Settings,
    file: Option<&Path>,
) -> Result<Option<Vec<Fr>>, ProverError> {
    if !settings.has_committed_weights() {
        return Ok(None);
    }
    let path = file.map_or_else(
        || dir.join(crate::weights::WEIGHTS_COMMITMENT),
        Path::to_path_buf,
    );
    let f = zkinfer_verifier::weights_file::WeightsCommitmentFile::read_for(&path, settings)?;
    Ok(Some(f.field_commitments(&path.display().to_string())?))
}
