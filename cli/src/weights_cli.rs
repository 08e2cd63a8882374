//! `zkinfer commit-weights OTHER.onnx --model-dir DIR --out PREFIX`: the openings and commitments of another
//! weight set of a model compiled with `--weights committed` (same architecture, other weight values), so
//! that the model's one circuit and verifying key prove with it.

use anyhow::Result;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use zkinfer_prover::{pipeline, ModelDir};

/// `zkinfer commit-weights OTHER.onnx --model-dir DIR --out PREFIX`.
#[derive(Debug, Args)]
pub struct CommitWeightsArgs {
    /// An ONNX model of the same architecture as the compiled one, with other weights.
    model: PathBuf,
    /// The model directory (compiled with `--weights committed`).
    #[arg(long)]
    model_dir: PathBuf,
    /// Writes PREFIX.openings.json (private: the stored weights and salts, mode 0600; give it to `prove
    /// --weights`) and PREFIX.commitment.json (public: what verifiers pin with `verify
    /// --weights-commitment`).
    #[arg(long, value_name = "PREFIX")]
    out: PathBuf,
}

impl CommitWeightsArgs {
    pub(crate) fn run(self) -> Result<ExitCode> {
        let openings =
            pipeline::commit_weights(&ModelDir::new(&self.model_dir), &self.model, &self.out)?;
        let prefix = self.out.display();
        println!(
            "{} weight tensor(s) of {} committed: {prefix}.openings.json (private: stored values and salts) and \
             {prefix}.commitment.json (public: pin it with verify --weights-commitment)",
            openings.openings.len(),
            self.model.display()
        );
        for o in &openings.openings {
            println!("  {}: {}", o.tensor, o.commitment);
        }
        Ok(ExitCode::SUCCESS)
    }
}
