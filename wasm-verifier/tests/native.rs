//! The browser verifier's Rust core, natively: verdicts (with their SRS and reason codes) and errors for
//! real and malformed artifacts, and no panic on corrupted bytes (a panic in WASM would be an opaque
//! trap, not a message). The CLI's setup makes development params, so its proofs are refused by default
//! and accepted only with `allow_dev_srs`.

use serde_json::Value;
use std::path::Path;
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_wasm_verifier::{verify_bytes, Options, SrsInfo, CODES};

fn allow() -> Options {
    Options {
        allow_dev_srs: Some(true),
        ..Options::default()
    }
}

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
    let check = |proof: &str, opts: &Options| {
        verify_bytes(&vk, &s, &p, proof.as_bytes(), opts).expect("readable")
    };

    // development params: refused by default with their own code, accepted on opt-in
    let refused = check(&proof, &Options::default());
    assert!(!refused.valid);
    assert_eq!(refused.code, Some("development_params"));
    let reason = refused.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("not from a pinned public ceremony"),
        "{reason}"
    );
    assert!(refused.srs.is_none() && refused.outputs.is_empty());
    let explicit_off = Options {
        allow_dev_srs: Some(false),
        ..Options::default()
    };
    assert_eq!(
        check(&proof, &explicit_off).code,
        Some("development_params")
    );

    let ok = check(&proof, &allow());
    assert!(
        ok.valid && ok.code.is_none() && ok.reason.is_none(),
        "{ok:?}"
    );
    assert!(ok.outputs[0].len() == 3 && ok.output_shapes == vec![vec![1, 3]]);
    assert!(
        matches!(&ok.srs, Some(SrsInfo::Development { fingerprint }) if fingerprint.len() == 64),
        "{:?}",
        ok.srs
    );
    // the floats are derived from the proved integers
    let file: Value = serde_json::from_str(&proof).expect("json");
    let file_q: Vec<i64> = file["outputs_q"][0]
        .as_array()
        .expect("nested")
        .iter()
        .flat_map(|r| r.as_array().cloned().unwrap_or_else(|| vec![r.clone()]))
        .filter_map(|v| v.as_i64())
        .collect();
    assert_eq!(ok.outputs_q[0], file_q);
    // one grid step (the outputs are affine in their integers)
    let (f, q) = (&ok.outputs[0], &ok.outputs_q[0]);
    let (i, j) = (0..q.len())
        .flat_map(|i| (0..q.len()).map(move |j| (i, j)))
        .find(|&(i, j)| q[i] != q[j])
        .expect("two distinct outputs");
    let step = (f[i] - f[j]) / (q[i] - q[j]) as f64;
    for k in 0..q.len() {
        let derived = f[i] + (q[k] - q[i]) as f64 * step;
        assert!((f[k] - derived).abs() < 1e-9, "{} vs {derived}", f[k]);
    }
    assert_eq!(ok.inputs_q.len(), 1);
    assert_eq!(ok.bind.as_deref().map(str::len), Some(64));

    // tampered files and mismatched statements: each rejected with its code
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&proof).expect("json");
        f(&mut v);
        serde_json::to_string(&v).expect("json")
    };
    let q0 = file["outputs_q"][0][0][0].as_i64().expect("int");
    let f0 = file["outputs"][0][0][0].as_f64().expect("float");
    // an integer edited alone disagrees with its float; edited with its float, with the instances
    let edited_int = edit(&|v| v["outputs_q"][0][0][0] = Value::from(q0 + 1));
    assert_eq!(check(&edited_int, &allow()).code, Some("edited_value"));
    let edited_both = edit(&|v| {
        v["outputs_q"][0][0][0] = Value::from(q0 + 1);
        v["outputs"][0][0][0] = Value::from(f0 + step);
    });
    assert_eq!(
        check(&edited_both, &allow()).code,
        Some("instance_mismatch")
    );
    let edited_float = edit(&|v| v["outputs"][0][0][0] = Value::from(f0 + 1.0));
    assert_eq!(check(&edited_float, &allow()).code, Some("edited_value"));
    let mut flipped = edit(&|_| {});
    let at = flipped.find("\"proof\"").expect("proof field") + 40;
    let c = if &flipped[at..=at] == "0" { "1" } else { "0" };
    flipped.replace_range(at..=at, c);
    assert_eq!(check(&flipped, &allow()).code, Some("proof_fails"));
    let other_model = Options {
        expected_model_id: Some("00".repeat(32)),
        ..allow()
    };
    assert_eq!(check(&proof, &other_model).code, Some("model_mismatch"));
    let own_model = Options {
        expected_model_id: Some(ok.model_id.clone()),
        ..allow()
    };
    assert!(check(&proof, &own_model).valid);
    let bound = Options {
        bind: Some(format!("0x{}01", "0".repeat(62))),
        ..allow()
    };
    assert_eq!(check(&proof, &bound).code, Some("binding_mismatch"));
    let bad_hex = edit(&|v| v["proof"] = Value::from("zz"));
    assert_eq!(check(&bad_hex, &allow()).code, Some("unreadable"));
    let trailing = edit(&|v| {
        let hex = v["proof"].as_str().unwrap_or_default().to_string();
        v["proof"] = Value::from(format!("{hex}00"));
    });
    assert_eq!(check(&trailing, &allow()).code, Some("trailing_bytes"));
    assert_eq!(CODES.len(), 12);

    // malformed artifacts, proof files and options throw, naming what was wrong
    let err = verify_bytes(&vk[..vk.len() / 2], &s, &p, proof.as_bytes(), &allow())
        .expect_err("truncated vk")
        .to_string();
    assert!(err.contains("vk.bin"), "{err}");
    let err = verify_bytes(&vk, b"{}", &p, proof.as_bytes(), &allow())
        .expect_err("settings")
        .to_string();
    assert!(err.contains("settings.json"), "{err}");
    let err = verify_bytes(&vk, &s, b"ZKVP", proof.as_bytes(), &allow())
        .expect_err("params")
        .to_string();
    assert!(err.contains("verifier_params.bin"), "{err}");
    let err = verify_bytes(&vk, &s, &p, b"[]", &allow())
        .expect_err("bad proof")
        .to_string();
    assert!(err.contains("proof.json"), "{err}");
    let bad_bind = Options {
        bind: Some("12".into()),
        ..allow()
    };
    let err = verify_bytes(&vk, &s, &p, proof.as_bytes(), &bad_bind)
        .expect_err("bad bind")
        .to_string();
    assert!(err.contains("options.bind"), "{err}");

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
        let r = std::panic::catch_unwind(|| verify_bytes(&vk2, &s2, &p2, &pr2, &allow()));
        let r = r.expect("no panic");
        if let Ok(v) = r {
            assert!(
                !v.valid || (vk2 == vk && p2 == p && s2 == s),
                "a corrupted key or params verified"
            );
        }
    }
}

