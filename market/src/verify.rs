//! Judging a submission through the verifier's one path ([`zkinfer_verifier::judge`]): the statement is the
//! job's pinned model id, its stored input, and the binding value the market computes for (market, job,
//! claimant); the submission's own instances and model id are only compared with it, never used.

use crate::bind::bind;
use crate::error::MarketError;
use crate::market::Market;
use crate::types::Job;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use zkinfer_verifier::{ExpectedInputs, Rejection, SrsPolicy, Statement};
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

/// Judges a parsed proof file for `job`, claimed by `claimant`, on market `market_id`, accepting the SRSs
/// of `srs` (the listing was checked against the same policy when it was made).
pub fn judge(
    art: &VerifierArtifacts,
    job: &Job,
    claimant: &str,
    market_id: &str,
    proof: &ProofFile,
    srs: SrsPolicy,
) -> Outcome {
    let statement = Statement {
        model_id: Some(job.model_id.clone()),
        inputs: Some(ExpectedInputs::Values(job.input.clone())),
        bind: Some(bind(market_id, &job.id, claimant)),
        srs,
    };
    match zkinfer_verifier::judge(art, proof, &statement) {
        Ok(v) => Outcome::Valid { outputs: v.outputs },
        Err(r) if r.is_unreadable() => Outcome::Malformed(r.to_string()),
        Err(r) => Outcome::Invalid(explain(&r)),
    }
}

/// The rejection in the words a provider needs: which part of the job's statement the proof misses.
fn explain(r: &Rejection) -> String {
    match r {
        Rejection::InputMismatch { .. } => {
            format!("the proof is about another input than this job's: {r}")
        }
        Rejection::BindingMismatch { .. } => format!(
            "the binding instance differs: the proof is bound to another job, provider or market ({r})"
        ),
        Rejection::ModelMismatch { .. } => format!("the job pins another model: {r}"),
        Rejection::ProofFails { .. } => format!(
            "the proof does not verify for this job's statement against the pinned verifying key ({r})"
        ),
        other => other.to_string(),
    }
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
