//! Versioned schema migrations, one list for both engines (`{ID}` and `{BLOB}` are the only differences).
//! Applied in order inside a transaction each; `schema_migrations` records what ran.

use super::{write_tx, Backend, Db};
use crate::error::MarketError;
use sqlx::Executor;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 4;

/// `(version, name, statements)`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "initial schema",
        r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    owner TEXT NOT NULL,
    balance BIGINT NOT NULL
);
CREATE INDEX accounts_owner ON accounts (owner);
CREATE INDEX accounts_kind ON accounts (kind);
CREATE TABLE entries (
    id {ID},
    at BIGINT NOT NULL,
    debit TEXT NOT NULL,
    credit TEXT NOT NULL,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    job_id TEXT
);
CREATE INDEX entries_job ON entries (job_id);
CREATE INDEX entries_debit ON entries (debit);
CREATE INDEX entries_credit ON entries (credit);
CREATE TABLE artifacts (hash TEXT PRIMARY KEY, bytes {BLOB} NOT NULL);
CREATE TABLE listings (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    model_id TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    vk_hash TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    price BIGINT NOT NULL,
    royalty_bps BIGINT NOT NULL,
    collateral BIGINT NOT NULL,
    claim_timeout BIGINT NOT NULL,
    revision BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    buyer TEXT NOT NULL,
    client_index TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    model_id TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    vk_hash TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    price BIGINT NOT NULL,
    royalty_bps BIGINT NOT NULL,
    fee_bps BIGINT NOT NULL,
    collateral BIGINT NOT NULL,
    claim_timeout BIGINT NOT NULL,
    input TEXT NOT NULL,
    policy TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    claim_id TEXT,
    claimant TEXT,
    claim_deadline BIGINT,
    claims BIGINT NOT NULL,
    outputs TEXT,
    submission_id TEXT,
    finished_at BIGINT,
    UNIQUE (buyer, client_index)
);
CREATE INDEX jobs_state ON jobs (state, deadline);
CREATE INDEX jobs_claim ON jobs (state, claim_deadline);
CREATE TABLE claims (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    collateral BIGINT NOT NULL,
    claimed_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    status TEXT NOT NULL,
    ended_at BIGINT
);
CREATE INDEX claims_provider ON claims (provider, status);
CREATE INDEX claims_job ON claims (job_id);
CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    proof_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    decided_at BIGINT,
    verify_us BIGINT
);
CREATE INDEX submissions_claim ON submissions (claim_id);
CREATE INDEX submissions_hash ON submissions (proof_hash);
CREATE INDEX submissions_status ON submissions (status);
CREATE TABLE nonces (
    signer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (signer, nonce)
);
CREATE INDEX nonces_at ON nonces (at);
CREATE TABLE unbondings (
    id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    release_at BIGINT NOT NULL,
    released BIGINT NOT NULL
);
CREATE INDEX unbondings_due ON unbondings (released, release_at);
"#,
    ),
    (
        2,
        "the claim cap in force when each claim was made",
        r#"
ALTER TABLE claims ADD COLUMN cap BIGINT
"#,
    ),
    (
        3,
        "the database refuses a state that is not one of the enums' (CHECK constraints)",
        // SQLite cannot add a constraint to a table: each table is rebuilt (same columns, same indexes) on
        // both engines. The names are the enums' (`JobState`, `ClaimStatus`, `SubmissionStatus`), which a
        // unit test below holds to `ALL`: a new state needs a new migration.
        r#"
CREATE TABLE jobs_v3 (
    id TEXT PRIMARY KEY,
    buyer TEXT NOT NULL,
    client_index TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    owner TEXT NOT NULL,
    model_id TEXT NOT NULL,
    settings_hash TEXT NOT NULL,
    vk_hash TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    price BIGINT NOT NULL,
    royalty_bps BIGINT NOT NULL,
    fee_bps BIGINT NOT NULL,
    collateral BIGINT NOT NULL,
    claim_timeout BIGINT NOT NULL,
    input TEXT NOT NULL,
    policy TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'CLAIMED', 'SETTLED', 'REFUNDED', 'CANCELLED')),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    claim_id TEXT,
    claimant TEXT,
    claim_deadline BIGINT,
    claims BIGINT NOT NULL,
    outputs TEXT,
    submission_id TEXT,
    finished_at BIGINT,
    UNIQUE (buyer, client_index)
);
INSERT INTO jobs_v3 (id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claim_id, claimant, claim_deadline, claims, outputs, submission_id, finished_at)
    SELECT id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claim_id, claimant, claim_deadline, claims, outputs, submission_id, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v3 RENAME TO jobs;
