//! zkinfer's ONNX front end: loads a model with tract-onnx, lowers it to the circuit IR, calibrates and
//! quantises it (through `zkinfer_circuits::compile`), and runs tract's float inference as the reference.
//! This is the only crate that links tract.

pub mod accuracy;
pub mod error;
pub mod onnx;
pub mod reference;

pub use error::{CompileError, LowerError};

use std::path::Path;
use zkinfer_circuits::compile::{compile_graph, CompileOptions, CompiledGraph};
use zkinfer_circuits::input_data::InputData;

/// Loads, lowers and compiles an ONNX model, calibrating on the given sample files (or, without any,
/// on 16 seeded uniform samples in [-1, 1], which only suits models whose inputs lie in that range).
pub fn compile_onnx(
    path: &Path,
    samples: &[std::path::PathBuf],
    opts: &CompileOptions,
) -> Result<CompiledGraph, CompileError> {
    let graph = onnx::lower(path)?;
    let sizes: Vec<usize> = graph
        .inputs
        .iter()
        .map(|&t| graph.tensors[t].numel())
        .collect();
    let mut all = Vec::new();
    for s in samples {
        let data = InputData::read(s)?;
        all.extend(data.samples(&sizes, &s.display().to_string())?);
    }
    if all.is_empty() {
        all = synthetic_samples(&sizes, 16);
    }
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_string();
    let mut compiled = compile_graph(graph, &all, opts)?;
    compiled.settings.model_name = name;
    Ok(compiled)
}

/// Deterministic uniform samples in [-1, 1] (a 64-bit LCG: reproducible on every machine).
pub fn synthetic_samples(sizes: &[usize], count: usize) -> Vec<Vec<Vec<f64>>> {
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    (0..count)
        .map(|_| {
            sizes
                .iter()
                .map(|&n| (0..n).map(|_| next()).collect())
                .collect()
        })
        .collect()
}
