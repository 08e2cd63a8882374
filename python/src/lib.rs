//! `zkinfer._native`: the native half of the `zkinfer` Python package (PyO3, abi3). It links the prover
//! library, the compiler and the verifier, never the CLI, and mirrors what each `zkinfer` command does:
//! `compile` and `setup` call the prover's pipeline steps, `prover::Prover` keeps a model's proving key
//! in memory across proofs, and `verifier::Verifier` checks proofs through the verifier's one path
//! (`judge`) with the CLI's SRS policy. Every long step runs with the GIL released.
//!
//! The pure-Python package (`python/zkinfer/`) wraps these in the public API: numpy arrays in and out,
//! `Proof` and `Verified` objects, progress bars and the exception classes that `errors` raises.

mod errors;
mod pipeline;
mod prover;
mod verifier;

use pyo3::prelude::*;

/// The native module. Its Python-facing documentation is `zkinfer/_native.pyi`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(pipeline::compile, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::setup, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::commit_weights, m)?)?;
    m.add_function(wrap_pyfunction!(verifier::parse_proof, m)?)?;
    m.add_function(wrap_pyfunction!(prover::parse_openings, m)?)?;
    m.add_class::<prover::Prover>()?;
    m.add_class::<verifier::Verifier>()?;
    Ok(())
}