CREATE INDEX jobs_state ON jobs (state, deadline);
CREATE INDEX jobs_claim ON jobs (state, claim_deadline);
CREATE TABLE claims_v3 (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    listing_id TEXT NOT NULL,
    collateral BIGINT NOT NULL,
    claimed_at BIGINT NOT NULL,
    deadline BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ACTIVE', 'SETTLED', 'SLASHED_INVALID', 'SLASHED_TIMEOUT', 'ABANDONED', 'RELEASED')),
    ended_at BIGINT,
    cap BIGINT
);
INSERT INTO claims_v3 (id, job_id, provider, listing_id, collateral, claimed_at, deadline, status, ended_at, cap)
    SELECT id, job_id, provider, listing_id, collateral, claimed_at, deadline, status, ended_at, cap FROM claims;
DROP TABLE claims;
ALTER TABLE claims_v3 RENAME TO claims;
CREATE INDEX claims_provider ON claims (provider, status);
CREATE INDEX claims_job ON claims (job_id);
CREATE TABLE submissions_v3 (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    proof_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('PENDING', 'VALID', 'INVALID', 'MALFORMED', 'SUPERSEDED')),
    reason TEXT,
    decided_at BIGINT,
    verify_us BIGINT
);
INSERT INTO submissions_v3 (id, job_id, claim_id, provider, proof_hash, body, received_at, status, reason, decided_at, verify_us)
    SELECT id, job_id, claim_id, provider, proof_hash, body, received_at, status, reason, decided_at, verify_us FROM submissions;
DROP TABLE submissions;
ALTER TABLE submissions_v3 RENAME TO submissions;
CREATE INDEX submissions_claim ON submissions (claim_id);
CREATE INDEX submissions_hash ON submissions (proof_hash);
CREATE INDEX submissions_status ON submissions (status)
"#,
    ),
    (
        4,
        "hashed-input jobs: commitments instead of values, and the sealed input of each claim",
        // `commitments`: JSON list of 0x hex (NULL: a public-input job); `sealed_max`: the most bytes its
        // sealed input may have. `sealed_inputs`: one row per claim, deleted when the claim ends.
        r#"
ALTER TABLE jobs ADD COLUMN commitments TEXT;
ALTER TABLE jobs ADD COLUMN sealed_max BIGINT;
CREATE TABLE sealed_inputs (
    claim_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL,
    provider TEXT NOT NULL,
    sealed {BLOB} NOT NULL,
    posted_at BIGINT NOT NULL
);
CREATE INDEX sealed_inputs_job ON sealed_inputs (job_id)
"#,
    ),
];

fn render(sql: &str, backend: Backend) -> String {
    let (id, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    sql.replace("{ID}", id).replace("{BLOB}", blob)
}

/// Applies every migration newer than the database's version; refuses a database from a newer build.
pub async fn migrate(db: &Db) -> Result<(), MarketError> {
    db.pool
        .execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .await?;
    let current: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM schema_migrations",
    )
    .fetch_one(&db.pool)
    .await?;
    if current > SCHEMA_VERSION {
        return Err(MarketError::SchemaTooNew {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for &(version, name, sql) in MIGRATIONS {
        if version <= current {
            continue;
        }
        let sql = render(sql, db.backend);
        write_tx!(db, tx, {
            // another process may have migrated meanwhile
            let done: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM schema_migrations WHERE version = $1",
            )
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
            if done > 0 {
                return Ok(());
            }
            for stmt in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                tx.execute(stmt).await?;
            }
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(version)
            .bind(name)
            .bind(crate::clock::system_now())
            .execute(&mut *tx)
            .await?;
            if version == 1 {
                sqlx::query("INSERT INTO meta (key, value) VALUES ('market_id', $1)")
                    .bind(crate::market::random_id("m"))
                    .execute(&mut *tx)
                    .await?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;
    use crate::types::{ClaimStatus, JobState, SubmissionStatus};

    /// The names in `column IN (...)` of migration 3's CHECK on `column`.
    fn checked(column: &str) -> Vec<String> {
        let sql = MIGRATIONS[2].2;
        let start = format!("{column} TEXT NOT NULL CHECK ({column} IN (");
        let mut out: Vec<Vec<String>> = Vec::new();
        for part in sql.split(&start).skip(1) {
            let list = part.split(')').next().unwrap_or_default();
            out.push(
                list.split(", ")
                    .map(|n| n.trim_matches('\'').to_string())
                    .collect(),
            );
        }
        out.concat()
    }

    fn names<S: std::fmt::Display>(all: &[S]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }

    /// The CHECK constraints allow exactly the enums' names (a new state needs a new migration).
    #[test]
    fn checks_list_every_state() {
        let all = [
            names(JobState::ALL),
            names(ClaimStatus::ALL),
            names(SubmissionStatus::ALL),
        ];
        assert_eq!(checked("state"), all[0]);
        assert_eq!(checked("status"), [all[1].clone(), all[2].clone()].concat());
    }
}
