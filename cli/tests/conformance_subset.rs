//! The fast subset of the ONNX conformance suite (models/conformance/subset: exported PyTorch models from
//! the `onnx` package's backend tests, with their reference inputs and outputs), proved and verified with
//! outputs within 5% of the reference. The full run is `scripts/conformance.sh`.

use std::path::Path;
use zkinfer_cli::conformance::{cases, run_case, Limits};

#[test]
fn every_subset_model_proves_verifies_and_matches_its_reference() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/conformance/subset");
    let all = cases(&root).expect("subset cases");
    assert!(all.len() >= 10, "the subset has {} cases", all.len());
    let scratch = tempfile::tempdir().expect("tmp");
    let mut failures = Vec::new();
    for (i, case) in all.iter().enumerate() {
        let work = scratch.path().join(format!("case{i}"));
        std::fs::create_dir_all(&work).expect("dir");
        let r = run_case(case, &work, &Limits::default());
        if !r.passed {
            failures.push(format!("{}: {}", r.name, r.reason));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
