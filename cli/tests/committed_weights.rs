//! Committed weights through the CLI, as a model owner and a verifier run them: `compile --weights
//! committed` makes one circuit and one verifying key for every weight set of the architecture, `zkinfer
//! commit-weights` commits to another weight set of it, `prove --weights` proves with that set, and `verify`
//! accepts a proof only under the weights commitment it pins (the model directory's, or
//! `--weights-commitment FILE`).

mod common;

use common::{models, prove, read_json, s, text, verify, zkinfer};
use std::path::{Path, PathBuf};
use zkinfer_circuits::input_data::InputData;
use zkinfer_compiler::reference::FloatReference;
use zkinfer_verifier::proof_file::ProofFile;
use zkinfer_verifier::{judge, Rejection, SrsPolicy, Statement, VerifierArtifacts};

fn fixture(name: &str) -> PathBuf {
    models().join("testdata/committed").join(name)
}

/// The float model `onnx` on the bundled model's input.json, and the outputs a proof file states.
fn float_outputs(
    onnx: &Path,
    input: &Path,
    settings: &zkinfer_circuits::settings::Settings,
) -> Vec<f64> {
    let shapes: Vec<Vec<usize>> = settings
        .data_inputs()
        .iter()
        .map(|i| i.shape.clone())
        .collect();
    let reference = FloatReference::load(onnx, &shapes).expect("reference");
    let inputs = InputData::read(input).expect("input").inputs;
    reference.run(&inputs).expect("runs").concat()
}

