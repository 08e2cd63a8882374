//! The `zkinfer` command line: one argument struct and one function per subcommand. Exit codes: 0 success
//! (and a valid proof), 1 an invalid proof, 2 bad or corrupt input of any kind.

use crate::bench::BenchArgs;
use crate::market_cli::MarketArgs;
use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_circuits::compile::CompileOptions;
use zkinfer_circuits::layout::Target;
use zkinfer_circuits::poseidon::fr_to_be_hex;
use zkinfer_circuits::settings::{LaneKind, LimbRows, Visibility};
use zkinfer_prover::{pipeline, Device, ModelDir};
use zkinfer_verifier::instances::ProvedTensor;
use zkinfer_verifier::openings_file::OpeningsFile;
use zkinfer_verifier::{SrsPolicy, TranscriptKind};

#[derive(Debug, Parser)]
#[command(
    name = "zkinfer",
    version = env!("ZKINFER_VERSION"),
    about = "Verifiable inference: compile ONNX models to halo2 circuits, prove and verify inferences"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Compile an ONNX model into a quantised circuit (DIR/settings.json + DIR/model.json).
    Compile(CompileArgs),
    /// Generate the verifying key (and with --store-pk the proving key) of a compiled model.
    Setup(SetupArgs),
    /// Prove one inference.
    Prove(ProveArgs),
    /// Verify a proof: exit 0 valid, 1 invalid, 2 bad or corrupt input.
    Verify(VerifyArgs),
    /// Commit to another weight set of a model compiled with --weights committed.
    CommitWeights(crate::weights_cli::CommitWeightsArgs),
    /// Write a static web folder that verifies this model's proofs in the browser.
    ExportVerifier(ExportArgs),
    /// Measure each stage (witness, keygen, proving by phase, verification) over N proofs.
    Bench(BenchArgs),
    /// Run compile -> setup -> prove -> verify on a bundled model.
    Demo(DemoArgs),
    /// The marketplace: server, audit, client commands and the provider loop (`zkinfer market --help`).
    Market(MarketArgs),
    /// Write the model's Solidity verifier, ABI, bytecode and manifest (sizes, solc, instances, digest).
    ExportEvm(crate::evm_cli::ExportEvmArgs),
    /// EVM helpers: a proof's calldata, a local check of an exported verifier in revm.
    Evm(crate::evm_cli::EvmArgs),
    /// The on-chain escrow: check a listing before trusting it (`zkinfer escrow check-listing --help`).
    Escrow(crate::escrow_cli::EscrowArgs),
}

impl Cmd {
    /// Runs the subcommand.
    pub fn run(self) -> Result<ExitCode> {
        zkinfer_verifier::artifacts::check_environment()?;
        match self {
            Cmd::Compile(a) => a.run(),
            Cmd::Setup(a) => a.run(),
            Cmd::Prove(a) => a.run(),
            Cmd::Verify(a) => a.run(),
            Cmd::CommitWeights(a) => a.run(),
            Cmd::ExportVerifier(a) => a.run(),
            Cmd::Bench(a) => crate::bench::cli(a).map(|_| ExitCode::SUCCESS),
            Cmd::Demo(a) => a.run(),
            Cmd::Market(a) => crate::market_cli::run(a),
            Cmd::ExportEvm(a) => a.run(),
            Cmd::Evm(a) => a.run(),
            Cmd::Escrow(a) => a.run(),
        }
    }
}

/// The compile target (`--target`).
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TargetArg {
    Resources,
    Accuracy,
}

impl From<TargetArg> for Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Resources => Target::Resources,
            TargetArg::Accuracy => Target::Accuracy,
        }
    }
}

/// How a layout stores values: "17-bit values in limbs, lookup table 2^8" (limb lanes) or "10-bit values,
/// lookup tables 2^10" (affine lanes).
pub(crate) fn values_and_tables(l: &zkinfer_circuits::settings::LayoutParams) -> String {
    match l.lane {
        LaneKind::Affine { value_bits: b } => format!("{b}-bit values, lookup tables 2^{b}"),
        LaneKind::Limb { limb_bits: t, .. } => {
            format!("{}-bit values in limbs, lookup table 2^{t}", l.value_bits())
        }
    }
}

