//! `zkinfer._native.Verifier` and `parse_proof`: a model's verifier artifacts (`settings.json`, `vk.bin`,
//! `verifier_params.bin`) and the verifier's one path, `judge`, with `zkinfer verify`'s SRS policy: a
//! pinned public ceremony's SRS, or a development SRS only when the caller opts in.

use crate::errors;
use crate::prover::{parse_bind, parse_openings_for};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::PathBuf;
use zkinfer_circuits::settings::Visibility;
use zkinfer_verifier::instances::ProvedTensor;
use zkinfer_verifier::proof_file::ProofFile;
use zkinfer_verifier::{
    judge, ExpectedInputs, LoadLimits, SrsIdentity, SrsPolicy, Statement, VerifierArtifacts,
};

/// Checks that `text` is a proof file this build reads (`proof.json`, version 2); raises
/// `zkinfer.MalformedFile` naming the field otherwise.
#[pyfunction]
#[pyo3(signature = (text, name="proof.json"))]
pub fn parse_proof(py: Python<'_>, text: &[u8], name: &str) -> PyResult<()> {
    ProofFile::parse(text, name)
        .map(|_| ())
        .map_err(|e| errors::from_verify(py, &e))
}

/// A model's verifier artifacts, loaded once (see `zkinfer/_native.pyi`).
#[pyclass(frozen, module = "zkinfer._native")]
#[derive(Debug)]
pub struct Verifier {
    artifacts: VerifierArtifacts,
    dir: PathBuf,
}

#[pymethods]
impl Verifier {
    /// Loads and checks `settings.json`, `vk.bin` and `verifier_params.bin` of `dir`, refusing before
    /// anything is allocated by them a k over `max_k` (default and ceiling: the verifier's largest, 26)
    /// or a load over `max_memory_bytes` (default: the memory available to this process), and files
    /// over their size caps.
    #[new]
    #[pyo3(signature = (dir, max_k=None, max_memory_bytes=None))]
    fn new(
        py: Python<'_>,
        dir: PathBuf,
        max_k: Option<u32>,
        max_memory_bytes: Option<u64>,
    ) -> PyResult<Self> {
        let mut limits = LoadLimits::for_this_process();
        if let Some(k) = max_k {
            limits.max_k = k;
        }
        if let Some(m) = max_memory_bytes {
            limits.max_memory_bytes = m;
        }
        let artifacts = py
            .detach(|| VerifierArtifacts::load_dir_within(&dir, &limits))
            .map_err(|e| errors::from_verify(py, &e))?;
        Ok(Self { artifacts, dir })
    }

    /// The circuit's k.
    #[getter]
    fn k(&self) -> u32 {
        self.artifacts.settings.k
    }

    /// Estimated peak memory of loading this verifier (bytes).
    #[getter]
    fn load_memory_bytes(&self) -> u64 {
        self.artifacts.cost.memory_bytes
    }

    /// The largest proof file of this model (bytes): larger files are refused unread.
    #[getter]
    fn max_proof_file_bytes(&self) -> u64 {
        self.artifacts.cost.proof.max_file_bytes
    }

    /// The model id: SHA-256 of the settings, the verifying key and the verifier params.
    #[getter]
    fn model_id(&self) -> String {
        self.artifacts.model_id.clone()
    }

    /// `(name, shape)` of each input.
    #[getter]
    fn inputs(&self) -> Vec<(String, Vec<usize>)> {
        let s = &self.artifacts.settings.inputs;
        s.iter()
            .map(|s| (s.name.clone(), s.shape.clone()))
            .collect()
    }

    /// `(name, shape)` of each output.
    #[getter]
    fn outputs(&self) -> Vec<(String, Vec<usize>)> {
        let s = &self.artifacts.settings.outputs;
        s.iter()
            .map(|s| (s.name.clone(), s.shape.clone()))
            .collect()
    }

