//! The provider's own check of its proofs: every proof is verified against the listing's verifier
//! artifacts (the settings, verifying key and SRS the job pins, through the verifier's one path) before it
//! is submitted, so that a proof the market would reject costs at most the claim it was made for, never a
//! submission after it; and a sample proof at start-up shows that the folder's keys prove for the listing
//! before anything is claimed.

use halo2_proofs::halo2curves::bn256::Fr;
use std::fmt;
use zkinfer_prover::pipeline::{self, ProveSummary};
use zkinfer_prover::{Device, ModelDir, ProverError};
use zkinfer_verifier::{ExpectedInputs, Rejection, SrsPolicy, Statement, VerifierArtifacts};

/// Why a proof of ours cannot be submitted.
#[derive(Debug)]
pub(super) enum OwnCheckError {
    /// Proving failed.
    Prove(ProverError),
    /// The proof was made but does not verify for the statement against the listing's artifacts.
    Rejected(Rejection),
}

impl fmt::Display for OwnCheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prove(e) => write!(f, "proving failed: {}", e.chain()),
            Self::Rejected(r) => write!(
                f,
                "our own proof does not verify against the listing's verifying key ({r}): pk.bin, \
                 kzg.srs or model.json are not the ones the listed vk.bin was made with (keys of \
                 another `zkinfer setup`?)"
            ),
        }
    }
}

/// Proves `inputs` on the folder bound to `bind` and verifies the proof for exactly that statement
/// (model id, inputs, binding value) with `listing` (the artifacts whose model id the listing and the
/// job pin). The SRS is not judged here: the market decided which SRSs it accepts when it took the
/// listing; this check is about the keys.
pub(super) fn prove_checked(
    dir: &ModelDir,
    listing: &VerifierArtifacts,
    inputs: &[Vec<f64>],
    device: Device,
    bind: Fr,
) -> Result<ProveSummary, OwnCheckError> {
    let proof = pipeline::prove_bound(dir, inputs, device, bind).map_err(OwnCheckError::Prove)?;
    let statement = Statement {
        model_id: Some(listing.model_id.clone()),
        inputs: Some(ExpectedInputs::Values(inputs.to_vec())),
        bind: Some(bind),
        srs: SrsPolicy::AllowDevelopment,
    };
    zkinfer_verifier::judge(listing, &proof.proof, &statement).map_err(OwnCheckError::Rejected)?;
    Ok(proof)
}

/// A sample input of the model: every value zero, one list per input of the settings.
pub(super) fn sample_input(listing: &VerifierArtifacts) -> Vec<Vec<f64>> {
    listing
        .settings
        .inputs
        .iter()
        .map(|io| vec![0.0; io.numel()])
        .collect()
}