/// "1 lane(s)", with how limb lanes place an element: "2 lane(s) (one row per element, the last lane two)".
pub(crate) fn lanes_text(l: &zkinfer_circuits::settings::LayoutParams) -> String {
    let rows = match l.lane {
        LaneKind::Affine { .. } => "",
        LaneKind::Limb { rows, .. } => match rows {
            LimbRows::Two => " (two rows per element)",
            LimbRows::One => " (one row per element)",
            LimbRows::OneLastLaneTwo => " (one row per element, the last lane two)",
        },
    };
    format!("{} lane(s){rows}", l.lanes)
}

/// `zkinfer compile MODEL --out DIR`.
#[derive(Debug, Args)]
pub struct CompileArgs {
    model: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// Calibration inputs ({"input_data": [[...]]}, several samples back to back allowed); repeatable.
    #[arg(long = "sample")]
    samples: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "resources")]
    target: TargetArg,
    /// At least 2^K rows (EZKL's logrows): the lookup tables grow into the extra rows, up to the target's
    /// widest; default: as few rows as the model needs.
    #[arg(long, value_name = "K")]
    logrows: Option<u32>,
    /// Split the model into segments of at most 2^K rows each, each its own circuit, linked by Poseidon
    /// commitments to the tensors at each cut (`DIR/segments.json` + `DIR/segment-<i>/`); a model that fits
    /// 2^K rows stays one circuit.
    #[arg(long, value_name = "K")]
    max_k: Option<u32>,
    /// Keep one table width for every value (affine lanes), even where the model could have limb lanes
    /// (values of 2t + 1 bits through a 2^t-row table): fewer rows per element, less precision.
    #[arg(long)]
    affine_lanes: bool,
    /// Who sees the inputs: public (their values are public instances), hashed (one instance, a Poseidon
    /// commitment to the values under a secret salt; `prove` writes the opening beside the proof) or
    /// private (no instance).
    #[arg(long, default_value = "public", value_name = "public|hashed|private")]
    input_visibility: Visibility,
    /// Who sees the outputs: public, hashed or private (as --input-visibility).
    #[arg(long, default_value = "public", value_name = "public|hashed|private")]
    output_visibility: Visibility,
    /// Where the weights of MatMul and Gemm live: fixed (constants of the circuit, in the verifying key) or
    /// committed (private inputs bound by public Poseidon commitments, DIR/weights.commitment.json; one
    /// verifying key serves every weight set of the architecture, see `zkinfer commit-weights`).
    #[arg(long, default_value = "fixed", value_name = "fixed|committed")]
    weights: zkinfer_circuits::settings::WeightsMode,
}

