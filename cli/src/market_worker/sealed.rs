//! Hashed-input jobs in the provider loop. Such a job names its input by commitments; the buyer seals the
//! openings (values and salts) to whoever claims it, after the claim. So the loop claims without a
//! pre-check (there is no input to check yet; a folder whose sample proof has not verified never claims
//! one), then waits for the sealed input: the claim's proving window starts when the buyer posts it, and a
//! claim whose input never comes is released by the market without slashing. Once posted, the input is
//! opened, parsed within the model's bound and checked against the job's commitments; an input that cannot
//! be opened, read or that opens other commitments is refused (the job is refunded, no collateral is lost).
//! A usable one is proved under the buyer's salts, bound to the claim, checked against the listing and
//! submitted like any other proof.

use super::check::about_one_input;
use super::own_check::{prove_opened_checked, OwnCheckError};
use super::{Outcome, Worker};
use std::time::Instant;
use tracing::{info, warn};
use zkinfer_circuits::poseidon::{fr_from_be_hex, Opening};
use zkinfer_market::types::Job;
use zkinfer_verifier::openings_file::{OpeningsFile, TensorKind};

/// What the sealed input of a held hashed claim came to.
pub(super) enum SealedInput {
    /// Not posted yet: the claim waits.
    Waiting,
    /// Opened and checked: the openings of the job's inputs.
    Ready(Vec<Opening>),
    /// Posted but unusable (why).
    Unusable(String),
}

/// Whether two lists of `0x` commitments name the same field elements (hex case and leading zeros aside).
fn same_commitments(job: &[String], file: &[String]) -> bool {
    job.len() == file.len()
        && job.iter().zip(file).all(
            |(a, b)| matches!((fr_from_be_hex(a), fr_from_be_hex(b)), (Some(x), Some(y)) if x == y),
        )
}

impl Worker<'_> {
    /// Fetches and opens the sealed input of a held claim on a hashed job, and checks it: an openings file
    /// within the model's size bound, of the model's hashed inputs, opening exactly the job's commitments.
    pub(super) fn sealed_input(&self, job: &Job) -> Result<SealedInput, String> {
        if job.sealed_at.is_none() {
            return Ok(SealedInput::Waiting);
        }
        let Some(s) = self.serving(job) else {
            return Err(format!("model {} is not served here", job.model_id));
        };
        let plaintext = match self.client.open_sealed_input(&job.id) {
            Ok(p) => p,
            Err(e) if e.status == 404 => return Ok(SealedInput::Waiting),
            Err(e) if e.code == "cannot_open" => {
                return Ok(SealedInput::Unusable(format!(
                    "the sealed input cannot be opened with this key: {}",
                    e.message
                )))
            }
            Err(e) => return Err(format!("cannot fetch the sealed input: {e}")),
        };
        let f = match OpeningsFile::parse_for(&plaintext, "sealed input", &s.listing.settings) {
            Ok(f) => f,
            Err(e) => return Ok(SealedInput::Unusable(e.to_string())),
        };
        let inputs: Vec<String> = f
            .openings
            .iter()
            .filter(|o| o.kind == TensorKind::Input)
            .map(|o| o.commitment.clone())
            .collect();
        let want = job.commitments.clone().unwrap_or_default();
        if inputs.len() != f.openings.len() || !same_commitments(&want, &inputs) {
            return Ok(SealedInput::Unusable(
                "the sealed input does not open the job's commitments".into(),
            ));
        }
        Ok(SealedInput::Ready(f.inputs()))
    }

    /// Works on a held claim of a hashed job: waits while its input is not posted (`None`), refuses an
    /// unusable input, proves a usable one within the claim's time and submits it.
    pub(super) fn finish_sealed(
        &mut self,
        job: &Job,
        claim_id: &str,
        left: i64,
    ) -> anyhow::Result<Option<Outcome>> {
        let openings = match self.sealed_input(job) {
            Ok(SealedInput::Waiting) => return Ok(None),
            Ok(SealedInput::Unusable(why)) => return Ok(Some(self.refuse(job, claim_id, &why))),
            Ok(SealedInput::Ready(o)) => o,
            Err(why) => {
                warn!(target: "zkinfer::work", job = %job.id, error = %why, "sealed input not read: trying again next round");
                return Ok(None);
            }
        };
        let Some(s) = self.serving(job) else {
            return Ok(None);
        };
        if (left as f64) <= s.estimate.as_secs_f64() * self.cfg.safety {
            return Ok(Some(self.abandon(
                job,
                claim_id,
                &format!("held claim has {left} s left: too little to prove"),
            )));
        }
        let (dir, listing) = (s.dir.clone(), s.listing.clone());
        let bind = zkinfer_market::bind::bind(&self.market_id, &job.id, &self.me);
        info!(target: "zkinfer::work", job = %job.id, model = %job.model_id, "proving the sealed input");
        let t = Instant::now();
        match prove_opened_checked(&dir, &listing, &openings, self.cfg.device, bind) {
            Ok(p) => {
                if let Some(s) = self.served.get_mut(&super::model_key(&job.model_id)) {
                    s.estimate = t.elapsed();
                }
                let value = serde_json::to_value(&p.proof)?;
                self.submit(job, claim_id, value);
                self.skip.insert(job.id.clone());
                Ok(Some(Outcome::Submitted))
            }
            Err(OwnCheckError::Prove(e)) if about_one_input(&e) => {
                // the openings open the job's commitments, but the values do not fit the model: the
                // buyer's input is unusable, not our folder
                Ok(Some(self.refuse(
                    job,
                    claim_id,
                    &format!("the input does not fit the model: {}", e.chain()),
                )))
            }
            Err(e) => {
                let why = e.to_string();
                let out = self.abandon(job, claim_id, &why);
                self.disable(&job.model_id, why);
                Ok(Some(out))
            }
        }
    }

    /// Refuses the sealed input of a claim as unusable: the claim is released with its collateral and the
    /// job refunded to its buyer.
    fn refuse(&mut self, job: &Job, claim_id: &str, why: &str) -> Outcome {
        match self.client.refuse_input(&job.id, claim_id) {
            Ok(_) => {
                warn!(target: "zkinfer::work", job = %job.id, claim = claim_id, reason = why, "sealed input refused")
            }
            Err(e) => warn!(
                target: "zkinfer::work",
                job = %job.id, claim = claim_id, reason = why, error = %e, "refusing the sealed input failed"
            ),
        }
        self.report.refused += 1;
        self.skip.insert(job.id.clone());
        Outcome::Abandoned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commitments_compare_as_field_elements() {
        let a = format!("0x{}1", "0".repeat(63));
        assert!(same_commitments(std::slice::from_ref(&a), &["0x01".into()]));
        assert!(same_commitments(&["0xAB".into()], &["0xab".into()]));
        assert!(!same_commitments(
            std::slice::from_ref(&a),
            &["0x02".into()]
        ));
        assert!(!same_commitments(std::slice::from_ref(&a), &[]));
        assert!(!same_commitments(&["zz".into()], &["zz".into()]));
    }
}
