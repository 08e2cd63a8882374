//! MLPs the compiler was never written against (random weights, made by models/generate.py), proved and
//! verified through the pipeline, with outputs within each model's measured bound of onnxruntime's
//! (recorded in expected.json); the bounds and the rule that sets them are in `BOUNDS` and
//! common/accuracy.rs.

mod common;

use common::accuracy::{assert_accuracy, assert_table_follows_the_rule, OutputError, Table};
use common::{compile_and_setup, models, prove_and_verify};

fn check(name: &str) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = models().join("testdata").join(name);
    let md = compile_and_setup(&src, tmp.path());
    let (_, v) = prove_and_verify(&md, &src.join("input.json"), name);
    let (settings, _) = md.settings().expect("settings");
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
    assert_accuracy(BOUNDS, name, &[OutputError::of(&v.outputs[0], &want, step)]);
}

/// `(model, measured, bound)`: relative error (max |proved - onnxruntime| / max |onnxruntime|) measured on
/// the committed input, and the bound: 2 x measured, at least one output step / magnitude, at most the 5% it
/// replaces (the rule in prover/tests/common/accuracy.rs).
const BOUNDS: &Table = &[
    ("mlp_matmul_stack", 5.781e-5, 1.2e-4),
    ("mlp_flatten_gemm", 3.594e-5, 7.2e-5),
    ("mlp_shape_ops", 2.638e-5, 5.3e-5),
    ("torch_attention", 2.126e-2, 4.3e-2),
    ("torch_gpt", 2.504e-2, 5.0e-2),
    ("torch_gpt_tokens", 1.977e-2, 4.0e-2),
    ("torch_lstm", 8.055e-3, 1.7e-2),
    ("torch_gru", 1.115e-2, 2.3e-2),
];

#[test]
fn every_bound_is_above_its_measured_error() {
    assert_table_follows_the_rule(BOUNDS);
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

// PyTorch exports (models/gen_torch.py).

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
    // nn.Embedding of integer token ids: a lookup against the table in the circuit (the gather chip)
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
