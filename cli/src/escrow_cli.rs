//! `zkinfer escrow check-listing DIR --verifier EVM_DIR --listing FILE`: what a buyer and a provider run
//! before trusting a `ZkinferEscrow` listing. The checks are `zkinfer_escrow::check`'s.
//!
//! Exit codes: 0 every check passed, 1 a check failed (do not use the listing), 2 unreadable input.

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_escrow::check::{check_listing, Expected, OnChainListing};
use zkinfer_evm::export::ExportedCode;
use zkinfer_verifier::VerifierArtifacts;

/// `zkinfer escrow ...`.
#[derive(Debug, Args)]
pub struct EscrowArgs {
    #[command(subcommand)]
    pub cmd: EscrowCmd,
}

#[derive(Debug, Subcommand)]
pub enum EscrowCmd {
    /// Check an on-chain listing against the model's own files: the verifier's code (and its data
    /// contract's) against `zkinfer export-evm`'s output, the settings digest, the input/output split, the
    /// input ranges and the SRS ceremony. Exit 0: every check passed; 1: do not use the listing; 2:
    /// unreadable input.
    CheckListing(CheckListingArgs),
}

/// `zkinfer escrow check-listing DIR --verifier EVM_DIR --listing FILE [--allow-dev-srs]`.
#[derive(Debug, Args)]
pub struct CheckListingArgs {
    /// The model directory (settings.json, vk.bin, verifier_params.bin) the buyer trusts.
    pub dir: PathBuf,
    /// The directory `zkinfer export-evm` wrote for this model.
    #[arg(long)]
    pub verifier: PathBuf,
    /// The listing as read from the chain, JSON: verifier_codehash, verifier_code, data_code (split
    /// layout), settings_digest, n_inputs, n_outputs, input_ranges (see escrow/README.md).
    #[arg(long)]
    pub listing: PathBuf,
    /// Accept a verifier built on a development SRS (testing only: its proofs prove nothing to others).
    #[arg(long)]
    pub allow_dev_srs: bool,
}

impl EscrowArgs {
    pub fn run(self) -> Result<ExitCode> {
        match self.cmd {
            EscrowCmd::CheckListing(a) => a.run(),
        }
    }
}

impl CheckListingArgs {
    pub fn run(self) -> Result<ExitCode> {
        let art = VerifierArtifacts::load_dir(&self.dir)
            .with_context(|| format!("reading the model in {}", self.dir.display()))?;
        let exported = ExportedCode::load(&self.verifier)
            .with_context(|| format!("reading the export in {}", self.verifier.display()))?;
        let text = std::fs::read_to_string(&self.listing)
            .with_context(|| format!("reading {}", self.listing.display()))?;
        let listing: OnChainListing = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a listing description", self.listing.display()))?;
        let verdict = check_listing(
            &Expected {
                settings: &art.settings,
                model_id: &art.model_id,
                exported: &exported,
                allow_dev_srs: self.allow_dev_srs,
            },
            &listing,
        )?;
        for f in &verdict.findings {
            println!(
                "{} {}: {}",
                if f.ok { "ok  " } else { "FAIL" },
                f.what,
                f.detail
            );
        }
        if verdict.trusted() {
            println!("verdict: the listing is this model's (every check passed)");
            Ok(ExitCode::SUCCESS)
        } else {
            let failed: Vec<&str> = verdict
                .findings
                .iter()
                .filter(|f| !f.ok)
                .map(|f| f.what)
                .collect();
            println!(
                "verdict: DO NOT USE this listing ({} failed: {})",
                failed.len(),
                failed.join("; ")
            );
            Ok(ExitCode::from(1))
        }
    }
}
