//! No panic on any model a user may bring: every ONNX file of the `onnx` wheel's backend test data
//! (`onnx/backend/test/data/{node,pytorch-converted,pytorch-operator,simple,light,real}`) goes through
//! `compile_onnx`, calibrated on the case's own `input_*.pb` where it ships them (else on synthetic
//! samples), and then, where it compiled, through the float reference (tract, or the IR where tract cannot
//! serve). Each must give an answer or a typed error; a panic fails the test with the case and where it
//! panicked.
//!
//! The data is found through the Python package at run time: `ONNX_BACKEND_TEST_DATA` (the `data` folder),
//! else `models/.venv/bin/python` or `python3` importing `onnx`. Run with
//! `cargo test --release -p zkinfer-compiler --test onnx_wheel_no_panic -- --ignored` after
//! `bash scripts/onnx-wheel.sh` (onnx 1.18.0, the version `models/requirements.txt` pins, in models/.venv:
//! onnx 1.19 and later no longer ship the per-operator `node` cases).

mod onnx_wheel;

use onnx_wheel::{data_dir, sample_file};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_compiler::reference::FloatReference;
use zkinfer_compiler::{compile_onnx, CompileError};

const SUITES: [&str; 6] = [
    "node",
    "pytorch-converted",
    "pytorch-operator",
    "simple",
    "light",
    "real",
];

/// Every model file: `<suite>/<case>/model.onnx` (with its test_data_set_0) or `<suite>/<name>.onnx`.
fn cases(data: &Path) -> Vec<(String, PathBuf)> {
    let mut all = Vec::new();
    for suite in SUITES {
        let Ok(entries) = std::fs::read_dir(data.join(suite)) else {
            continue;
        };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            let name = p.file_name().map(|n| n.to_string_lossy().to_string());
            let name = format!("{suite}/{}", name.unwrap_or_default());
            if p.is_dir() && p.join("model.onnx").is_file() {
                all.push((name, p.join("model.onnx")));
            } else if p.extension().is_some_and(|e| e == "onnx") {
                all.push((name, p));
            }
        }
    }
    all
}

/// What one case gave.
enum Outcome {
    Compiled,
    Refused,
    Panicked(String),
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn run_case(model: &Path, scratch: &Path) -> Outcome {
    let set = model.with_file_name("test_data_set_0");
    let samples: Vec<PathBuf> = sample_file(&set, scratch).into_iter().collect();
    let result = catch_unwind(AssertUnwindSafe(|| -> Result<(), Box<CompileError>> {
        let compiled =
            compile_onnx(model, &samples, &CompileOptions::default()).map_err(Box::new)?;
        let shapes: Vec<Vec<usize>> = compiled
            .settings
            .inputs
            .iter()
            .map(|i| i.shape.clone())
            .collect();
        let reference = FloatReference::load(model, &shapes).map_err(Box::new)?;
        let sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
        let sample = zkinfer_compiler::synthetic_samples(&sizes, 1).remove(0);
        // a typed error from running the reference on a synthetic sample is an answer too
        let _ = reference.run(&sample);
        Ok(())
    }));
    match result {
        Ok(Ok(())) => Outcome::Compiled,
        Ok(Err(_)) => Outcome::Refused,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let at = LAST_PANIC
                .lock()
                .map(|mut l| l.take().unwrap_or_default())
                .unwrap_or_default();
            Outcome::Panicked(format!("{message} at {at}"))
        }
    }
}

#[test]
#[ignore = "needs the onnx Python wheel (ONNX_BACKEND_TEST_DATA, or onnx installed in models/.venv or python3)"]
fn every_onnx_wheel_model_compiles_or_gives_a_typed_error() {
    let data = data_dir().expect(
        "the onnx wheel's backend/test/data was not found: run scripts/onnx-wheel.sh or set \
         ONNX_BACKEND_TEST_DATA",
    );
    let all = cases(&data);
    let missing: Vec<&str> = SUITES
        .into_iter()
        .filter(|s| !data.join(s).is_dir())
        .collect();
    assert!(
        missing.is_empty() && all.len() > 1000,
        "only {} models under {data:?}, no {missing:?} there: that onnx wheel is not the one \
         models/requirements.txt pins (onnx 1.19 and later ship no node cases); run scripts/onnx-wheel.sh",
        all.len()
    );
    let scratch = std::env::temp_dir().join(format!("zkinfer-onnx-wheel-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch folder");
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(at);
        }
    }));
    let only = std::env::var("ONNX_WHEEL_ONLY").unwrap_or_default();
    let (mut compiled, mut refused, mut panics) = (0, 0, Vec::new());
    for (name, model) in &all {
        if !name.contains(&only) {
            continue;
        }
        eprintln!("{name}");
        match run_case(model, &scratch) {
            Outcome::Compiled => compiled += 1,
            Outcome::Refused => refused += 1,
            Outcome::Panicked(p) => panics.push(format!("{name}: {p}")),
        }
    }
    let _ = std::panic::take_hook();
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "{} models: {compiled} compiled, {refused} refused with a typed error, {} panicked",
        all.len(),
        panics.len()
    );
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}