impl CompileArgs {
    fn run(self) -> Result<ExitCode> {
        if self.samples.is_empty() {
            eprintln!("warning: no --sample given: calibrating on synthetic inputs in [-1, 1]; pass real inputs for real ranges");
        }
        let opts = CompileOptions {
            target: self.target.into(),
            min_k: self.logrows.unwrap_or(0),
            limbs: !self.affine_lanes,
            inputs: self.input_visibility,
            outputs: self.output_visibility,
            weights: self.weights,
            ..CompileOptions::default()
        };
        if let Some(k) = self.max_k {
            return crate::segments::compile(&self.model, &self.out, &self.samples, &opts, k);
        }
        let c =
            pipeline::compile_with(&self.model, &ModelDir::new(&self.out), &self.samples, &opts)?;
        let s = &c.settings;
        println!(
            "compiled {} -> {}: k = {}, {} rows used, {}, MAC tile {}, {}{}, {} public values",
            self.model.display(),
            self.out.display(),
            s.k,
            c.rows,
            values_and_tables(&s.layout),
            s.layout.tile_text(),
            lanes_text(&s.layout),
            match s.layout.dot_pairs {
                0 => String::new(),
                p => format!(", dot tile {p} pairs"),
            },
            s.num_instances()
        );
        let a = &c.accuracy;
        println!(
            "accuracy on {} calibration sample(s): max |circuit - float| = {:.5} (largest float output {:.4}){}",
            a.samples,
            a.max_abs_error,
            a.max_abs_output,
            a.argmax_agree.map(|n| format!(", argmax agreement {n}/{}", a.samples)).unwrap_or_default()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer setup DIR`.
#[derive(Debug, Args)]
pub struct SetupArgs {
    dir: PathBuf,
    /// halo2 KZG params (BN254) of at least the needed size; without it a local development SRS is used.
    #[arg(long)]
    srs: Option<PathBuf>,
    /// Also write the proving key (`pk.bin`: its extended-domain polynomials, hundreds of MB for a CNN).
    /// Without it each prover rebuilds the key from vk.bin when it loads the model, in about the time
    /// reading pk.bin takes.
    #[arg(long)]
    store_pk: bool,
}

impl SetupArgs {
    fn run(self) -> Result<ExitCode> {
        let pb = crate::progress::spinner("generating keys");
        let storage = match self.store_pk {
            true => pipeline::PkStorage::Store,
            false => pipeline::PkStorage::Rebuild,
        };
        if zkinfer_verifier::chain::is_segmented(&self.dir) {
            pb.finish_and_clear();
            return crate::segments::setup(&self.dir, self.srs.as_deref(), storage);
        }
        let s = pipeline::setup_with(&ModelDir::new(&self.dir), self.srs.as_deref(), storage);
        pb.finish_and_clear();
        let s = s?;
        if s.dev_srs {
            eprintln!("warning: no --srs given: using a local development SRS; verifiers refuse its proofs unless they pass --allow-dev-srs (whoever ran setup could forge them)");
        } else {
            match s.ceremony {
                Some(c) => println!("SRS: ceremony {} ({})", c.name, c.source),
                None => eprintln!("warning: the imported SRS is consistent but its [τ]₂ is not one of the pinned public ceremonies (verifier/src/ceremonies.rs): verifiers will refuse its proofs unless they opt in to development params"),
            }
        }
        println!(
            "keys written to {} (k = {}, keygen {:.1} ms, vk {} bytes, {})",
            self.dir.display(),
            s.k,
            s.keygen.as_secs_f64() * 1e3,
            s.vk_bytes,
            match s.pk_bytes {
                Some(n) => format!("pk.bin {n} bytes"),
                None => "the proving key is rebuilt from vk.bin when a prover loads it".into(),
            }
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer prove DIR --input FILE --proof FILE`, or `--proof-dir OUT` for every sample of the file.
#[derive(Debug, Args)]
pub struct ProveArgs {
    dir: PathBuf,
    /// The input file ({"input_data": [[...]]}), or for a model whose inputs are hashed an openings file
    /// (values and salts, as `prove` writes them): the proof then commits to exactly those commitments.
    #[arg(long)]
    input: PathBuf,
    /// Where the proof is written (one inference).
    #[arg(
        long,
        required_unless_present = "proof_dir",
        conflicts_with = "proof_dir"
    )]
    proof: Option<PathBuf>,
    /// Prove every sample of the input file (samples back to back, as EZKL input files hold them) in one
    /// process, the keys loaded once, writing OUT/proof-0.json, OUT/proof-1.json, ...
    #[arg(long, value_name = "OUT")]
    proof_dir: Option<PathBuf>,
    /// With --proof-dir: the ONNX model, to print each proof's output error against the float model.
    #[arg(long, value_name = "MODEL.onnx", requires = "proof_dir")]
    reference: Option<PathBuf>,
    /// Where proofs are computed: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Bind the proof to this value (a BN254 scalar: 0x-prefixed uint256 or 64-digit little-endian hex,
    /// see --help), e.g. a market or escrow job's binding value; the proof then verifies only with it.
    /// Default 0.
    #[arg(long, long_help = crate::evm_cli::BIND_HELP)]
    bind: Option<String>,
    /// The proof's transcript: blake2b (smallest proofs) or evm (Keccak-256, what the generated Solidity
    /// verifier contracts read). The proof file records it; `zkinfer verify` reads both.
    #[arg(long, default_value = "blake2b")]
    transcript: TranscriptKind,
    /// A segmented model (`compile --max-k`): prove this many segments at once (threads; each holds one
    /// segment's keys). --proof names the chain's folder.
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// A segmented model: prove only segment I, its hashed inputs from the --input openings file (the
    /// previous segment's, or a chain's openings.json); --proof names the segment's proof file.
    #[arg(long, value_name = "I")]
    segment: Option<usize>,
    /// Where the openings of hashed inputs and outputs (their values and salts) are written, for whoever
    /// may see them; default: beside the proof, PROOF with `.openings.json` for `.json`.
    #[arg(long, value_name = "FILE", conflicts_with = "proof_dir")]
    openings: Option<PathBuf>,
    /// For a model with committed weights: the weight set's openings (from `zkinfer commit-weights`);
    /// default: DIR/weights.openings.json.
    #[arg(long, value_name = "FILE", conflicts_with = "proof_dir")]
    weights: Option<PathBuf>,
}

/// The openings file at `path`, when it is one (a JSON object with an `openings` field); `None` for an
/// input file.
fn read_openings(path: &std::path::Path) -> Result<Option<OpeningsFile>> {
    let bytes = std::fs::read(path).with_context(|| path.display().to_string())?;
    let is_openings = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .is_some_and(|v| v.get("openings").is_some());
    match is_openings {
        true => Ok(Some(OpeningsFile::parse(
            &bytes,
            &path.display().to_string(),
        )?)),
        false => Ok(None),
    }
}

/// Where the openings of a proof written to `proof` go by default: `x.json` -> `x.openings.json`.
pub fn openings_path(proof: &std::path::Path) -> PathBuf {
    let stem = proof
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "proof".into());
    proof.with_file_name(format!("{stem}.openings.json"))
}

