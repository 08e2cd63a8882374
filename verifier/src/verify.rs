//! The cryptographic check under [`judge`](crate::judge::judge): a proof against exactly the instances
//! its statement implies.

use crate::artifacts::VerifierArtifacts;
pub use crate::proof_system::ProofCheckError;
use crate::proof_system::TranscriptKind;
use crate::rejection::Rejection;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::Fr;

impl VerifierArtifacts {
    /// The raw cryptographic check with the instance count checked: does `proof`, read with `transcript`,
    /// verify for exactly these instances? Does not judge the SRS (see [`judge`](crate::judge::judge)).
    pub fn verify_instances(
        &self,
        proof: &[u8],
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<(), Rejection> {
        if instances.len() != self.settings.num_instances() {
            return Err(Rejection::InstanceMismatch {
                index: instances.len().min(self.settings.num_instances()),
                what: format!(
                    "{} instances given, the model has {}",
                    instances.len(),
                    self.settings.num_instances()
                ),
            });
        }
        self.check_proof(proof, instances, transcript)
            .map_err(|e| Rejection::from_check(e, transcript))
    }

    /// The halo2 check with the error kept typed, for callers that treat an unreadable proof (a
    /// transcript error, trailing bytes) differently from a well-formed proof that fails. The caller
    /// must pass the full expected instance vector and the transcript the proof was made with. Does not
    /// judge the SRS (see [`judge`](crate::judge::judge)).
    pub fn check_proof(
        &self,
        proof: &[u8],
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<(), ProofCheckError> {
        crate::proof_system::check(&self.params.params, &self.vk, instances, proof, transcript)
    }
}

/// Hex of every instance (for writing proof files).
pub fn instances_hex(instances: &[Fr]) -> Vec<String> {
    instances.iter().map(fr_to_hex).collect()
}
