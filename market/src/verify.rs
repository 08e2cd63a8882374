//! Judging a submission through the verifier's one path ([`zkinfer_verifier::judge`]): the statement is the
//! job's pinned model id, its stored input (or, for a hashed-input job, its commitments), and the binding value the market computes for (market, job,
//! claimant); the submission's own instances and model id are only compared with it, never used.

use crate::bind::bind;
use crate::error::MarketError;
use crate::key_cache::LoadedKey;
use crate::key_limits::precheck;
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
    // a hashed-input job: the proof's commitments must be the buyer's (checked when the job was made)
    let inputs = match &job.commitments {
        None => ExpectedInputs::Values(job.input.clone()),
        Some(c) => match c
            .iter()
            .map(|h| zkinfer_circuits::poseidon::fr_from_be_hex(h))
            .collect::<Option<Vec<_>>>()
        {
            Some(frs) => ExpectedInputs::Commitments(frs),
            None => return Outcome::Malformed("the job's stored commitments do not parse".into()),
        },
    };
    let statement = Statement {
        model_id: Some(job.model_id.clone()),
        inputs: Some(inputs),
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
    /// The verifier artifacts pinned by these hashes (of listing `listing_id`): cached, or read from the
    /// database, checked against this server's current limits and SRS policy ([`crate::key_limits`]) and
    /// loaded within the key memory budget ([`crate::key_cache`]). Artifacts the server no longer accepts
    /// are [`MarketError::Frozen`].
    pub async fn artifacts(
        &self,
        listing_id: &str,
        s: &str,
        v: &str,
        p: &str,
    ) -> Result<Arc<LoadedKey>, MarketError> {
        let key = artifact_set(s, v, p);
        if let Some(a) = self.keys.get(&key) {
            return Ok(a);
        }
        let frozen = |reason: String| MarketError::Frozen {
            listing_id: listing_id.to_string(),
            reason,
        };
        if let Some(reason) = self.frozen_reason(&key) {
            return Err(frozen(reason));
        }
        let [settings, vk, params] = self.artifact_bytes(s, v, p).await?;
        let pre = match precheck(&settings, &vk, &params, &self.key_limits()) {
            Ok(pre) => pre,
            Err(e) => {
                self.freeze(&key, e.to_string());
                return Err(frozen(e.to_string()));
            }
        };
        let load = move || VerifierArtifacts::from_bytes(&settings, &vk, &params);
        match self.keys.get_or_load(&key, pre.cost, load).await? {
            Ok(a) => Ok(a),
            Err(e) => {
                self.freeze(&key, e.to_string());
                Err(frozen(e.to_string()))
            }
        }
    }

    /// The stored bytes of three artifacts, each checked against its hash.
    pub(crate) async fn artifact_bytes(
        &self,
        s: &str,
        v: &str,
        p: &str,
    ) -> Result<[Vec<u8>; 3], MarketError> {
        let mut out: [Vec<u8>; 3] = Default::default();
        for (slot, h) in out.iter_mut().zip([s, v, p]) {
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
            *slot = b;
        }
        Ok(out)
    }
}

/// The cache key of an artifact set: its three hashes.
pub(crate) fn artifact_set(s: &str, v: &str, p: &str) -> String {
    format!("{s}:{v}:{p}")
}
