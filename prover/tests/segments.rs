//! Models split across circuits (issue 31): a residual MLP whose rows are its weights, split at a row budget
//! into at least three segments, set up, proved as a chain (two threads) and verified through
//! `judge_chain`; its outputs are the unsplit model's integers exactly; a segment proof from another input,
//! a reordered chain, a tampered link commitment, a short chain and another input are refused with their
//! typed reasons, as is a manifest that names other settings or other cut tensors; a row budget the model
//! fits gives today's single folder with unchanged settings.
//!
//! The model is built in code (no fixture file): input [1, 24], a Dense to 96 + ReLU, residual blocks
//! h = ReLU(h + Dense(ReLU(Dense(h)))), a Dense to 10.

use std::path::Path;
use zkinfer_circuits::compile::{compile_graph, CompileOptions, CompiledGraph};
use zkinfer_circuits::graph::{AddTensors, Dense, Graph, Op, Relu};
use zkinfer_circuits::witness;
use zkinfer_prover::pipeline::{PkStorage, ProveOptions};
use zkinfer_prover::segments::{
    chain_witness, prove_chain, prove_segment, setup_chain, write_chain, write_split, ChainInput,
};
use zkinfer_prover::{Device, ModelDir};
use zkinfer_verifier::chain::{
    is_segmented, judge_chain, segment_proof, ChainArtifacts, ChainRejection, SegmentsManifest,
};
use zkinfer_verifier::{ExpectedInputs, LoadLimits, ProofFile, Rejection, SrsPolicy, Statement};

const WIDTH: usize = 96;
const BLOCKS: usize = 64;
/// The row budget of each segment: the model needs more (it splits into at least three segments).
const MAX_K: u32 = 10;

