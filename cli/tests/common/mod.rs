//! Helpers shared by the CLI's tests: running `zkinfer`, and (from the prover's tests, one copy for both
//! crates) the bundled models and compile + setup through the library.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

#[path = "../../../prover/tests/common/mod.rs"]
mod prover_common;

#[allow(unused_imports)]
pub use prover_common::{compile_and_setup, max_err, models};

/// Runs the `zkinfer` binary of this build (without `MAX_DEGREE` from the environment).
pub fn zkinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .env_remove("MAX_DEGREE")
        .output()
        .expect("runs")
}

/// Everything a run printed, stdout then stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `zkinfer compile` of the bundled model `name` (with its calibration file) into `dir`, as a user runs it;
/// asserts it succeeds and returns what it printed.
pub fn cli_compile(name: &str, dir: &Path) -> String {
    let m = models().join(name);
    let o = zkinfer(&[
        "compile",
        s(&m.join("model.onnx")),
        "--out",
        s(dir),
        "--sample",
        s(&m.join("calibration.json")),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    text(&o)
}

/// `zkinfer compile` (with the model's calibration file) then `zkinfer setup` of the bundled model `name`
/// into `dir`, as a user runs them; asserts both succeed and returns what each printed.
pub fn cli_compile_and_setup(name: &str, dir: &Path) -> (String, String) {
    let compiled = cli_compile(name, dir);
    let o = zkinfer(&["setup", s(dir)]);
    assert!(o.status.success(), "{}", text(&o));
    (compiled, text(&o))
}

/// `zkinfer prove DIR --input INPUT` with the further arguments `args` (`--proof P`, `--proof-dir D`, ...).
pub fn prove(dir: &Path, input: &Path, args: &[&str]) -> Output {
    let mut a = vec!["prove", s(dir), "--input", s(input)];
    a.extend_from_slice(args);
    zkinfer(&a)
}

/// `zkinfer verify DIR --proof PROOF --allow-dev-srs` with the further arguments `args` (the tests' models
/// are set up with the development SRS).
pub fn verify(dir: &Path, proof: &Path, args: &[&str]) -> Output {
    let mut a = vec!["verify", s(dir), "--proof", s(proof), "--allow-dev-srs"];
    a.extend_from_slice(args);
    zkinfer(&a)
}

/// A JSON file (a proof file, say).
pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}
