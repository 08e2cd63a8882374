//! Hashed and private inputs and outputs through the CLI, as a user runs them: `compile
//! --input-visibility hashed` makes the input one public instance (its Poseidon commitment), `prove` keeps
//! the values out of the proof file and writes their opening beside it, and `verify --input OPENINGS`
//! accepts the proof only for the committed values and salt.

mod common;

use common::{models, prove, read_json, s, text, verify, zkinfer};
use std::path::{Path, PathBuf};
use zkinfer_circuits::poseidon::{commit, fr_from_be_hex, fr_to_be_hex};

/// compile (with the given visibilities) + setup + prove the iris model; returns (tempdir, model dir,
/// proof path, what compile printed).
fn proved(input: &str, output: &str) -> (tempfile::TempDir, PathBuf, PathBuf, String) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("iris");
    let m = models().join("iris_mlp");
    let o = zkinfer(&[
        "compile",
        s(&m.join("model.onnx")),
        "--out",
        s(&dir),
        "--sample",
        s(&m.join("calibration.json")),
        "--input-visibility",
        input,
        "--output-visibility",
        output,
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let compiled = text(&o);
    let o = zkinfer(&["setup", s(&dir)]);
    assert!(o.status.success(), "{}", text(&o));
    let proof = tmp.path().join("proof.json");
    let o = prove(&dir, &m.join("input.json"), &["--proof", s(&proof)]);
    assert!(o.status.success(), "{}", text(&o));
    (tmp, dir, proof, compiled)
}

fn openings_of(proof: &Path) -> PathBuf {
    proof.with_file_name("proof.openings.json")
}

#[test]
fn a_hashed_input_is_proved_without_its_values_and_verified_against_its_opening() {
    let (tmp, dir, proof, compiled) = proved("hashed", "public");
    // one input instance (the commitment) instead of four, the output's three, digest and binding
    assert!(compiled.contains(", 6 public values"), "{compiled}");
    let p = read_json(&proof);
    assert!(
        p["inputs_q"][0].is_null() && p["inputs"][0].is_null(),
        "{p}"
    );
    let commitment = p["commitments"][0]
        .as_str()
        .expect("one commitment")
        .to_string();
    let openings = read_json(&openings_of(&proof));
    let o = &openings["openings"][0];
    assert_eq!(o["tensor"], "input");
    assert_eq!(o["kind"], "input");
    assert_eq!(o["commitment"].as_str(), Some(commitment.as_str()));
    assert_eq!(o["values"].as_array().map(Vec::len), Some(4));
    // the proof alone verifies and names the commitment
    let v = verify(&dir, &proof, &[]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(
        text(&v).contains(&format!("hashed, commitment {commitment}")),
        "{}",
        text(&v)
    );
    // with the opening it is checked against the committed values
    let op = openings_of(&proof);
    let v = verify(&dir, &proof, &["--input", s(&op)]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    assert!(text(&v).contains("opened by --input"), "{}", text(&v));
    // an opening of other values (its own, correct commitment) is another input: INVALID
    let mut other = openings.clone();
    let values: Vec<i128> = o["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|v| v.as_i64().expect("int") as i128 + 1)
        .collect();
    let salt = fr_from_be_hex(o["salt"].as_str().expect("salt")).expect("salt hex");
    let c = commit(&values, salt).expect("in range");
    other["openings"][0]["values"] =
        serde_json::json!(values.iter().map(|v| *v as i64).collect::<Vec<_>>());
    other["openings"][0]["commitment"] = serde_json::json!(fr_to_be_hex(&c));
    let other_path = tmp.path().join("other.openings.json");
    std::fs::write(&other_path, other.to_string()).expect("write");
    let v = verify(&dir, &proof, &["--input", s(&other_path)]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(text(&v).contains("another input"), "{}", text(&v));
    // an opening whose values do not open its own commitment is a malformed file (exit 2)
    let mut edited = openings.clone();
    edited["openings"][0]["values"][0] = serde_json::json!(values[0] as i64);
    std::fs::write(&other_path, edited.to_string()).expect("write");
    let v = verify(&dir, &proof, &["--input", s(&other_path)]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    assert!(
        text(&v).contains("do not open its commitment"),
        "{}",
        text(&v)
    );
    // a proof file whose commitment was swapped for another is refused
    let mut swapped = read_json(&proof);
    swapped["commitments"][0] = serde_json::json!(fr_to_be_hex(&c));
    let swapped_path = tmp.path().join("swapped.json");
    std::fs::write(&swapped_path, swapped.to_string()).expect("write");
    let v = verify(&dir, &swapped_path, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
}

#[test]
fn a_private_input_and_a_hashed_output_leave_no_values_in_the_proof_file() {
    let (_tmp, dir, proof, _) = proved("private", "hashed");
    let p = read_json(&proof);
    assert!(
        p["inputs_q"][0].is_null() && p["outputs_q"][0].is_null(),
        "{p}"
    );
    assert_eq!(p["commitments"].as_array().map(Vec::len), Some(1));
    let openings = read_json(&openings_of(&proof));
    assert_eq!(openings["openings"][0]["kind"], "output");
    let v = verify(&dir, &proof, &[]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let t = text(&v);
    assert!(
        t.contains("input 'input': private") && t.contains("output"),
        "{t}"
    );
    assert!(
        !t.contains("input: sha256"),
        "no digest of an input nobody sees: {t}"
    );
}

#[test]
fn a_provider_proves_the_commitment_a_buyer_made_from_its_openings() {
    let (tmp, dir, proof, _) = proved("hashed", "public");
    let first = read_json(&proof)["commitments"][0].clone();
    // the buyer's openings file (values and salt) is the provider's input: same commitment again
    let again = tmp.path().join("again.json");
    let o = prove(&dir, &openings_of(&proof), &["--proof", s(&again)]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(read_json(&again)["commitments"][0], first);
    let v = verify(&dir, &again, &["--input", s(&openings_of(&proof))]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    // a model with public inputs cannot be proved from openings
    let (_t2, public_dir, public_proof, _) = proved("public", "hashed");
    let o = prove(
        &public_dir,
        &openings_of(&public_proof),
        &["--proof", s(&again)],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("needs every input hashed"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_hostile_openings_file_is_refused_before_it_is_read_whole() {
    let (tmp, dir, proof, _) = proved("hashed", "public");
    let openings = read_json(&openings_of(&proof));
    // far larger than four values' openings can be: refused by its size, not parsed
    let big = tmp.path().join("big.openings.json");
    std::fs::write(&big, " ".repeat(1 << 20)).expect("write");
    let v = verify(&dir, &proof, &["--input", s(&big)]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    assert!(text(&v).contains("larger than"), "{}", text(&v));
    // an opening of another element count (its own commitment, so it opens): not this model's tensor
    let mut other = openings.clone();
    let salt =
        fr_from_be_hex(openings["openings"][0]["salt"].as_str().expect("salt")).expect("hex");
    let c = commit(&[1, 2, 3], salt).expect("in range");
    other["openings"][0]["values"] = serde_json::json!([1, 2, 3]);
    other["openings"][0]["commitment"] = serde_json::json!(fr_to_be_hex(&c));
    let path = tmp.path().join("short.openings.json");
    std::fs::write(&path, other.to_string()).expect("write");
    let v = verify(&dir, &proof, &["--input", s(&path)]);
    assert_eq!(v.status.code(), Some(2), "{}", text(&v));
    assert!(
        text(&v).contains("not of one of this model's hashed tensors"),
        "{}",
        text(&v)
    );
}
