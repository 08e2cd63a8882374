//! A proof file must survive Python's `json` and JavaScript's `JSON.parse`/`JSON.stringify`: v1 files
//! stored only decimal floats, and a round trip could move one by an ulp off the fixed-point grid.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use zkinfer_verifier::{judge, ProofFile};

/// `input` through `program args`: its standard output. A program that cannot be started fails the test
/// with what it needs, never passes it.
fn pipe(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("this test needs {program} on PATH: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{program} failed");
    out.stdout
}

fn check(label: &str, bytes: &[u8]) {
    let art = common::artifacts();
    let original = judge(&art, &common::proof(), &common::dev_statement()).unwrap();
    let p = ProofFile::parse(bytes, label).unwrap_or_else(|e| panic!("{label}: {e}"));
    let v = judge(&art, &p, &common::dev_statement()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(v, original, "{label}: other verdict after the round trip");
}

const PYTHON: &str = "import json,sys; d=json.load(sys.stdin); json.dump(d, sys.stdout)";

fn javascript(indent: bool) -> String {
    let space = if indent { ",null,1" } else { "" };
    format!(
        "let s='';process.stdin.on('data',d=>s+=d)\
         .on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s){space})))"
    )
}

#[test]
fn python_round_trip_stays_valid() {
    let out = pipe("python3", &["-c", PYTHON], &common::bytes("proof.json"));
    check("python", &out);
}

#[test]
#[ignore = "needs Node.js"]
fn javascript_round_trips_stay_valid() {
    let out = pipe(
        "node",
        &["-e", &javascript(false)],
        &common::bytes("proof.json"),
    );
    check("node", &out);
    // and through both, with JavaScript's indentation
    let through_python = pipe("python3", &["-c", PYTHON], &out);
    let twice = pipe("node", &["-e", &javascript(true)], &through_python);
    check("python+node", &twice);
}

#[test]
fn stored_integers_are_exact_in_javascript() {
    // Every stored integer is below 2^bits <= 2^24, far below 2^53.
    let art = common::artifacts();
    for io in art.settings.inputs.iter().chain(&art.settings.outputs) {
        assert!(io.encoding.bits <= 24);
    }
    let p = common::proof();
    for v in p.inputs_q.iter().chain(&p.outputs_q) {
        for q in zkinfer_verifier::proof_file::flatten_ints(v, "q").unwrap() {
            assert!((0..1i64 << 53).contains(&q));
        }
    }
}
