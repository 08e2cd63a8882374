//! `zkinfer export-evm` and `zkinfer evm calldata|verify` as a user runs them (iris). The proof here is
//! `zkinfer prove`'s default (Blake2b) transcript, which the EVM verifier must refuse; once
//! `zkinfer prove --transcript evm` exists, adding that flag to the prove call below makes it the accepted case
//! (evm/tests/verifiers.rs covers acceptance with EVM-transcript proofs made in the test).
mod common;
use common::{models, s, text, zkinfer};

#[test]
fn export_evm_writes_a_deployable_verifier_and_refuses_a_blake2b_proof() {
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
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = zkinfer(&["setup", s(&dir)]);
    assert!(o.status.success(), "{}", text(&o));
    let proof = tmp.path().join("proof.json");
    let o = zkinfer(&[
        "prove",
        s(&dir),
        "--input",
        s(&m.join("input.json")),
        "--proof",
        s(&proof),
    ]);
    assert!(o.status.success(), "{}", text(&o));

    let out = tmp.path().join("evm");
    let o = zkinfer(&["export-evm", s(&dir), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("bytes deployed (limit 24576)") && t.contains("9 public instances"),
        "{t}"
    );
    for f in [
        "Halo2Verifier.sol",
        "Halo2Verifier.abi.json",
        "Halo2Verifier.bin",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing: {t}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["fits_eip170"], true);
    assert!(manifest["solc_version"]
        .as_str()
        .is_some_and(|v| v.starts_with("0.8.19")));

    let o = zkinfer(&["evm", "calldata", s(&proof)]);
    assert!(o.status.success(), "{}", text(&o));
    let hex = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let p: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).expect("proof")).expect("json");
    let proof_hex = p["proof"]
        .as_str()
        .expect("proof hex")
        .trim_start_matches("0x");
    // 9 instances as 32-byte words, then the proof bytes
    assert_eq!(hex.len(), 2 + 2 * 9 * 32 + proof_hex.len(), "{hex}");
    assert!(hex.ends_with(proof_hex));

    let o = zkinfer(&["evm", "verify", s(&out), s(&proof)]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a Blake2b proof must revert: {}",
        text(&o)
    );
    assert!(text(&o).contains("reverted"), "{}", text(&o));
}
