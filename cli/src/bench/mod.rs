//! `zkinfer bench`: compiles a model (calibrating on the given input), makes its keys, then proves and
//! verifies N inferences, timing every stage, splitting proving into its phases ([`phases`]) and taking
//! each stage's peak memory ([`memory`]).
//!
//! Stages: `compile` (ONNX -> circuit, calibration and accuracy check), `srs` (load the cached development
//! SRS or the `--srs` file, or generate it on first use), `keygen_vk`, `keygen_pk`, then per proof
//! `witness` (zkinfer's witness generator), `prove` (halo2 `create_proof` with the proving key in memory)
//! and `verify` (halo2 `verify_proof` through the verifier crate). Compile, srs and keygen run once.

pub mod memory;
pub mod phases;
pub mod report;

use anyhow::{bail, Context, Result};
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_proofs::plonk::{keygen_pk, keygen_vk, ProvingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use memory::PeakMemory;
use report::{
    AccuracySummary, BenchReport, CircuitReport, Machine, PhaseReport, StageReport, Stats,
    REPORT_VERSION,
};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness;
use zkinfer_prover::pipeline;
use zkinfer_prover::ModelDir;
use zkinfer_prover::{backend_for, Device};
use zkinfer_verifier::artifacts::{write_vk, VerifierArtifacts, VerifierParams};

/// `zkinfer bench` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// The input to prove ({"input_data": [[...]]}); also the calibration sample unless --sample is given.
    #[arg(long)]
    pub input: PathBuf,
    /// Calibration inputs instead of --input (repeatable).
    #[arg(long = "sample")]
    pub samples: Vec<PathBuf>,
    /// Where proofs are computed: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    pub device: Device,
    /// Number of proofs (witness, prove and verify each run this many times).
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Write the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "resources")]
    pub target: BenchTarget,
    /// halo2 KZG params to use instead of the local development SRS.
    #[arg(long)]
    pub srs: Option<PathBuf>,
    /// Keep the compiled model and keys in this directory (default: a temporary one, removed afterwards).
    #[arg(long)]
    pub keep: Option<PathBuf>,
    /// At least 2^K rows (as `zkinfer compile --logrows`): pins the circuit size, e.g. for a size sweep.
    #[arg(long, value_name = "K")]
    pub logrows: Option<u32>,
    /// As `zkinfer compile --affine-lanes`: one table width for every value, no limb lanes.
    #[arg(long)]
    pub affine_lanes: bool,
    /// As `zkinfer compile --input-visibility`: public, hashed or private inputs.
    #[arg(long, default_value = "public", value_name = "public|hashed|private")]
    pub input_visibility: zkinfer_circuits::settings::Visibility,
    /// As `zkinfer compile --output-visibility`.
    #[arg(long, default_value = "public", value_name = "public|hashed|private")]
    pub output_visibility: zkinfer_circuits::settings::Visibility,
    /// As `zkinfer compile --weights`: fixed or committed weights.
    #[arg(long, default_value = "fixed", value_name = "fixed|committed")]
    pub weights: zkinfer_circuits::settings::WeightsMode,
}

impl BenchArgs {
    /// The compile options these arguments ask for (as `zkinfer compile`'s).
    fn compile_options(&self) -> CompileOptions {
        CompileOptions {
            target: match self.target {
                BenchTarget::Resources => Target::Resources,
                BenchTarget::Accuracy => Target::Accuracy,
            },
            min_k: self.logrows.unwrap_or(0),
            limbs: !self.affine_lanes,
            inputs: self.input_visibility,
            outputs: self.output_visibility,
            weights: self.weights,
            ..CompileOptions::default()
        }
    }
}

/// The compile target (`--target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BenchTarget {
    Resources,
    Accuracy,
}

/// Runs the bench and prints its table; writes JSON with `--json`.
pub fn cli(args: BenchArgs) -> Result<BenchReport> {
    let pb = crate::progress::spinner("bench");
    let r = run(&args, |m| pb.set_message(m.to_string()));
    pb.finish_and_clear();
    let r = r?;
    print!("{}", r.markdown());
    if let Some(path) = &args.json {
        let s = serde_json::to_string_pretty(&r)?;
        std::fs::write(path, s + "\n").with_context(|| path.display().to_string())?;
    }
    Ok(r)
}

/// Runs the bench in `--keep` or a temporary directory (removed afterwards).
pub fn run(a: &BenchArgs, progress: impl FnMut(&str)) -> Result<BenchReport> {
    if a.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let dir = a.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("zkinfer-bench-{}", std::process::id()))
    });
    let r = run_in(a, &ModelDir::new(&dir), progress);
    if a.keep.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    r
}

/// Times of one stage across its runs, and its largest peak.
struct Stage {
    name: &'static str,
    what: &'static str,
    times: Vec<Duration>,
    peak: Option<u64>,
}

impl Stage {
    fn new(name: &'static str, what: &'static str) -> Self {
        Self {
            name,
            what,
            times: vec![],
            peak: None,
        }
    }

