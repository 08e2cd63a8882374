//! The default target's output error on the bundled models, held to the bounds the README states
//! ("Accuracy at the default target"): a change that makes the circuit's outputs drift further from the float
//! model fails here, by name, whatever it does to speed.
//!
//! Each model is compiled as `zkinfer compile` does it (default target, the model's own calibration file) and
//! its exact integer inference (the values a proof would carry) is compared with tract's float inference on
//! the model's held-out samples (`heldout.json`) or, without them, its `input.json`. The error of a sample is
//! max |circuit - float| / max |float| over its outputs; the test takes the worst sample.

mod common;

use common::models;
use std::path::PathBuf;
use zkinfer_circuits::input_data::InputData;
use zkinfer_circuits::layout::Target;
use zkinfer_compiler::accuracy::quantised_outputs;
use zkinfer_compiler::reference::FloatReference;
use zkinfer_prover::{pipeline, ModelDir};

/// Worst per-sample error (in % of the sample's largest float output) and the number of samples.
fn default_target_error(model: &str) -> (f64, usize) {
    let src = models().join(model);
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path().join("m"));
    let calib: Vec<PathBuf> = [src.join("calibration.json")]
        .into_iter()
        .filter(|p| p.exists())
        .collect();
    pipeline::compile(&src.join("model.onnx"), &md, &calib, Target::Resources).expect("compile");
    let (settings, _) = md.settings().expect("settings");
    let cm = md.compiled_model(&settings).expect("compiled model");
    let shapes: Vec<Vec<usize>> = settings.inputs.iter().map(|i| i.shape.clone()).collect();
    let sizes: Vec<usize> = settings.inputs.iter().map(|i| i.numel()).collect();
    let reference = FloatReference::load(&src.join("model.onnx"), &shapes).expect("tract");
    let file = [src.join("heldout.json"), src.join("input.json")]
        .into_iter()
        .find(|p| p.exists())
        .expect("heldout.json or input.json");
    let samples = InputData::read(&file)
        .expect("read samples")
        .samples(&sizes, &file.display().to_string())
        .expect("samples");
    assert!(!samples.is_empty(), "{}: no samples", file.display());
    let mut worst: f64 = 0.0;
    for s in &samples {
        let q = quantised_outputs(&cm, s).expect("circuit inference");
        let f = reference.run(s).expect("float inference");
        let (mut err, mut mag): (f64, f64) = (0.0, 0.0);
        for (qo, fo) in q.iter().zip(&f) {
            assert_eq!(qo.len(), fo.len(), "{model}: output sizes differ");
            for (a, b) in qo.iter().zip(fo) {
                err = err.max((a - b).abs());
                mag = mag.max(b.abs());
            }
        }
        assert!(mag > 0.0, "{model}: the float outputs are all zero");
        worst = worst.max(100.0 * err / mag);
    }
    (worst, samples.len())
}

/// One test per model, each with the bound (in % of the largest float output) stated in the README.
macro_rules! bound {
    ($name:ident, $model:expr, $bound_pct:expr) => {
        #[test]
        fn $name() {
            let (err, n) = default_target_error($model);
            println!("ACCURACY {} {:.3}% over {} samples (bound {}%)", $model, err, n, $bound_pct);
            assert!(
                err <= $bound_pct,
                "{}: the default target's error is {err:.3}% of the largest output over {n} samples, \
                 above the {}% the README states",
                $model,
                $bound_pct
            );
        }
    };
}

bound!(digits_mlp, "digits_mlp", 0.05);
bound!(iris_mlp, "iris_mlp", 0.05);
bound!(digits_cnn, "digits_cnn", 0.1);
bound!(mlp_flatten_gemm, "testdata/mlp_flatten_gemm", 0.02);
bound!(mlp_matmul_stack, "testdata/mlp_matmul_stack", 0.02);
bound!(mlp_shape_ops, "testdata/mlp_shape_ops", 0.02);
bound!(cnn_conv_pool_sigmoid, "testdata/cnn_conv_pool_sigmoid", 1.6);
bound!(ops_zoo, "testdata/ops_zoo", 1.4);
bound!(lenet5, "testdata/lenet5", 0.02);
