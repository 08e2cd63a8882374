//! `zkinfer demo`: the whole pipeline on a bundled model, printing each step, its time, the proof size and
//! the verified outputs next to tract's float outputs.

use crate::progress::spinner;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Settings;
use zkinfer_compiler::accuracy::{argmax, evaluate};
use zkinfer_compiler::reference::FloatReference;
use zkinfer_prover::pipeline::{self, ProveSummary};
use zkinfer_prover::{Device, ModelDir};

/// The bundled models directory: `./models` if present, else the one of this source tree.
pub fn default_models_dir() -> PathBuf {
    let local = PathBuf::from("models");
    if local.join("digits_mlp").exists() {
        return local;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("models")
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// One bundled model: its folder and `meta.json`.
struct Bundled {
    name: String,
    src: PathBuf,
    onnx: PathBuf,
    meta: serde_json::Value,
}

impl Bundled {
    fn find(models: &Path, name: &str) -> Result<Self> {
        let src = models.join(name);
        let onnx = src.join("model.onnx");
        if !onnx.exists() {
            let names: Vec<String> = std::fs::read_dir(models)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .filter(|e| e.path().join("model.onnx").exists())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            bail!(
                "no bundled model '{name}' in {} (available: {})",
                models.display(),
                names.join(", ")
            );
        }
        let meta = std::fs::read(src.join("meta.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        Ok(Self {
            name: name.to_string(),
            src,
            onnx,
            meta,
        })
    }
}

/// Runs the demo; returns whether the proof verified.
pub fn run(models: &Path, name: &str, out: &Path, device: Device) -> Result<bool> {
    let b = Bundled::find(models, name)?;
    let dir = ModelDir::new(out.join(name));
    if let Some(d) = b.meta.get("description").and_then(|d| d.as_str()) {
        println!("zkinfer demo: {} — {d}", b.name);
    }
    let settings = compile(&b, &dir)?;
    let shapes: Vec<Vec<usize>> = settings.inputs.iter().map(|i| i.shape.clone()).collect();
    let reference = FloatReference::load(&b.onnx, &shapes)?;
    heldout(&b, &dir, &settings, &reference)?;
    setup(&dir)?;
    let input_path = b.src.join("input.json");
    let inputs = pipeline::read_input(&input_path, &settings)?;
    let proved = prove(&dir, &input_path, &inputs, device)?;
    let proof_path = dir.file("proof.json");
    // The demo's keys come from a local development SRS, so it opts in to it, and says so.
    let request = pipeline::VerifyRequest {
        input: Some(&input_path),
        srs: zkinfer_verifier::SrsPolicy::AllowDevelopment,
        ..Default::default()
    };
    let (verdict, took) = pipeline::verify(&dir.path, &proof_path, &request)?;
    println!(
        "4. verify   {} [{}]",
        if verdict.is_ok() { "VALID" } else { "INVALID" },
        ms(took)
    );
    match &verdict {
        Ok(v) => println!(
            "   SRS: {} (accepted because the demo opts in, like `zkinfer verify --allow-dev-srs`)",
            v.srs
        ),
        Err(r) => println!("   reason: {r}"),
    }
    let float = reference.run(&inputs)?;
    let shown = verdict
        .as_ref()
        .ok()
        .and_then(|v| v.outputs.first())
        .unwrap_or(&proved.outputs[0]);
    print_outputs(&b, shown, &proved.outputs[0], &float[0]);
    Ok(verdict.is_ok())
}

/// Step 1: compiles the model, calibrating on its `calibration.json` when it has one.
fn compile(b: &Bundled, dir: &ModelDir) -> Result<Settings> {
    let calib: Vec<PathBuf> = [b.src.join("calibration.json")]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    let t = Instant::now();
    let c = pipeline::compile(&b.onnx, dir, &calib, Target::Resources)?;
    let s = &c.settings;
    println!(
        "1. compile  {} -> {}  [{}]\n   k = {} (2^{} rows, {} used), {}, MAC tile {}, {}",
        b.onnx.display(),
        dir.path.display(),
        ms(t.elapsed()),
        s.k,
        s.k,
        c.rows,
        crate::commands::values_and_tables(&s.layout),
        s.layout.tile_text(),
        crate::commands::lanes_text(&s.layout)
    );
    let a = &c.accuracy;
    println!(
        "   calibration: {} samples, max |proved - float| = {:.4} (largest output {:.2}){}",
        a.samples,
        a.max_abs_error,
        a.max_abs_output,
        a.argmax_agree
            .map(|n| format!(", argmax agrees on {n}/{}", a.samples))
            .unwrap_or_default()
    );
    Ok(c.settings)
}

/// The accuracy on the model's held-out samples (`heldout.json`), when it has them.
fn heldout(b: &Bundled, dir: &ModelDir, s: &Settings, reference: &FloatReference) -> Result<()> {
    let heldout = b.src.join("heldout.json");
    if !heldout.exists() {
        return Ok(());
    }
    let model = CompiledModel::new(dir.compiled_model(s).map(|m| m.quant)?, s)?;
    let d = InputData::read(&heldout).map_err(anyhow::Error::msg)?;
    let sizes: Vec<usize> = s.inputs.iter().map(|i| i.numel()).collect();
    let samples = d
        .samples(&sizes, &heldout.display().to_string())
        .map_err(anyhow::Error::msg)?;
    let r = evaluate(&model, reference, &samples, d.labels.as_deref())?;
    println!(
        "   held-out: {} samples, argmax agrees with the float model on {}/{}, correct labels {}/{}",
        r.samples,
        r.argmax_agree.unwrap_or(0),
        r.samples,
        r.label_correct.unwrap_or(0),
        r.samples
    );
    Ok(())
}

/// Step 2: the keys.
fn setup(dir: &ModelDir) -> Result<()> {
    let pb = spinner("generating keys");
    let setup = pipeline::setup(dir, None);
    pb.finish_and_clear();
    let setup = setup?;
    println!(
        "2. setup    verifying key [{}], vk {} bytes (provers rebuild the proving key from it){}",
        ms(setup.keygen),
        setup.vk_bytes,
        if setup.dev_srs {
            " (local development SRS: not for production)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Step 3: proves the model's `input.json`, writing DIR/proof.json.
fn prove(
    dir: &ModelDir,
    input_path: &Path,
    inputs: &[Vec<f64>],
    device: Device,
) -> Result<ProveSummary> {
    let pb = spinner("proving");
    let proved = pipeline::prove(dir, inputs, device);
    pb.finish_and_clear();
    let proved = proved?;
    let proof_path = dir.file("proof.json");
    std::fs::write(&proof_path, proved.proof.to_json())
        .with_context(|| proof_path.display().to_string())?;
    println!(
        "3. prove    {} on {}: witness [{}], proof [{}], proof {} bytes -> {}",
        input_path.display(),
        proved.backend,
        ms(proved.witness),
        ms(proved.proving),
        proved.proof_bytes,
        proof_path.display()
    );
    Ok(proved)
}

/// The verified outputs next to tract's, and the predicted class of a classifier.
fn print_outputs(b: &Bundled, shown: &[f64], proved: &[f64], float: &[f64]) {
    println!("\n   output | proved (verified) | tract float");
    for (i, (p, f)) in shown.iter().zip(float).enumerate() {
        println!("   {i:>6} | {p:>17.4} | {f:>11.4}");
    }
    if proved.len() > 1 {
        let label = b
            .meta
            .get("label")
            .and_then(|l| l.as_i64())
            .map(|l| format!(", true label {l}"))
            .unwrap_or_default();
        println!(
            "   predicted class {} (float model: {}){label}",
            argmax(proved),
            argmax(float)
        );
    }
}
