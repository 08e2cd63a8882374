//! `zkinfer prove DIR --input FILE --proof-dir OUT`: a 3-sample batch of digits_mlp proved in one process,
//! every proof verified by `zkinfer verify` (also against its own sample), and a bad sample refused up
//! front with its index.

mod common;

use common::{compile_and_setup, models, prove, s, text, verify};
use serde_json::json;
use std::path::Path;

/// The first `n` samples of digits_mlp's held-out set (64 pixels each).
fn digits_samples(n: usize) -> Vec<Vec<f64>> {
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(models().join("digits_mlp/heldout.json")).expect("heldout"),
    )
    .expect("json");
    let flat: Vec<f64> = v["input_data"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    flat.chunks(64).take(n).map(<[f64]>::to_vec).collect()
}

fn write_input(path: &Path, samples: &[Vec<f64>]) {
    let flat: Vec<f64> = samples.concat();
    std::fs::write(path, json!({ "input_data": [flat] }).to_string()).expect("write input");
}

#[test]
fn a_batch_of_three_proves_and_every_proof_verifies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("digits");
    compile_and_setup(&models().join("digits_mlp"), &dir);
    let samples = digits_samples(3);
    let input = tmp.path().join("batch.json");
    write_input(&input, &samples);
    let out = tmp.path().join("proofs");

    let o = prove(&dir, &input, &["--proof-dir", s(&out)]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("3 samples"), "{t}");
    assert!(t.contains("proofs/min"), "{t}");
    for i in 0..3 {
        assert!(t.contains(&format!("proof {i}: ")), "{t}");
        let proof = out.join(format!("proof-{i}.json"));
        let o = verify(&dir, &proof, &[]);
        assert_eq!(o.status.code(), Some(0), "proof {i}: {}", text(&o));
        // the proof is about sample i, and not about another sample
        let one = tmp.path().join(format!("sample-{i}.json"));
        write_input(&one, &samples[i..=i]);
        let o = verify(&dir, &proof, &["--input", s(&one)]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "proof {i} with its input: {}",
            text(&o)
        );
        let other = tmp.path().join(format!("sample-{}.json", (i + 1) % 3));
        write_input(&other, &samples[(i + 1) % 3..=(i + 1) % 3]);
        let o = verify(&dir, &proof, &["--input", s(&other)]);
        let t = text(&o);
        assert_eq!(
            o.status.code(),
            Some(1),
            "proof {i} as another sample's: {t}"
        );
        assert!(!t.contains("pinned public ceremony"), "{t}");
    }
    assert!(!out.join("proof-3.json").exists());

    // a sample out of the input encoding's range: refused before anything is proved, naming the sample
    let mut bad = samples.clone();
    bad[1][5] = 1e12;
    let bad_input = tmp.path().join("bad.json");
    write_input(&bad_input, &bad);
    let bad_out = tmp.path().join("bad-proofs");
    let o = prove(&dir, &bad_input, &["--proof-dir", s(&bad_out)]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("sample 1:"), "{t}");
    assert!(
        !bad_out.join("proof-0.json").exists(),
        "proved before checking every sample"
    );

    // not a whole number of samples
    let mut ragged = samples.concat();
    ragged.pop();
    std::fs::write(&bad_input, json!({ "input_data": [ragged] }).to_string()).expect("write");
    let o = prove(&dir, &bad_input, &["--proof-dir", s(&bad_out)]);
    let t = text(&o);
    assert_eq!(o.status.code(), Some(2), "{t}");
    assert!(t.contains("not a multiple of the input size 64"), "{t}");

    // --proof and --proof-dir together: a usage error
    let o = prove(
        &dir,
        &input,
        &[
            "--proof",
            s(&tmp.path().join("p.json")),
            "--proof-dir",
            s(&out),
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
