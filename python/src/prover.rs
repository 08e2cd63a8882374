//! `zkinfer._native.Prover`: a model directory's proving key, params and planned model, loaded once and
//! kept in memory, so that every `prove` call only generates a witness and a proof (the CLI reads them
//! once per process).

use crate::errors::{self, Kind};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use zkinfer_circuits::scalar_hex::parse_scalar;
use zkinfer_circuits::Fr;
use zkinfer_prover::pipeline::ProveSummary;
use zkinfer_prover::{backend_for, Device, LoadedModel, ModelDir};
use zkinfer_verifier::openings_file::OpeningsFile;
use zkinfer_verifier::weights_file::WeightsOpeningsFile;
use zkinfer_verifier::TranscriptKind;

/// A model directory ready to prove (see `zkinfer/_native.pyi`).
#[pyclass(frozen, module = "zkinfer._native")]
#[derive(Debug)]
pub struct Prover {
    loaded: LoadedModel,
    device: Device,
    dir: PathBuf,
}

/// `(name, shape)` of each tensor.
fn specs(specs: &[zkinfer_circuits::settings::IoSpec]) -> Vec<(String, Vec<usize>)> {
    specs
        .iter()
        .map(|s| (s.name.clone(), s.shape.clone()))
        .collect()
}

/// The visibility (`public`, `hashed` or `private`) of each tensor.
fn visibilities(specs: &[zkinfer_circuits::settings::IoSpec]) -> Vec<&'static str> {
    specs.iter().map(|s| s.visibility.name()).collect()
}

/// What `prove` and `prove_opened` return: the proof file's JSON, the openings file's JSON (`None` when
/// nothing is hashed), the flat outputs and the timings.
fn summary<'py>(py: Python<'py>, p: ProveSummary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("proof", p.proof.to_json())?;
    let openings = match p.openings.openings.is_empty() {
        true => None,
        false => Some(p.openings.to_json()),
    };
    d.set_item("openings", openings)?;
    d.set_item("outputs", p.outputs)?;
    d.set_item("witness_seconds", p.witness.as_secs_f64())?;
    d.set_item("proving_seconds", p.proving.as_secs_f64())?;
    d.set_item("proof_bytes", p.proof_bytes)?;
    d.set_item("backend", p.backend)?;
    Ok(d)
}

/// Parses an openings file (`openings.json`, as `prove` writes it) and checks that each opening opens its
/// commitment; raises `zkinfer.MalformedFile` naming `name` otherwise.
pub fn parse_openings_file(py: Python<'_>, text: &[u8], name: &str) -> PyResult<OpeningsFile> {
    if text.len() as u64 > MAX_OPENINGS_BYTES {
        let e = zkinfer_verifier::VerifyError::Format {
            file: name.to_string(),
            what: format!("larger than the {MAX_OPENINGS_BYTES} bytes an openings file may have"),
        };
        return Err(errors::from_verify(py, &e));
    }
    OpeningsFile::parse(text, name).map_err(|e| errors::from_verify(py, &e))
}

/// Parses an openings file for a model with `settings` ([`OpeningsFile::parse_for`]): its size within
/// what the model's hashed tensors can take, each opening one of them with its element count.
pub fn parse_openings_for(
    py: Python<'_>,
    text: &[u8],
    name: &str,
    settings: &zkinfer_circuits::settings::Settings,
) -> PyResult<OpeningsFile> {
    OpeningsFile::parse_for(text, name, settings).map_err(|e| errors::from_verify(py, &e))
}

/// The most bytes an openings file read without its model may have (`parse_openings`, `Proof.load`):
/// 256 MiB (`zkinfer._proof._MAX_OPENINGS_BYTES`).
pub const MAX_OPENINGS_BYTES: u64 = 256 << 20;

/// Checks that `text` is an openings file this build reads whose openings open their commitments; raises
/// `zkinfer.MalformedFile` otherwise.
#[pyfunction]
#[pyo3(signature = (text, name="openings.json"))]
pub fn parse_openings(py: Python<'_>, text: &[u8], name: &str) -> PyResult<()> {
    parse_openings_file(py, text, name).map(|_| ())
}

/// Parses a binding value as `zkinfer verify --bind` does ([`zkinfer_circuits::scalar_hex`]): `0x` and 1 to
/// 64 hex digits is the big-endian uint256 the escrow's events print, exactly 64 hex digits without `0x` the
/// field element's little-endian hex that proof files and the market write; at or above r is refused.
pub fn parse_bind(hex: Option<&str>) -> PyResult<Option<Fr>> {
    hex.map(|h| parse_scalar(h).map_err(|e| PyValueError::new_err(format!("bind: {e}"))))
        .transpose()
}

