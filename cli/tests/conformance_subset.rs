//! The fast subset of the ONNX conformance suite (models/conformance/subset: exported PyTorch models from
//! the `onnx` package's backend tests, with their reference inputs and outputs), one `#[test]` per model:
//! each is proved and verified with outputs within 5% of its reference. The full run is
//! `scripts/conformance.sh`.

use std::path::{Path, PathBuf};
use zkinfer_cli::conformance::{cases, run_case, Limits};

fn subset() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/conformance/subset")
}

fn proves_and_matches(case: &str) {
    let scratch = tempfile::tempdir().expect("tmp");
    let r = run_case(&subset().join(case), scratch.path(), &Limits::default());
    assert!(r.passed, "{}: {}", r.name, r.reason);
}

macro_rules! subset_cases {
    ($($test:ident => $case:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                proves_and_matches($case);
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
    avgpool2d_stride => "pytorch-converted__test_AvgPool2d_stride",
    batchnorm2d_eval => "pytorch-converted__test_BatchNorm2d_eval",
    conv2d_depthwise_padded => "pytorch-converted__test_Conv2d_depthwise_padded",
    conv3d_groups => "pytorch-converted__test_Conv3d_groups",
    convtranspose2d => "pytorch-converted__test_ConvTranspose2d",
    glu => "pytorch-converted__test_GLU",
    maxpool2d => "pytorch-converted__test_MaxPool2d",
    prelu_2d_multiparam => "pytorch-converted__test_PReLU_2d_multiparam",
    pixelshuffle => "pytorch-converted__test_PixelShuffle",
    reflectionpad2d => "pytorch-converted__test_ReflectionPad2d",
    softmax => "pytorch-converted__test_Softmax",
    softsign => "pytorch-converted__test_Softsign",
    log_softmax_lastdim => "pytorch-converted__test_log_softmax_lastdim",
    operator_index => "pytorch-operator__test_operator_index",
    operator_mm => "pytorch-operator__test_operator_mm",
);
