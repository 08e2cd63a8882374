//! The provider's own check of its proofs: every proof is verified against the listing's verifier
//! artifacts (the settings, verifying key and SRS the job pins, through the verifier's one path) before it
//! is submitted, so that a proof the market would reject costs at most the claim it was made for, never a
//! submission after it; and a sample proof at start-up shows that the folder's keys prove for the listing
//! before anything is claimed.

use halo2_proofs::halo2curves::bn256::Fr;
use std::fmt;
use zkinfer_circuits::poseidon::Opening;
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
    // a hashed input is checked through the openings the proof was made with (its fresh salts)
    let hashed = listing
        .settings
        .inputs
        .iter()
        .any(|io| !io.visibility.is_public());
    let expected = match hashed {
        true => ExpectedInputs::Openings(proof.openings.inputs()),
        false => ExpectedInputs::Values(inputs.to_vec()),
    };
    check_own(listing, proof, expected, bind)
}

/// Proves the openings of a hashed-input job (the buyer's values under the buyer's salts, so the proof's
/// input commitments are the job's) bound to `bind`, and verifies the proof for exactly those openings
/// against `listing`.
pub(super) fn prove_opened_checked(
    dir: &ModelDir,
    listing: &VerifierArtifacts,
    openings: &[Opening],
    device: Device,
    bind: Fr,
) -> Result<ProveSummary, OwnCheckError> {
    let options = pipeline::ProveOptions {
        device,
        bind,
        transcript: zkinfer_verifier::TranscriptKind::Blake2b,
    };
    let proof = pipeline::prove_opened(dir, openings, &options).map_err(OwnCheckError::Prove)?;
    check_own(
        listing,
        proof,
        ExpectedInputs::Openings(openings.to_vec()),
        bind,
    )
}

/// Verifies our own proof for (model id, `expected` inputs, binding value) against `listing`.
fn check_own(
    listing: &VerifierArtifacts,
    proof: ProveSummary,
    expected: ExpectedInputs,
    bind: Fr,
) -> Result<ProveSummary, OwnCheckError> {
    let statement = Statement {
        model_id: Some(listing.model_id.clone()),
        inputs: Some(expected),
        bind: Some(bind),
        srs: SrsPolicy::AllowDevelopment,
    };
    zkinfer_verifier::judge(listing, &proof.proof, &statement).map_err(OwnCheckError::Rejected)?;
    Ok(proof)
}

/// Sample inputs of the model, one list per input of the settings, to try in turn: every value zero, then
/// every value at the middle of its input's range (for a model whose inputs are not centred on zero).
pub(super) fn sample_inputs(listing: &VerifierArtifacts) -> [Vec<Vec<f64>>; 2] {
    let each = |f: &dyn Fn(&zkinfer_circuits::settings::IoSpec) -> f64| {
        listing
            .settings
            .inputs
            .iter()
            .map(|io| vec![f(io); io.numel()])
            .collect()
    };
    [
        each(&|_| 0.0),
        each(&|io| {
            let e = io.encoding;
            e.dequantise(
                e.quantise((e.min_value() + e.max_value()) / 2.0)
                    .unwrap_or(0),
            )
        }),
    ]
}
