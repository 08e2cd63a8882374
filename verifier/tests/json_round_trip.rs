//! A proof file must survive Python's `json` and JavaScript's `JSON.parse`/`JSON.stringify`: v1 files
//! stored only decimal floats, and a round trip could move one by an ulp off the fixed-point grid.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};
use zkinfer_verifier::{judge, ProofFile};

fn pipe(program: &str, args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = match Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipped {program}: {e}");
            return None;
        }
    };
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{program} failed");
    Some(out.stdout)
}

fn check(label: &str, bytes: &[u8]) {
    let art = common::artifacts();
    let original = judge(&art, &common::proof(), &common::dev_statement()).unwrap();
    let p = ProofFile::parse(bytes, label).unwrap_or_else(|e| panic!("{label}: {e}"));
    let v = judge(&art, &p, &common::dev_statement()).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert_eq!(v, original, "{label}: other verdict after the round trip");
}

#[test]
fn python_and_javascript_round_trips_stay_valid() {
    let bytes = common::bytes("proof.json");
    let mut ran = 0;
    let py = "import json,sys; d=json.load(sys.stdin); json.dump(d, sys.stdout)";
    if let Some(out) = pipe("python3", &["-c", py], &bytes) {
        check("python", &out);
        ran += 1;
    }
    let js = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s))))";
    if let Some(out) = pipe("node", &["-e", js], &bytes) {
        check("node", &out);
        // and through both, with JavaScript's indentation
        let js2 = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>process.stdout.write(JSON.stringify(JSON.parse(s),null,1)))";
        let twice = pipe(
            "node",
            &["-e", js2],
            &pipe("python3", &["-c", py], &out).unwrap(),
        )
        .unwrap();
        check("python+node", &twice);
        ran += 1;
    }
    // Both are installed on this project's machines; a missing one is reported, not silently passed.
    assert!(ran > 0, "neither python3 nor node could run");
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