#[pymethods]
impl Prover {
    /// Loads `settings.json`, `model.json`, `kzg.srs` and `vk.bin` of `dir` (and `pk.bin` if setup stored it; else
    /// the proving key is rebuilt from `vk.bin`), GIL released. For a model with committed weights, the
    /// weight set proved with is `weights` (an openings file of `zkinfer commit-weights`), by default the
    /// directory's `weights.openings.json`.
    #[new]
    #[pyo3(signature = (dir, device="cpu", weights=None))]
    fn new(py: Python<'_>, dir: PathBuf, device: &str, weights: Option<PathBuf>) -> PyResult<Self> {
        let device: Device = device
            .parse()
            .map_err(|e: zkinfer_prover::UnknownDevice| PyValueError::new_err(e.to_string()))?;
        let md = ModelDir::new(&dir);
        let loaded = py
            .detach(|| {
                let loaded = LoadedModel::load(&md)?;
                match &weights {
                    None => Ok(loaded),
                    Some(w) => {
                        let f = WeightsOpeningsFile::read_for(w, &loaded.settings)?;
                        loaded.with_weights(f)
                    }
                }
            })
            .map_err(|e| errors::from_prover(py, &e, Kind::Artifact))?;
        Ok(Self {
            loaded,
            device,
            dir,
        })
    }

    /// The model directory.
    #[getter]
    fn dir(&self) -> PathBuf {
        self.dir.clone()
    }

    /// `cpu` or `cuda`.
    #[getter]
    fn device(&self) -> &'static str {
        self.device.name()
    }

    /// The model id (settings, vk and SRS) that this model's proofs carry.
    #[getter]
    fn model_id(&self) -> String {
        self.loaded.model_id.clone()
    }

    /// The circuit's size: 2^k rows.
    #[getter]
    fn k(&self) -> u32 {
        self.loaded.settings.k
    }

    /// `(name, shape)` of each input.
    #[getter]
    fn inputs(&self) -> Vec<(String, Vec<usize>)> {
        specs(self.loaded.settings.data_inputs())
    }

    /// `(name, shape)` of each output.
    #[getter]
    fn outputs(&self) -> Vec<(String, Vec<usize>)> {
        specs(&self.loaded.settings.outputs)
    }

    /// The visibility of each input.
    #[getter]
    fn input_visibility(&self) -> Vec<&'static str> {
        visibilities(self.loaded.settings.data_inputs())
    }

    /// The visibility of each output.
    #[getter]
    fn output_visibility(&self) -> Vec<&'static str> {
        visibilities(&self.loaded.settings.outputs)
    }

    /// Proves one inference (flat row-major values, one list per input) with the GIL released; returns a
    /// dict with the proof file's JSON (`proof`, exactly what `zkinfer prove` writes), the openings file's
    /// JSON of the hashed inputs and outputs (`openings`, `None` when nothing is hashed), the proved
    /// `outputs` (flat), and the `witness_seconds`, `proving_seconds` and `backend`.
    #[pyo3(signature = (inputs, bind=None))]
    fn prove<'py>(
        &self,
        py: Python<'py>,
        inputs: Vec<Vec<f64>>,
        bind: Option<&str>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let bind = parse_bind(bind)?.unwrap_or_else(Fr::zero);
        let device = self.device;
        let loaded = &self.loaded;
        let p = py
            .detach(|| {
                let backend = backend_for(device)?;
                loaded.prove(&inputs, backend.as_ref(), bind)
            })
            .map_err(|e| errors::from_prover(py, &e, Kind::Input))?;
        summary(py, p)
    }

    /// Proves the inputs of an openings file's text (every input of the model hashed) under their salts, so
    /// that the proof commits to exactly the commitments the openings open (`zkinfer prove --input
    /// OPENINGS`); returns what `prove` returns.
    #[pyo3(signature = (openings, bind=None, name="openings.json"))]
    fn prove_opened<'py>(
        &self,
        py: Python<'py>,
        openings: &[u8],
        bind: Option<&str>,
        name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let file = parse_openings_for(py, openings, name, &self.loaded.settings)?;
        let bind = parse_bind(bind)?.unwrap_or_else(Fr::zero);
        let device = self.device;
        let loaded = &self.loaded;
        let p = py
            .detach(|| {
                let backend = backend_for(device)?;
                loaded.prove_opened(
                    &file.inputs(),
                    backend.as_ref(),
                    bind,
                    TranscriptKind::Blake2b,
                )
            })
            .map_err(|e| errors::from_prover(py, &e, Kind::Input))?;
        summary(py, p)
    }

    fn __repr__(&self) -> String {
        format!(
            "Prover('{}', device='{}', k={})",
            self.dir.display(),
            self.device,
            self.loaded.settings.k
        )
    }
}
