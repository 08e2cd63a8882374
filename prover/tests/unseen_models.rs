//! MLPs the compiler was never written against (random weights, made by models/generate.py), proved and
//! verified through the pipeline, with outputs within 5% of onnxruntime's (recorded in expected.json).

mod common;

use common::{compile_and_setup, max_err, models};
use zkinfer_prover::{pipeline, Device};
use zkinfer_verifier::VerifierArtifacts;

fn check(name: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata").join(name);
    let md = compile_and_setup(&src, tmp.path());
    let (settings, _) = md.settings().expect("settings");
    let inputs = pipeline::read_input(&src.join("input.json"), &settings).expect("input");
    let p = pipeline::prove(&md, &inputs, Device::Cpu).expect("prove");
    let v = VerifierArtifacts::load_dir(&md.path)
        .expect("artifacts")
        .verify(&p.proof, "proof")
        .expect("well-formed");
    assert!(v.valid, "{name}: {:?}", v.reason);
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("expected.json")).expect("expected"))
            .expect("json");
    let want: Vec<f64> = expected["outputs"][0]
        .as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_f64().expect("num"))
        .collect();
    let (err, mag) = max_err(&v.outputs[0], &want);
    assert!(
        err <= 0.05 * mag,
        "{name}: max error {err} against onnxruntime, output magnitude {mag}"
    );
}

#[test]
fn matmul_add_relu_stack() {
    check("mlp_matmul_stack");
}

#[test]
fn flatten_gemm_transb_alpha_beta() {
    check("mlp_flatten_gemm");
}

#[test]
fn shape_ops_constants_and_residual_add() {
    check("mlp_shape_ops");
}

// PyTorch exports (models/gen_torch.py): outputs within 5% of the largest onnxruntime output magnitude.

#[test]
fn torch_causal_self_attention_block() {
    check("torch_attention");
}

#[test]
fn torch_gpt_decoder_two_layers() {
    check("torch_gpt");
}

#[test]
fn torch_gpt_decoder_from_token_ids() {
    // nn.Embedding of integer token ids: a one-hot product in the circuit
    check("torch_gpt_tokens");
}

#[test]
fn torch_lstm_with_shape_subgraph_initial_states() {
    check("torch_lstm");
}

#[test]
fn torch_gru_linear_before_reset() {
    check("torch_gru");
}
