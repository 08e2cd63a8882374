//! The `zkinfer` command as a user runs it: the CLI contract, exit codes (0 valid, 1 invalid, 2 bad input)
//! and error messages that name the file, node, op or field.

mod common;

use common::{
    cli_compile, cli_compile_and_setup, models, prove, read_json, s, text, verify, zkinfer,
};
use std::path::PathBuf;
use std::process::Command;

/// compile + setup + prove the iris model through the CLI; returns (tempdir, model dir, proof path).
fn proved() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("iris");
    let m = models().join("iris_mlp");
    let (compiled, set_up) = cli_compile_and_setup("iris_mlp", &dir);
    assert!(
        compiled.contains("accuracy on 105 calibration sample(s)"),
        "{compiled}"
    );
    assert!(
        set_up.contains("development SRS"),
        "setup without --srs warns: {set_up}"
    );
    let proof = tmp.path().join("proof.json");
    let o = prove(&dir, &m.join("input.json"), &["--proof", s(&proof)]);
    assert!(o.status.success(), "{}", text(&o));
    (tmp, dir, proof)
}

#[test]
fn a_development_srs_is_refused_without_the_opt_in() {
    let (_tmp, dir, proof) = proved();
    let o = zkinfer(&["verify", s(&dir), "--proof", s(&proof)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("INVALID") && t.contains("development"), "{t}");
    assert!(
        t.contains("--allow-dev-srs"),
        "the refusal says how to opt in: {t}"
    );
    // with the opt-in the verdict names the SRS it rests on
    let o = verify(&dir, &proof, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("srs: development SRS"), "{}", text(&o));
}

#[test]
fn verify_pins_the_model_id_and_the_binding() {
    let (_tmp, dir, proof) = proved();
    let v = read_json(&proof);
    let id = v["model_id"].as_str().expect("model_id").to_string();
    let with = |extra: &[&str]| verify(&dir, &proof, extra).status.code();
    assert_eq!(with(&["--model-id", &id]), Some(0));
    let other = "0".repeat(64);
    assert_eq!(with(&["--model-id", &other]), Some(1));
    // the proof is unbound: expecting a binding value rejects it
    let one = format!("{}1", "0".repeat(63));
    assert_eq!(with(&["--bind", &one]), Some(1));
}

#[test]
fn verify_exit_codes() {
    let (tmp, dir, proof) = proved();
    let o = verify(&dir, &proof, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).starts_with("valid"));
    let input = models().join("iris_mlp/input.json");
    assert_eq!(
        verify(&dir, &proof, &["--input", s(&input)]).status.code(),
        Some(0)
    );
    // about another input
    let other = tmp.path().join("other_input.json");
    std::fs::write(&other, r#"{"input_data": [[5.0, 3.0, 1.5, 0.2]]}"#).expect("write");
    let o = verify(&dir, &proof, &["--input", s(&other)]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    // an edited output: invalid, exit 1
    let mut p = read_json(&proof);
    let v = p["outputs"][0][0][0].as_f64().expect("num");
    p["outputs"][0][0][0] = serde_json::json!(v + 1.0);
    let edited = tmp.path().join("edited.json");
    std::fs::write(&edited, p.to_string()).expect("write");
    let o = verify(&dir, &edited, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("INVALID"));
    // a corrupt proof file: exit 2 naming the file
    let corrupt = tmp.path().join("corrupt.json");
    std::fs::write(&corrupt, "{\"version\": 1, \"proof\": 12").expect("write");
    let o = verify(&dir, &corrupt, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("corrupt.json") && text(&o).contains("not valid JSON"),
        "{}",
        text(&o)
    );
    // a proof hex that is not hex
    p["proof"] = serde_json::json!("zz");
    std::fs::write(&corrupt, p.to_string()).expect("write");
    let o = verify(&dir, &corrupt, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("field proof"), "{}", text(&o));
    // verification works without the prover's files
    std::fs::rename(dir.join("kzg.srs"), tmp.path().join("kzg.srs")).expect("mv");
    assert_eq!(verify(&dir, &proof, &[]).status.code(), Some(0));
    // but proving names the missing SRS
    let o = prove(&dir, &input, &["--proof", s(&tmp.path().join("p2.json"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("kzg.srs") && text(&o).contains("zkinfer setup"),
        "{}",
        text(&o)
    );
    std::fs::rename(tmp.path().join("kzg.srs"), dir.join("kzg.srs")).expect("mv back");
    // a corrupt verifying key
    let mut vk = std::fs::read(dir.join("vk.bin")).expect("vk");
    let n = vk.len();
    vk.truncate(n - 10);
    std::fs::write(dir.join("vk.bin"), &vk).expect("write");
    let o = verify(&dir, &proof, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("vk.bin"), "{}", text(&o));
    // settings of a future format version
    let settings = std::fs::read_to_string(dir.join("settings.json")).expect("settings");
    std::fs::write(
        dir.join("settings.json"),
        settings.replacen(
            &format!(
                "\"version\": {}",
                zkinfer_circuits::settings::SETTINGS_VERSION
            ),
            "\"version\": 99",
            1,
        ),
    )
    .expect("write");
    let o = verify(&dir, &proof, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("settings.json") && text(&o).contains("version 99"),
        "{}",
        text(&o)
    );
}

#[test]
fn bad_inputs_are_named_errors_with_exit_2() {
    let (tmp, dir, _) = proved();
    let p = tmp.path().join("p.json");
    let cases: &[(&str, &str)] = &[
        (
            r#"{"input_data": [[1.0, 2.0, 3.0]]}"#,
            "input_data[0] has 3 values",
        ),
        (
            r#"{"input_data": [[1.0, 2.0, 3.0, 4.0], [1.0]]}"#,
            "has 1 input(s), the file gives 2",
        ),
        (
            r#"{"input_data": [[1.0, "NaN", 3.0, 4.0]]}"#,
            "input_data[0][1]",
        ),
        (r#"{"inputs": [[1.0]]}"#, "missing field \"input_data\""),
        (
            r#"{"input_data": [[1.0, 2.0, 3.0, 1e6]]}"#,
            "outside the calibrated range",
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let input = tmp.path().join(format!("bad{i}.json"));
        std::fs::write(&input, body).expect("write");
        let o = prove(&dir, &input, &["--proof", s(&p)]);
        assert_eq!(o.status.code(), Some(2), "{body}: {}", text(&o));
        assert!(
            text(&o).contains(want),
            "{body}: expected '{want}' in: {}",
            text(&o)
        );
        assert!(!text(&o).contains("panicked"), "{}", text(&o));
    }
    let o = prove(&dir, &tmp.path().join("missing.json"), &["--proof", s(&p)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("missing.json"), "{}", text(&o));
    // without the `cuda` feature, --device cuda is a clear error (tests/gpu.rs covers the feature)
    if !cfg!(feature = "cuda") {
        let o = prove(
            &dir,
            &models().join("iris_mlp/input.json"),
            &["--proof", s(&p), "--device", "cuda"],
        );
        assert_eq!(o.status.code(), Some(2));
        assert!(text(&o).contains("without CUDA support"), "{}", text(&o));
    }
}

#[test]
fn unsupported_op_names_the_node_the_op_and_the_supported_list() {
    let tmp = tempfile::tempdir().expect("tmp");
    let m = models().join("testdata/unsupported_cumsum/model.onnx");
    let o = zkinfer(&["compile", s(&m), "--out", s(&tmp.path().join("x"))]);
    assert_eq!(o.status.code(), Some(2));
    let t = text(&o);
    assert!(
        t.contains("node running_total (CumSum): unsupported op CumSum"),
        "{t}"
    );
    // the list is the registry's: every op this build lowers, sorted, and not the op it refused
    let listed: Vec<&str> = t
        .split_once("supported ops: ")
        .and_then(|(_, rest)| rest.split_once(" (the list is in"))
        .map(|(list, _)| list.split(", ").collect())
        .unwrap_or_default();
    assert!(!listed.is_empty(), "no supported-op list in: {t}");
    assert_eq!(listed, zkinfer_compiler::onnx::ops::supported_ops(), "{t}");
    assert!(
        listed.windows(2).all(|w| w[0] < w[1]),
        "not sorted: {listed:?}"
    );
    for op in ["Conv", "Gemm", "LSTM", "TreeEnsembleClassifier"] {
        assert!(listed.contains(&op), "{op} missing from {listed:?}");
    }
    assert!(!listed.contains(&"CumSum"), "{listed:?}");
    // not an ONNX file at all
    let junk = tmp.path().join("junk.onnx");
    std::fs::write(&junk, b"this is not protobuf").expect("write");
    let o = zkinfer(&["compile", s(&junk), "--out", s(&tmp.path().join("y"))]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("junk.onnx"), "{}", text(&o));
    let o = zkinfer(&[
        "compile",
        s(&tmp.path().join("nope.onnx")),
        "--out",
        s(&tmp.path().join("z")),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("nope.onnx: no such file"), "{}", text(&o));
}

#[test]
fn a_key_from_another_model_is_a_clear_error() {
    let (tmp, dir, proof) = proved();
    let digits = tmp.path().join("digits");
    cli_compile("digits_mlp", &digits);
    assert!(zkinfer(&["setup", s(&digits)]).status.success());
    std::fs::copy(digits.join("vk.bin"), dir.join("vk.bin")).expect("copy");
    let o = verify(&dir, &proof, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("vk.bin: this verifying key was made for other settings"),
        "{}",
        text(&o)
    );
    // and a proof of the iris model verified against the digits model is invalid
    let o = verify(&digits, &proof, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

/// The k of a compiled model's settings.
fn settings_k(dir: &std::path::Path) -> u64 {
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("settings.json")).expect("settings"))
            .expect("json");
    s["k"].as_u64().expect("k")
}

#[test]
fn setup_with_an_srs_file_downsizes_it() {
    use halo2_proofs::halo2curves::bn256::Bn256;
    use halo2_proofs::poly::kzg::commitment::ParamsKZG;
    let tmp = tempfile::tempdir().expect("tmp");
    // params larger than the iris circuit needs (k = 9), in halo2's usual file format
    let srs = tmp.path().join("big.srs");
    let params = ParamsKZG::<Bn256>::setup(13, rand::rngs::OsRng);
    let mut f = std::fs::File::create(&srs).expect("create");
    halo2_proofs::poly::commitment::Params::write(&params, &mut f).expect("write");
    let dir = tmp.path().join("iris");
    let m = models().join("iris_mlp");
    cli_compile("iris_mlp", &dir);
    let o = zkinfer(&["setup", s(&dir), "--srs", s(&srs)]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("development SRS"));
    let proof = tmp.path().join("proof.json");
    assert!(prove(&dir, &m.join("input.json"), &["--proof", s(&proof)])
        .status
        .success());
    assert_eq!(verify(&dir, &proof, &[]).status.code(), Some(0));
    // too small an SRS, and a file that is not one
    let small = tmp.path().join("small.srs");
    let p8 = ParamsKZG::<Bn256>::setup(8, rand::rngs::OsRng);
    halo2_proofs::poly::commitment::Params::write(
        &p8,
        &mut std::fs::File::create(&small).expect("create"),
    )
    .expect("write");
    let o = zkinfer(&["setup", s(&dir), "--srs", s(&small)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains(&format!(
            "small.srs: the file has 2^8 powers of tau, 2^{} were requested",
            settings_k(&dir)
        )),
        "{}",
        text(&o)
    );
    std::fs::write(&small, b"garbage").expect("write");
    let o = zkinfer(&["setup", s(&dir), "--srs", s(&small)]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).contains("small.srs: neither a snarkjs .ptau file nor halo2 KZG params"),
        "{}",
        text(&o)
    );
}

#[test]
fn max_degree_in_the_environment_is_refused() {
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["demo", "--model", "nope"])
        .env("MAX_DEGREE", "6")
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("MAX_DEGREE"), "{}", text(&o));
}

#[test]
fn demo_runs_the_whole_pipeline() {
    let tmp = tempfile::tempdir().expect("tmp");
    let o = zkinfer(&[
        "demo",
        "--model",
        "iris_mlp",
        "--models-dir",
        s(&models()),
        "--out",
        s(tmp.path()),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    for step in [
        "1. compile",
        "2. setup",
        "3. prove",
        "4. verify   VALID",
        "predicted class",
        "true label",
    ] {
        assert!(t.contains(step), "missing '{step}' in:\n{t}");
    }
    let o = zkinfer(&["demo", "--model", "nope", "--models-dir", s(&models())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("available: "), "{}", text(&o));
}
