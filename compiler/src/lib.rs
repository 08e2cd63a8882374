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
use zkinfer_circuits::visibility::WeightsMode;

/// Loads, lowers and compiles an ONNX model, calibrating on the given sample files (or, without any,
/// on 16 seeded uniform samples in [-1, 1], which only suits models whose inputs lie in that range).
pub fn compile_onnx(
    path: &Path,
    samples: &[std::path::PathBuf],
    opts: &CompileOptions,
) -> Result<CompiledGraph, CompileError> {
    Ok(compile_onnx_weights(path, samples, opts)?.0)
}

/// The committed weights of a model compiled with [`WeightsMode::Committed`]: the lowered architecture's
/// digest and each weight input's float values (in input order; empty with fixed weights).
#[derive(Debug, Clone, PartialEq)]
pub struct CommittedWeights {
    /// [`architecture_digest`] of the lowered graph.
    pub architecture: String,
    /// Each committed weight tensor's float values, in input order.
    pub values: Vec<Vec<f64>>,
}

/// SHA-256 (hex) of a lowered graph with its committed weights as inputs: the same for every weight set of
/// one architecture (every fixed constant, op and shape counts), different for another architecture.
pub fn architecture_digest(graph: &Graph) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(graph).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(b"zkinfer-architecture/v1");
    h.update(&json);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowers an ONNX model with its weights as `mode` says: the graph, its architecture digest and the values of
/// its committed weights.
pub fn lower_weights(
    path: &Path,
    mode: WeightsMode,
) -> Result<(Graph, CommittedWeights), CompileError> {
    let lowered = onnx::lower_with(path, mode)?;
    let weights = CommittedWeights {
        architecture: architecture_digest(&lowered.graph),
        values: lowered.weights,
    };
    Ok((lowered.graph, weights))
}

/// [`compile_onnx`], also returning the committed weights (calibration runs the model with them; their
/// encodings are chosen from their values with the options' headroom, like every tensor's).
pub fn compile_onnx_weights(
    path: &Path,
    samples: &[std::path::PathBuf],
    opts: &CompileOptions,
) -> Result<(CompiledGraph, CommittedWeights), CompileError> {
    let (graph, weights) = lower_weights(path, opts.weights)?;
    size::check(&graph)?;
    let data_inputs = graph.inputs.len() - weights.values.len();
    let sizes: Vec<usize> = graph.inputs[..data_inputs]
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
    for sample in &mut all {
        sample.extend(weights.values.iter().cloned());
    }
    check_positive_bases(&graph, &all, synthetic)?;
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model")
        .to_string();
    let mut compiled = compile_graph(graph, &all, opts)?;
    compiled.settings.model_name = name;
    Ok((compiled, weights))
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
