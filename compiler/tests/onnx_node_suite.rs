//! ONNX's per-operator `node` test suite (shipped in the `onnx` wheel) against the circuit, in the manner
//! of tract's `node.txt`: `models/conformance/node.txt` lists the cases expected to pass, each with its
//! error bound (about twice the largest absolute error measured when it was added), and their files are
//! committed under `models/conformance/node/<case>/`, so the run is hermetic. Every other case of the suite
//! (`models/conformance/node_all.txt`) shows as ignored. Supporting an op is its registration plus its
//! cases' lines (`scripts/conformance-node.sh` finds the passing cases and copies their files).
//!
//! A case passes when it compiles (calibrated on its own `input_*.pb`) and the circuit's exact integer
//! inference of that input (the values a proof carries) is within the bound of every `output_*.pb`.
//!
//! A libtest-style runner (`harness = false`): `cargo test --release -p zkinfer-compiler --test
//! onnx_node_suite [-- FILTER] [--ignored]`. With `--ignored` the cases outside the
//! manifest run from the installed wheel (see `onnx_wheel::data_dir`); `NODE_SUITE_WRITE=FILE` then writes
//! the manifest of every case that passed within 5% of its largest output.

mod onnx_wheel;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use zkinfer_circuits::circuit::CompiledModel;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_compiler::accuracy::quantised_outputs;
use zkinfer_compiler::compile_onnx;

fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/conformance")
}

/// `node.txt`: case name and its bound, one a line (`#` starts a comment).
fn manifest() -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(conformance().join("node.txt")).unwrap_or_default();
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let name = parts.next()?.to_string();
            let bound = parts.next().and_then(|b| b.parse().ok()).unwrap_or(0.0);
            Some((name, bound))
        })
        .collect()
}

/// Every case of the suite: `node_all.txt`, and the wheel's when it is installed.
fn all_cases(wheel: Option<&Path>) -> Vec<String> {
    let text = std::fs::read_to_string(conformance().join("node_all.txt")).unwrap_or_default();
    let mut all: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    if let Some(Ok(entries)) = wheel.map(|w| std::fs::read_dir(w.join("node"))) {
        for e in entries.flatten() {
            all.push(e.file_name().to_string_lossy().to_string());
        }
    }
    all.sort();
    all.dedup();
    all
}

/// Largest absolute error against the expected outputs, and the largest expected magnitude.
fn run_case(dir: &Path, scratch: &Path) -> Result<(f64, f64), String> {
    let set = dir.join("test_data_set_0");
    let inputs = onnx_wheel::read_set(&set, "input").ok_or("an input is not a numeric tensor")?;
    let expected =
        onnx_wheel::read_set(&set, "output").ok_or("an output is not a numeric tensor")?;
    let sample = onnx_wheel::sample_file(&set, scratch).ok_or("no numeric, finite input")?;
    let compiled = compile_onnx(
        &dir.join("model.onnx"),
        &[sample],
        &CompileOptions::default(),
    )
    .map_err(|e| e.to_string())?;
    let cm = CompiledModel::new(compiled.quant.clone(), &compiled.settings)
        .map_err(|e| e.to_string())?;
    let got = quantised_outputs(&cm, &inputs).map_err(|e| e.to_string())?;
    if got.len() != expected.len() {
        return Err(format!(
            "{} outputs, {} expected",
            got.len(),
            expected.len()
        ));
    }
    let (mut err, mut mag) = (0.0f64, 0.0f64);
    for (g, w) in got.iter().zip(&expected) {
        if g.len() != w.len() {
            return Err(format!(
                "an output of {} elements, {} expected",
                g.len(),
                w.len()
            ));
        }
        for (a, b) in g.iter().zip(w) {
            if !b.is_finite() {
                return Err(format!("the expected output holds {b}"));
            }
            err = err.max((a - b).abs());
            mag = mag.max(b.abs());
        }
    }
    Ok((err, mag))
}

