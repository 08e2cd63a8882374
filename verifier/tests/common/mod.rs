//! Shared helpers: the committed fixture (the iris MLP compiled, set up with a development SRS and proved
//! by `zkinfer`; see `tests/fixtures/README.md`).
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;
use zkinfer_verifier::{ProofFile, SrsPolicy, Statement, VerifierArtifacts};

/// The fixture's directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/iris")
}

/// A fixture file's bytes.
pub fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fixture's verifier artifacts.
pub fn artifacts() -> VerifierArtifacts {
    VerifierArtifacts::load_dir(&dir()).expect("fixture artifacts")
}

/// The fixture's proof file.
pub fn proof() -> ProofFile {
    ProofFile::parse(&bytes("proof.json"), "proof.json").expect("fixture proof")
}

/// A statement accepting the fixture's development SRS, any input, no binding.
pub fn dev_statement() -> Statement {
    Statement {
        srs: SrsPolicy::AllowDevelopment,
        ..Statement::default()
    }
}
