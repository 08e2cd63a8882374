//! Models split across circuits ([`zkinfer_circuits::segments`]): compile into a segmented model directory,
//! set every segment up, compute the chain's witness once and prove its segments (in parallel threads, or
//! one segment at a time as separate jobs from an openings file).
//!
//! A segmented directory `D` holds `D/segments.json` ([`SegmentsManifest`]) and `D/segment-<i>/`, each an
//! ordinary model folder. A chain proof is a folder: `segment-<i>.json` per segment and, when anything is
//! hashed, `openings.json` with every hashed tensor's values and salt (the model's hashed inputs and outputs
//! and every cut tensor): the prover's secret, never the verifier's. A tensor keeps one salt along the
//! whole chain, so a tensor carried across several cuts has one commitment.

use crate::backend::backend_for;
use crate::error::ProverError;
use crate::loaded::LoadedModel;
use crate::model_dir::ModelDir;
use crate::pipeline::{PkStorage, ProveOptions, ProveSummary, SetupSummary};
use halo2_proofs::halo2curves::ff::Field;
use rand::rngs::OsRng;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::{CompileOptions, CompiledGraph};
use zkinfer_circuits::error::display_chain;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Plan;
use zkinfer_circuits::poseidon::{fr_to_be_hex, Opening};
use zkinfer_circuits::segments::split;
use zkinfer_circuits::settings::{IoSpec, Settings, Visibility};
use zkinfer_circuits::{witness, Fr};
use zkinfer_compiler::accuracy::{evaluate, AccuracyReport};
use zkinfer_compiler::reference::FloatReference;
use zkinfer_verifier::chain::{
    segment_dir, segment_proof, SegmentEntry, SegmentsManifest, MANIFEST_FILE, MANIFEST_VERSION,
};
use zkinfer_verifier::openings_file::{OpeningsFile, TensorKind, TensorOpening, OPENINGS_VERSION};
use zkinfer_verifier::VerifierArtifacts;

/// The chain's openings file inside a chain proof folder.
pub const CHAIN_OPENINGS: &str = "openings.json";

/// What [`compile_split`] did.
#[derive(Debug, Clone)]
pub struct SplitSummary {
    /// Each segment's settings (one: the model fits and the directory is an ordinary model folder).
    pub segments: Vec<Settings>,
    /// Accuracy of the whole model's integers on the calibration samples (the segments compute exactly
    /// these); `None` when the segments were quantised again for narrower tables.
    pub accuracy: Option<AccuracyReport>,
    /// Rows of the unsplit model's plan.
    pub rows: usize,
    /// The segments were quantised again, for narrower lookup tables than the whole model's.
    pub requantised: bool,
}

/// Removes what an earlier compile left in `out`: a manifest, its segment folders, an unsplit model.
fn clear_stale(out: &Path) -> Result<(), ProverError> {
    if let Ok(old) = SegmentsManifest::read(out) {
        for i in 0..old.segments.len() {
            let d = segment_dir(out, i);
            if d.is_dir() {
                std::fs::remove_dir_all(&d).map_err(|e| ProverError::io(&d, e))?;
            }
        }
    }
    for stale in [
        MANIFEST_FILE,
        "settings.json",
        "model.json",
        "pk.bin",
        "vk.bin",
        "kzg.srs",
        "verifier_params.bin",
    ] {
        let _ = std::fs::remove_file(out.join(stale));
    }
    Ok(())
}

/// Writes `bytes` to `path` whole (temporary file, then rename).
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), ProverError> {
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| ProverError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| ProverError::io(path, e))
}

/// The calibration samples of the files `samples` (synthetic ones when none), at most 256.
fn calibration_samples(
    samples: &[PathBuf],
    settings: &Settings,
) -> Result<Vec<Vec<Vec<f64>>>, ProverError> {
    let sizes: Vec<usize> = settings.inputs.iter().map(|i| i.numel()).collect();
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
    Ok(all)
}

/// Compiles `model` into `out`, split into segments of at most `2^max_k` rows each. A model that fits
/// `2^max_k` rows is written as today, an ordinary model folder with the settings an unsplit compile
/// writes; otherwise `out/segments.json` and `out/segment-<i>/` ([`write_split`]).
pub fn compile_split(
    model: &Path,
    out: &ModelDir,
    samples: &[PathBuf],
    opts: &CompileOptions,
    max_k: u32,
) -> Result<SplitSummary, ProverError> {
    let compiled = zkinfer_compiler::compile_onnx(model, samples, opts)?;
    let whole = CompiledModel::new(compiled.quant.clone(), &compiled.settings)?;
    let shapes: Vec<Vec<usize>> = compiled
        .settings
        .inputs
        .iter()
        .map(|i| i.shape.clone())
        .collect();
    let all = calibration_samples(samples, &compiled.settings)?;
    let mut summary = write_split(compiled, out, opts, max_k)?;
    // the segments compute the whole model's integers exactly, unless they were quantised again
    if !summary.requantised {
        let reference = FloatReference::load(model, &shapes)?;
        summary.accuracy = Some(evaluate(&whole, &reference, &all, None)?);
    }
    Ok(summary)
}

