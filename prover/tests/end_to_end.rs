//! compile -> setup -> prove -> verify on the bundled models, and every way a proof must be rejected.

mod common;

use common::{compile_and_setup, max_err, models};
use std::sync::Arc;
use zkinfer_circuits::quant::QOp;
use zkinfer_circuits::witness;
use zkinfer_compiler::reference::FloatReference;
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_verifier::{ProofFile, TranscriptKind, VerifierArtifacts};

fn digits() -> (tempfile::TempDir, ModelDir, pipeline::ProveSummary) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = compile_and_setup(&models().join("digits_mlp"), &tmp.path().join("digits"));
    let (settings, _) = md.settings().expect("settings");
    let inputs =
        pipeline::read_input(&models().join("digits_mlp/input.json"), &settings).expect("input");
    let p = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    (tmp, md, p)
}

fn verify(md: &ModelDir, proof: &ProofFile) -> Result<zkinfer_verifier::Verified, String> {
    common::judge_own(md, proof)
}

#[test]
fn digits_proof_verifies_and_matches_tract() {
    let (_tmp, md, p) = digits();
    let v = verify(&md, &p.proof).expect("VALID");
    assert_eq!(v.outputs, p.outputs);
    // proved outputs against tract's float inference: within 2% of the output magnitude, same class
    let (settings, _) = md.settings().expect("settings");
    let inputs =
        pipeline::read_input(&models().join("digits_mlp/input.json"), &settings).expect("input");
    let float = FloatReference::load(&models().join("digits_mlp/model.onnx"), &[vec![1, 64]])
        .expect("tract")
        .run(&inputs)
        .expect("run");
    let (err, mag) = max_err(&v.outputs[0], &float[0]);
    assert!(err <= 0.02 * mag, "max error {err} vs magnitude {mag}");
    let argmax = |v: &[f64]| zkinfer_compiler::accuracy::argmax(v);
    assert_eq!(argmax(&v.outputs[0]), argmax(&float[0]));
    // verification needs only vk, settings and verifier params (setup stores no pk.bin by default)
    assert!(!md.file("pk.bin").exists());
    std::fs::remove_file(md.file("kzg.srs")).expect("rm srs");
    std::fs::remove_file(md.file("model.json")).expect("rm model");
    assert!(verify(&md, &p.proof).is_ok());
}

#[test]
fn edited_output_and_flipped_byte_are_rejected() {
    let (_tmp, md, p) = digits();
    // an edited output (still on the fixed-point grid), with instances left as they were
    let mut edited = p.proof.clone();
    let out = edited.outputs[0][0].as_array_mut().expect("nested")[0]
        .as_f64()
        .expect("number");
    edited.outputs[0][0].as_array_mut().expect("nested")[0] = serde_json::json!(out + 0.125);
    let v = verify(&md, &edited);
    assert!(v.as_ref().is_err_and(|r| r.contains("edited")), "{v:?}");
    // the same edit in the stored integers too, with the instances recomputed to match: the proof
    // itself must fail
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    let ins: Vec<Vec<f64>> = edited
        .inputs
        .iter()
        .map(|x| zkinfer_verifier::proof_file::flatten(x, "i").expect("flat"))
        .collect();
    let outs: Vec<Vec<f64>> = edited
        .outputs
        .iter()
        .map(|x| zkinfer_verifier::proof_file::flatten(x, "o").expect("flat"))
        .collect();
    let spec = &art.settings.outputs[0];
    let q = zkinfer_verifier::instances::encode(spec, &outs[0], "output 0", true).expect("on grid");
    edited.outputs_q[0] = zkinfer_verifier::proof_file::nest(&q, &spec.shape);
    let inst = zkinfer_verifier::instances::instances(
        &art.settings,
        &ins,
        &outs,
        zkinfer_circuits::Fr::zero(),
    )
    .expect("on grid");
    edited.instances = zkinfer_verifier::instances_hex(&inst);
    let v = verify(&md, &edited);
    assert!(
        v.as_ref().is_err_and(|r| r.contains("does not verify")),
        "{v:?}"
    );
    // a flipped proof byte, anywhere
    let bytes = p.proof.proof_bytes("p").expect("hex");
    for pos in [0, bytes.len() / 2, bytes.len() - 1] {
        let mut b = bytes.clone();
        b[pos] ^= 0x01;
        let mut f = p.proof.clone();
        f.proof = hex::encode(&b);
        assert!(verify(&md, &f).is_err(), "flipped byte {pos} accepted");
    }
    // trailing bytes
    let mut f = p.proof.clone();
    f.proof.push_str("00");
    assert!(verify(&md, &f).is_err());
}

