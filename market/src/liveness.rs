//! The audit's liveness checks (check 7 of [`crate::audit`]): what the reaper should have finished.

use crate::audit::{AuditOptions, LIVENESS_GRACE_SECS};
use crate::db::Db;
use crate::error::MarketError;
use crate::market::Config;
use crate::types::{ClaimStatus, JobState, SubmissionStatus};
use sqlx::Row;

/// Meta keys under which the server records the parameters the audit judges by.
pub const META_PENDING_GRACE: &str = "pending_grace_secs";
pub const META_MAX_OPEN_CLAIMS: &str = "max_open_claims";

/// Records the server's parameters for the audit (at start-up).
pub async fn record_parameters(db: &Db, config: &Config) -> Result<(), MarketError> {
    for (key, value) in [
        (META_PENDING_GRACE, config.pending_grace_secs),
        (META_MAX_OPEN_CLAIMS, config.max_open_claims),
    ] {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value.to_string())
        .execute(&db.pool)
        .await?;
    }
    Ok(())
}

async fn recorded(db: &Db, key: &str, default: i64) -> Result<i64, MarketError> {
    let v: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(&db.pool)
        .await?;
    Ok(v.and_then(|v| v.parse().ok()).unwrap_or(default))
}

/// Appends a problem for every stuck claim, job and submission and every provider over the cap.
pub async fn check(
    db: &Db,
    o: AuditOptions,
    problems: &mut Vec<String>,
) -> Result<(), MarketError> {
    let defaults = Config::default();
    let grace = match o.pending_grace_secs {
        Some(g) => g,
        None => recorded(db, META_PENDING_GRACE, defaults.pending_grace_secs).await?,
    };
    let cap = match o.max_open_claims {
        Some(c) => c,
        None => recorded(db, META_MAX_OPEN_CLAIMS, defaults.max_open_claims).await?,
    };
    let late = o.now.saturating_sub(LIVENESS_GRACE_SECS);
    let rows = sqlx::query(
        "SELECT c.id AS id, c.job_id AS job_id, c.deadline AS deadline FROM claims c WHERE c.status = $2 AND c.deadline < $1 AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.claim_id = c.id AND s.status = $3) ORDER BY c.deadline, c.id",
    )
    .bind(late)
    .bind(ClaimStatus::Active.as_str())
    .bind(SubmissionStatus::Pending.as_str())
    .fetch_all(&db.pool)
    .await?;
    for row in rows {
        let (id, job, deadline): (String, String, i64) = (
            row.try_get("id")?,
            row.try_get("job_id")?,
            row.try_get("deadline")?,
        );
        problems.push(format!(
            "stuck: claim {id} of job {job} is still ACTIVE {} s past its deadline",
            o.now.saturating_sub(deadline)
        ));
    }
    let rows = sqlx::query(
        "SELECT id, deadline FROM jobs WHERE state = $2 AND deadline < $1 ORDER BY deadline, id",
    )
    .bind(late)
    .bind(JobState::Open.as_str())
    .fetch_all(&db.pool)
    .await?;
    for row in rows {
        let (id, deadline): (String, i64) = (row.try_get("id")?, row.try_get("deadline")?);
        problems.push(format!(
            "stuck: job {id} is still OPEN {} s past its deadline (not refunded)",
            o.now.saturating_sub(deadline)
        ));
    }
    let rows = sqlx::query(
        "SELECT id, job_id, received_at FROM submissions WHERE status = $2 AND received_at < $1 ORDER BY received_at, id",
    )
    .bind(late.saturating_sub(grace))
    .bind(SubmissionStatus::Pending.as_str())
    .fetch_all(&db.pool)
    .await?;
    for row in rows {
        let (id, job, at): (String, String, i64) = (
            row.try_get("id")?,
            row.try_get("job_id")?,
            row.try_get("received_at")?,
        );
        problems.push(format!(
            "stuck: submission {id} of job {job} has been PENDING for {} s (grace {grace} s)",
            o.now.saturating_sub(at)
        ));
    }
    // each claim records the cap in force when it was made: a provider may hold as many as the largest
    // cap among its active claims (a restart with a lower cap leaves older claims running); claims from
    // before caps were recorded count under the server's cap
    let rows = sqlx::query(
        "SELECT provider, CAST(COUNT(*) AS BIGINT) AS n, CAST(MAX(COALESCE(cap, $1)) AS BIGINT) AS cap FROM claims WHERE status = $2 GROUP BY provider HAVING COUNT(*) > MAX(COALESCE(cap, $1)) ORDER BY provider",
    )
    .bind(cap)
    .bind(ClaimStatus::Active.as_str())
    .fetch_all(&db.pool)
    .await?;
    for row in rows {
        let (provider, n, cap): (String, i64, i64) = (
            row.try_get("provider")?,
            row.try_get("n")?,
            row.try_get("cap")?,
        );
        problems.push(format!(
            "provider {provider} holds {n} ACTIVE claims, over the cap of {cap}"
        ));
    }
    Ok(())
}