fn guarded(dir: &Path, scratch: &Path) -> Result<(f64, f64), String> {
    catch_unwind(AssertUnwindSafe(|| run_case(dir, scratch))).unwrap_or_else(|p| {
        let m = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("PANIC: {m}"))
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The survey of the cases outside the manifest runs only when asked for by name (`--ignored`): a
    // workspace run with `--include-ignored` (scripts/test.sh) runs the manifest, as plain `cargo test` does.
    let ignored = args.iter().any(|a| a == "--ignored");
    let list = args.iter().any(|a| a == "--list");
    // libtest's `--skip PATTERN` (scripts/test.sh passes one) names cases to leave out, not a filter
    let skips: Vec<&String> = args
        .windows(2)
        .filter(|w| w[0] == "--skip")
        .map(|w| &w[1])
        .collect();
    let filter = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with('-') && (*i == 0 || args[i - 1] != "--skip"))
        .map(|(_, a)| a.clone())
        .unwrap_or_default();
    let manifest = manifest();
    let wheel = onnx_wheel::data_dir();
    let cases: Vec<String> = all_cases(wheel.as_deref())
        .into_iter()
        .filter(|c| c.contains(&filter) && !skips.iter().any(|s| c.contains(s.as_str())))
        .collect();
    if list {
        for c in &cases {
            println!("node::{c}: test");
        }
        return;
    }
    let scratch = std::env::temp_dir().join(format!("zkinfer-node-suite-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    println!("\nrunning {} tests", cases.len());
    let (mut passed, mut failed, mut skipped) = (0, Vec::new(), 0);
    let mut survey = Vec::new();
    for case in &cases {
        let listed = manifest.get(case).copied();
        let run_it = match listed {
            Some(_) => !ignored,
            None => ignored,
        };
        if !run_it {
            println!("test node::{case} ... ignored, not in models/conformance/node.txt");
            skipped += 1;
            continue;
        }
        let committed = conformance().join("node").join(case);
        let dir = match (listed, &wheel) {
            (Some(_), _) => committed,
            (None, Some(w)) => w.join("node").join(case),
            (None, None) => {
                println!("test node::{case} ... ignored, needs the onnx Python wheel");
                skipped += 1;
                continue;
            }
        };
        let result = guarded(&dir, &scratch);
        match (result, listed) {
            (Ok((err, _)), Some(bound)) if err <= bound => {
                println!("test node::{case} ... ok");
                survey.push((case.clone(), bound));
                passed += 1;
            }
            (Ok((err, mag)), Some(bound)) => {
                println!("test node::{case} ... FAILED");
                failed.push(format!(
                    "{case}: error {err} above its bound {bound} (outputs up to {mag})"
                ));
            }
            (Ok((err, mag)), None) if err <= 0.05 * mag || err <= 1e-6 => {
                println!(
                    "test node::{case} ... ok (error {err:.3e} of {mag:.3e}: can join node.txt)"
                );
                survey.push((case.clone(), (2.0 * err).max(1e-6)));
                passed += 1;
            }
            (Ok((err, mag)), None) => {
                println!("test node::{case} ... FAILED");
                failed.push(format!("{case}: error {err} of outputs up to {mag}"));
            }
            (Err(e), _) => {
                println!("test node::{case} ... FAILED");
                failed.push(format!("{case}: {e}"));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if let Some(path) = std::env::var_os("NODE_SUITE_WRITE") {
        let mut text = String::from(
            "# ONNX node test cases expected to pass, with the largest absolute error each may have\n\
             # (scripts/conformance-node.sh regenerates this file; compiler/tests/onnx_node_suite.rs reads it)\n",
        );
        // cases a filter left out keep their lines
        survey.extend(
            manifest
                .iter()
                .filter(|(k, _)| !cases.contains(k))
                .map(|(k, b)| (k.clone(), *b)),
        );
        survey.sort_by(|a, b| a.0.cmp(&b.0));
        for (c, b) in survey {
            text.push_str(&format!("{c} {b:.3e}\n"));
        }
        std::fs::write(path, text).expect("write the manifest");
    }
    let panics = failed.iter().filter(|f| f.contains("PANIC")).count();
    if !failed.is_empty() {
        println!("\nfailures:");
        for f in &failed {
            println!("    {f}");
        }
    }
    let verdict = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {verdict}. {passed} passed; {} failed ({panics} panics); {skipped} ignored\n",
        failed.len()
    );
    // outside the manifest (a survey), failing cases are expected: only panics fail the run
    let fatal = failed
        .iter()
        .any(|f| f.contains("PANIC") || manifest.keys().any(|k| f.starts_with(&format!("{k}:"))));
    if fatal {
        std::process::exit(101);
    }
}
