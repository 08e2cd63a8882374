//! The conformance harness: runs exported ONNX models (the `onnx` package's backend test models, prepared
//! by `scripts/conformance/prepare.py`) through compile -> setup -> prove -> verify and compares the proved
//! outputs with the reference outputs shipped with each model.
//!
//! A case passes when the proof verifies and every output is within `tolerance` (5%) of that output's
//! magnitude: `max |proved - reference| <= tolerance * max |reference|`.

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_prover::ProverError;
use zkinfer_prover::{pipeline, Device, ModelDir};

/// Limits that keep a full run inside this machine.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest circuit (log2 rows) the run proves.
    pub max_k: u32,
    /// Largest total number of model input elements.
    pub max_input_elements: usize,
    /// Allowed error relative to each output's largest magnitude.
    pub tolerance: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_k: 18,
            max_input_elements: 100_000,
            tolerance: 0.05,
        }
    }
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub name: String,
    pub ops: Vec<String>,
    pub numeric: bool,
    pub passed: bool,
    /// Why it failed (empty when it passed).
    pub reason: String,
    pub k: Option<u32>,
    /// Largest `|proved - reference|` over the outputs, and the reference's largest magnitude.
    pub max_error: Option<f64>,
    pub magnitude: Option<f64>,
    /// One unit of the coarsest output encoding (`2^-scale`): the least error a rounding change can make.
    #[serde(default)]
    pub step: Option<f64>,
    pub prove_seconds: Option<f64>,
}

impl CaseResult {
    /// A failure recorded without running the case further.
    pub fn failed(case: &Path, reason: String) -> Self {
        let meta: Option<Meta> = read_json(&case.join("meta.json")).ok();
        Self {
            name: case
                .file_name()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default(),
            numeric: meta.as_ref().is_none_or(|m| m.numeric),
            ops: meta.map(|m| m.ops).unwrap_or_default(),
            passed: false,
            reason,
            k: None,
            max_error: None,
            magnitude: None,
            step: None,
            prove_seconds: None,
        }
    }
}

#[derive(Deserialize)]
struct Meta {
    ops: Vec<String>,
    numeric: bool,
}

#[derive(Deserialize)]
struct Expected {
    outputs: Vec<ExpectedOutput>,
}

struct ExpectedValues {
    data: Vec<f64>,
}

#[derive(Deserialize)]
struct ExpectedOutput {
    /// `null` where the reference is NaN.
    data: Vec<Option<f64>>,
}

fn read_json<T: for<'a> Deserialize<'a>>(path: &Path) -> Result<T> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    serde_json::from_slice(&bytes).with_context(|| path.display().to_string())
}

/// A short reason from an error (with its causes): its first line, with the op named when it is an
/// unsupported op.
fn reason_of(e: &ProverError) -> anyhow::Error {
    anyhow!(short_reason(&e.chain()))
}

fn short_reason(s: &str) -> String {
    let first = s.lines().next().unwrap_or("").to_string();
    if let Some(i) = first.find("unsupported op") {
        return first[i..]
            .split(';')
            .next()
            .unwrap_or(&first[i..])
            .to_string();
    }
    if first.len() > 160 {
        format!("{}...", &first[..160])
    } else {
        first
    }
}

/// Runs one case directory (model.onnx, input.json, expected.json, meta.json); `work` is a scratch dir.
pub fn run_case(case: &Path, work: &Path, limits: &Limits) -> CaseResult {
    let name = case
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let meta: Meta = read_json(&case.join("meta.json")).unwrap_or(Meta {
        ops: vec![],
        numeric: true,
    });
    let mut r = CaseResult {
        name,
        ops: meta.ops,
        numeric: meta.numeric,
        passed: false,
        reason: String::new(),
        k: None,
        max_error: None,
        magnitude: None,
        step: None,
        prove_seconds: None,
    };
    if let Err(reason) = run(case, work, limits, &mut r) {
        r.reason = format!("{reason:#}");
    }
    r
}

