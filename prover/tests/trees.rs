//! Tree ensembles from scikit-learn through skl2onnx (models/trees, made by models/gen_trees.py):
//! compile -> setup -> prove -> verify with real proofs, outputs within 5% of onnxruntime's (committed in
//! expected.json) and the predicted class onnxruntime's. Classifiers go through `pipeline::compile`, which
//! also runs tract's float reference; tract 0.23 has no TreeEnsembleRegressor, so the regressor is
//! compiled by the compiler library and checked against onnxruntime's outputs only.

mod common;

use common::{compile_and_setup, max_err, models};
use std::time::Instant;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_verifier::VerifierArtifacts;

fn check(name: &str, through_pipeline: bool) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("trees").join(name);
    let md = if through_pipeline {
        compile_and_setup(&src, tmp.path())
    } else {
        let md = ModelDir::new(tmp.path());
        let c = zkinfer_compiler::compile_onnx(
            &src.join("model.onnx"),
            &[src.join("calibration.json")],
            &CompileOptions::default(),
        )
        .expect("compile");
        md.write_compiled(c.settings, c.quant).expect("write");
        pipeline::setup(&md, None).expect("setup");
        md
    };
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    let t = Instant::now();
    let p = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let prove_time = t.elapsed();
    let v = VerifierArtifacts::load_dir(&md.path)
        .expect("artifacts")
        .verify(&p.proof, "proof")
        .expect("well-formed");
    assert!(v.valid, "{name}: {:?}", v.reason);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    for (k, got) in v.outputs.iter().enumerate() {
        let want: Vec<f64> = expected["outputs"][k]
            .as_array()
            .expect("list")
            .iter()
            .map(|x| x.as_f64().expect("num"))
            .collect();
        let (err, mag) = max_err(got, &want);
        println!("{name} output {k}: proved {got:?}, onnxruntime {want:?}");
        assert!(
            err <= 0.05 * mag,
            "{name} output {k}: max error {err}, magnitude {mag}"
        );
    }
    println!(
        "{name}: k = {}, prove {prove_time:?} (2-core CPU, release)",
        settings.k
    );
}

#[test]
fn decision_tree_classifier_proves() {
    check("iris_tree", true);
}

#[test]
fn random_forest_classifier_proves() {
    check("iris_forest", true);
}

#[test]
fn gradient_boosting_classifier_proves() {
    check("iris_gbt", true);
}

#[test]
fn gradient_boosting_regressor_proves() {
    check("diabetes_gbr", false);
}
