//! Helpers shared by the prover's integration tests.
#![allow(dead_code)]

pub mod accuracy;

use std::path::{Path, PathBuf};
use zkinfer_circuits::layout::Target;
use zkinfer_prover::{pipeline, ModelDir};
use zkinfer_verifier::{judge, ProofFile, SrsPolicy, Statement, Verified, VerifierArtifacts};

/// The repository's `models/` folder.
pub fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("models")
}

/// Compiles (with the model's calibration file) and sets up a model into `dir`.
pub fn compile_and_setup(model_dir: &Path, dir: &Path) -> ModelDir {
    let md = ModelDir::new(dir);
    let calib = model_dir.join("calibration.json");
    let samples: Vec<PathBuf> = [calib].into_iter().filter(|p| p.exists()).collect();
    pipeline::compile(
        &model_dir.join("model.onnx"),
        &md,
        &samples,
        Target::Resources,
    )
    .expect("compile");
    pipeline::setup(&md, None).expect("setup");
    md
}

/// Judges `proof` against the verifier artifacts of `md` for any input and the proof's own binding value,
/// accepting the development SRS the tests set up with: what a VALID verdict carries, or the rejection's
/// message.
pub fn judge_own(md: &ModelDir, proof: &ProofFile) -> Result<Verified, String> {
    let art = VerifierArtifacts::load_dir(&md.path).map_err(|e| e.to_string())?;
    let statement = Statement {
        model_id: None,
        inputs: None,
        bind: Some(proof.bind_value("proof.json").map_err(|e| e.to_string())?),
        srs: SrsPolicy::AllowDevelopment,
    };
    judge(&art, proof, &statement).map_err(|r| r.to_string())
}

/// Proves `input` with a set-up model directory on the CPU and judges the proof with its verifier
/// artifacts ([`judge_own`]); panics (with `name`) unless the verdict is VALID.
pub fn prove_and_verify(
    md: &ModelDir,
    input: &Path,
    name: &str,
) -> (pipeline::ProveSummary, Verified) {
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(input, &settings).expect("input");
    let p = pipeline::prove(md, &inputs, zkinfer_prover::Device::Cpu).expect("prove");
    let v = judge_own(md, &p.proof);
    assert!(v.is_ok(), "{name}: {v:?}");
    (p, v.expect("VALID"))
}

/// Largest |a - b| and largest |b|.
pub fn max_err(a: &[f64], b: &[f64]) -> (f64, f64) {
    assert_eq!(a.len(), b.len());
    let e = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let m = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    (e, m)
}