fn run(case: &Path, work: &Path, limits: &Limits, r: &mut CaseResult) -> Result<()> {
    if !r.numeric {
        bail!("not numeric (string or sequence tensors)");
    }
    let model = case.join("model.onnx");
    // lowering first, so an unsupported op is the reason even where no input is shipped
    let graph = zkinfer_compiler::onnx::lower(&model).map_err(|e| reason_of(&e.into()))?;
    let input = case.join("input.json");
    if !input.exists() {
        bail!("no reference input is shipped with the model");
    }
    let n_in: usize = graph.inputs.iter().map(|&t| graph.tensors[t].numel()).sum();
    if n_in > limits.max_input_elements {
        bail!(
            "too large for this run: {n_in} input elements (limit {})",
            limits.max_input_elements
        );
    }
    let expected: Expected = read_json(&case.join("expected.json"))?;
    let dir = ModelDir::new(work);
    let opts = CompileOptions {
        target: Target::Resources,
        ..CompileOptions::default()
    };
    let compiled = zkinfer_compiler::compile_onnx(&model, std::slice::from_ref(&input), &opts)
        .map_err(|e| reason_of(&e.into()))?;
    r.k = Some(compiled.settings.k);
    if compiled.settings.k > limits.max_k {
        bail!(
            "too large for this run: k = {} (limit {})",
            compiled.settings.k,
            limits.max_k
        );
    }
    dir.write_compiled(compiled.settings, compiled.quant)
        .map_err(|e| reason_of(&e))?;
    pipeline::setup(&dir, None).map_err(|e| reason_of(&e))?;
    let (settings, _) = dir.settings().map_err(|e| reason_of(&e))?;
    let inputs = pipeline::read_input(&input, &settings).map_err(|e| reason_of(&e))?;
    let t = Instant::now();
    let proved = pipeline::prove(&dir, &inputs, Device::Cpu).map_err(|e| reason_of(&e))?;
    r.prove_seconds = Some(t.elapsed().as_secs_f64());
    let proof_path = work.join("proof.json");
    std::fs::write(&proof_path, proved.proof.to_json())
        .with_context(|| proof_path.display().to_string())?;
    // the conformance run's keys come from a development SRS made for it
    let request = pipeline::VerifyRequest {
        input: Some(&input),
        srs: zkinfer_verifier::SrsPolicy::AllowDevelopment,
        ..Default::default()
    };
    let (verdict, _) = pipeline::verify(work, &proof_path, &request).map_err(|e| reason_of(&e))?;
    if let Err(r) = verdict {
        bail!("the proof does not verify: {r}");
    }
    r.step = settings
        .outputs
        .iter()
        .map(|o| 1.0 / o.encoding.unit())
        .reduce(f64::max);
    compare(&proved.outputs, &expected, limits, r)
}

/// Compares the proved outputs with the reference outputs, recording the error in `r`; passes the case when
/// every output is within the tolerance.
fn compare(
    proved: &[Vec<f64>],
    expected: &Expected,
    limits: &Limits,
    r: &mut CaseResult,
) -> Result<()> {
    if expected.outputs.len() != proved.len() {
        bail!(
            "{} outputs proved, {} expected",
            proved.len(),
            expected.outputs.len()
        );
    }
    if expected
        .outputs
        .iter()
        .any(|o| o.data.iter().any(Option::is_none))
    {
        bail!("the reference output holds NaN, which no circuit value represents");
    }
    let (mut worst, mut ok) = (0f64, true);
    let mut magnitude = 0f64;
    for (p, e) in proved.iter().zip(&expected.outputs) {
        let e_data: Vec<f64> = e.data.iter().flatten().copied().collect();
        let e = ExpectedValues { data: e_data };
        if p.len() != e.data.len() {
            bail!("output of {} values, expected {}", p.len(), e.data.len());
        }
        let mag = e.data.iter().fold(0f64, |m, v| m.max(v.abs()));
        let err = p
            .iter()
            .zip(&e.data)
            .fold(0f64, |m, (a, b)| m.max((a - b).abs()));
        ok &= err <= limits.tolerance * mag + 1e-9;
        worst = worst.max(err);
        magnitude = magnitude.max(mag);
    }
    r.max_error = Some(worst);
    r.magnitude = Some(magnitude);
    if !ok {
        bail!(
            "accuracy: max error {worst:.4} over {:.0}% of the output magnitude {magnitude:.4}",
            100.0 * limits.tolerance
        );
    }
    r.passed = true;
    Ok(())
}

/// Every case directory under `root`, sorted.
pub fn cases(root: &Path) -> Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root)
        .with_context(|| root.display().to_string())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.onnx").exists())
        .collect();
    v.sort();
    Ok(v)
}

/// The results as a markdown table with a summary line.
pub fn markdown(results: &[CaseResult], command: &str) -> String {
    let numeric: Vec<&CaseResult> = results.iter().filter(|r| r.numeric).collect();
    let passed = numeric.iter().filter(|r| r.passed).count();
    let mut s = format!(
        "# ONNX conformance\n\n{passed} of {} numeric models pass ({:.0}%); {} non-numeric models are listed \
         but not counted.\n\nA model passes when compile -> setup -> prove -> verify succeeds and every proved \
         output is within 5% of the reference output's largest magnitude. Made by `{command}`.\n\n\
         | model | ops | result | k | max error / magnitude | prove (s) | reason |\n|---|---|---|---|---|---|---|\n",
        numeric.len(),
        100.0 * passed as f64 / numeric.len().max(1) as f64,
        results.len() - numeric.len()
    );
    for r in results {
        let res = if !r.numeric {
            "n/a"
        } else if r.passed {
            "pass"
        } else {
            "FAIL"
        };
        let err = match (r.max_error, r.magnitude) {
            (Some(e), Some(m)) => format!("{e:.4} / {m:.4}"),
            _ => String::new(),
        };
        s.push_str(&format!(
            "| {} | {} | {res} | {} | {err} | {} | {} |\n",
            r.name,
            r.ops.join(", "),
            r.k.map_or(String::new(), |k| k.to_string()),
            r.prove_seconds.map_or(String::new(), |t| format!("{t:.2}")),
            r.reason.replace('|', "\\|")
        ));
    }
    s
}