#[test]
fn a_hashed_input_shows_its_commitment_and_is_checked_against_the_openings() {
    use zkinfer_circuits::compile::CompileOptions;
    use zkinfer_circuits::settings::Visibility;
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/iris_mlp");
    let tmp = tempfile::tempdir().expect("tmp");
    let md = ModelDir::new(tmp.path());
    let opts = CompileOptions {
        inputs: Visibility::Hashed,
        ..CompileOptions::default()
    };
    pipeline::compile_with(
        &models.join("model.onnx"),
        &md,
        &[models.join("calibration.json")],
        &opts,
    )
    .expect("compile");
    pipeline::setup(&md, None).expect("setup");
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&models.join("input.json"), &settings).expect("input");
    let proved = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let (proof, openings) = (proved.proof.to_json(), proved.openings.to_json());
    let rd = |f: &str| std::fs::read(md.file(f)).expect("read");
    let (vk, s, p) = (rd("vk.bin"), rd("settings.json"), rd("verifier_params.bin"));
    let check =
        |opts: &Options| verify_bytes(&vk, &s, &p, proof.as_bytes(), opts).expect("readable");
    let v = check(&allow());
    assert!(v.valid, "{:?}", v.reason);
    assert_eq!(v.commitments.len(), 1);
    assert_eq!(v.commitments[0].commitment, proved.proof.commitments[0]);
    assert!(v.inputs_q[0].is_empty(), "no input values in the verdict");
    let with = |text: String| Options {
        openings: Some(text),
        ..allow()
    };
    assert!(check(&with(openings.clone())).valid);
    // the openings of another proof of the same input (a fresh salt) open another commitment
    let other = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let refused = check(&with(other.openings.to_json()));
    assert!(!refused.valid);
    assert_eq!(refused.code, Some("input_mismatch"));
}

#[test]
fn committed_weights_verify_only_under_the_pinned_commitment() {
    use zkinfer_circuits::compile::CompileOptions;
    use zkinfer_circuits::settings::WeightsMode;
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models");
    let iris = models.join("iris_mlp");
    let tmp = tempfile::tempdir().expect("tmp");
    let md = ModelDir::new(tmp.path());
    let opts = CompileOptions {
        weights: WeightsMode::Committed,
        ..CompileOptions::default()
    };
    pipeline::compile_with(
        &iris.join("model.onnx"),
        &md,
        &[iris.join("calibration.json")],
        &opts,
    )
    .expect("compile");
    pipeline::setup(&md, None).expect("setup");
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&iris.join("input.json"), &settings).expect("input");
    let proof = pipeline::prove(&md, &inputs, Device::Cpu)
        .expect("prove")
        .proof
        .to_json();
    let rd = |f: &str| std::fs::read(md.file(f)).expect("read");
    let (vk, s, p) = (rd("vk.bin"), rd("settings.json"), rd("verifier_params.bin"));
    let check =
        |opts: &Options| verify_bytes(&vk, &s, &p, proof.as_bytes(), opts).expect("readable");
    let pinned = |text: String| Options {
        weights_commitment: Some(text),
        ..allow()
    };
    // no pin: no verdict on which weights ran
    let unpinned = check(&allow());
    assert!(!unpinned.valid);
    assert_eq!(unpinned.code, Some("weights_mismatch"));
    let own = String::from_utf8(rd("weights.commitment.json")).expect("utf-8");
    let v = check(&pinned(own));
    assert!(v.valid, "{:?}", v.reason);
    // another weight set's commitment
    let other = tmp.path().join("b");
    pipeline::commit_weights(
        &md,
        &models.join("testdata/committed/iris_mlp_b.onnx"),
        &other,
    )
    .expect("commit another weight set");
    let b = std::fs::read_to_string(tmp.path().join("b.commitment.json")).expect("read");
    let refused = check(&pinned(b));
    assert!(!refused.valid);
    assert_eq!(refused.code, Some("weights_mismatch"));
    // a pin that is not a weights commitment of this model: an error naming the option
    let e = verify_bytes(&vk, &s, &p, proof.as_bytes(), &pinned("{}".into()))
        .expect_err("malformed pin");
    assert!(e.to_string().contains("weightsCommitment"), "{e}");
}