impl ProveArgs {
    fn run(self) -> Result<ExitCode> {
        let bind = match &self.bind {
            None => zkinfer_circuits::Fr::zero(),
            Some(h) => parse_bind(h)?,
        };
        let proof_path = match (&self.proof, &self.proof_dir) {
            (_, Some(out)) => {
                let options = crate::batch::BatchOptions {
                    device: self.device,
                    bind,
                    transcript: self.transcript,
                    reference: self.reference.as_deref(),
                };
                crate::batch::prove_batch(&self.dir, &self.input, out, &options)?;
                return Ok(ExitCode::SUCCESS);
            }
            (Some(p), None) => p.clone(),
            (None, None) => anyhow::bail!("give --proof FILE or --proof-dir OUT"),
        };
        if zkinfer_verifier::chain::is_segmented(&self.dir) {
            let options = pipeline::ProveOptions {
                device: self.device,
                bind,
                transcript: self.transcript,
            };
            return crate::segments::prove(
                &self.dir,
                &self.input,
                &proof_path,
                &options,
                self.jobs,
                self.segment,
            );
        }
        let md = ModelDir::new(&self.dir);
        let (settings, _) = md.settings()?;
        let options = pipeline::ProveOptions {
            device: self.device,
            bind,
            transcript: self.transcript,
        };
        // an openings file (values and salts of hashed inputs, e.g. from the buyer who committed to them)
        // proves exactly those commitments; an input file proves its values under fresh salts
        let opened = read_openings(&self.input)?;
        let inputs = match opened {
            Some(_) => Vec::new(),
            None => pipeline::read_input(&self.input, &settings)?,
        };
        let pb = crate::progress::spinner("proving");
        let p = match &opened {
            Some(file) => pipeline::prove_opened(&md, &file.inputs(), &options),
            None => match &self.weights {
                Some(w) => pipeline::prove_with_weights(&md, &inputs, &options, w),
                None => pipeline::prove_with(&md, &inputs, &options),
            },
        };
        pb.finish_and_clear();
        let p = p?;
        std::fs::write(&proof_path, p.proof.to_json())
            .with_context(|| proof_path.display().to_string())?;
        if !p.openings.openings.is_empty() {
            let path = self.openings.unwrap_or_else(|| openings_path(&proof_path));
            std::fs::write(&path, p.openings.to_json())
                .with_context(|| path.display().to_string())?;
            println!(
                "openings of the hashed tensors written to {} (their values and salts: share it only \
                 with whoever may see them)",
                path.display()
            );
        }
        println!(
            "proof written to {} ({} bytes, {} transcript, witness {:.1} ms, proving {:.1} ms on {})",
            proof_path.display(),
            p.proof_bytes,
            self.transcript,
            p.witness.as_secs_f64() * 1e3,
            p.proving.as_secs_f64() * 1e3,
            p.backend
        );
        println!("outputs: {}", serde_json::to_string(&p.proof.outputs)?);
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer verify DIR --proof FILE [--input FILE] [--model-id ID] [--bind HEX] [--allow-dev-srs]`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    dir: PathBuf,
    #[arg(long)]
    proof: PathBuf,
    /// Also check that the proof is about this input: an input file ({"input_data": ...}), or for a model
    /// with hashed inputs the openings file `prove` wrote (their values and salts).
    #[arg(long)]
    input: Option<PathBuf>,
    /// The model id published by the model's owner: the verdict then also pins the settings, the
    /// verifying key and the SRS to it, whoever handed over the files.
    #[arg(long)]
    model_id: Option<String>,
    /// The binding value the proof must carry (0x-prefixed uint256 or 64-digit little-endian hex, see
    /// --help); without it the proof must be unbound.
    #[arg(long, long_help = crate::evm_cli::BIND_HELP)]
    bind: Option<String>,
    /// Accept a development SRS (made from local randomness by `zkinfer setup` without `--srs`). Its
    /// secret may be known to whoever ran setup, who could then forge any output: never for verdicts
    /// that others rely on.
    #[arg(long)]
    allow_dev_srs: bool,
    /// The largest circuit (log2 of its rows) to load: larger settings are refused before anything is
    /// allocated for them (loading takes about 0.8 KiB per row), as are circuits whose loading would not
    /// fit the memory available (or half of `ulimit -v`). At most 26.
    #[arg(long, default_value_t = zkinfer_verifier::limits::HARD_MAX_K)]
    max_k: u32,
    /// For a model with committed weights: the weights commitment to pin (the model owner's published
    /// weights.commitment.json); default: DIR/weights.commitment.json.
    #[arg(long, value_name = "FILE")]
    weights_commitment: Option<PathBuf>,
}

/// Parses a `--bind` value: a 0x-prefixed big-endian uint256 or 64-digit little-endian hex
/// ([`crate::evm_cli::BIND_HELP`]).
fn parse_bind(h: &str) -> Result<zkinfer_circuits::Fr> {
    crate::evm_cli::parse_bind(h)
}

/// The SRS policy a command asked for.
pub fn srs_policy(allow_dev_srs: bool) -> SrsPolicy {
    if allow_dev_srs {
        SrsPolicy::AllowDevelopment
    } else {
        SrsPolicy::CeremonyOnly
    }
}

impl VerifyArgs {
    fn run(self) -> Result<ExitCode> {
        use zkinfer_verifier::{ExpectedInputs, LoadLimits, Statement, VerifierArtifacts};
        if zkinfer_verifier::chain::is_segmented(&self.dir) {
            let request = crate::segments::ChainVerifyRequest {
                input: self.input.as_deref(),
                model_id: self.model_id.clone(),
                bind: self.bind.as_deref().map(parse_bind).transpose()?,
                allow_dev_srs: self.allow_dev_srs,
                max_k: self.max_k,
            };
            return crate::segments::verify(&self.dir, &self.proof, &request);
        }
        // every file is checked against the limits its settings imply before anything is sized by it
        let limits = LoadLimits {
            max_k: self.max_k,
            ..LoadLimits::for_this_process()
        };
        let art = VerifierArtifacts::load_dir_within(&self.dir, &limits)?;
        let proof = art.read_proof(&self.proof)?;
        let hashed_inputs = art
            .settings
            .data_inputs()
            .iter()
            .any(|i| i.visibility == Visibility::Hashed);
        let inputs = match self.input.as_deref() {
            Some(path) if hashed_inputs => {
                let file = OpeningsFile::read_within(path, &art.settings)?;
                Some(ExpectedInputs::Openings(file.inputs()))
            }
            Some(path) => Some(ExpectedInputs::Values(pipeline::read_input(
                path,
                &art.settings,
            )?)),
            None => None,
        };
        let statement = Statement {
            model_id: self.model_id.clone(),
            inputs,
            bind: self.bind.as_deref().map(parse_bind).transpose()?,
            srs: srs_policy(self.allow_dev_srs),
        };
        let pin =
            pipeline::weights_pin(&self.dir, &art.settings, self.weights_commitment.as_deref())?;
        let t = std::time::Instant::now();
        let v = zkinfer_verifier::judge_pinned(&art, &proof, &statement, pin.as_deref());
        let took = t.elapsed();
        match v {
            Ok(v) => {
                println!("valid ({:.1} ms)", took.as_secs_f64() * 1e3);
                println!("srs: {}", v.srs);
                println!("model: {}", v.model_id);
                let checked = match self.input {
                    Some(_) => "checked against --input",
                    None => "not checked: pass --input FILE to check it",
                };
                let specs: Vec<_> = art
                    .settings
                    .inputs
                    .iter()
                    .chain(&art.settings.outputs)
                    .collect();
                for ((i, t), spec) in v.tensors.iter().enumerate().zip(&specs) {
                    let kind = if spec.role == zkinfer_circuits::settings::TensorRole::Weights {
                        "weights"
                    } else if i < art.settings.inputs.len() {
                        "input"
                    } else {
                        "output"
                    };
                    match t {
                        ProvedTensor::Hashed(c) => println!(
                            "{kind} '{}': hashed, commitment {}{}",
                            spec.name,
                            fr_to_be_hex(c),
                            match (kind, &self.input) {
                                ("input", Some(_)) => " (opened by --input)",
                                ("input", None) => " (pass --input OPENINGS to check it)",
                                // the folder's file is only as trustworthy as whoever handed the folder
                                // over: like the model id, compare it with the owner's published one
                                ("weights", _) => match &self.weights_commitment {
                                    Some(_) => " (pinned by --weights-commitment)",
                                    None => {
                                        " (pinned from DIR/weights.commitment.json: compare it with the \
                                         commitment the model's owner published, or pass \
                                         --weights-commitment)"
                                    }
                                },
                                _ => "",
                            }
                        ),
                        ProvedTensor::Private => println!("{kind} '{}': private", spec.name),
                        ProvedTensor::Public(_) => {}
                    }
                }
                if art
                    .settings
                    .data_inputs()
                    .iter()
                    .all(|i| i.visibility.is_public())
                {
                    println!(
                        "input: sha256 {} ({checked}; SHA-256 of \"zkinfer-input/v1\", then per input its \
                         element count as u64 LE and its stored fixed-point integers as i64 LE, row-major)",
                        v.input_digest()
                    );
                }
                println!("outputs: {}", serde_json::to_string(&v.outputs)?);
                Ok(ExitCode::SUCCESS)
            }
            // a proof field that cannot be read at all is a malformed file (exit 2), not a verdict
            Err(r @ zkinfer_verifier::Rejection::Unreadable { .. }) => {
                Err(anyhow::Error::new(r).context(self.proof.display().to_string()))
            }
            Err(r) => {
                println!("INVALID: {r}");
                if matches!(r, zkinfer_verifier::Rejection::DevelopmentParams { .. }) {
                    println!(
                        "(pass --allow-dev-srs to accept a development SRS, for development only)"
                    );
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}

/// `zkinfer export-verifier DIR --out WEBDIR`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    dir: PathBuf,
    #[arg(long)]
    out: PathBuf,
    /// The built WASM verifier (scripts/build-wasm.sh); defaults to wasm-verifier/pkg of this source tree.
    #[arg(long)]
    wasm_dir: Option<PathBuf>,
}

impl ExportArgs {
    fn run(self) -> Result<ExitCode> {
        let wasm = self
            .wasm_dir
            .unwrap_or_else(crate::export::default_wasm_dir);
        let files = crate::export::export_verifier(&self.dir, &self.out, &wasm)?;
        println!(
            "verification page for {} written to {} ({} files); serve it with any static server",
            self.dir.display(),
            self.out.display(),
            files.len()
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// `zkinfer demo [--model NAME]`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[arg(long, default_value = "digits_mlp")]
    model: String,
    #[arg(long)]
    models_dir: Option<PathBuf>,
    #[arg(long, default_value = "out/demo")]
    out: PathBuf,
    /// Where proofs are computed: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: Device,
}

impl DemoArgs {
    fn run(self) -> Result<ExitCode> {
        let models = self
            .models_dir
            .unwrap_or_else(crate::demo::default_models_dir);
        if crate::demo::run(&models, &self.model, &self.out, self.device)? {
            Ok(ExitCode::SUCCESS)
        } else {
            Ok(ExitCode::from(1))
        }
    }
}