/// Splits a compiled model into segments of at most `2^max_k` rows and writes them into `out` (one segment:
/// an ordinary model folder, as an unsplit compile writes it). Whatever an earlier compile left there is
/// removed first.
pub fn write_split(
    compiled: CompiledGraph,
    out: &ModelDir,
    opts: &CompileOptions,
    max_k: u32,
) -> Result<SplitSummary, ProverError> {
    let parts = split(&compiled, opts.target, opts.headroom, max_k)?;
    clear_stale(&out.path)?;
    let rows = Plan::build(
        &compiled.quant,
        compiled.settings.layout,
        compiled.settings.digest(),
    )?
    .height();
    let requantised = parts
        .segments
        .first()
        .is_some_and(|s| s.quant.lookup_bits != compiled.quant.lookup_bits);
    if let [one] = &parts.segments[..] {
        // the whole model as compiled when it fits; quantised again for narrower tables when only those fit
        let mut settings = one.settings.clone();
        settings.model_name = compiled.settings.model_name.clone();
        let settings = out.write_compiled(settings, one.quant.clone())?;
        return Ok(SplitSummary {
            segments: vec![settings],
            accuracy: None,
            rows,
            requantised,
        });
    }
    let mut entries = Vec::new();
    let mut written = Vec::new();
    for (i, seg) in parts.segments.into_iter().enumerate() {
        let mut settings = seg.settings;
        settings.model_name = format!("{}-segment-{i}", compiled.settings.model_name);
        let settings =
            ModelDir::new(segment_dir(&out.path, i)).write_compiled(settings, seg.quant)?;
        entries.push(SegmentEntry {
            k: settings.k,
            settings_digest: zkinfer_circuits::field::fr_to_hex(&settings.digest()),
            ops: (seg.ops.start, seg.ops.end),
            model_id: None,
        });
        written.push(settings);
    }
    let manifest = SegmentsManifest {
        version: MANIFEST_VERSION,
        model_name: compiled.settings.model_name.clone(),
        max_k,
        segments: entries,
        cuts: parts.cuts,
    };
    write_whole(&out.file(MANIFEST_FILE), manifest.to_json().as_bytes())?;
    Ok(SplitSummary {
        segments: written,
        accuracy: None,
        rows,
        requantised,
    })
}

/// Sets up every segment of a segmented directory (each with its own k) and records each segment's model
/// id in the manifest.
pub fn setup_chain(
    dir: &Path,
    srs: Option<&Path>,
    storage: PkStorage,
) -> Result<Vec<SetupSummary>, ProverError> {
    let mut manifest = SegmentsManifest::read(dir)?;
    let mut done = Vec::new();
    for i in 0..manifest.segments.len() {
        let seg = segment_dir(dir, i);
        done.push(crate::pipeline::setup_with(
            &ModelDir::new(&seg),
            srs,
            storage,
        )?);
        manifest.segments[i].model_id = Some(VerifierArtifacts::load_dir(&seg)?.model_id);
    }
    write_whole(&dir.join(MANIFEST_FILE), manifest.to_json().as_bytes())?;
    Ok(done)
}

/// The model's input to a chain: an input file's values, or the openings of hashed inputs.
#[derive(Debug, Clone)]
pub enum ChainInput {
    /// Real values, one list per model input.
    Values(Vec<Vec<f64>>),
    /// Every hashed tensor's opening known so far, by tensor name: the model's hashed inputs (their
    /// commitments are then exactly these) and, for `--segment`, the cut tensors.
    Openings(OpeningsFile),
}

/// What one segment proves: its inputs (real values on its inputs' grids) and every hashed tensor's salt
/// in commitment order (hashed inputs, then hashed outputs).
#[derive(Debug, Clone)]
struct SegmentJob {
    inputs: Vec<Vec<f64>>,
    salts: Vec<Fr>,
}

/// The whole chain's integer witness, computed once: each segment's job and every hashed tensor's opening.
#[derive(Debug, Clone)]
pub struct ChainWitness {
    jobs: Vec<SegmentJob>,
    /// Every hashed tensor's opening (model inputs and outputs, cut tensors), in chain order.
    pub openings: OpeningsFile,
    /// The model's outputs (stored integers, one list per output).
    pub outputs: Vec<Vec<i128>>,
    /// Time to compute it.
    pub took: Duration,
}

