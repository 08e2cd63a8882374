//! The `zkinfer` command. Exit codes: 0 success (and a valid proof), 1 an invalid proof, 2 bad or
//! corrupt input of any kind.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_circuits::layout::Target;
use zkinfer_prover::{pipeline, Device, ModelDir};

mod market_cli;

#[derive(Parser)]
#[command(
    name = "zkinfer",
    version,
    about = "Verifiable inference: compile ONNX models to halo2 circuits, prove and verify inferences"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Compile an ONNX model into a quantised circuit (DIR/settings.json + DIR/model.json).
    Compile {
        model: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Calibration inputs ({"input_data": [[...]]}, several samples back to back allowed); repeatable.
        #[arg(long = "sample")]
        samples: Vec<PathBuf>,
        #[arg(long, value_enum, default_value = "resources")]
        target: TargetArg,
    },
    /// Generate the proving and verifying keys of a compiled model.
    Setup {
        dir: PathBuf,
        /// halo2 KZG params (BN254) of at least the needed size; without it a local development SRS is used.
        #[arg(long)]
        srs: Option<PathBuf>,
    },
    /// Prove one inference.
    Prove {
        dir: PathBuf,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        proof: PathBuf,
        #[arg(long, value_enum, default_value = "cpu")]
        device: Device,
        /// Bind the proof to this value (64 hex digits, a BN254 scalar), e.g. a market job's binding hash;
        /// the proof then verifies only with it. Default 0.
        #[arg(long)]
        bind: Option<String>,
    },
    /// Verify a proof: exit 0 valid, 1 invalid, 2 bad or corrupt input.
    Verify {
        dir: PathBuf,
        #[arg(long)]
        proof: PathBuf,
        /// Also check that the proof is about this input.
        #[arg(long)]
        input: Option<PathBuf>,
    },
    /// Write a static web folder that verifies this model's proofs in the browser.
    ExportVerifier {
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// The built WASM verifier (scripts/build-wasm.sh); defaults to wasm-verifier/pkg of this source tree.
        #[arg(long)]
        wasm_dir: Option<PathBuf>,
    },
    /// Measure each stage (witness, keygen, proving by phase, verification) over N proofs.
    Bench(zkinfer_prover::bench::BenchArgs),
    /// Run compile -> setup -> prove -> verify on a bundled model.
    Demo {
        #[arg(long, default_value = "digits_mlp")]
        model: String,
        #[arg(long)]
        models_dir: Option<PathBuf>,
        #[arg(long, default_value = "out/demo")]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "cpu")]
        device: Device,
    },
    /// The marketplace: server, audit, client commands and the provider loop (`zkinfer market --help`).
    Market(market_cli::MarketArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TargetArg {
    Resources,
    Accuracy,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.cmd) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cmd: Cmd) -> Result<ExitCode> {
    zkinfer_verifier::artifacts::check_environment()?;
    match cmd {
        Cmd::Market(args) => return market_cli::run(args),
        Cmd::Compile {
            model,
            out,
            samples,
            target,
        } => {
            let target = match target {
                TargetArg::Resources => Target::Resources,
                TargetArg::Accuracy => Target::Accuracy,
            };
            if samples.is_empty() {
                eprintln!("warning: no --sample given: calibrating on synthetic inputs in [-1, 1]; pass real inputs for real ranges");
            }
            let c = pipeline::compile(&model, &ModelDir::new(&out), &samples, target)?;
            let s = &c.settings;
            println!(
                "compiled {} -> {}: k = {}, {} rows used, lookup tables 2^{}, MAC tile {}x{}, {} lane(s), {} public values",
                model.display(),
                out.display(),
                s.k,
                c.rows,
                s.layout.lookup_bits,
                s.layout.tile_inputs,
                s.layout.tile_outputs,
                s.layout.lanes,
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
        }
        Cmd::Setup { dir, srs } => {
            let pb = zkinfer_prover::progress::spinner("generating keys");
            let s = pipeline::setup(&ModelDir::new(&dir), srs.as_deref());
            pb.finish_and_clear();
            let s = s?;
            if s.dev_srs {
                eprintln!("warning: no --srs given: using a local development SRS; proofs are only as trustworthy as this machine");
            }
            println!(
                "keys written to {} (k = {}, keygen {:.1} ms, vk {} bytes)",
                dir.display(),
                s.k,
                s.keygen.as_secs_f64() * 1e3,
                s.vk_bytes
            );
        }
        Cmd::Prove {
            dir,
            input,
            proof,
            device,
            bind,
        } => {
            let md = ModelDir::new(&dir);
            let (settings, _) = md.settings()?;
            let inputs = pipeline::read_input(&input, &settings)?;
            let bind = match bind {
                None => zkinfer_circuits::Fr::zero(),
                Some(h) => zkinfer_circuits::field::fr_from_hex(&h).ok_or_else(|| {
                    anyhow::anyhow!("--bind: '{h}' is not 64 hex digits of a BN254 scalar")
                })?,
            };
            let pb = zkinfer_prover::progress::spinner("proving");
            let p = pipeline::prove_bound(&md, &inputs, device, bind);
            pb.finish_and_clear();
            let p = p?;
            std::fs::write(&proof, p.proof.to_json())
                .map_err(|e| anyhow::anyhow!("{}: {e}", proof.display()))?;
            println!(
                "proof written to {} ({} bytes, witness {:.1} ms, proving {:.1} ms on {})",
                proof.display(),
                p.proof_bytes,
                p.witness.as_secs_f64() * 1e3,
                p.proving.as_secs_f64() * 1e3,
                p.backend
            );
            println!("outputs: {}", serde_json::to_string(&p.proof.outputs)?);
        }
        Cmd::Verify { dir, proof, input } => {
            let (v, took) = pipeline::verify(&dir, &proof, input.as_deref())?;
            if v.valid {
                println!("valid ({:.1} ms)", took.as_secs_f64() * 1e3);
                println!("outputs: {}", serde_json::to_string(&v.outputs)?);
            } else {
                println!("INVALID: {}", v.reason.unwrap_or_default());
                return Ok(ExitCode::from(1));
            }
        }
        Cmd::ExportVerifier { dir, out, wasm_dir } => {
            let wasm = wasm_dir.unwrap_or_else(zkinfer_prover::export::default_wasm_dir);
            let files = zkinfer_prover::export::export_verifier(&dir, &out, &wasm)?;
            println!(
                "verification page for {} written to {} ({} files); serve it with any static server",
                dir.display(),
                out.display(),
                files.len()
            );
        }
        Cmd::Bench(args) => {
            zkinfer_prover::bench::cli(args)?;
        }
        Cmd::Demo {
            model,
            models_dir,
            out,
            device,
        } => {
            let models = models_dir.unwrap_or_else(zkinfer_prover::demo::default_models_dir);
            if !zkinfer_prover::demo::run(&models, &model, &out, device)? {
                return Ok(ExitCode::from(1));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