fn proved_outputs(proof: &Path) -> Vec<f64> {
    fn flatten(v: &serde_json::Value, out: &mut Vec<f64>) {
        match v {
            serde_json::Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
            x => out.push(x.as_f64().expect("number")),
        }
    }
    let mut out = Vec::new();
    flatten(&read_json(proof)["outputs"], &mut out);
    out
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// The largest |proved - float| over the outputs, and the largest |float|.
fn error(proof: &Path, float: &[f64]) -> (f64, f64) {
    let proved = proved_outputs(proof);
    assert_eq!(proved.len(), float.len());
    let err = proved
        .iter()
        .zip(float)
        .fold(0f64, |m, (a, b)| m.max((a - b).abs()));
    (err, float.iter().fold(0f64, |m, v| m.max(v.abs())))
}

/// One compiled directory, two weight sets: each proves under the same vk and verifies only with its own
/// commitment; the outputs are within `rel` of the largest float output (plus one step) of the float model
/// with that weight set.
fn two_weight_sets(name: &str, other: &Path, rel: f64) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join(name);
    let m = models().join(name);
    let o = zkinfer(&[
        "compile",
        s(&m.join("model.onnx")),
        "--out",
        s(&dir),
        "--sample",
        s(&m.join("calibration.json")),
        "--weights",
        "committed",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("weights.openings.json")), 0o600);
    let commitment_a = dir.join("weights.commitment.json");
    let settings_json = std::fs::read_to_string(dir.join("settings.json")).expect("settings");
    assert!(
        settings_json.contains(r#""role": "weights""#),
        "{settings_json}"
    );
    let o = zkinfer(&["setup", s(&dir)]);
    assert!(o.status.success(), "{}", text(&o));
    let vk = std::fs::read(dir.join("vk.bin")).expect("vk");

    // the other weight set of the same architecture: its openings (private) and commitment (public)
    let prefix = tmp.path().join("set_b");
    let o = zkinfer(&[
        "commit-weights",
        s(other),
        "--model-dir",
        s(&dir),
        "--out",
        s(&prefix),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let (openings_b, commitment_b) = (
        tmp.path().join("set_b.openings.json"),
        tmp.path().join("set_b.commitment.json"),
    );
    #[cfg(unix)]
    assert_eq!(mode(&openings_b), 0o600);
    assert_ne!(
        read_json(&commitment_a)["commitments"],
        read_json(&commitment_b)["commitments"]
    );

    let input = m.join("input.json");
    let (proof_a, proof_b) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
    let o = prove(&dir, &input, &["--proof", s(&proof_a)]);
    assert!(o.status.success(), "{}", text(&o));
    let o = prove(
        &dir,
        &input,
        &["--proof", s(&proof_b), "--weights", s(&openings_b)],
    );
    assert!(o.status.success(), "{}", text(&o));
    // one verifying key for both; the weights' values are in neither proof nor any openings file beside it
    assert_eq!(std::fs::read(dir.join("vk.bin")).expect("vk"), vk);
    for p in [&proof_a, &proof_b] {
        let json = read_json(p);
        let weights = json["inputs_q"].as_array().expect("inputs")[1..].to_vec();
        assert!(weights.iter().all(serde_json::Value::is_null), "{json}");
        assert!(!p
            .with_file_name(format!(
                "{}.openings.json",
                p.file_stem().and_then(|s| s.to_str()).unwrap_or_default()
            ))
            .exists());
    }

    // each proof verifies only under its own weights commitment
    let v = verify(&dir, &proof_a, &[]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let v = verify(&dir, &proof_b, &[]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));
    assert!(
        text(&v).contains("the proof is about other weights"),
        "{}",
        text(&v)
    );
    let v = verify(&dir, &proof_b, &["--weights-commitment", s(&commitment_b)]);
    assert_eq!(v.status.code(), Some(0), "{}", text(&v));
    let v = verify(&dir, &proof_a, &["--weights-commitment", s(&commitment_b)]);
    assert_eq!(v.status.code(), Some(1), "{}", text(&v));

    // a caller of judge that pins no weights (the browser, Python, the market, the escrow) refuses
    let art = VerifierArtifacts::load_dir(&dir).expect("artifacts");
    let proof =
        ProofFile::parse(&std::fs::read(&proof_a).expect("proof"), "a.json").expect("parses");
    let statement = Statement {
        srs: SrsPolicy::AllowDevelopment,
        ..Statement::default()
    };
    let r = judge(&art, &proof, &statement).expect_err("no pin");
    assert!(matches!(r, Rejection::WeightsUnpinned), "{r}");
    assert_eq!(r.code(), "weights_mismatch");

    // each proof's outputs are the float model's with its own weight set, within the quantisation error
    let settings = art.settings.clone();
    for (proof, onnx) in [
        (&proof_a, m.join("model.onnx")),
        (&proof_b, other.to_path_buf()),
    ] {
        let float = float_outputs(&onnx, &input, &settings);
        let (err, largest) = error(proof, &float);
        let step = settings.outputs[0].encoding.unit().recip();
        eprintln!(
            "{name}: {}: max |proved - float| = {err:.5} (largest float output {largest:.4})",
            onnx.display()
        );
        assert!(
            err <= rel * largest + step,
            "{err} over {rel} x {largest} + {step}"
        );
    }
}

#[test]
fn an_mlp_proves_two_weight_sets_under_one_vk_each_only_with_its_own_commitment() {
    two_weight_sets("iris_mlp", &fixture("iris_mlp_b.onnx"), 0.001);
}

#[test]
fn a_matmul_and_bias_add_mlp_commits_its_weights_and_biases() {
    two_weight_sets("digits_mlp", &fixture("digits_mlp_b.onnx"), 0.001);
}

#[test]
fn a_cnn_commits_its_convolutions_and_dense_layer() {
    two_weight_sets("digits_cnn", &fixture("digits_cnn_b.onnx"), 0.001);
}

#[test]
fn a_weight_set_outside_the_compiled_encodings_or_of_another_architecture_is_refused() {
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
        "--weights",
        "committed",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = tmp.path().join("x");
    let o = zkinfer(&[
        "commit-weights",
        s(&fixture("iris_mlp_large.onnx")),
        "--model-dir",
        s(&dir),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("weight tensor 'W2' element") && text(&o).contains("outside the range"),
        "{}",
        text(&o)
    );
    let o = zkinfer(&[
        "commit-weights",
        s(&models().join("digits_mlp/model.onnx")),
        "--model-dir",
        s(&dir),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("another architecture"), "{}", text(&o));
    assert!(!tmp.path().join("x.openings.json").exists());
    // a model with fixed weights has none to commit
    let fixed = tmp.path().join("fixed");
    common::cli_compile("iris_mlp", &fixed);
    assert!(!fixed.join("weights.openings.json").exists());
    let o = zkinfer(&[
        "commit-weights",
        s(&fixture("iris_mlp_b.onnx")),
        "--model-dir",
        s(&fixed),
        "--out",
        s(&out),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}