fn dequantise(spec: &IoSpec, values: &[i128]) -> Vec<f64> {
    values
        .iter()
        .map(|&q| {
            spec.encoding
                .dequantise(i64::try_from(q).unwrap_or(i64::MAX))
        })
        .collect()
}

/// The inputs of the first segment from the chain's input, and the salts of its hashed inputs.
fn first_inputs(
    settings: &Settings,
    input: &ChainInput,
    salt_of: &mut HashMap<String, Fr>,
) -> Result<Vec<Vec<f64>>, ProverError> {
    match input {
        ChainInput::Values(v) => Ok(v.clone()),
        ChainInput::Openings(file) => settings
            .inputs
            .iter()
            .map(|spec| {
                let o = file
                    .openings
                    .iter()
                    .find(|o| o.tensor == spec.name)
                    .ok_or_else(|| {
                        ProverError::input(format!("no opening of input '{}'", spec.name))
                    })?;
                if o.values.len() != spec.numel() {
                    return Err(ProverError::input(format!(
                        "the opening of '{}' has {} values, its shape {:?} needs {}",
                        spec.name,
                        o.values.len(),
                        spec.shape,
                        spec.numel()
                    )));
                }
                salt_of.insert(spec.name.clone(), o.salt);
                Ok(dequantise(spec, &o.values))
            })
            .collect(),
    }
}

/// Computes the chain's witness once: every segment's integers in order (segment `i`'s outputs are
/// segment `i + 1`'s inputs), one salt per hashed tensor (the given openings', else fresh from the OS).
pub fn chain_witness(dir: &Path, input: &ChainInput) -> Result<ChainWitness, ProverError> {
    let t = Instant::now();
    let manifest = SegmentsManifest::read(dir)?;
    let mut salt_of: HashMap<String, Fr> = HashMap::new();
    let mut jobs = Vec::new();
    let mut openings: Vec<TensorOpening> = Vec::new();
    let mut inputs: Vec<Vec<f64>> = Vec::new();
    let mut outputs = Vec::new();
    for i in 0..manifest.segments.len() {
        let md = ModelDir::new(segment_dir(dir, i));
        let (settings, _) = md.settings()?;
        let cm = md.compiled_model(&settings)?;
        if i == 0 {
            inputs = first_inputs(&settings, input, &mut salt_of)?;
        }
        let w = witness::generate(&cm.quant, &cm.plan, &inputs)?;
        let n_in: usize = settings.inputs.iter().map(IoSpec::numel).sum();
        let stored = &w.instances;
        let mut salts = Vec::new();
        let mut at = 0;
        for (kind, specs) in [
            (TensorKind::Input, &settings.inputs),
            (TensorKind::Output, &settings.outputs),
        ] {
            for (index, spec) in specs.iter().enumerate() {
                let values = stored[at..at + spec.numel()].to_vec();
                at += spec.numel();
                if spec.visibility != Visibility::Hashed {
                    continue;
                }
                let salt = *salt_of
                    .entry(spec.name.clone())
                    .or_insert_with(|| Fr::random(OsRng));
                salts.push(salt);
                if openings.iter().all(|o| o.tensor != spec.name) {
                    let opening = Opening { values, salt };
                    let commitment = opening
                        .commitment()
                        .map_err(|e| ProverError::input(format!("{}: {e}", spec.name)))?;
                    openings.push(TensorOpening {
                        tensor: spec.name.clone(),
                        kind,
                        index,
                        commitment: fr_to_be_hex(&commitment),
                        values: opening.values,
                        salt,
                    });
                }
            }
        }
        let mut next = Vec::new();
        let mut at = n_in;
        outputs.clear();
        for spec in &settings.outputs {
            let values = &stored[at..at + spec.numel()];
            at += spec.numel();
            next.push(dequantise(spec, values));
            outputs.push(values.to_vec());
        }
        jobs.push(SegmentJob {
            inputs: std::mem::replace(&mut inputs, next),
            salts,
        });
    }
    Ok(ChainWitness {
        jobs,
        openings: OpeningsFile {
            version: OPENINGS_VERSION,
            model_id: manifest.chain_id().unwrap_or_default(),
            openings,
        },
        outputs,
        took: t.elapsed(),
    })
}

/// One segment's proof, as [`prove_chain`] measured it.
#[derive(Debug)]
pub struct SegmentProved {
    /// The proof and its openings.
    pub summary: ProveSummary,
    /// Loading the segment (settings, model, proving key rebuilt from vk.bin).
    pub load: Duration,
}

/// A proved chain.
#[derive(Debug)]
pub struct ChainProved {
    /// Each segment's proof, in order.
    pub segments: Vec<SegmentProved>,
    /// The chain's witness (openings of every hashed tensor).
    pub witness: ChainWitness,
    /// Wall time of the whole chain, witness included.
    pub total: Duration,
}

