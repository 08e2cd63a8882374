//! The store: every row mapper and the reads and writes of jobs and listings that the operations share
//! (the columns each record is read with, its mapping to the record type, load / lock / save).
//! States are stored by name ([`JobState::as_str`](crate::types::JobState)) and parsed back.

use crate::error::MarketError;
use crate::types::{FailurePolicy, Job, Listing};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// The listing columns.
pub(crate) const LISTING_COLS: &str = "id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, collateral, claim_timeout, revision, created_at, updated_at";

/// The job columns, with its bounty.
pub(crate) const JOB_COLS: &str = "id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claim_id, claimant, claim_deadline, claims, outputs, submission_id, finished_at, CAST(COALESCE((SELECT a.balance FROM accounts a WHERE a.name = 'bounty:' || jobs.id), 0) AS BIGINT) AS bounty";

pub(crate) fn job_from_row(r: &AnyRow) -> Result<Job, MarketError> {
    let input: String = r.try_get("input")?;
    let outputs: Option<String> = r.try_get("outputs")?;
    let policy: String = r.try_get("policy")?;
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

/// Writes a job's mutable columns, conditional on the version read: 0 rows means another transaction
/// changed the job meanwhile, and the whole transaction is retried.
pub(crate) async fn save_job(tx: &mut AnyConnection, job: &mut Job) -> Result<(), MarketError> {
    let outputs = job
        .outputs
        .as_ref()
        .map(|o| serde_json::to_string(o).unwrap_or_default());
    let done = sqlx::query(
        "UPDATE jobs SET state = $1, version = version + 1, claim_id = $2, claimant = $3, claim_deadline = $4, claims = $5, outputs = $6, submission_id = $7, finished_at = $8 WHERE id = $9 AND version = $10",
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
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(MarketError::Retry);
    }
    job.version += 1;
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
