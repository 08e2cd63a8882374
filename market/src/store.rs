//! The store: every row mapper and the reads and writes of jobs and listings that the operations share
//! (the columns each record is read with, its mapping to the record type, load / lock / save).
//! States are stored by name ([`JobState::as_str`]) and parsed back, and every change of a state goes
//! through [`move_job`], [`end_claim`], [`decide_submission`] or [`supersede_pending`], which check it
//! against the enum's transition table and keep the update conditional on the state it changes from.

use crate::error::MarketError;
use crate::state::op;
use crate::types::{ClaimStatus, FailurePolicy, Job, JobState, Listing, SubmissionStatus};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The listing columns.
pub(crate) const LISTING_COLS: &str = "id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, collateral, claim_timeout, revision, created_at, updated_at";

/// The job columns, with its bounty.
pub(crate) const JOB_COLS: &str = "id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claim_id, claimant, claim_deadline, claims, outputs, submission_id, finished_at, CAST(COALESCE((SELECT a.balance FROM accounts a WHERE a.name = 'bounty:' || jobs.id), 0) AS BIGINT) AS bounty, commitments, sealed_max, (SELECT s.posted_at FROM sealed_inputs s WHERE s.claim_id = jobs.claim_id) AS sealed_at";

pub(crate) fn job_from_row(r: &AnyRow) -> Result<Job, MarketError> {
    let input: String = r.try_get("input")?;
    let outputs: Option<String> = r.try_get("outputs")?;
    let policy: String = r.try_get("policy")?;
    let commitments: Option<String> = r.try_get("commitments")?;
    let bad = |source| MarketError::StoredJson {
        what: "job",
        source,
    };
    Ok(Job {
        id: r.try_get("id")?,
        buyer: r.try_get("buyer")?,
        client_index: r.try_get("client_index")?,
        listing_id: r.try_get("listing_id")?,
        owner: r.try_get("owner")?,
        model_id: r.try_get("model_id")?,
        settings_hash: r.try_get("settings_hash")?,
        vk_hash: r.try_get("vk_hash")?,
        params_hash: r.try_get("params_hash")?,
        price: r.try_get("price")?,
        royalty_bps: r.try_get("royalty_bps")?,
        fee_bps: r.try_get("fee_bps")?,
        collateral: r.try_get("collateral")?,
        claim_timeout: r.try_get("claim_timeout")?,
        input: serde_json::from_str(&input).map_err(bad)?,
        policy: FailurePolicy::parse(&policy),
        state: r.try_get::<String, _>("state")?.parse()?,
        version: r.try_get("version")?,
        created_at: r.try_get("created_at")?,
        deadline: r.try_get("deadline")?,
        claim_id: r.try_get("claim_id")?,
        claimant: r.try_get("claimant")?,
        claim_deadline: r.try_get("claim_deadline")?,
        claims: r.try_get("claims")?,
        outputs: outputs
            .map(|o| serde_json::from_str(&o))
            .transpose()
            .map_err(bad)?,
        submission_id: r.try_get("submission_id")?,
        finished_at: r.try_get("finished_at")?,
        bounty: r.try_get("bounty")?,
        commitments: commitments
            .map(|c| serde_json::from_str(&c))
            .transpose()
            .map_err(bad)?,
        sealed_max: r.try_get("sealed_max")?,
        sealed_at: r.try_get("sealed_at")?,
    })
}

/// Loads a job (404 when unknown).
pub(crate) async fn load_job(tx: &mut AnyConnection, id: &str) -> Result<Job, MarketError> {
    let row = sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| MarketError::NoJob { id: id.to_string() })?;
    job_from_row(&row)
}

/// Writes a job's mutable columns, its state unchanged (a change goes through [`move_job`]), conditional on
/// the version read: 0 rows means another transaction changed the job meanwhile, and the whole transaction
/// is retried.
pub(crate) async fn save_job(tx: &mut AnyConnection, job: &mut Job) -> Result<(), MarketError> {
    let from = job.state;
    write_job(tx, job, from).await
}

/// Changes a job's state to `to` by `op` (refused with [`MarketError::IllegalTransition`] unless
/// [`JobState::TRANSITIONS`] lists it) and writes its mutable columns, as [`save_job`].
pub(crate) async fn move_job(
    tx: &mut AnyConnection,
    job: &mut Job,
    to: JobState,
    op: &'static str,
) -> Result<(), MarketError> {
    let from = job.state;
    job.state = from.transition(to, op)?;
    write_job(tx, job, from).await
}

