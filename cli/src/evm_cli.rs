//! `zkinfer export-evm DIR --out DIR2` (the Solidity verifier of a model) and `zkinfer evm calldata|verify`
//! (its calldata for a proof file; the statement checked as `zkinfer verify` does, then the contract run in
//! a local revm chain). The work is the `zkinfer-evm` and `zkinfer-verifier` libraries'.

use anyhow::{anyhow, bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zkinfer_evm::contracts::proof_file_calldata;
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::generate::encode_calldata;
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Chain, MAX_CODE_SIZE, U256};
use zkinfer_evm::scalar_hex::{fr_to_uint256_hex, parse_scalar};
use zkinfer_evm::solc::Solc;
use zkinfer_verifier::instances::instance_vector;
use zkinfer_verifier::{
    judge, ExpectedInputs, LoadLimits, ProofFile, Rejection, Statement, Verified, VerifierArtifacts,
};

/// `zkinfer export-evm DIR --out DIR2`.
#[derive(Debug, Args)]
pub struct ExportEvmArgs {
    /// The model directory (settings.json, vk.bin, verifier_params.bin).
    pub dir: PathBuf,
    /// Where to write the contracts, ABI, bytecode and manifest.
    #[arg(long)]
    pub out: PathBuf,
    /// The layout: inline (one contract) or split (verifier + data contract). Default: inline when it fits
    /// EIP-170's 24,576 bytes (less gas), else split.
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// Write the files even when a contract is over EIP-170's limit (deployable only where the limit is lifted).
    #[arg(long)]
    pub allow_oversize: bool,
}

/// `--layout`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LayoutArg {
    Inline,
    Split,
}