/// Proves segment `i` of `dir` for `job` (loading its keys, then dropping them).
fn prove_job(
    dir: &Path,
    i: usize,
    job: &SegmentJob,
    options: &ProveOptions,
) -> Result<SegmentProved, ProverError> {
    let backend = backend_for(options.device)?;
    let t = Instant::now();
    let loaded = LoadedModel::load(&ModelDir::new(segment_dir(dir, i)))?;
    let load = t.elapsed();
    let summary = loaded.prove_salted(
        &job.inputs,
        &job.salts,
        backend.as_ref(),
        options.bind,
        options.transcript,
    )?;
    Ok(SegmentProved { summary, load })
}

/// Proves every segment of the segmented model in `dir` on `input`: the chain's witness once, then the
/// segments on `jobs` threads (each loads one segment's keys at a time, so memory is bounded by `jobs`
/// segments).
pub fn prove_chain(
    dir: &Path,
    input: &ChainInput,
    options: &ProveOptions,
    jobs: usize,
) -> Result<ChainProved, ProverError> {
    let t = Instant::now();
    let witness = chain_witness(dir, input)?;
    let n = witness.jobs.len();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<SegmentProved, ProverError>>>> =
        Mutex::new((0..n).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, n.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let r = prove_job(dir, i, &witness.jobs[i], options);
                let failed = r.is_err();
                if let Ok(mut all) = results.lock() {
                    all[i] = Some(r);
                }
                if failed {
                    // no new segment starts after a failure
                    next.store(n, Ordering::SeqCst);
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| ProverError::input("a proving thread panicked".into()))?;
    let mut segments = Vec::with_capacity(n);
    for r in results {
        match r {
            Some(r) => segments.push(r?),
            None => return Err(ProverError::input("a segment was not proved".into())),
        }
    }
    Ok(ChainProved {
        segments,
        witness,
        total: t.elapsed(),
    })
}

/// Proves segment `i` alone (a provider's job): its hashed inputs from `input`'s openings, by tensor name
/// (or, for the first segment of a model with public inputs, the input values); each hashed output's salt
/// from `input` where it names the tensor (a chain's `openings.json`: the proof then states exactly the
/// chain's commitments), else fresh.
pub fn prove_segment(
    dir: &Path,
    i: usize,
    input: &ChainInput,
    options: &ProveOptions,
) -> Result<ProveSummary, ProverError> {
    let md = ModelDir::new(segment_dir(dir, i));
    let (settings, _) = md.settings()?;
    let known: Vec<TensorOpening> = match input {
        ChainInput::Openings(f) => f.openings.clone(),
        ChainInput::Values(_) => Vec::new(),
    };
    let mut salt_of = HashMap::new();
    let inputs = match (i, input) {
        (0, _) | (_, ChainInput::Openings(_)) => first_inputs(&settings, input, &mut salt_of)?,
        (_, ChainInput::Values(_)) => {
            return Err(ProverError::input(format!(
                "segment {i}'s inputs are hashed cut tensors: give the openings file of the segment before \
                 it (or the chain's openings.json)"
            )))
        }
    };
    let salts: Vec<Fr> = settings
        .inputs
        .iter()
        .chain(&settings.outputs)
        .filter(|s| s.visibility == Visibility::Hashed)
        .map(|s| {
            salt_of.get(&s.name).copied().unwrap_or_else(|| {
                known
                    .iter()
                    .find(|o| o.tensor == s.name)
                    .map_or_else(|| Fr::random(OsRng), |o| o.salt)
            })
        })
        .collect();
    let backend = backend_for(options.device)?;
    let proved = LoadedModel::load(&md)?.prove_salted(
        &inputs,
        &salts,
        backend.as_ref(),
        options.bind,
        options.transcript,
    )?;
    // every hashed tensor the openings named is proved with exactly its values
    for o in &proved.openings.openings {
        if let Some(k) = known.iter().find(|k| k.tensor == o.tensor) {
            if k.values != o.values {
                return Err(ProverError::input(format!(
                    "segment {i} computed other values of '{}' than the openings file holds",
                    o.tensor
                )));
            }
        }
    }
    Ok(proved)
}

/// Writes a proved chain into the folder `out`: `segment-<i>.json`, and `openings.json` when anything is
/// hashed.
pub fn write_chain(out: &Path, proved: &ChainProved) -> Result<(), ProverError> {
    std::fs::create_dir_all(out).map_err(|e| ProverError::io(out, e))?;
    for (i, s) in proved.segments.iter().enumerate() {
        write_whole(&segment_proof(out, i), s.summary.proof.to_json().as_bytes())?;
    }
    if !proved.witness.openings.openings.is_empty() {
        write_whole(
            &out.join(CHAIN_OPENINGS),
            proved.witness.openings.to_json().as_bytes(),
        )?;
    }
    Ok(())
}