/// The update of [`save_job`] and [`move_job`], guarded by the version and the state (`from`) read.
async fn write_job(
    tx: &mut AnyConnection,
    job: &mut Job,
    from: JobState,
) -> Result<(), MarketError> {
    let outputs = job
        .outputs
        .as_ref()
        .map(|o| serde_json::to_string(o).unwrap_or_default());
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, version = version + 1, claim_id = $2, claimant = $3, claim_deadline = $4, claims = $5, outputs = $6, submission_id = $7, finished_at = $8 WHERE id = $9 AND version = $10 AND state = $11",
    )
    .bind(job.state.as_str())
    .bind(&job.claim_id)
    .bind(&job.claimant)
    .bind(job.claim_deadline)
    .bind(job.claims)
    .bind(outputs)
    .bind(&job.submission_id)
    .bind(job.finished_at)
    .bind(&job.id)
    .bind(job.version)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(MarketError::Retry);
    }
    job.version += 1;
    Ok(())
}

/// Ends the ACTIVE claim `claim_id` with status `to` by `op` (refused with
/// [`MarketError::IllegalTransition`] unless [`ClaimStatus::TRANSITIONS`] lists it), at `now`; a claim
/// that is not ACTIVE is [`MarketError::ClaimNotActive`].
pub(crate) async fn end_claim(
    tx: &mut AnyConnection,
    claim_id: &str,
    to: ClaimStatus,
    op: &'static str,
    now: i64,
) -> Result<(), MarketError> {
    let from = ClaimStatus::INITIAL;
    from.transition(to, op)?;
    let done =
        sqlx::query("UPDATE claims SET status = $1, ended_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(now)
            .bind(claim_id)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?;
    // every caller ends the claim its CLAIMED job names: one that is not ACTIVE means the records
    // disagree, and the error rolls back the money the caller moved with it
    if done.rows_affected() != 1 {
        return Err(MarketError::ClaimNotActive {
            claim_id: claim_id.to_string(),
        });
    }
    // a sealed input is for this claimant only: it goes with the claim
    sqlx::query("DELETE FROM sealed_inputs WHERE claim_id = $1")
        .bind(claim_id)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Decides the PENDING submission `id`: status `to` by [`op::JUDGE`] (refused with
/// [`MarketError::IllegalTransition`] unless [`SubmissionStatus::TRANSITIONS`] lists it). Returns whether
/// this call decided it (false: it had been decided already).
pub(crate) async fn decide_submission(
    tx: &mut AnyConnection,
    id: &str,
    to: SubmissionStatus,
    reason: Option<&str>,
    now: i64,
    verify_us: i64,
) -> Result<bool, MarketError> {
    let from = SubmissionStatus::INITIAL;
    from.transition(to, op::JUDGE)?;
    let done = sqlx::query(
        "UPDATE submissions SET status = $1, reason = $2, decided_at = $3, verify_us = $4 WHERE id = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(verify_us)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Supersedes the PENDING submissions of the claim `claim_id` by `op`, with `reason`, at `now`.
pub(crate) async fn supersede_pending(
    tx: &mut AnyConnection,
    claim_id: &str,
    op: &'static str,
    reason: &str,
    now: i64,
) -> Result<(), MarketError> {
    let (from, to) = (SubmissionStatus::INITIAL, SubmissionStatus::Superseded);
    from.transition(to, op)?;
    sqlx::query(
        "UPDATE submissions SET status = $1, reason = $2, decided_at = $3 WHERE claim_id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(now)
    .bind(claim_id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Locks a job's row for the rest of the transaction (PostgreSQL: later statements then see whatever a
/// concurrent transaction on the job committed), then loads it.
pub(crate) async fn lock_job(tx: &mut AnyConnection, id: &str) -> Result<Job, MarketError> {
    sqlx::query("UPDATE jobs SET version = version WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    load_job(tx, id).await
}

/// A listing (404 when unknown).
pub(crate) async fn get_listing(tx: &mut AnyConnection, id: &str) -> Result<Listing, MarketError> {
    let r = sqlx::query(&format!(
        "SELECT {LISTING_COLS} FROM listings WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| MarketError::NoListing { id: id.to_string() })?;
    listing_from_row(&r)
}

pub(crate) fn listing_from_row(r: &AnyRow) -> Result<Listing, MarketError> {
    Ok(Listing {
        id: r.try_get("id")?,
        owner: r.try_get("owner")?,
        model_id: r.try_get("model_id")?,
        settings_hash: r.try_get("settings_hash")?,
        vk_hash: r.try_get("vk_hash")?,
        params_hash: r.try_get("params_hash")?,
        price: r.try_get("price")?,
        royalty_bps: r.try_get("royalty_bps")?,
        collateral: r.try_get("collateral")?,
        claim_timeout: r.try_get("claim_timeout")?,
        revision: r.try_get("revision")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
        frozen: None,
    })
}

#[cfg(test)]
mod tests {
    use crate::state::op;
    use crate::types::{ClaimStatus as C, JobState as J, SubmissionStatus as S};
    use std::path::Path;

    /// Every source file of this crate, with its path.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .expect("src")
                .flatten()
                .map(|e| e.path())
                .collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&p).expect("read");
                    out.push((p.display().to_string(), text));
                }
            }
        }
        let mut out = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
        out
    }

    /// The transition tables are exactly the changes the market makes, each at these call sites:
    /// `claim` (jobs.rs: `move_job` to CLAIMED), `cancel` and `expire` (jobs.rs: `close_job`), `fail_claim`
    /// (jobs.rs: `end_claim` by timeout / abandon / invalid proof, then `move_job` to OPEN or `close_job`),
    /// `settle` (submit.rs: `move_job` to SETTLED, `end_claim` SETTLED), `process_submission` (submit.rs:
    /// `decide_submission`, any decided status), `release_frozen_job` (freeze.rs: `end_claim` RELEASED,
    /// `supersede_pending`, `close_job` from OPEN or CLAIMED).
    #[test]
    fn tables_are_the_transitions_made() {
        let job = [
            (J::Open, J::Claimed, op::CLAIM),
            (J::Open, J::Cancelled, op::CANCEL),
            (J::Open, J::Refunded, op::EXPIRE),
            (J::Open, J::Refunded, op::RELEASE_FROZEN),
            (J::Claimed, J::Open, op::TIMEOUT),
            (J::Claimed, J::Open, op::ABANDON),
            (J::Claimed, J::Open, op::INVALID_PROOF),
            (J::Claimed, J::Refunded, op::TIMEOUT),
            (J::Claimed, J::Refunded, op::ABANDON),
            (J::Claimed, J::Refunded, op::INVALID_PROOF),
            (J::Claimed, J::Refunded, op::RELEASE_FROZEN),
            (J::Claimed, J::Settled, op::SETTLE),
            (J::Claimed, J::Open, op::INPUT_NOT_SEALED),
            (J::Claimed, J::Refunded, op::INPUT_NOT_SEALED),
            (J::Claimed, J::Refunded, op::INPUT_REFUSED),
        ];
        let claim = [
            (C::Active, C::Settled, op::SETTLE),
            (C::Active, C::SlashedInvalid, op::INVALID_PROOF),
            (C::Active, C::SlashedTimeout, op::TIMEOUT),
            (C::Active, C::Abandoned, op::ABANDON),
            (C::Active, C::Released, op::RELEASE_FROZEN),
            (C::Active, C::Released, op::INPUT_NOT_SEALED),
            (C::Active, C::Released, op::INPUT_REFUSED),
        ];
        let submission = [
            (S::Pending, S::Valid, op::JUDGE),
            (S::Pending, S::Invalid, op::JUDGE),
            (S::Pending, S::Malformed, op::JUDGE),
            (S::Pending, S::Superseded, op::JUDGE),
            (S::Pending, S::Superseded, op::RELEASE_FROZEN),
        ];
        assert_eq!(J::TRANSITIONS, job);
        assert_eq!(C::TRANSITIONS, claim);
        assert_eq!(S::TRANSITIONS, submission);
        assert_eq!(
            (J::INITIAL, C::INITIAL, S::INITIAL),
            (J::Open, C::Active, S::Pending)
        );

        // the sources agree: each operation of the tables is named where the change is made, and only
        // there (outside the types crate); no state is assigned or updated but through this module
        let all = sources();
        let code: Vec<&(String, String)> = all
            .iter()
            .filter(|(p, _)| !p.ends_with("store.rs"))
            .collect();
        let ops_used = |name: &str| code.iter().any(|(_, t)| t.contains(name));
        for (name, used) in [
            ("op::CLAIM", true),
            ("op::CANCEL", true),
            ("op::EXPIRE", true),
            ("op::TIMEOUT", true),
            ("op::ABANDON", true),
            ("op::INVALID_PROOF", true),
            ("op::SETTLE", true),
            ("op::RELEASE_FROZEN", true),
            ("op::INPUT_NOT_SEALED", true),
            ("op::INPUT_REFUSED", true),
            // judged only inside `decide_submission`; created in initial states, not transitions
            ("op::JUDGE", false),
            ("op::CREATE", false),
            ("op::SUBMIT", false),
        ] {
            assert_eq!(ops_used(name), used, "{name}");
        }
        for (path, text) in &code {
            for bad in [
                ".state = ",
                "SET state",
                "SET status",
                "state = '",
                "status = '",
            ] {
                let hits = text.lines().filter(|l| l.contains(bad)).count();
                // (this test's own list)
                assert_eq!(hits, 0, "{path}: '{bad}' outside store.rs");
            }
        }
    }
}
