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
use zkinfer_circuits::Fr;
use zkinfer_verifier::instances::ProvedTensor;
use zkinfer_verifier::proof_file::ProofFile;
use zkinfer_verifier::weights_file::WeightsCommitmentFile;
use zkinfer_verifier::{
    judge_pinned, ExpectedInputs, LoadLimits, SrsIdentity, SrsPolicy, Statement, VerifierArtifacts,
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
        let s = self.artifacts.settings.data_inputs();
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
        let s = self.artifacts.settings.data_inputs();
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
    /// file's text, for a model whose inputs are hashed) is what the proof must be about. For a model with
    /// committed weights, `weights_commitment` (the text of the owner's `weights.commitment.json`; default:
    /// that file in the verifier's directory) pins the weights the proof must commit to; without one such
    /// a proof is refused (`weights_mismatch`).
    #[pyo3(signature = (proof, allow_dev_srs=false, model_id=None, bind=None, inputs=None, name="proof.json", openings=None, openings_name="openings.json", weights_commitment=None, weights_name="weights.commitment.json"))]
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
        weights_commitment: Option<&[u8]>,
        weights_name: &str,
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
        let pin = self.weights_pin(py, weights_commitment, weights_name)?;
        let art = &self.artifacts;
        let v = py
            .detach(|| judge_pinned(art, &file, &statement, pin.as_deref()))
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
        // the data inputs (committed weights are not the caller's inputs), then the outputs
        let n_data = art.settings.data_inputs().len().min(kinds.len());
        let n_in = art.settings.inputs.len().min(kinds.len());
        d.set_item("input_visibility", &kinds[..n_data])?;
        d.set_item("output_visibility", &kinds[n_in..])?;
        d.set_item("inputs", &v.inputs[..n_data.min(v.inputs.len())])?;
        d.set_item("inputs_q", &v.inputs_q[..n_data.min(v.inputs_q.len())])?;
        d.set_item(
            "weights_commitments",
            pin.map(|p| {
                p.iter()
                    .map(zkinfer_circuits::poseidon::fr_to_be_hex)
                    .collect::<Vec<_>>()
            }),
        )?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!("Verifier('{}')", self.dir.display())
    }
}

impl Verifier {
    /// The weights commitment a proof of a model with committed weights must carry: from `text` (a
    /// `weights.commitment.json`), else the verifier directory's file; `None` for fixed weights, or when
    /// there is no file (the proof is then refused as unpinned).
    fn weights_pin(
        &self,
        py: Python<'_>,
        text: Option<&[u8]>,
        name: &str,
    ) -> PyResult<Option<Vec<Fr>>> {
        let settings = &self.artifacts.settings;
        if !settings.has_committed_weights() {
            return match text {
                None => Ok(None),
                Some(_) => Err(PyValueError::new_err(
                    "weights_commitment: the model's weights are fixed (constants of its verifying key)",
                )),
            };
        }
        let file = match text {
            Some(t) => WeightsCommitmentFile::parse_for(t, name, settings),
            None => {
                let path = self.dir.join(zkinfer_prover::weights::WEIGHTS_COMMITMENT);
                if !path.exists() {
                    return Ok(None);
                }
                WeightsCommitmentFile::read_for(&path, settings)
            }
        };
        file.and_then(|f| f.field_commitments(name))
            .map(Some)
            .map_err(|e| errors::from_verify(py, &e))
    }
}
