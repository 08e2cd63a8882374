//! Judging a submission: the expected public instances are built from the job's stored input, the outputs
//! the submission claims and the binding value the market computes for (market, job, claimant); the
//! submission's own instances are only compared with them, position by position, never used.

use crate::bind::bind;
use crate::error::MarketError;
use crate::market::Market;
use crate::types::Job;
use halo2_proofs::plonk::Error as PlonkError;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zkinfer_circuits::field::fr_from_hex;
use zkinfer_circuits::Fr;
use zkinfer_verifier::proof_file::flatten;
use zkinfer_verifier::ProofCheckError;
use zkinfer_verifier::{ProofFile, VerifierArtifacts};

/// The verdict on a submission.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The proof verifies for the job's statement: pay.
    Valid { outputs: Vec<Vec<f64>> },
    /// A readable proof of something else, or one that fails verification: slash.
    Invalid(String),
    /// Unreadable (truncated, garbage bytes, non-numeric outputs): nothing changes, the claim stays open.
    Malformed(String),
}

/// Judges a parsed proof file for `job`, claimed by `claimant`, on market `market_id`.
pub fn judge(
    art: &VerifierArtifacts,
    job: &Job,
    claimant: &str,
    market_id: &str,
    proof: &ProofFile,
) -> Outcome {
    let bytes = match proof.proof_bytes("proof") {
        Ok(b) => b,
        Err(e) => return Outcome::Malformed(e.to_string()),
    };
    if proof.model_id != job.model_id {
        return Outcome::Invalid(format!(
            "the proof is for model {}, the job pins model {}",
            proof.model_id, job.model_id
        ));
    }
    let mut outputs = Vec::with_capacity(proof.outputs.len());
    for (i, v) in proof.outputs.iter().enumerate() {
        match flatten(v, &format!("outputs[{i}]")) {
            Ok(o) => outputs.push(o),
            Err(e) => return Outcome::Malformed(e.to_string()),
        }
    }
    let b = bind(market_id, &job.id, claimant);
    let expected =
        match zkinfer_verifier::instances::instances(&art.settings, &job.input, &outputs, b) {
            Ok(e) => e,
            Err(e) => {
                return Outcome::Invalid(format!("the claimed outputs do not fit the model: {e}"))
            }
        };
    if let Some(why) = compare(art, &expected, &proof.instances) {
        return Outcome::Invalid(why);
    }
    match art.check_proof(&bytes, &expected) {
        Ok(()) => Outcome::Valid { outputs },
        Err(ProofCheckError::Plonk(PlonkError::Transcript(e))) => Outcome::Malformed(format!(
            "the proof bytes cannot be read ({e}): truncated or not a proof"
        )),
        Err(ProofCheckError::TrailingBytes) => {
            Outcome::Malformed("trailing bytes after the proof".into())
        }
        Err(ProofCheckError::Plonk(e)) => Outcome::Invalid(format!(
            "the proof does not verify for this job's statement against the pinned verifying key ({e:?})"
        )),
    }
}

/// Why the submitted instances differ from the expected ones (first differing position), if they do.
fn compare(art: &VerifierArtifacts, expected: &[Fr], given: &[String]) -> Option<String> {
    if given.len() != expected.len() {
        return Some(format!(
            "the proof has {} public instances, this job's model has {}",
            given.len(),
            expected.len()
        ));
    }
    let n_in: usize = art.settings.inputs.iter().map(|s| s.numel()).sum();
    let bind_at = art.settings.bind_instance();
    let i = given
        .iter()
        .zip(expected)
        .position(|(g, e)| fr_from_hex(g) != Some(*e))?;
    Some(if i < n_in {
        format!("public instance {i} differs: the proof is about another input than this job's")
    } else if i < art.settings.digest_instance() {
        format!("public instance {i} differs: the outputs in the file are not the ones the proof commits to")
    } else if i < bind_at {
        "the settings-digest instance differs: the proof was made for other settings".to_string()
    } else {
        "the binding instance differs: the proof is bound to another job, provider or market"
            .to_string()
    })
}

impl Market {
    pub(crate) fn cache_artifacts(&self, s: &str, v: &str, p: &str, art: VerifierArtifacts) {
        if let Ok(mut c) = self.artifacts.lock() {
            c.insert(format!("{s}:{v}:{p}"), Arc::new(art));
        }
    }

    /// The verifier artifacts pinned by these hashes (cached; loaded from the database on a miss).
    pub async fn artifacts(
        &self,
        s: &str,
        v: &str,
        p: &str,
    ) -> Result<Arc<VerifierArtifacts>, MarketError> {
        let key = format!("{s}:{v}:{p}");
        if let Some(a) = self
            .artifacts
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
        {
            return Ok(a);
        }
        let mut bytes = Vec::new();
        for h in [s, v, p] {
            let b: Vec<u8> = sqlx::query_scalar("SELECT bytes FROM artifacts WHERE hash = $1")
                .bind(h)
                .fetch_optional(&self.db.pool)
                .await?
                .ok_or_else(|| MarketError::ArtifactMissing {
                    hash: h.to_string(),
                })?;
            if hex::encode(Sha256::digest(&b)) != h {
                return Err(MarketError::ArtifactCorrupt {
                    hash: h.to_string(),
                });
            }
            bytes.push(b);
        }
        let art = tokio::task::spawn_blocking(move || {
            VerifierArtifacts::from_bytes(&bytes[0], &bytes[1], &bytes[2])
        })
        .await
        .map_err(|source| MarketError::Task {
            what: "artifact loading",
            source,
        })?
        .map_err(MarketError::StoredArtifacts)?;
        self.cache_artifacts(s, v, p, art);
        self.artifacts
            .lock()
            .ok()
            .and_then(|c| c.get(&key).cloned())
            .ok_or(MarketError::ArtifactCache)
    }
}
