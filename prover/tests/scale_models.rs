//! CNN architectures past LeNet, proved and verified through the pipeline (issue 31): a CIFAR-sized ResNet
//! with residual basic blocks and a MobileNetV2-style depthwise-separable (inverted residual) block. Both are
//! PyTorch exports with random but seeded weights (models/gen_scale.py, run by models/generate.sh; the
//! fixtures are models/testdata/scale/<name>/), and the proved outputs must be within each model's measured
//! bound of onnxruntime's (recorded in expected.json); the bounds and the rule that sets them are in `BOUNDS`
//! and common/accuracy.rs.
//!
//! Measured with the CLI when the fixtures were made (2-core machine, `/usr/bin/time -v`):
//! - cifar_resnet ([1, 3, 32, 32] -> 10; stem conv + BN + ReLU with stride 2, an identity basic block at 16
//!   channels, a stride-2 basic block with a 1x1 projection shortcut to 32 channels, GlobalAveragePool,
//!   Linear; the exporter folds the BNs into the Convs): k = 14, 13,846 rows, setup about 20 s, prove
//!   about 22 s, 1.2 GB peak.
//! - mobilenet_block ([1, 16, 12, 12] -> 10; 1x1 expand + ReLU6 (Clip), 3x3 depthwise conv (group = 64) +
//!   ReLU6, 1x1 projection and the residual add, then a stride-2 block to 24 channels, GlobalAveragePool,
//!   Linear): k = 14, 15,485 rows, setup about 8 s, prove about 19 s, 0.75 GB peak.

mod common;

use common::accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
use common::{compile_and_setup, max_err, models, prove_and_verify};
use std::time::Instant;

fn check(name: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata/scale").join(name);
    let start = Instant::now();
    let md = compile_and_setup(&src, tmp.path());
    let set_up = start.elapsed();
    let (settings, _) = md.settings().expect("settings");
    let (_, v) = prove_and_verify(&md, &src.join("input.json"), name);
    println!(
        "SCALE {name}: k = {}, compile + setup {:.1} s, prove + verify {:.1} s",
        settings.k,
        set_up.as_secs_f64(),
        (start.elapsed() - set_up).as_secs_f64()
    );
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    let want: Vec<f64> = expected["outputs"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let step = 1.0 / settings.outputs[0].encoding.unit();
    let (err, mag) = max_err(&v.outputs[0], &want);
    println!("SCALE {name}: max |proved - onnxruntime| = {err:.3e} (largest output {mag:.4}, one step {step:.3e})");
    assert_accuracy(BOUNDS, name, &[OutputError::of(&v.outputs[0], &want, step)]);
}

/// `(model, measured, bound)`: relative error (max |proved - onnxruntime| / max |onnxruntime|) measured on
/// the committed input, and the bound: 2 x measured, at least one output step / magnitude (the rule in
/// prover/tests/common/accuracy.rs). In absolute terms: cifar_resnet measured 4.23e-6 of a largest output
/// 0.3351 (one step 2^-18 = 3.8e-6), mobilenet_block 6.31e-4 of 0.3096 (one step 2^-10 = 9.8e-4).
const BOUNDS: &Table = &[
    // 2 x 1.263e-5 = 2.53e-5 (one step / magnitude: 1.14e-5)
    ("cifar_resnet", 1.263e-5, 2.6e-5),
    // 2 x 2.038e-3 = 4.08e-3 (one step / magnitude: 3.15e-3)
    ("mobilenet_block", 2.038e-3, 4.1e-3),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
}

#[test]
fn cifar_resnet_basic_blocks_with_a_projection_shortcut() {
    check("cifar_resnet");
}

#[test]
fn mobilenet_v2_inverted_residual_with_depthwise_conv() {
    check("mobilenet_block");
}
