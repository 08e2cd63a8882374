//! Versioned schema migrations, one list for both engines (`{ID}` and `{BLOB}` are the only differences).
//! Applied in order inside a transaction each; `schema_migrations` records what ran.

use super::{write_tx, Backend, Db};
use crate::error::MarketError;
use sqlx::Executor;

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 2;

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