    /// Runs `f` as one run of this stage.
    fn time<T>(&mut self, mem: &PeakMemory, f: impl FnOnce() -> Result<T>) -> Result<T> {
        mem.start();
        let t = Instant::now();
        let r = f()?;
        self.times.push(t.elapsed());
        self.peak = self.peak.max(mem.peak_bytes());
        Ok(r)
    }

    /// Records a run timed elsewhere (the stage's own clock), with the peak since `mem.start()`.
    fn record(&mut self, mem: &PeakMemory, took: Duration) {
        self.times.push(took);
        self.peak = self.peak.max(mem.peak_bytes());
    }

    fn report(&self) -> StageReport {
        StageReport {
            name: self.name.into(),
            what: self.what.into(),
            time: Stats::of(&self.times),
            peak_memory_bytes: self.peak,
        }
    }
}

/// The timed stages of a bench run.
struct Stages {
    compile: Stage,
    srs: Stage,
    kvk: Stage,
    kpk: Stage,
    wit: Stage,
    prove: Stage,
    verify: Stage,
}

impl Stages {
    fn new() -> Self {
        Self {
            compile: Stage::new(
                "compile",
                "ONNX -> circuit: lowering, calibration, layout, accuracy check",
            ),
            srs: Stage::new(
                "srs",
                "load (or on first use generate) the KZG params for k",
            ),
            kvk: Stage::new("keygen_vk", "verifying key (fixed-column commitments)"),
            kpk: Stage::new(
                "keygen_pk",
                "proving key (fixed and permutation polynomials, cosets)",
            ),
            wit: Stage::new(
                "witness",
                "witness generation (quantised inference, every cell)",
            ),
            prove: Stage::new("prove", "halo2 create_proof, proving key in memory"),
            verify: Stage::new("verify", "halo2 verify_proof with the verifying key"),
        }
    }

    fn reports(&self) -> Vec<StageReport> {
        [
            &self.compile,
            &self.srs,
            &self.kvk,
            &self.kpk,
            &self.wit,
            &self.prove,
            &self.verify,
        ]
        .iter()
        .map(|s| s.report())
        .collect()
    }
}

/// What the proof runs of a bench measured besides the stage times.
struct ProofRuns {
    /// Each run's proving phases (CPU only).
    phases: Option<Vec<Vec<Duration>>>,
    proof_bytes: usize,
}

/// The bench's `repeat` proofs: witness, proof (phase by phase on the CPU) and verification of each.
#[allow(clippy::too_many_arguments)]
fn prove_runs(
    a: &BenchArgs,
    st: &mut Stages,
    mem: &PeakMemory,
    keys: (&ParamsKZG<Bn256>, &ProvingKey<G1Affine>),
    model: &Arc<CompiledModel>,
    settings: &Settings,
    inputs: &[Vec<f64>],
    art: &VerifierArtifacts,
    progress: &mut impl FnMut(&str),
) -> Result<ProofRuns> {
    let (params, pk) = keys;
    let backend = match a.device {
        Device::Cpu => None,
        d => Some(backend_for(d)?),
    };
    let mut phase_runs: Vec<Vec<Duration>> = vec![];
    let mut phases_ok = backend.is_none();
    let mut proof_bytes = 0;
    for i in 0..a.repeat {
        progress(&format!("proof {}/{}", i + 1, a.repeat));
        let w = st.wit.time(mem, || {
            Ok(witness::generate(&model.quant, &model.plan, inputs)?)
        })?;
        let circuit = ModelCircuit::with_witness(settings.clone(), model.clone(), Arc::new(w));
        let instances = circuit.instances();
        mem.start();
        let proof = match &backend {
            None => {
                let p = phases::prove_phased(params, pk, circuit, &instances)?;
                st.prove.record(mem, p.total);
                match p.phases {
                    Some(ph) => phase_runs.push(ph),
                    None => phases_ok = false,
                }
                p.proof
            }
            Some(b) => {
                let t = Instant::now();
                let p = b.prove(params, pk, circuit, &instances)?;
                st.prove.record(mem, t.elapsed());
                p
            }
        };
        proof_bytes = proof.len();
        st.verify.time(mem, || {
            art.verify_instances(
                &proof,
                &instances,
                zkinfer_verifier::TranscriptKind::Blake2b,
            )
            .map_err(|e| anyhow::anyhow!("verification of a bench proof failed: {e}"))
        })?;
    }
    Ok(ProofRuns {
        phases: (phases_ok && !phase_runs.is_empty()).then_some(phase_runs),
        proof_bytes,
    })
}

