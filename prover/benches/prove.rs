//! Criterion benches of the default model: witness generation, proving and verification.
//! Run with `cargo bench -p zkinfer-prover`. Figures are for comparing builds on one machine.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::Path;
use std::sync::Arc;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::witness;
use zkinfer_prover::{pipeline, CpuBackend, ModelDir, ProverBackend};
use zkinfer_verifier::VerifierArtifacts;

fn bench_default_model(c: &mut Criterion) {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/digits_mlp");
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    pipeline::compile(
        &models.join("model.onnx"),
        &md,
        &[models.join("calibration.json")],
        Target::Resources,
    )
    .expect("compile");
    pipeline::setup(&md, None).expect("setup");
    let (settings, settings_bytes) = md.settings().expect("settings");
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let pk = md.pk(&settings, &settings_bytes).expect("pk");
    let params = md.params(settings.k).expect("params");
    let inputs = pipeline::read_input(&models.join("input.json"), &settings).expect("input");

    let mut g = c.benchmark_group("digits_mlp");
    g.sample_size(10);
    g.bench_function("witness", |b| {
        b.iter(|| witness::generate(&model.quant, &model.plan, &inputs).expect("witness"))
    });
    let w = Arc::new(witness::generate(&model.quant, &model.plan, &inputs).expect("witness"));
    g.bench_function("prove", |b| {
        b.iter(|| {
            let circuit = ModelCircuit::with_witness(settings.clone(), model.clone(), w.clone());
            let inst = circuit.instances();
            CpuBackend
                .prove(&params, &pk, circuit, &inst)
                .expect("prove")
        })
    });
    let p = pipeline::prove(&md, &inputs, zkinfer_prover::Device::Cpu).expect("prove");
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    g.bench_function("verify", |b| {
        b.iter(|| assert!(art.verify(&p.proof, "proof").expect("ok").valid))
    });
    g.finish();
}

criterion_group!(benches, bench_default_model);
criterion_main!(benches);
