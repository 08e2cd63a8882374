//! The cryptographic check, and the verdict wrappers kept for existing callers (the CLI, market, wasm
//! and the CUDA self-check); new code calls [`crate::judge`].

use crate::artifacts::VerifierArtifacts;
use crate::error::VerifyError;
use crate::judge::{judge, Statement};
use crate::proof_file::ProofFile;
pub use crate::proof_system::ProofCheckError;
use crate::proof_system::TranscriptKind;
use crate::rejection::{Rejection, UnreadableCause};
use crate::trust::SrsPolicy;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::Fr;

/// The outcome of a verification (legacy form of [`crate::Verified`] / [`Rejection`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Whether the proof is valid.
    pub valid: bool,
    /// Why the proof is invalid.
    pub reason: Option<String>,
    /// The verified outputs (flat, one list per output), empty when invalid.
    pub outputs: Vec<Vec<f64>>,
}

impl VerifierArtifacts {
    /// Parses `proof.json` bytes within this model's bounds ([`Self::parse_proof`]) and verifies them;
    /// see [`Self::verify`].
    pub fn verify_json(&self, bytes: &[u8], file: &str) -> Result<Verdict, VerifyError> {
        let proof = self.parse_proof(bytes, file)?;
        self.verify(&proof, file)
    }

    /// Legacy wrapper over [`judge`]: accepts any input and the file's own binding value, and
    /// **development params** ([`SrsPolicy::AllowDevelopment`]; degenerate params are still refused).
    /// `Err` means the file is unreadable; an invalid proof is `Ok` with `valid = false`.
    pub fn verify(&self, p: &ProofFile, file: &str) -> Result<Verdict, VerifyError> {
        let statement = Statement {
            model_id: None,
            inputs: None,
            bind: Some(p.bind_value(file)?),
            srs: SrsPolicy::AllowDevelopment,
        };
        match judge(self, p, &statement) {
            Ok(v) => Ok(Verdict {
                valid: true,
                reason: None,
                outputs: v.outputs,
            }),
            Err(Rejection::Unreadable {
                what,
                source: UnreadableCause::File(e),
            }) => Err(match e {
                VerifyError::Format { what: w, .. } => VerifyError::Format {
                    file: file.to_string(),
                    what: format!("{what}: {w}"),
                },
                other => other,
            }),
            Err(Rejection::Unreadable {
                source: UnreadableCause::List(e),
                ..
            }) => Err(VerifyError::format(file, e.to_string())),
            Err(r) => Ok(Verdict {
                valid: false,
                reason: Some(r.to_string()),
                outputs: Vec::new(),
            }),
        }
    }

    /// The raw cryptographic check with the instance count checked: does `proof`, read with `transcript`,
    /// verify for exactly these instances? Does not judge the SRS (see [`judge`]).
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
    /// judge the SRS (see [`judge`]).
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