impl ExportEvmArgs {
    pub fn run(self) -> Result<ExitCode> {
        let solc = Solc::locate()?;
        let layout = self.layout.map(|l| match l {
            LayoutArg::Inline => Layout::Inline,
            LayoutArg::Split => Layout::Split,
        });
        let e = export(&self.dir, &self.out, layout, &solc)?;
        let m = &e.manifest;
        println!(
            "verifier ({} layout, solc {}): {} bytes deployed (limit {MAX_CODE_SIZE})",
            m.layout.name(),
            m.solc_version,
            m.verifier.deployed_bytes
        );
        if let Some(d) = &m.data {
            println!("data contract: {} bytes deployed", d.deployed_bytes);
        }
        println!(
            "{} public instances, settings digest {}, SRS: {}",
            m.num_instances,
            m.settings_digest,
            m.ceremony
                .as_deref()
                .unwrap_or("development (not a ceremony: its proofs prove nothing to others)")
        );
        for f in &e.files {
            println!("wrote {}", f.display());
        }
        if !m.fits_eip170 {
            let msg = "over EIP-170's 24,576-byte limit: not deployable on Ethereum or its L2s \
                       (the verifier grows with the circuit's columns: a model compiled with more rows, \
                       `zkinfer compile --logrows`, has fewer)";
            if self.allow_oversize {
                eprintln!("warning: {msg}");
            } else {
                bail!("{msg} (the files are written; --allow-oversize to accept)");
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// How `--bind` is written, for every command that takes it.
pub const BIND_HELP: &str = "The binding value: either the uint256 as the EVM, the escrow's JobClaimed event and \
block explorers print it (0x followed by 1 to 64 hex digits, big-endian, e.g. 0x5eed), or the field element's \
little-endian hex as proof files and the market write it (exactly 64 hex digits, no 0x). Below r; anything \
else is refused";

/// Parses a `--bind` value (either form of [`BIND_HELP`]).
pub fn parse_bind(text: &str) -> Result<zkinfer_circuits::Fr> {
    parse_scalar(text).map_err(|e| anyhow!("--bind: {e}"))
}

/// `zkinfer evm ...`.
#[derive(Debug, Args)]
pub struct EvmArgs {
    #[command(subcommand)]
    pub cmd: EvmCmd,
}

#[derive(Debug, Subcommand)]
pub enum EvmCmd {
    /// Print the verifier's calldata for a proof file (hex): instances as 32-byte words, then the proof.
    Calldata {
        /// The proof file (made with the EVM transcript).
        proof: PathBuf,
    },
    /// Check a proof file's statement as `zkinfer verify` does (model id, SRS, inputs, outputs, binding
    /// value), then deploy the exported verifier in a local revm chain and call it with the statement's
    /// instances: exit 0 when both accept, 1 when either refuses, 2 on unreadable files.
    Verify(EvmVerifyArgs),
}

/// `zkinfer evm verify DIR --verifier EVM_DIR --proof FILE [--input FILE] [--model-id ID] [--bind HEX]
/// [--allow-dev-srs]`.
#[derive(Debug, Args)]
pub struct EvmVerifyArgs {
    /// The model directory (settings.json, vk.bin, verifier_params.bin), as for `zkinfer verify`.
    pub dir: PathBuf,
    /// The directory `zkinfer export-evm` wrote for this model.
    #[arg(long)]
    pub verifier: PathBuf,
    /// The proof file (made with `zkinfer prove --transcript evm`).
    #[arg(long)]
    pub proof: PathBuf,
    /// Also check that the proof is about this input.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// The model id published by the model's owner.
    #[arg(long)]
    pub model_id: Option<String>,
    #[arg(long, long_help = BIND_HELP)]
    /// The binding value the proof must carry (0x-prefixed uint256 or 64-digit little-endian hex; see
    /// --help); without it the proof must be unbound.
    pub bind: Option<String>,
    /// Accept a development SRS (see `zkinfer verify --help`).
    #[arg(long)]
    pub allow_dev_srs: bool,
}

fn calldata(proof: &PathBuf) -> Result<Vec<u8>> {
    let bytes = std::fs::read(proof).with_context(|| proof.display().to_string())?;
    let file = proof.display().to_string();
    let p = ProofFile::parse(&bytes, &file)?;
    Ok(proof_file_calldata(&p, &file)?)
}

/// The exported verifier must be this model's: same model id and settings digest.
fn check_export_matches(code: &ExportedCode, art: &VerifierArtifacts, dir: &Path) -> Result<()> {
    let m = &code.manifest;
    if m.model_id != art.model_id {
        bail!(
            "{}: the exported verifier is for model {}, the model directory is {}",
            dir.display(),
            m.model_id,
            art.model_id
        );
    }
    let digest = zkinfer_circuits::field::fr_to_hex(&art.settings.digest());
    if m.settings_digest != digest || m.num_instances != art.settings.num_instances() {
        bail!(
            "{}: the exported verifier's settings digest {} / {} instances do not match the model's {digest} / {}",
            dir.display(),
            m.settings_digest,
            m.num_instances,
            art.settings.num_instances()
        );
    }
    Ok(())
}

impl EvmVerifyArgs {
    /// The statement check (`judge`), then the contract.
    fn run(self) -> Result<ExitCode> {
        // loaded as `zkinfer verify` loads: within the limits this process can afford
        let art = VerifierArtifacts::load_dir_within(&self.dir, &LoadLimits::for_this_process())?;
        let code = ExportedCode::load(&self.verifier)?;
        check_export_matches(&code, &art, &self.verifier)?;
        let file = self.proof.display().to_string();
        let p = art.read_proof(&self.proof)?;
        let inputs = match &self.input {
            Some(path) => Some(ExpectedInputs::Values(
                zkinfer_prover::pipeline::read_input(path, &art.settings)?,
            )),
            None => None,
        };
        let statement = Statement {
            model_id: self.model_id.clone(),
            inputs,
            bind: self.bind.as_deref().map(parse_bind).transpose()?,
            srs: crate::commands::srs_policy(self.allow_dev_srs),
        };
        let v: Verified = match judge(&art, &p, &statement) {
            Ok(v) => v,
            Err(r @ Rejection::Unreadable { .. }) => {
                return Err(anyhow::Error::new(r).context(file));
            }
            Err(r) => {
                println!("INVALID: {r} (the contract was not called)");
                if matches!(r, Rejection::DevelopmentParams { .. }) {
                    println!(
                        "(pass --allow-dev-srs to accept a development SRS, for development only)"
                    );
                }
                return Ok(ExitCode::from(1));
            }
        };
        // the contract is called with the instances of the statement just checked, rebuilt from the integers
        let instances = instance_vector(&art.settings, &v.inputs_q, &v.outputs_q, v.bind)?;
        let proof = p.proof_bytes(&file)?;
        let mut chain = if code.manifest.fits_eip170 {
            Chain::new()
        } else {
            Chain::new().without_code_size_limit()
        };
        let from = address(0xde9);
        let verifier = code.deploy(&mut chain, from)?;
        let out = chain.call(
            from,
            verifier,
            &encode_calldata(&instances, &proof),
            U256::ZERO,
        )?;
        if !out.is_success() {
            println!(
                "INVALID: the verifier contract reverted ({} gas), though the native verifier accepted the proof",
                out.gas_used
            );
            return Ok(ExitCode::from(1));
        }
        println!(
            "valid: the statement checks and the verifier contract accept ({} layout, {} gas)",
            code.manifest.layout.name(),
            out.gas_used
        );
        println!("srs: {}", v.srs);
        println!("model: {}", v.model_id);
        println!("bind: {} (uint256)", fr_to_uint256_hex(&v.bind));
        println!("outputs: {}", serde_json::to_string(&v.outputs)?);
        Ok(ExitCode::SUCCESS)
    }
}

impl EvmArgs {
    pub fn run(self) -> Result<ExitCode> {
        match self.cmd {
            EvmCmd::Calldata { proof } => {
                println!("0x{}", hex::encode(calldata(&proof)?));
                Ok(ExitCode::SUCCESS)
            }
            EvmCmd::Verify(args) => args.run(),
        }
    }
}
