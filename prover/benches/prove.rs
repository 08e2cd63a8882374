//! Criterion benches per stage on the bundled models, in the default layout (limb lanes) and with affine
//! lanes (`zkinfer compile --affine-lanes`, the layout before them): witness generation, key generation (vk,
//! pk), proving and verification. Run with `cargo bench -p zkinfer-prover` (or `-- digits_mlp/limb/prove`
//! for one). Figures are for comparing builds and layouts on one machine; `zkinfer bench` gives the
//! per-phase split and memory.

use criterion::{criterion_group, criterion_main, Criterion};
use halo2_proofs::plonk::{keygen_pk, keygen_vk};
use std::path::Path;
use std::sync::Arc;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::witness;
use zkinfer_prover::{pipeline, CpuBackend, ModelDir, ProverBackend};
use zkinfer_verifier::{TranscriptKind, VerifierArtifacts};

const MODELS: [&str; 2] = ["digits_mlp", "iris_mlp"];

fn bench_model(c: &mut Criterion, name: &str, limbs: bool) {
    let models = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../models")
        .join(name);
    let tmp = tempfile::tempdir().expect("tempdir");
    let md = ModelDir::new(tmp.path());
    let opts = CompileOptions {
        limbs,
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
    let (settings, settings_bytes) = md.settings().expect("settings");
    let model = Arc::new(md.compiled_model(&settings).expect("model"));
    let params = md.params(settings.k).expect("params");
    let pk = md
        .proving_key(&settings, &settings_bytes, &params, &model)
        .expect("pk");
    let inputs = pipeline::read_input(&models.join("input.json"), &settings).expect("input");

    let layout = if limbs { "limb" } else { "affine" };
    let mut g = c.benchmark_group(format!("{name}/{layout}"));
    g.sample_size(10);
    g.bench_function("witness", |b| {
        b.iter(|| witness::generate(&model.quant, &model.plan, &inputs).expect("witness"))
    });
    let kc = ModelCircuit::for_keygen(settings.clone(), model.clone());
    g.bench_function("keygen_vk", |b| {
        b.iter(|| keygen_vk(&params, &kc).expect("vk"))
    });
    let vk = keygen_vk(&params, &kc).expect("vk");
    g.bench_function("keygen_pk", |b| {
        b.iter(|| keygen_pk(&params, vk.clone(), &kc).expect("pk"))
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
    let circuit = ModelCircuit::with_witness(settings.clone(), model.clone(), w.clone());
    let inst = circuit.instances();
    let proof = CpuBackend
        .prove(&params, &pk, circuit, &inst)
        .expect("prove");
    let art = VerifierArtifacts::load_dir(&md.path).expect("artifacts");
    g.bench_function("verify", |b| {
        b.iter(|| {
            art.verify_instances(&proof, &inst, TranscriptKind::Blake2b)
                .expect("valid")
        })
    });
    g.finish();
}

fn bench_bundled(c: &mut Criterion) {
    for m in MODELS {
        for limbs in [true, false] {
            bench_model(c, m, limbs);
        }
    }
}

criterion_group!(benches, bench_bundled);
criterion_main!(benches);
