//! `zkinfer prove DIR --input FILE --proof-dir OUT`: every sample of an input file proved in one process,
//! the model's keys read once (`LoadedModel`) and, with `--device cuda`, one resident GPU worker for the
//! whole batch. Writes `OUT/proof-<i>.json` and prints each proof's time and the proofs per minute.

use anyhow::{anyhow, Context, Result};
use std::path::Path;
use std::time::{Duration, Instant};
use zkinfer_circuits::error::display_chain;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::{witness, Fr};
use zkinfer_compiler::reference::FloatReference;
use zkinfer_prover::{batch_backend_for, Device, LoadedModel, ModelDir, TranscriptKind};

/// What a batch did, for the summary line and the bench.
#[derive(Debug, Clone)]
pub struct BatchSummary {
    /// Proofs written.
    pub proofs: usize,
    /// Reading the keys and starting the backend.
    pub load: Duration,
    /// Each proof, witness to file written.
    pub each: Vec<Duration>,
    /// The whole batch, load included.
    pub total: Duration,
    /// With a float reference: the largest output error of any proof, max |proved - float| / max |float|.
    pub max_error: Option<f64>,
}

impl BatchSummary {
    /// Proofs per minute over the whole run, key loading included.
    pub fn per_minute(&self) -> f64 {
        self.proofs as f64 * 60.0 / self.total.as_secs_f64()
    }

    /// Proofs per minute once the keys are loaded (what a running service sustains).
    pub fn steady_per_minute(&self) -> f64 {
        let t: f64 = self.each.iter().map(Duration::as_secs_f64).sum();
        self.proofs as f64 * 60.0 / t
    }
}

/// The samples of `input` for the model's inputs, each checked (finite, within the input encoding's range)
/// before anything is proved; an error names the sample.
fn samples(input: &Path, loaded: &LoadedModel) -> Result<Vec<Vec<Vec<f64>>>> {
    let file = input.display().to_string();
    let data = InputData::read(input).map_err(|e| anyhow!(display_chain(&e)))?;
    let sizes: Vec<usize> = loaded.settings.inputs.iter().map(|i| i.numel()).collect();
    let samples = data
        .samples(&sizes, &file)
        .map_err(|e| anyhow!(display_chain(&e)))?;
    for (i, s) in samples.iter().enumerate() {
        witness::quantise_inputs(&loaded.model.quant, s)
            .map_err(|e| anyhow!("{file}: sample {i}: {}", display_chain(&e)))?;
    }
    Ok(samples)
}

/// max |proved - float| / max |float| over all outputs.
fn rel_error(proved: &[Vec<f64>], float: &[Vec<f64>]) -> f64 {
    let (p, f): (Vec<f64>, Vec<f64>) = (proved.concat(), float.concat());
    let mag = f.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let err = p
        .iter()
        .zip(&f)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    if mag > 0.0 {
        err / mag
    } else {
        err
    }
}

/// How a batch is proved.
#[derive(Debug, Clone)]
pub struct BatchOptions<'a> {
    /// Where proofs are computed.
    pub device: Device,
    /// The binding value of every proof.
    pub bind: Fr,
    /// The proofs' transcript.
    pub transcript: TranscriptKind,
    /// The ONNX model, to report each proof's output error against its float outputs (tract).
    pub reference: Option<&'a Path>,
}

/// Proves every sample of `input` with the keys of `dir`, writing `out/proof-<i>.json`.
pub fn prove_batch(
    dir: &Path,
    input: &Path,
    out: &Path,
    options: &BatchOptions<'_>,
) -> Result<BatchSummary> {
    let BatchOptions {
        device,
        bind,
        transcript,
        reference,
    } = *options;
    let start = Instant::now();
    let loaded = LoadedModel::load(&ModelDir::new(dir))?;
    let samples = samples(input, &loaded)?;
    let shapes: Vec<Vec<usize>> = loaded
        .settings
        .inputs
        .iter()
        .map(|i| i.shape.clone())
        .collect();
    let reference = match reference {
        Some(r) => Some(FloatReference::load(r, &shapes).map_err(|e| anyhow!(display_chain(&e)))?),
        None => None,
    };
    let mut max_error: Option<f64> = None;
    let backend = batch_backend_for(device)?;
    let load = start.elapsed();
    std::fs::create_dir_all(out).with_context(|| out.display().to_string())?;
    println!(
        "{} samples; keys loaded in {:.1} ms, proving on {}",
        samples.len(),
        load.as_secs_f64() * 1e3,
        backend.name()
    );
    let mut each = Vec::with_capacity(samples.len());
    for (i, sample) in samples.iter().enumerate() {
        let t = Instant::now();
        let p = loaded
            .prove_with(sample, backend.as_ref(), bind, transcript)
            .map_err(|e| anyhow!("sample {i}: {}", display_chain(&e)))?;
        let path = out.join(format!("proof-{i}.json"));
        std::fs::write(&path, p.proof.to_json()).with_context(|| path.display().to_string())?;
        if !p.openings.openings.is_empty() {
            let path = crate::commands::openings_path(&path);
            std::fs::write(&path, p.openings.to_json())
                .with_context(|| path.display().to_string())?;
        }
        let took = t.elapsed();
        each.push(took);
        let error = match &reference {
            Some(r) => {
                let float = r.run(sample).map_err(|e| anyhow!(display_chain(&e)))?;
                let e = rel_error(&p.outputs, &float);
                max_error = Some(max_error.map_or(e, |m| m.max(e)));
                format!(", output error {:.3}%", e * 100.0)
            }
            None => String::new(),
        };
        println!(
            "proof {i}: {} ({:.1} ms: witness {:.1} ms, proving {:.1} ms){error}, outputs {}",
            path.display(),
            took.as_secs_f64() * 1e3,
            p.witness.as_secs_f64() * 1e3,
            p.proving.as_secs_f64() * 1e3,
            serde_json::to_string(&p.outputs)?
        );
    }
    let s = BatchSummary {
        proofs: samples.len(),
        load,
        each,
        total: start.elapsed(),
        max_error,
    };
    println!(
        "batch: {} proofs in {:.1} ms (keys loaded once): {:.1} proofs/min, {:.1} proofs/min after loading",
        s.proofs,
        s.total.as_secs_f64() * 1e3,
        s.per_minute(),
        s.steady_per_minute()
    );
    if let Some(e) = s.max_error {
        println!(
            "largest output error against the float model: {:.3}%",
            e * 100.0
        );
    }
    Ok(s)
}
