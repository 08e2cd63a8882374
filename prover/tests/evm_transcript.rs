//! EVM-transcript proofs (`--transcript evm`): a proof of a bundled model verifies through `judge`, a
//! proof relabelled with the other transcript is rejected with the transcript named, and a tampered EVM
//! proof is rejected.

mod common;

use common::{compile_and_setup, models};
use zkinfer_prover::pipeline::{self, ProveOptions};
use zkinfer_prover::{Device, TranscriptKind};
use zkinfer_verifier::{judge, Rejection, SrsPolicy, Statement, VerifierArtifacts};

#[test]
fn evm_proofs_verify_and_relabelled_or_tampered_ones_do_not() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = compile_and_setup(&models().join("iris_mlp"), &tmp.path().join("iris"));
    let (settings, _) = md.settings().expect("settings");
    let inputs =
        pipeline::read_input(&models().join("iris_mlp/input.json"), &settings).expect("input");
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let statement = Statement {
        srs: SrsPolicy::AllowDevelopment,
        ..Statement::default()
    };
    let prove = |transcript| {
        let options = ProveOptions {
            device: Device::Cpu,
            transcript,
            ..ProveOptions::default()
        };
        pipeline::prove_with(&md, &inputs, &options).expect("prove")
    };
    let evm = prove(TranscriptKind::Evm);
    let blake = prove(TranscriptKind::Blake2b);
    assert_eq!(evm.proof.transcript, TranscriptKind::Evm);
    assert_eq!(blake.proof.transcript, TranscriptKind::Blake2b);
    assert_eq!(evm.outputs, blake.outputs);
    assert!(evm.proof_bytes > blake.proof_bytes, "uncompressed points");
    let v = judge(&art, &evm.proof, &statement).expect("the EVM proof verifies");
    assert_eq!(v.outputs, evm.outputs);
    judge(&art, &blake.proof, &statement).expect("the Blake2b proof verifies");

    // relabelled, either way
    for (file, other) in [
        (&evm.proof, TranscriptKind::Blake2b),
        (&blake.proof, TranscriptKind::Evm),
    ] {
        let mut f = file.clone();
        f.transcript = other;
        let r = judge(&art, &f, &statement).expect_err("relabelled proof");
        assert!(
            matches!(r, Rejection::ProofFails { transcript, .. } if transcript == other),
            "{r}"
        );
        assert!(
            r.to_string().contains(&format!("{other} transcript")),
            "{r}"
        );
    }

    // tampered: a flipped byte anywhere, or a byte more
    let bytes = evm.proof.proof_bytes("p").expect("hex");
    for pos in [0, 63, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 1;
        let mut f = evm.proof.clone();
        f.proof = hex::encode(&b);
        assert!(
            judge(&art, &f, &statement).is_err(),
            "flipped byte {pos} accepted"
        );
    }
    let mut f = evm.proof.clone();
    f.proof.push_str("00");
    assert!(matches!(
        judge(&art, &f, &statement),
        Err(Rejection::TrailingBytes)
    ));
}

/// Proof size and prove/verify time of both transcripts on the bundled models (one run each):
/// `cargo test --release -p zkinfer-prover --test evm_transcript -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement (bench/results/evm-transcript.md), not a check"]
fn measure_both_transcripts() {
    println!("| model | transcript | proof bytes | prove ms | verify ms |");
    println!("|---|---|---:|---:|---:|");
    for name in ["iris_mlp", "digits_mlp", "digits_cnn"] {
        let tmp = tempfile::tempdir().expect("tempdir");
        let md = compile_and_setup(&models().join(name), &tmp.path().join(name));
        let (settings, _) = md.settings().expect("settings");
        let input = models().join(name).join("input.json");
        let inputs = pipeline::read_input(&input, &settings).expect("input");
        let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
        let statement = Statement {
            srs: SrsPolicy::AllowDevelopment,
            ..Statement::default()
        };
        for transcript in TranscriptKind::ALL {
            let options = ProveOptions {
                transcript,
                ..ProveOptions::default()
            };
            let p = pipeline::prove_with(&md, &inputs, &options).expect("prove");
            let t = std::time::Instant::now();
            judge(&art, &p.proof, &statement).expect("valid");
            let verify = t.elapsed();
            println!(
                "| {name} | {transcript} | {} | {:.0} | {:.1} |",
                p.proof_bytes,
                p.proving.as_secs_f64() * 1e3,
                verify.as_secs_f64() * 1e3
            );
        }
    }
}
