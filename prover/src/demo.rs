//! `zkinfer demo`: the whole pipeline on a bundled model, printing each step, its time, the proof size and
//! the verified outputs next to tract's float outputs.

use crate::backend::Device;
use crate::error::ProverError;
use crate::model_dir::ModelDir;
use crate::pipeline;
use crate::progress::spinner;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::error::display_chain;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Target;
use zkinfer_compiler::accuracy::{argmax, evaluate};
use zkinfer_compiler::reference::FloatReference;

/// The bundled models directory: `./models` if present, else the one next to this crate's sources.
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

/// Runs the demo; returns whether the proof verified.
pub fn run(models: &Path, name: &str, out: &Path, device: Device) -> Result<bool, ProverError> {
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
        return Err(ProverError::Input(format!(
            "no bundled model '{name}' in {} (available: {})",
            models.display(),
            names.join(", ")
        )));
    }
    let dir = ModelDir::new(out.join(name));
    let meta: serde_json::Value = std::fs::read(src.join("meta.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    if let Some(d) = meta.get("description").and_then(|d| d.as_str()) {
        println!("zkinfer demo: {name} — {d}");
    }
    // 1. compile
    let calib: Vec<PathBuf> = [src.join("calibration.json")]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    let t = Instant::now();
    let c = pipeline::compile(&onnx, &dir, &calib, Target::Resources)?;
    let s = &c.settings;
    println!(
        "1. compile  {} -> {}  [{}]\n   k = {} (2^{} rows, {} used), lookup tables of 2^{} entries, MAC tile {}x{}, {} lane(s)",
        onnx.display(),
        dir.path.display(),
        ms(t.elapsed()),
        s.k,
        s.k,
        c.rows,
        s.layout.lookup_bits,
        s.layout.tile_inputs,
        s.layout.tile_outputs,
        s.layout.lanes
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
    let model = CompiledModel::new(dir.compiled_model(s).map(|m| m.quant)?, s)?;
    let shapes: Vec<Vec<usize>> = s.inputs.iter().map(|i| i.shape.clone()).collect();
    let reference = FloatReference::load(&onnx, &shapes)?;
    let heldout = src.join("heldout.json");
    if heldout.exists() {
        let d = InputData::read(&heldout).map_err(|e| ProverError::Input(display_chain(&e)))?;
        let sizes: Vec<usize> = s.inputs.iter().map(|i| i.numel()).collect();
        let samples = d
            .samples(&sizes, &heldout.display().to_string())
            .map_err(|e| ProverError::Input(display_chain(&e)))?;
        let r = evaluate(&model, &reference, &samples, d.labels.as_deref())?;
        println!(
            "   held-out: {} samples, argmax agrees with the float model on {}/{}, correct labels {}/{}",
            r.samples,
            r.argmax_agree.unwrap_or(0),
            r.samples,
            r.label_correct.unwrap_or(0),
            r.samples
        );
    }
    // 2. setup
    let pb = spinner("generating keys");
    let setup = pipeline::setup(&dir, None);
    pb.finish_and_clear();
    let setup = setup?;
    println!(
        "2. setup    proving and verifying keys [{}], vk {} bytes{}",
        ms(setup.keygen),
        setup.vk_bytes,
        if setup.dev_srs {
            " (local development SRS: not for production)"
        } else {
            ""
        }
    );
    // 3. prove
    let input_path = src.join("input.json");
    let inputs = pipeline::read_input(&input_path, s)?;
    let pb = spinner("proving");
    let proved = pipeline::prove(&dir, &inputs, device);
    pb.finish_and_clear();
    let proved = proved?;
    let proof_path = dir.file("proof.json");
    std::fs::write(&proof_path, proved.proof.to_json())
        .map_err(|e| ProverError::io(&proof_path, e))?;
    println!(
        "3. prove    {} on {}: witness [{}], proof [{}], proof {} bytes -> {}",
        input_path.display(),
        proved.backend,
        ms(proved.witness),
        ms(proved.proving),
        proved.proof_bytes,
        proof_path.display()
    );
    // 4. verify
    let (verdict, took) = pipeline::verify(&dir.path, &proof_path, Some(&input_path))?;
    println!(
        "4. verify   {} [{}]",
        if verdict.valid { "VALID" } else { "INVALID" },
        ms(took)
    );
    if let Some(r) = &verdict.reason {
        println!("   reason: {r}");
    }
    let float = reference.run(&inputs)?;
    println!("\n   output | proved (verified) | tract float");
    for (i, (p, f)) in verdict
        .outputs
        .first()
        .unwrap_or(&proved.outputs[0])
        .iter()
        .zip(&float[0])
        .enumerate()
    {
        println!("   {i:>6} | {p:>17.4} | {f:>11.4}");
    }
    if proved.outputs[0].len() > 1 {
        let label = meta
            .get("label")
            .and_then(|l| l.as_i64())
            .map(|l| format!(", true label {l}"))
            .unwrap_or_default();
        println!(
            "   predicted class {} (float model: {}){label}",
            argmax(&proved.outputs[0]),
            argmax(&float[0])
        );
    }
    Ok(verdict.valid)
}
