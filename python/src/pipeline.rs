//! `compile` and `setup`: the prover's pipeline steps, as `zkinfer compile` and `zkinfer setup` call them,
//! with the GIL released.

use crate::errors::{self, Kind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Visibility;
use zkinfer_prover::{pipeline, ModelDir};

/// Parses a compile target name.
fn target(name: &str) -> PyResult<Target> {
    match name {
        "resources" => Ok(Target::Resources),
        "accuracy" => Ok(Target::Accuracy),
        other => Err(PyValueError::new_err(format!(
            "target: '{other}' is neither 'resources' nor 'accuracy'"
        ))),
    }
}

/// Parses a visibility (`public`, `hashed` or `private`) of the tensors `what` names.
fn visibility(what: &str, name: &str) -> PyResult<Visibility> {
    name.parse::<Visibility>()
        .map_err(|e| PyValueError::new_err(format!("{what}: {e}")))
}

/// Compiles the ONNX file `model` into `out_dir`, calibrating on the sample files (EZKL's input format,
/// several samples back to back allowed), every input and every output with the visibility given
/// (`zkinfer compile --input-visibility --output-visibility`), the weights fixed or committed (`--weights`);
/// returns what `zkinfer compile` prints, as a dict.
#[pyfunction]
#[pyo3(signature = (model, out_dir, samples, target_name="resources", inputs="public", outputs="public", weights="fixed"))]
#[allow(clippy::too_many_arguments)]
pub fn compile<'py>(
    py: Python<'py>,
    model: PathBuf,
    out_dir: PathBuf,
    samples: Vec<PathBuf>,
    target_name: &str,
    inputs: &str,
    outputs: &str,
    weights: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = CompileOptions {
        target: target(target_name)?,
        inputs: visibility("inputs", inputs)?,
        outputs: visibility("outputs", outputs)?,
        weights: weights
            .parse()
            .map_err(|e| PyValueError::new_err(format!("weights: {e}")))?,
        ..CompileOptions::default()
    };
    let dir = ModelDir::new(&out_dir);
    let c = py
        .detach(|| pipeline::compile_with(&model, &dir, &samples, &opts))
        .map_err(|e| errors::from_prover(py, &e, Kind::Compile))?;
    let s = &c.settings;
    let d = PyDict::new(py);
    d.set_item("k", s.k)?;
    d.set_item("rows", c.rows)?;
    d.set_item("lookup_bits", s.layout.value_bits())?;
    d.set_item("limb_bits", s.layout.limb_bits().unwrap_or(0))?;
    d.set_item("tile_inputs", s.layout.tile_inputs)?;
    d.set_item("tile_outputs", s.layout.tile_outputs)?;
    d.set_item("tile_positions", s.layout.tile_positions)?;
    d.set_item("lanes", s.layout.lanes)?;
    d.set_item("public_values", s.num_instances())?;
    d.set_item("inputs", opts.inputs.name())?;
    d.set_item("outputs", opts.outputs.name())?;
    d.set_item("weights", opts.weights.name())?;
    let a = &c.accuracy;
    d.set_item("samples", a.samples)?;
    d.set_item("max_abs_error", a.max_abs_error)?;
    d.set_item("max_abs_output", a.max_abs_output)?;
    d.set_item("argmax_agree", a.argmax_agree)?;
    Ok(d)
}

/// Generates the keys of the compiled model in `dir` with the SRS file `srs` (a snarkjs `.ptau` or halo2
/// KZG params) or, without one, the cached local development SRS; returns what `zkinfer setup` prints.
#[pyfunction]
#[pyo3(signature = (dir, srs=None))]
pub fn setup<'py>(
    py: Python<'py>,
    dir: PathBuf,
    srs: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let md = ModelDir::new(&dir);
    let s = py
        .detach(|| pipeline::setup(&md, srs.as_deref()))
        .map_err(|e| errors::from_prover(py, &e, Kind::Artifact))?;
    let d = PyDict::new(py);
    d.set_item("k", s.k)?;
    d.set_item("development_srs", s.dev_srs)?;
    d.set_item("ceremony", s.ceremony.map(|c| (c.name, c.source)))?;
    d.set_item("keygen_seconds", s.keygen.as_secs_f64())?;
    d.set_item("vk_bytes", s.vk_bytes)?;
    Ok(d)
}

/// Commits to another weight set (the ONNX file `model`, same architecture) of the model compiled with
/// committed weights in `dir` (`zkinfer commit-weights MODEL --model-dir DIR --out PREFIX`): writes
/// `PREFIX.openings.json` (private, mode 0600) and `PREFIX.commitment.json` (public); returns the
/// commitment of each weight tensor, `(name, 0x hex)`.
#[pyfunction]
pub fn commit_weights(
    py: Python<'_>,
    model: PathBuf,
    dir: PathBuf,
    prefix: PathBuf,
) -> PyResult<Vec<(String, String)>> {
    let md = ModelDir::new(&dir);
    let f = py
        .detach(|| pipeline::commit_weights(&md, &model, &prefix))
        .map_err(|e| errors::from_prover(py, &e, Kind::Compile))?;
    Ok(f.openings
        .into_iter()
        .map(|o| (o.tensor, o.commitment))
        .collect())
}
