//! The browser verifier's Rust core, natively: verdicts and errors for real and malformed artifacts, and
//! no panic on corrupted bytes (a panic in WASM would be an opaque trap, not a message).

use std::path::Path;
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_wasm_verifier::verify_bytes;

#[test]
fn verdicts_errors_and_no_panics() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/iris_mlp");
    let tmp = tempfile::tempdir().expect("tmp");
    let md = ModelDir::new(tmp.path());
    pipeline::compile(
        &models.join("model.onnx"),
        &md,
        &[models.join("calibration.json")],
        zkinfer_circuits::layout::Target::Resources,
    )
    .expect("compile");
    pipeline::setup(&md, None).expect("setup");
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&models.join("input.json"), &settings).expect("input");
    let proof = pipeline::prove(&md, &inputs, Device::Cpu)
        .expect("prove")
        .proof
        .to_json();
    let rd = |f: &str| std::fs::read(md.file(f)).expect("read");
    let (vk, s, p) = (rd("vk.bin"), rd("settings.json"), rd("verifier_params.bin"));

    let ok = verify_bytes(&vk, &s, &p, proof.as_bytes()).expect("verifies");
    assert!(ok.valid && ok.outputs[0].len() == 3 && ok.output_shapes == vec![vec![1, 3]]);

    let err =
        verify_bytes(&vk[..vk.len() / 2], &s, &p, proof.as_bytes()).expect_err("truncated vk");
    assert!(err.contains("vk.bin"), "{err}");
    let err = verify_bytes(&vk, b"{}", &p, proof.as_bytes()).expect_err("bad settings");
    assert!(err.contains("settings.json"), "{err}");
    let err = verify_bytes(&vk, &s, b"ZKVP", proof.as_bytes()).expect_err("bad params");
    assert!(err.contains("verifier_params.bin"), "{err}");
    let err = verify_bytes(&vk, &s, &p, b"[]").expect_err("bad proof");
    assert!(err.contains("proof.json"), "{err}");

    // corrupt every artifact byte-wise: errors or invalid verdicts, never a panic
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for round in 0..60 {
        let (mut vk2, mut s2, mut p2, mut pr2) =
            (vk.clone(), s.clone(), p.clone(), proof.clone().into_bytes());
        let target: &mut Vec<u8> = match round % 4 {
            0 => &mut vk2,
            1 => &mut s2,
            2 => &mut p2,
            _ => &mut pr2,
        };
        let i = next(target.len());
        target[i] ^= 1 << next(8);
        let r = std::panic::catch_unwind(|| verify_bytes(&vk2, &s2, &p2, &pr2));
        let r = r.expect("no panic");
        if let Ok(v) = r {
            assert!(
                !v.valid || (vk2 == vk && p2 == p && s2 == s),
                "a corrupted key or params verified"
            );
        }
    }
}
