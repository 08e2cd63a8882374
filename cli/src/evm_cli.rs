//! `zkinfer export-evm DIR --out DIR2` (the Solidity verifier of a model) and `zkinfer evm calldata|verify`
//! (its calldata for a proof file; a local check in revm). The work is the `zkinfer-evm` library's.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_evm::contracts::proof_file_calldata;
use zkinfer_evm::export::{export, ExportedCode};
use zkinfer_evm::layout::Layout;
use zkinfer_evm::runtime::{address, Chain, MAX_CODE_SIZE, U256};
use zkinfer_evm::solc::Solc;
use zkinfer_verifier::ProofFile;

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
    /// Deploy an exported verifier in a local revm chain and verify a proof: exit 0 accepted, 1 reverted.
    Verify {
        /// The directory `zkinfer export-evm` wrote.
        dir: PathBuf,
        /// The proof file.
        proof: PathBuf,
    },
}

fn calldata(proof: &PathBuf) -> Result<Vec<u8>> {
    let bytes = std::fs::read(proof).with_context(|| proof.display().to_string())?;
    let file = proof.display().to_string();
    let p = ProofFile::parse(&bytes, &file)?;
    Ok(proof_file_calldata(&p, &file)?)
}

impl EvmArgs {
    pub fn run(self) -> Result<ExitCode> {
        match self.cmd {
            EvmCmd::Calldata { proof } => {
                println!("0x{}", hex::encode(calldata(&proof)?));
                Ok(ExitCode::SUCCESS)
            }
            EvmCmd::Verify { dir, proof } => {
                let code = ExportedCode::load(&dir)?;
                let data = calldata(&proof)?;
                let mut chain = if code.manifest.fits_eip170 {
                    Chain::new()
                } else {
                    Chain::new().without_code_size_limit()
                };
                let from = address(0xde9);
                let verifier = code.deploy(&mut chain, from)?;
                let out = chain.call(from, verifier, &data, U256::ZERO)?;
                if out.is_success() {
                    println!("accepted: {} gas", out.gas_used);
                    Ok(ExitCode::SUCCESS)
                } else {
                    println!("reverted: {} gas", out.gas_used);
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
