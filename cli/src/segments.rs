//! The commands on a model split across circuits (`compile --max-k`): a segmented directory's compile,
//! setup, prove (the whole chain, or one segment with `--segment`) and verify (the whole chain).

use crate::commands::{lanes_text, srs_policy, values_and_tables};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::poseidon::fr_to_be_hex;
use zkinfer_circuits::settings::Visibility;
use zkinfer_prover::pipeline::{self, PkStorage, ProveOptions};
use zkinfer_prover::segments::{self as seg, ChainInput, CHAIN_OPENINGS};
use zkinfer_prover::ModelDir;
use zkinfer_verifier::chain::{judge_chain, ChainArtifacts, ChainRejection};
use zkinfer_verifier::instances::ProvedTensor;
use zkinfer_verifier::openings_file::OpeningsFile;
use zkinfer_verifier::{ExpectedInputs, LoadLimits, Statement};

/// `zkinfer compile MODEL --out DIR --max-k K`.
pub fn compile(
    model: &Path,
    out: &Path,
    samples: &[PathBuf],
    opts: &CompileOptions,
    max_k: u32,
) -> Result<ExitCode> {
    let s = seg::compile_split(model, &ModelDir::new(out), samples, opts, max_k)?;
    match s.segments.len() {
        1 => println!(
            "compiled {} -> {}: fits 2^{max_k} rows, one circuit (k = {})",
            model.display(),
            out.display(),
            s.segments[0].k
        ),
        n => println!(
            "compiled {} -> {}: {n} segments of at most 2^{max_k} rows (the unsplit model plans {} rows), \
             linked by Poseidon commitments to the tensors at each cut",
            model.display(),
            out.display(),
            s.rows
        ),
    }
    for (i, st) in s.segments.iter().enumerate() {
        println!(
            "  segment {i}: k = {}, {}, MAC tile {}, {}, {} input(s), {} output(s)",
            st.k,
            values_and_tables(&st.layout),
            st.layout.tile_text(),
            lanes_text(&st.layout),
            st.inputs.len(),
            st.outputs.len()
        );
    }
    match &s.accuracy {
        Some(a) => println!(
            "accuracy on {} calibration sample(s): max |circuit - float| = {:.5} (largest float output {:.4})",
            a.samples, a.max_abs_error, a.max_abs_output
        ),
        None => println!("accuracy: not measured (the segments were quantised again for narrower tables)"),
    }
    Ok(ExitCode::SUCCESS)
}