fn run_in(a: &BenchArgs, md: &ModelDir, mut progress: impl FnMut(&str)) -> Result<BenchReport> {
    let mem = PeakMemory::probe();
    let mut st = Stages::new();
    let samples = if a.samples.is_empty() {
        vec![a.input.clone()]
    } else {
        a.samples.clone()
    };
    progress("compiling");
    let summary = st.compile.time(&mem, || {
        Ok(pipeline::compile_with(
            &a.model,
            md,
            &samples,
            &a.compile_options(),
        )?)
    })?;
    let (settings, settings_bytes) = md.settings()?;
    let model = Arc::new(md.compiled_model(&settings)?);
    let mut inputs = pipeline::read_input(&a.input, &settings)?;
    if settings.has_committed_weights() {
        // committed weights: the compiled weight set, from its openings
        let weights = md.weights_openings(&settings, None)?;
        inputs.extend(zkinfer_prover::weights::dequantised(&settings, &weights));
    }

    progress("srs");
    let (params, dev_srs) = st.srs.time(&mem, || {
        Ok(zkinfer_prover::srs::params_for(
            settings.k,
            a.srs.as_deref(),
        )?)
    })?;
    progress("keygen");
    let kc = ModelCircuit::for_keygen(settings.clone(), model.clone());
    let vk = st.kvk.time(&mem, || {
        keygen_vk(&params, &kc).context("halo2 verifying key generation failed")
    })?;
    let pk = st.kpk.time(&mem, || {
        keygen_pk(&params, vk.clone(), &kc).context("halo2 proving key generation failed")
    })?;
    drop(kc);
    let vk_bytes = write_vk(&vk, &settings_bytes);
    md.write_vk(&vk_bytes)?;
    md.write_verifier_params(&VerifierParams::from_full(&params).to_bytes())?;
    let art = VerifierArtifacts::load_dir(&md.path)?;

    let runs = prove_runs(
        a,
        &mut st,
        &mem,
        (&params, &pk),
        &model,
        &settings,
        &inputs,
        &art,
        &mut progress,
    )?;
    let stage_reports = st.reports();
    let prove_median = Stats::of(&st.prove.times).median_ms;
    let prove_phases = runs
        .phases
        .as_deref()
        .map(|r| phase_reports(r, prove_median));
    let per_proof: Vec<Duration> = st
        .wit
        .times
        .iter()
        .zip(&st.prove.times)
        .map(|(w, p)| *w + *p)
        .collect();
    let per_proof_ms = Stats::of(&per_proof).median_ms;
    Ok(BenchReport {
        version: REPORT_VERSION,
        model: a.model.display().to_string(),
        input: a.input.display().to_string(),
        device: a.device.to_string(),
        target: format!("{:?}", a.target).to_lowercase(),
        repeat: a.repeat,
        machine: Machine::this(),
        circuit: circuit_report(&settings, summary.rows, pk.get_vk().cs()),
        accuracy: AccuracySummary {
            samples: summary.accuracy.samples,
            max_abs_error: summary.accuracy.max_abs_error,
            max_abs_output: summary.accuracy.max_abs_output,
        },
        proof_bytes: runs.proof_bytes,
        vk_bytes: vk_bytes.len(),
        dev_srs,
        peak_memory_bytes: stage_reports
            .iter()
            .filter_map(|s| s.peak_memory_bytes)
            .max(),
        stages: stage_reports,
        prove_phases,
        proofs_per_minute: if per_proof_ms > 0.0 {
            60_000.0 / per_proof_ms
        } else {
            0.0
        },
        memory_method: mem.method().into(),
        verified: true,
    })
}

/// The median time of each proving phase over the runs, and its share of the median proof.
fn phase_reports(phase_runs: &[Vec<Duration>], prove_median: f64) -> Vec<PhaseReport> {
    phases::PHASES
        .iter()
        .enumerate()
        .map(|(j, (name, what))| {
            let ds: Vec<Duration> = phase_runs.iter().map(|r| r[j]).collect();
            let time = Stats::of(&ds);
            PhaseReport {
                name: (*name).into(),
                what: (*what).into(),
                share_of_prove: if prove_median > 0.0 {
                    time.median_ms / prove_median
                } else {
                    0.0
                },
                time,
            }
        })
        .collect()
}

/// The circuit's size and shape, from its settings and constraint system.
fn circuit_report(
    settings: &Settings,
    rows_used: usize,
    cs: &halo2_proofs::plonk::ConstraintSystem<zkinfer_circuits::Fr>,
) -> CircuitReport {
    let l = &settings.layout;
    CircuitReport {
        k: settings.k,
        rows_used,
        advice_columns: cs.num_advice_columns(),
        fixed_columns: cs.num_fixed_columns(),
        selectors: cs.num_selectors(),
        instance_columns: cs.num_instance_columns(),
        lookups: cs.lookups().len(),
        permutation_columns: cs.permutation().get_columns().len(),
        degree: cs.degree(),
        public_values: settings.num_instances(),
        lookup_bits: l.value_bits(),
        tile: l.tile_text(),
        lanes: l.lanes,
        commitment_rows: zkinfer_circuits::circuit::commitments_rows(&settings.instance_layout()),
    }
}
