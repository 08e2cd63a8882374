//! Errors of the prover. Each names the file, node or field it concerns; a wrapped error is the
//! [`std::error::Error::source`] of its variant (print the chain, e.g. anyhow's `{:#}`, to see it).

use std::path::Path;
use thiserror::Error;
use zkinfer_circuits::CircuitError;
use zkinfer_compiler::CompileError;
use zkinfer_verifier::VerifyError;

/// Everything that can stop compile, setup or prove.
#[derive(Debug, Error)]
pub enum ProverError {
    /// Boxed: a compile error carries node, op and reason, and would make every `Result` of the prover
    /// as large.
    #[error(transparent)]
    Compile(Box<CompileError>),
    #[error(transparent)]
    Circuit(#[from] CircuitError),
    #[error(transparent)]
    Artifact(#[from] VerifyError),
    /// A model that cannot be split into segments of the requested size (boxed, as `Compile`).
    #[error(transparent)]
    Segments(Box<zkinfer_circuits::segments::SegmentError>),
    /// A weight set that cannot be committed or proved with (committed weights).
    #[error(transparent)]
    Weights(#[from] crate::weights::WeightsError),
    /// An SRS file given to `setup --srs` could not be imported (unreadable, malformed or inconsistent).
    #[error(transparent)]
    SrsImport(#[from] crate::srs_import::SrsImportError),
    /// A file could not be read or written.
    #[error("{file}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// An artifact of the model directory is not there yet.
    #[error("{file}: missing (run `zkinfer {step}` first)")]
    Missing { file: String, step: &'static str },
    /// A JSON file could not be parsed or written.
    #[error("{file}: bad JSON")]
    Json {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    /// A file holds no halo2 KZG params for BN254.
    #[error("{file}: not halo2 KZG params for BN254")]
    Params {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A proving key file is damaged.
    #[error("{file}: corrupt proving key")]
    ProvingKey {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A file exists but is malformed, stale, or from another model.
    #[error("{file}: {what}")]
    Format { file: String, what: String },
    /// An input file is malformed or does not fit the model.
    #[error("{message}")]
    Input { message: String },
    /// An input file gives another number of inputs than the model has.
    #[error("{file}: the model has {expected} input(s), the file gives {given}")]
    InputCount {
        file: String,
        expected: usize,
        given: usize,
    },
    /// An input of an input file has another number of values than the model's input.
    #[error(
        "{file}: input_data[{index}] has {given} values, input '{name}' of shape {shape:?} needs {expected}"
    )]
    InputSize {
        file: String,
        index: usize,
        name: String,
        shape: Vec<usize>,
        given: usize,
        expected: usize,
    },
    /// `--device cuda` in a build without the `cuda` feature.
    #[error(
        "--device cuda: this zkinfer was built without CUDA support (the `cuda` feature); use --device cpu"
    )]
    CudaNotBuilt,
    /// The requested proving device is unavailable or its worker failed (the worker's own words).
    #[error("--device cuda: {reason}")]
    Device { reason: String },
    /// The GPU worker could not be started or waited for.
    #[error("--device cuda: the GPU worker {worker} {action}")]
    Worker {
        worker: String,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// halo2-axiom-gpu failed to prove (the worker's message).
    #[error("halo2 GPU proving failed: {message}")]
    GpuProving { message: String },
    /// The GPU's proof was rejected by the CPU verifier.
    #[error("the GPU's proof does not verify on the CPU")]
    GpuProofRejected {
        #[source]
        source: halo2_proofs::plonk::Error,
    },
    /// The GPU's proof verifies but has bytes after it.
    #[error("the GPU's proof does not verify on the CPU: {extra} trailing bytes")]
    GpuProofTrailing { extra: usize },
    /// halo2 failed (this indicates a bug: witness generation checks every constraint first).
    #[error("halo2 {stage} failed")]
    Halo2 {
        stage: &'static str,
        #[source]
        source: halo2_proofs::plonk::Error,
    },
}

impl From<zkinfer_circuits::segments::SegmentError> for ProverError {
    fn from(e: zkinfer_circuits::segments::SegmentError) -> Self {
        ProverError::Segments(Box::new(e))
    }
}

impl ProverError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            file: path.display().to_string(),
            source,
        }
    }

    /// A JSON error on `path`.
    pub fn json(path: &Path, source: serde_json::Error) -> Self {
        Self::Json {
            file: path.display().to_string(),
            source,
        }
    }

    /// A halo2 error in `stage`.
    pub fn halo2(stage: &'static str) -> impl FnOnce(halo2_proofs::plonk::Error) -> Self {
        move |source| Self::Halo2 { stage, source }
    }

    /// An input-file error reported as text by the circuits crate.
    pub fn input(message: String) -> Self {
        Self::Input { message }
    }

    /// The message with every cause after it, `a: b: c`.
    pub fn chain(&self) -> String {
        let mut s = self.to_string();
        let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(self);
        while let Some(e) = cur {
            s.push_str(": ");
            s.push_str(&e.to_string());
            cur = e.source();
        }
        s
    }
}

impl From<CompileError> for ProverError {
    fn from(e: CompileError) -> Self {
        Self::Compile(Box::new(e))
    }
}