#[test]
fn a_proof_does_not_verify_for_another_model_or_input() {
    let (tmp, md, p) = digits();
    // another model (iris): rejected by model id, and by the cryptographic check with its own key
    let iris = compile_and_setup(&models().join("iris_mlp"), &tmp.path().join("iris"));
    let v = verify(&iris, &p.proof);
    assert!(
        v.as_ref().is_err_and(|r| r.contains("made for model")),
        "{v:?}"
    );
    // the same digits model with one weight changed: identical shape and settings but the weights,
    // so the verifying key differs and the proof fails the pairing check
    let (settings, settings_bytes) = md.settings().expect("settings");
    let model = md.compiled_model(&settings).expect("model");
    let mut quant = model.quant.clone();
    let dense = quant
        .ops
        .iter_mut()
        .find_map(|o| if let QOp::Dense(d) = o { Some(d) } else { None })
        .expect("dense");
    dense.weight.swap(0, 1);
    assert_ne!(
        dense.weight[0], dense.weight[1],
        "swap must change the model"
    );
    let other = ModelDir::new(tmp.path().join("digits_swapped"));
    let other_settings = other
        .write_compiled(settings.clone(), quant)
        .expect("write");
    zkinfer_prover::pipeline::setup(&other, None).expect("setup");
    let art_a = VerifierArtifacts::load_dir(&md.path).expect("a");
    let art_b = VerifierArtifacts::load_dir(&other.path).expect("b");
    assert_ne!(
        art_a.vk.transcript_repr(),
        art_b.vk.transcript_repr(),
        "the vk binds the weights"
    );
    let proof = p.proof.proof_bytes("p").expect("hex");
    let inst: Vec<_> = p
        .proof
        .instances
        .iter()
        .map(|h| zkinfer_circuits::field::fr_from_hex(h).expect("fr"))
        .collect();
    assert!(art_a
        .verify_instances(&proof, &inst, TranscriptKind::Blake2b)
        .is_ok());
    assert!(
        art_b
            .verify_instances(&proof, &inst, TranscriptKind::Blake2b)
            .is_err(),
        "proof verified under another model's key"
    );
    assert_eq!(other_settings.k, settings.k);
    // a proof about one input does not verify for another input
    let mut other_input = inst.clone();
    other_input[0] += zkinfer_circuits::Fr::one();
    assert!(art_a
        .verify_instances(&proof, &other_input, TranscriptKind::Blake2b)
        .is_err());
    // and the settings of one model do not accept the key of the other
    let vk_b = std::fs::read(other.file("vk.bin")).expect("vk");
    let params = std::fs::read(md.file("verifier_params.bin")).expect("params");
    let err = VerifierArtifacts::from_bytes(&settings_bytes, &vk_b, &params).expect_err("mismatch");
    assert!(err.to_string().contains("other settings"), "{err}");
}

#[test]
fn witness_generation_rejects_values_outside_the_calibrated_range() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    zkinfer_prover::pipeline::compile(
        &models().join("digits_mlp/model.onnx"),
        &md,
        &[models().join("digits_mlp/calibration.json")],
        zkinfer_circuits::layout::Target::Resources,
    )
    .expect("compile");
    let (settings, _) = md.settings().expect("settings");
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let max = settings.inputs[0].encoding.max_value();
    let err = witness::generate(&model.quant, &model.plan, &[vec![max * 2.0; 64]])
        .expect_err("out of range");
    assert!(
        err.to_string().contains("input 0 ('input') element 0")
            && err.to_string().contains("calibrated range"),
        "{err}"
    );
    // inputs inside their own range whose hidden values overflow a node's table name that node: the input
    // range (with headroom) is far wider than anything calibration saw, so extreme inputs must overflow
    let min = settings.inputs[0].encoding.min_value();
    let candidates = [
        vec![max; 64],
        vec![min; 64],
        (0..64)
            .map(|i| if i % 2 == 0 { max } else { min })
            .collect(),
    ];
    let errors: Vec<String> = candidates
        .iter()
        .filter_map(|x| witness::generate(&model.quant, &model.plan, std::slice::from_ref(x)).err())
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("node ") && e.contains("outside the calibrated range")),
        "no extreme input overflowed a node: {errors:?}"
    );
}

#[test]
fn a_bound_proof_verifies_only_with_its_binding() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = compile_and_setup(&models().join("iris_mlp"), tmp.path());
    let (settings, _) = md.settings().expect("settings");
    let inputs =
        pipeline::read_input(&models().join("iris_mlp/input.json"), &settings).expect("input");
    let bind = zkinfer_circuits::Fr::from(0x5eed_u64);
    let p = pipeline::prove_bound(&md, &inputs, Device::Cpu, bind).expect("prove");
    assert_eq!(p.proof.instances.len(), settings.num_instances());
    assert!(verify(&md, &p.proof).is_ok());
    // another binding value (another job or provider), with the instances edited to match it
    let mut other = p.proof.clone();
    let other_bind = zkinfer_circuits::Fr::from(0x5eee_u64);
    other.bind = zkinfer_circuits::field::fr_to_hex(&other_bind);
    let v = verify(&md, &other);
    assert!(v.is_err(), "{v:?}");
    *other.instances.last_mut().expect("bind") = other.bind.clone();
    let v = verify(&md, &other);
    assert!(
        v.as_ref().is_err_and(|r| r.contains("does not verify")),
        "{v:?}"
    );
    // an unbound proof does not verify as bound, and vice versa
    let unbound = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let mut as_bound = unbound.proof.clone();
    as_bound.bind = p.proof.bind.clone();
    *as_bound.instances.last_mut().expect("bind") = p.proof.bind.clone();
    assert!(verify(&md, &as_bound).is_err());
}