/// `zkinfer setup DIR` on a segmented directory.
pub fn setup(dir: &Path, srs: Option<&Path>, storage: PkStorage) -> Result<ExitCode> {
    let done = seg::setup_chain(dir, srs, storage)?;
    for (i, s) in done.iter().enumerate() {
        println!(
            "segment {i}: keys written (k = {}, keygen {:.1} ms, vk {} bytes)",
            s.k,
            s.keygen.as_secs_f64() * 1e3,
            s.vk_bytes
        );
    }
    if done.first().is_some_and(|s| s.dev_srs) {
        eprintln!("warning: no --srs given: using a local development SRS; verifiers refuse its proofs unless they pass --allow-dev-srs");
    }
    if let Some(id) = zkinfer_verifier::chain::SegmentsManifest::read(dir)?.chain_id() {
        println!("chain id: {id}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The chain's input from `--input`: an openings file (hashed inputs, or a chain's `openings.json`) or an
/// input file.
fn chain_input(dir: &Path, input: &Path, segment: Option<usize>) -> Result<ChainInput> {
    let bytes = std::fs::read(input).with_context(|| input.display().to_string())?;
    let is_openings = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .is_some_and(|v| v.get("openings").is_some());
    if is_openings {
        return Ok(ChainInput::Openings(OpeningsFile::parse(
            &bytes,
            &input.display().to_string(),
        )?));
    }
    let first = zkinfer_verifier::chain::segment_dir(dir, segment.unwrap_or(0));
    let (settings, _) = ModelDir::new(first).settings()?;
    Ok(ChainInput::Values(pipeline::read_input(input, &settings)?))
}

/// `zkinfer prove DIR --input FILE --proof OUT [--jobs N] [--segment I]` on a segmented directory.
pub fn prove(
    dir: &Path,
    input: &Path,
    proof: &Path,
    options: &ProveOptions,
    jobs: usize,
    segment: Option<usize>,
) -> Result<ExitCode> {
    let chain_in = chain_input(dir, input, segment)?;
    if let Some(i) = segment {
        let p = seg::prove_segment(dir, i, &chain_in, options)?;
        std::fs::write(proof, p.proof.to_json()).with_context(|| proof.display().to_string())?;
        let path = crate::commands::openings_path(proof);
        std::fs::write(&path, p.openings.to_json()).with_context(|| path.display().to_string())?;
        println!(
            "segment {i}: proof written to {} (witness {:.1} ms, proving {:.1} ms); openings of its hashed \
             tensors in {} (the next segment's input)",
            proof.display(),
            p.witness.as_secs_f64() * 1e3,
            p.proving.as_secs_f64() * 1e3,
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let pb = crate::progress::spinner("proving the segments");
    let p = seg::prove_chain(dir, &chain_in, options, jobs);
    pb.finish_and_clear();
    let p = p?;
    seg::write_chain(proof, &p)?;
    for (i, s) in p.segments.iter().enumerate() {
        println!(
            "segment {i}: load {:.1} ms, witness {:.1} ms, proving {:.1} ms, {} bytes",
            s.load.as_secs_f64() * 1e3,
            s.summary.witness.as_secs_f64() * 1e3,
            s.summary.proving.as_secs_f64() * 1e3,
            s.summary.proof_bytes
        );
    }
    println!(
        "chain of {} proofs written to {} (total {:.1} s, {} job(s)){}",
        p.segments.len(),
        proof.display(),
        p.total.as_secs_f64(),
        jobs.max(1),
        match p.witness.openings.openings.is_empty() {
            true => String::new(),
            false => format!(
                "; openings of every hashed tensor in {} (the prover's secret)",
                proof.join(CHAIN_OPENINGS).display()
            ),
        }
    );
    if let Some(last) = p.segments.last() {
        println!(
            "outputs: {}",
            serde_json::to_string(&last.summary.proof.outputs)?
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What `verify` checks a chain against besides the directory's artifacts.
#[derive(Debug)]
pub struct ChainVerifyRequest<'a> {
    /// The first segment's inputs must be these (input file, or openings of hashed inputs).
    pub input: Option<&'a Path>,
    /// The chain id the caller expects.
    pub model_id: Option<String>,
    /// The binding value every segment's proof must carry.
    pub bind: Option<zkinfer_circuits::Fr>,
    /// Accept a development SRS.
    pub allow_dev_srs: bool,
    /// The largest segment circuit loaded.
    pub max_k: u32,
}

/// `zkinfer verify DIR --proof CHAIN` on a segmented directory: exit 0 valid, 1 invalid.
pub fn verify(dir: &Path, chain: &Path, req: &ChainVerifyRequest<'_>) -> Result<ExitCode> {
    let limits = LoadLimits {
        max_k: req.max_k,
        ..LoadLimits::for_this_process()
    };
    let art = ChainArtifacts::load_dir_within(dir, &limits)?;
    let proofs = art.read_proofs(chain)?;
    let first = &art.segments[0].settings;
    let hashed_inputs = first
        .inputs
        .iter()
        .any(|i| i.visibility == Visibility::Hashed);
    let inputs = match req.input {
        Some(path) if hashed_inputs => {
            let file = OpeningsFile::parse(
                &std::fs::read(path).with_context(|| path.display().to_string())?,
                &path.display().to_string(),
            )?;
            let openings = first
                .inputs
                .iter()
                .map(|spec| {
                    file.openings
                        .iter()
                        .find(|o| o.tensor == spec.name)
                        .map(|o| o.opening())
                        .with_context(|| {
                            format!("{}: no opening of input '{}'", path.display(), spec.name)
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            Some(ExpectedInputs::Openings(openings))
        }
        Some(path) => Some(ExpectedInputs::Values(pipeline::read_input(path, first)?)),
        None => None,
    };
    let statement = Statement {
        model_id: req.model_id.clone(),
        inputs,
        bind: req.bind,
        srs: srs_policy(req.allow_dev_srs),
    };
    let t = std::time::Instant::now();
    let verdict = judge_chain(&art, &proofs, &statement);
    let took = t.elapsed();
    match verdict {
        Ok(v) => {
            println!(
                "valid chain of {} segment proofs ({:.1} ms)",
                v.segments.len(),
                took.as_secs_f64() * 1e3
            );
            println!("srs: {}", v.first().srs);
            println!("chain id: {}", v.chain_id);
            let last = &art.segments[art.segments.len() - 1].settings;
            let n_in = last.inputs.len();
            for (spec, t) in last.outputs.iter().zip(v.last().tensors.iter().skip(n_in)) {
                match t {
                    ProvedTensor::Hashed(c) => {
                        println!(
                            "output '{}': hashed, commitment {}",
                            spec.name,
                            fr_to_be_hex(c)
                        )
                    }
                    ProvedTensor::Private => println!("output '{}': private", spec.name),
                    ProvedTensor::Public(_) => {}
                }
            }
            if req.input.is_none() {
                println!("input: not checked: pass --input FILE to check it");
            }
            println!("outputs: {}", serde_json::to_string(&v.last().outputs)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(ChainRejection::Segment {
            segment,
            rejection: r @ zkinfer_verifier::Rejection::Unreadable { .. },
        }) => Err(anyhow::Error::new(r).context(format!("segment {segment}"))),
        Err(r) => {
            println!("INVALID ({}): {r}", r.code());
            Ok(ExitCode::from(1))
        }
    }
}