    /// The visibility (`public`, `hashed` or `private`) of each input.
    #[getter]
    fn input_visibility(&self) -> Vec<&'static str> {
        let s = &self.artifacts.settings.inputs;
        s.iter().map(|s| s.visibility.name()).collect()
    }

    /// The visibility of each output.
    #[getter]
    fn output_visibility(&self) -> Vec<&'static str> {
        let s = &self.artifacts.settings.outputs;
        s.iter().map(|s| s.visibility.name()).collect()
    }

    /// Verifies a proof file's JSON (GIL released). Returns a dict of what it proves; raises
    /// `zkinfer.InvalidProof` (with `reason` and `code`) for a proof that does not prove the statement, and
    /// `zkinfer.MalformedFile` for one that cannot be read. `inputs` (values) or `openings` (an openings
    /// file's text, for a model whose inputs are hashed) is what the proof must be about.
    #[pyo3(signature = (proof, allow_dev_srs=false, model_id=None, bind=None, inputs=None, name="proof.json", openings=None, openings_name="openings.json"))]
    #[allow(clippy::too_many_arguments)]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        proof: &[u8],
        allow_dev_srs: bool,
        model_id: Option<String>,
        bind: Option<&str>,
        inputs: Option<Vec<Vec<f64>>>,
        name: &str,
        openings: Option<&[u8]>,
        openings_name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        let file = self
            .artifacts
            .parse_proof(proof, name)
            .map_err(|e| errors::from_verify(py, &e))?;
        let settings = &self.artifacts.settings;
        let expected = match (inputs, openings) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give inputs (values) or openings (of hashed inputs), not both",
                ))
            }
            (Some(v), None) => Some(ExpectedInputs::Values(v)),
            (None, Some(text)) => {
                if !settings
                    .inputs
                    .iter()
                    .any(|i| i.visibility == Visibility::Hashed)
                {
                    return Err(PyValueError::new_err(
                        "openings: the model has no hashed input to check them against (give inputs)",
                    ));
                }
                let o = parse_openings_for(py, text, openings_name, settings)?;
                Some(ExpectedInputs::Openings(o.inputs()))
            }
            (None, None) => None,
        };
        let statement = Statement {
            model_id,
            inputs: expected,
            bind: parse_bind(bind)?,
            srs: if allow_dev_srs {
                SrsPolicy::AllowDevelopment
            } else {
                SrsPolicy::CeremonyOnly
            },
        };
        let art = &self.artifacts;
        let v = py
            .detach(|| judge(art, &file, &statement))
            .map_err(|r| errors::from_rejection(py, &r))?;
        let d = PyDict::new(py);
        d.set_item("model_id", &v.model_id)?;
        d.set_item("srs", v.srs.to_string())?;
        match v.srs {
            SrsIdentity::Ceremony(c) => {
                d.set_item("srs_kind", "ceremony")?;
                d.set_item("ceremony", c.name)?;
            }
            SrsIdentity::Development { .. } => {
                d.set_item("srs_kind", "development")?;
                d.set_item("ceremony", py.None())?;
            }
        }
        d.set_item("inputs", &v.inputs)?;
        d.set_item("inputs_q", &v.inputs_q)?;
        d.set_item("input_digest", v.input_digest())?;
        d.set_item("outputs", &v.outputs)?;
        d.set_item("outputs_q", &v.outputs_q)?;
        d.set_item("bind", zkinfer_circuits::field::fr_to_hex(&v.bind))?;
        // each hashed tensor's commitment: (name, "input" | "output", index, 0x big-endian hex)
        let commitments: Vec<(String, &str, usize, String)> = v
            .named_commitments(&art.settings)
            .into_iter()
            .map(|c| {
                let kind = match c.kind {
                    zkinfer_verifier::openings_file::TensorKind::Input => "input",
                    zkinfer_verifier::openings_file::TensorKind::Output => "output",
                };
                (c.tensor, kind, c.index, c.commitment)
            })
            .collect();
        d.set_item("commitments", commitments)?;
        // what the proof states of each input, then each output: public values, a commitment, or nothing
        let kinds: Vec<&str> = v
            .tensors
            .iter()
            .map(|t| match t {
                ProvedTensor::Public(_) => "public",
                ProvedTensor::Hashed(_) => "hashed",
                ProvedTensor::Private => "private",
            })
            .collect();
        let n_in = art.settings.inputs.len().min(kinds.len());
        d.set_item("input_visibility", &kinds[..n_in])?;
        d.set_item("output_visibility", &kinds[n_in..])?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Verifier('{}')", self.dir.display())
    }
}
