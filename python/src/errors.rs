//! Rust errors as the Python exceptions of `zkinfer.errors` (defined in Python, so that they carry
//! docstrings, attributes and multiple bases such as `ValueError`). Each message is the error with its
//! whole chain of causes, as the CLI prints it.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use zkinfer_prover::ProverError;
use zkinfer_verifier::{Rejection, VerifyError};

/// The exception classes of `zkinfer.errors` that the native module raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The ONNX model or the calibration samples cannot be compiled.
    Compile,
    /// A model directory's file is missing, unreadable or belongs to another model.
    Artifact,
    /// A file exists but is malformed (bad JSON, bad magic, unsupported format version, corrupt key).
    Malformed,
    /// An SRS file given to `setup` cannot be imported.
    Srs,
    /// An input does not fit the model (count, size, a value outside the calibrated range).
    Input,
    /// Proving failed (device unavailable, halo2 error).
    Proving,
}

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Self::Compile => "CompileError",
            Self::Artifact => "ArtifactError",
            Self::Malformed => "MalformedFile",
            Self::Srs => "SrsError",
            Self::Input => "InputError",
            Self::Proving => "ProvingError",
        }
    }
}

/// `e` and every cause after it, `a: b: c` (causes already in the message are not repeated).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let part = c.to_string();
        if !s.contains(&part) {
            s.push_str(": ");
            s.push_str(&part);
        }
        cur = c.source();
    }
    s
}

/// Instantiates `zkinfer.errors.<class>(*args)` as a Python exception (a `RuntimeError` if the package
/// cannot be imported, which only happens when the native module is used on its own).
fn raise<'py, A>(py: Python<'py>, class: &str, args: A, message: &str) -> PyErr
where
    A: pyo3::call::PyCallArgs<'py>,
{
    let made = py
        .import("zkinfer.errors")
        .and_then(|m| m.getattr(class))
        .and_then(|c| c.call1(args));
    match made {
        Ok(value) => PyErr::from_value(value),
        Err(_) => PyRuntimeError::new_err(format!("{class}: {message}")),
    }
}

/// A Python exception of `kind` with `message`.
pub fn error(py: Python<'_>, kind: Kind, message: String) -> PyErr {
    raise(py, kind.class(), (message.clone(),), &message)
}

/// The exception kind of a verifier error (unreadable or mismatched artifacts).
pub fn verify_kind(e: &VerifyError) -> Kind {
    match e {
        VerifyError::Format { .. } | VerifyError::Version { .. } | VerifyError::Limit { .. } => {
            Kind::Malformed
        }
        _ => Kind::Artifact,
    }
}

/// The exception kind of a prover error; `stage` decides what a circuit error means (a model that cannot
/// be compiled, or an input that does not fit it).
pub fn prover_kind(e: &ProverError, stage: Kind) -> Kind {
    match e {
        ProverError::Compile(_) => Kind::Compile,
        // a weight set that does not fit the architecture: the step that read it (commit_weights: compile)
        ProverError::Circuit(_) | ProverError::Weights(_) => stage,
        ProverError::Artifact(v) => verify_kind(v),
        ProverError::SrsImport(_) => Kind::Srs,
        ProverError::Io { .. } | ProverError::Missing { .. } => Kind::Artifact,
        ProverError::Json { .. }
        | ProverError::Params { .. }
        | ProverError::ProvingKey { .. }
        | ProverError::Format { .. } => Kind::Malformed,
        ProverError::Input { .. }
        | ProverError::InputCount { .. }
        | ProverError::InputSize { .. } => Kind::Input,
        _ => Kind::Proving,
    }
}

/// A prover error as its Python exception.
pub fn from_prover(py: Python<'_>, e: &ProverError, stage: Kind) -> PyErr {
    error(py, prover_kind(e, stage), chain(e))
}

/// A verifier error as its Python exception.
pub fn from_verify(py: Python<'_>, e: &VerifyError) -> PyErr {
    error(py, verify_kind(e), chain(e))
}

/// A rejected proof as `zkinfer.InvalidProof(reason, code)`; a proof file that cannot be read at all is
/// `zkinfer.MalformedFile`, as `zkinfer verify` reports it as bad input (exit 2), not as a verdict.
pub fn from_rejection(py: Python<'_>, r: &Rejection) -> PyErr {
    let reason = chain(r);
    match r {
        Rejection::Unreadable { .. } => error(py, Kind::Malformed, format!("proof: {reason}")),
        _ => raise(py, "InvalidProof", (reason.clone(), r.code()), &reason),
    }
}
