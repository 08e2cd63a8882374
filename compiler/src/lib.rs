//! zkinfer's ONNX front end: loads a model with tract-onnx, lowers it to the circuit IR, calibrates and
//! quantises it (through `zkinfer_circuits::compile`), and runs tract's float inference as the reference.
//! This is the only crate that links tract.

pub mod accuracy;
pub mod error;
pub mod onnx;
pub mod reference;
pub mod size;

pub use error::{CompileError, LowerError};

use std::path::Path;
use zkinfer_circuits::compile::{compile_graph, CompileOptions, CompiledGraph};
use zkinfer_circuits::graph::{Graph, Op};
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::tables::FuncKind;

/// Loads, lowers and compiles an ONNX model, calibrating on the given sample files (or, without any,
/// on 16 seeded uniform samples in [-1, 1], which only suits models whose inputs lie in that range).
pub fn compile_onnx(
    path: &Path,
    samples: &[std::path::PathBuf],
    opts: &CompileOptions,
) -> Result<CompiledGraph, CompileError> {
    let graph = onnx::lower(path)?;
    size::check(&graph)?;
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
    let synthetic = all.is_empty();
    if synthetic {
        all = synthetic_samples(&sizes, 16);
    }
    check_positive_bases(&graph, &all, synthetic)?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_string();
    let mut compiled = compile_graph(graph, &all, opts)?;
    compiled.settings.model_name = name;
    Ok(compiled)
}

/// A `Pow` with a computed exponent (or a per-element one) is `exp(y * ln x)`: the log table has no row for
/// a base at or below 0, so a sample with such a base could not be proved; it is reported here with the node
/// instead of as a table miss while proving.
fn check_positive_bases(
    graph: &Graph,
    samples: &[Vec<Vec<f64>>],
    synthetic: bool,
) -> Result<(), CompileError> {
    let logs: Vec<_> = graph
        .nodes
        .iter()
        .filter(|n| n.op_type == "Pow" && matches!(&n.op, Op::Func(f) if f.f == FuncKind::Log))
        .collect();
    if logs.is_empty() {
        return Ok(());
    }
    for (k, sample) in samples.iter().enumerate() {
        let values = graph.eval_float(sample)?;
        for n in &logs {
            let base = values[n.inputs[0]]
                .iter()
                .enumerate()
                .find(|(_, v)| v.partial_cmp(&&0.0) != Some(std::cmp::Ordering::Greater));
            if let Some((i, v)) = base {
                let hint = if synthetic {
                    " (without samples, calibration uses uniform values in [-1, 1]: pass samples)"
                } else {
                    ""
                };
                return Err(CompileError::Node {
                    node: n.name.clone(),
                    op: n.op_type.clone(),
                    message: format!(
                        "a computed exponent is proved as exp(y * ln x), for a positive base x; calibration \
                         sample {k} has base {v} at element {i}{hint}"
                    ),
                });
            }
        }
    }
    Ok(())
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