/// Deterministic values in [-1, 1).
fn values(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

fn dense(seed: u64, i: usize, o: usize) -> Op {
    let scale = 1.2 / (i as f64).sqrt();
    Op::Dense(Dense {
        in_features: i,
        out_features: o,
        weight: values(seed, i * o)
            .iter()
            .map(|v| (v * scale) as f32)
            .collect(),
        bias: values(seed + 1000, o)
            .iter()
            .map(|v| (v * 0.1) as f32)
            .collect(),
    })
}

fn graph() -> Graph {
    let mut g = Graph::new("residual_mlp");
    let x = g.add_input("x", vec![1, 24]);
    let node = |g: &mut Graph, n: String, op: Op, ins: Vec<usize>| {
        g.add_node(n.clone(), n.clone(), op, ins, n).expect("node")
    };
    let h = node(&mut g, "in".into(), dense(1, 24, WIDTH), vec![x]);
    let mut h = node(&mut g, "in_relu".into(), Op::Relu(Relu), vec![h]);
    for b in 0..BLOCKS {
        let s = 10 + 2 * b as u64;
        let a = node(&mut g, format!("b{b}_fc1"), dense(s, WIDTH, WIDTH), vec![h]);
        let a = node(&mut g, format!("b{b}_relu1"), Op::Relu(Relu), vec![a]);
        let a = node(
            &mut g,
            format!("b{b}_fc2"),
            dense(s + 1, WIDTH, WIDTH),
            vec![a],
        );
        let sum = node(
            &mut g,
            format!("b{b}_add"),
            Op::AddTensors(AddTensors { sign: 1 }),
            vec![h, a],
        );
        h = node(&mut g, format!("b{b}_relu2"), Op::Relu(Relu), vec![sum]);
    }
    let y = node(&mut g, "out".into(), dense(99, WIDTH, 10), vec![h]);
    g.outputs = vec![y];
    g
}

fn compiled() -> CompiledGraph {
    let samples: Vec<Vec<Vec<f64>>> = (0..8).map(|s| vec![values(500 + s, 24)]).collect();
    compile_graph(graph(), &samples, &CompileOptions::default()).expect("compiles")
}

fn input(seed: u64) -> Vec<Vec<f64>> {
    vec![values(seed, 24)
        .iter()
        .map(|v| (v * 1000.0).round() / 1000.0)
        .collect()]
}

fn statement(inputs: Option<ExpectedInputs>) -> Statement {
    Statement {
        inputs,
        srs: SrsPolicy::AllowDevelopment,
        ..Statement::default()
    }
}

fn read_chain(art: &ChainArtifacts, dir: &Path) -> Vec<ProofFile> {
    art.read_proofs(dir).expect("proofs")
}

#[test]
fn a_split_model_proves_and_verifies_as_a_chain_and_broken_chains_are_refused() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("model");
    let whole = compiled();
    assert!(whole.settings.k > MAX_K, "k = {}", whole.settings.k);
    let opts = CompileOptions::default();
    let split = write_split(whole.clone(), &ModelDir::new(&dir), &opts, MAX_K).expect("split");
    let n = split.segments.len();
    assert!(n >= 3, "{n} segments");
    assert!(!split.requantised);
    assert!(split.segments.iter().all(|s| s.k <= MAX_K));
    assert!(is_segmented(&dir));
    let manifest = SegmentsManifest::read(&dir).expect("manifest");
    assert_eq!(manifest.cuts.len(), n - 1);
    setup_chain(&dir, None, PkStorage::Rebuild).expect("setup");

    let options = ProveOptions {
        device: Device::Cpu,
        ..ProveOptions::default()
    };
    let x = input(7);
    let proved = prove_chain(&dir, &ChainInput::Values(x.clone()), &options, 2).expect("prove");
    let chain_dir = tmp.path().join("chain");
    write_chain(&chain_dir, &proved).expect("write");

    // the chain's outputs are the unsplit model's integers exactly
    let cm = zkinfer_circuits::circuit::CompiledModel::new(whole.quant.clone(), &whole.settings)
        .expect("plans");
    let w = witness::generate(&cm.quant, &cm.plan, &x).expect("witness");
    let unsplit = w.output_values(&cm.plan);
    assert_eq!(proved.witness.outputs.concat(), unsplit);

    let art = ChainArtifacts::load_dir_within(&dir, &LoadLimits::default()).expect("artifacts");
    let proofs = read_chain(&art, &chain_dir);
    let v = judge_chain(
        &art,
        &proofs,
        &statement(Some(ExpectedInputs::Values(x.clone()))),
    )
    .expect("the chain verifies");
    assert_eq!(v.segments.len(), n);
    let last_q: Vec<i128> = v
        .last()
        .outputs_q
        .concat()
        .iter()
        .map(|&q| q as i128)
        .collect();
    assert_eq!(last_q, unsplit);
    assert_eq!(
        Some(v.chain_id.clone()),
        SegmentsManifest::read(&dir).expect("m").chain_id()
    );
    // pinned by its chain id
    let pinned = Statement {
        model_id: Some(v.chain_id.clone()),
        ..statement(None)
    };
    assert!(judge_chain(&art, &proofs, &pinned).is_ok());

    // another input: refused by the first segment
    let r = judge_chain(
        &art,
        &proofs,
        &statement(Some(ExpectedInputs::Values(input(8)))),
    );
    assert!(
        matches!(r, Err(ChainRejection::Segment { segment: 0, .. })),
        "{r:?}"
    );

    // a segment proof swapped in from another input's chain: the link before it breaks
    let other = prove_chain(&dir, &ChainInput::Values(input(9)), &options, 1).expect("prove");
    let mut swapped = proofs.clone();
    swapped[1] = other.segments[1].summary.proof.clone();
    let r = judge_chain(&art, &swapped, &statement(None));
    assert!(
        matches!(&r, Err(ChainRejection::BrokenLink { cut: 0, .. })),
        "{r:?}"
    );

    // a reordered chain
    let mut reordered = proofs.clone();
    reordered.swap(1, 2);
    let r = judge_chain(&art, &reordered, &statement(None));
    assert!(
        matches!(
            r,
            Err(ChainRejection::OutOfOrder {
                position: 1,
                segment: 2
            })
        ),
        "{r:?}"
    );

    // a tampered link commitment: the consumer's proof no longer proves its statement
    let mut tampered = proofs.clone();
    let c = &mut tampered[1].commitments[0];
    let last = c.pop().expect("hex digit");
    c.push(if last == '0' { '1' } else { '0' });
    let r = judge_chain(&art, &tampered, &statement(None));
    assert!(
        matches!(
            &r,
            Err(ChainRejection::Segment { segment: 1, rejection }) if !matches!(rejection, Rejection::Unreadable { .. })
        ),
        "{r:?}"
    );

    // a short chain
    let r = judge_chain(&art, &proofs[..n - 1], &statement(None));
    assert!(
        matches!(r, Err(ChainRejection::SegmentCount { expected, found }) if expected == n && found == n - 1),
        "{r:?}"
    );

    // one segment proved alone from the chain's openings (a provider's job) states the chain's commitments
    let openings = chain_witness(&dir, &ChainInput::Values(x.clone()))
        .expect("witness")
        .openings;
    assert!(openings.openings.is_empty() || !openings.openings[0].values.is_empty());
    let file = zkinfer_verifier::openings_file::OpeningsFile::parse(
        &std::fs::read(chain_dir.join("openings.json")).expect("openings"),
        "openings.json",
    )
    .expect("parses");
    let alone = prove_segment(&dir, 2, &ChainInput::Openings(file), &options).expect("segment 2");
    let mut replaced = proofs.clone();
    replaced[2] = alone.proof;
    assert!(judge_chain(&art, &replaced, &statement(None)).is_ok());
    assert!(segment_proof(&chain_dir, n - 1).exists());

    // a manifest that names other settings for a segment, or other tensors at a cut
    let mut art = art;
    let digest = std::mem::replace(
        &mut art.manifest.segments[1].settings_digest,
        "00".repeat(32),
    );
    let r = judge_chain(&art, &proofs, &statement(None));
    assert!(
        matches!(r, Err(ChainRejection::ManifestMismatch { segment: 1, .. })),
        "{r:?}"
    );
    art.manifest.segments[1].settings_digest = digest;
    art.manifest.cuts[0][0].name.push('x');
    let r = judge_chain(&art, &proofs, &statement(None));
    assert!(
        matches!(r, Err(ChainRejection::ManifestMismatch { segment: 0, .. })),
        "{r:?}"
    );
}

#[test]
fn a_max_k_the_model_fits_gives_one_folder_with_unchanged_settings() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = compiled();
    let (split_dir, plain_dir) = (tmp.path().join("split"), tmp.path().join("plain"));
    let opts = CompileOptions::default();
    let s = write_split(whole.clone(), &ModelDir::new(&split_dir), &opts, 20).expect("split");
    assert_eq!(s.segments.len(), 1);
    assert!(!is_segmented(&split_dir));
    let plain = ModelDir::new(&plain_dir)
        .write_compiled(whole.settings.clone(), whole.quant.clone())
        .expect("write");
    assert_eq!(s.segments[0], plain);
    for f in ["settings.json", "model.json"] {
        assert_eq!(
            std::fs::read(split_dir.join(f)).expect("split file"),
            std::fs::read(plain_dir.join(f)).expect("plain file"),
            "{f}"
        );
    }
}
