//! The fast subset of the ONNX conformance suite (models/conformance/subset: exported PyTorch models from
//! the `onnx` package's backend tests, with their reference inputs and outputs), one `#[test]` per model:
//! each is proved and verified with outputs within its own bound of its reference: the relative error
//! `max |proved - reference| / max |reference|` measured when the case was added, doubled, and never under
//! one step of the output's encoding (prover/tests/common/accuracy.rs states the rule; an all-zero output
//! must be exact). `-- --nocapture`
//! prints each case's `ACCURACY` line for re-measuring. The full run is `scripts/conformance.sh`.

use std::path::{Path, PathBuf};
use zkinfer_cli::conformance::{cases, run_case, Limits};

fn subset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/conformance/subset")
}

fn proves_and_matches(case: &str, bound: f64) {
    let scratch = tempfile::tempdir().expect("tmp");
    let r = run_case(&subset().join(case), scratch.path(), &Limits::default());
    assert!(r.passed, "{}: {}", r.name, r.reason);
    let (err, mag) = (r.max_error.expect("error"), r.magnitude.expect("magnitude"));
    let relative = if err == 0.0 { 0.0 } else { err / mag };
    let floor = if mag == 0.0 {
        0.0
    } else {
        r.step.expect("step") / mag
    };
    println!(
        "ACCURACY {case}: relative error {relative:.3e}, one step {floor:.3e}, bound {bound:.3e}"
    );
    assert!(
        relative <= bound,
        "{case}: relative error {relative:.3e} above its bound {bound:.3e} (max error {err} of {mag})"
    );
}

macro_rules! subset_cases {
    ($($test:ident => $case:literal within $bound:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                proves_and_matches($case, $bound);
            }
        )*

        /// A case added to the folder without a test here would silently not run.
        #[test]
        fn every_subset_case_has_a_test() {
            let on_disk: Vec<String> = cases(&subset())
                .expect("subset cases")
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            let tested = [$($case),*];
            assert_eq!(on_disk, tested, "models/conformance/subset and this file's list differ");
        }
    };
}

subset_cases!(
    avgpool2d_stride => "pytorch-converted__test_AvgPool2d_stride" within 1.0e-4,
    batchnorm2d_eval => "pytorch-converted__test_BatchNorm2d_eval" within 8.6e-5,
    conv2d_depthwise_padded => "pytorch-converted__test_Conv2d_depthwise_padded" within 2.7e-5,
    conv3d_groups => "pytorch-converted__test_Conv3d_groups" within 2.2e-5,
    convtranspose2d => "pytorch-converted__test_ConvTranspose2d" within 2.0e-5,
    glu => "pytorch-converted__test_GLU" within 1.4e-2,
    maxpool2d => "pytorch-converted__test_MaxPool2d" within 5.7e-5,
    prelu_2d_multiparam => "pytorch-converted__test_PReLU_2d_multiparam" within 7.1e-3,
    pixelshuffle => "pytorch-converted__test_PixelShuffle" within 4.4e-5,
    reflectionpad2d => "pytorch-converted__test_ReflectionPad2d" within 9.8e-6,
    softmax => "pytorch-converted__test_Softmax" within 2.7e-2,
    softsign => "pytorch-converted__test_Softsign" within 1.9e-2,
    log_softmax_lastdim => "pytorch-converted__test_log_softmax_lastdim" within 4.5e-3,
    operator_index => "pytorch-operator__test_operator_index" within 0.0,
    operator_mm => "pytorch-operator__test_operator_mm" within 8.2e-5,
);
