//! Storage: one schema on SQLite (default, one file in WAL mode) or PostgreSQL, through sqlx's `any` driver.
//!
//! SQL is written once with `$1`-style parameters (both drivers accept them), integers are `BIGINT`, and
//! sums are cast back to `BIGINT`. Every write runs in one transaction (`write_tx!`) and is retried on a
//! write conflict; on SQLite, writes are also serialised in-process (one writer at a time, as SQLite allows
//! anyway), so a read-then-write transaction never fails to upgrade its lock.

mod migrations;

use crate::error::MarketError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

pub use migrations::{MIGRATIONS, SCHEMA_VERSION};

/// Which database engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool with the market's schema.
#[derive(Debug, Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    write_lock: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// A database URL from a CLI argument: `postgres://…`, `sqlite://…`, or a plain file path (SQLite).
pub fn normalise_url(url: &str) -> String {
    if url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.starts_with("sqlite:")
    {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    }
}

impl Db {
    /// Connects (creating a SQLite file if needed) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, MarketError> {
        sqlx::any::install_default_drivers();
        let url = normalise_url(url);
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url,
        };
        let opts = AnyConnectOptions::from_str(&url).map_err(MarketError::DbUrl)?;
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        // FULL: a committed transaction survives power loss, not only a killed process.
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await
            .map_err(MarketError::DbOpen)?;
        let db = Self {
            pool,
            backend,
            write_lock: Default::default(),
        };
        migrations::migrate(&db).await?;
        Ok(db)
    }

    /// Holds the in-process write lock (SQLite only) for one transaction; see `write_tx!`.
    pub async fn write_guard(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    /// Integer results of a query (sums are cast to BIGINT by the caller).
    pub async fn scalar_i64(&self, sql: &str) -> Result<i64, MarketError> {
        let v: i64 = sqlx::query_scalar(sql).fetch_one(&self.pool).await?;
        Ok(v)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Pins the output type of a transaction body.
pub fn typed<T, F: std::future::Future<Output = Result<T, MarketError>>>(f: F) -> F {
    f
}

/// Sleeps a little before retrying a transaction.
pub async fn backoff(attempt: u32) {
    let jitter = u64::from(rand::random::<u8>() % 8);
    tokio::time::sleep(Duration::from_millis(u64::from(attempt.min(10)) + jitter)).await;
}

/// `write_tx!(db, tx, { body })`: runs `body` (an async block body using `tx: &mut AnyConnection`, `?`
/// and `return Err(..)`) in one write transaction, committing on `Ok` and rolling back on `Err`, and
/// retries it from a fresh transaction when a concurrent writer got in the way ([`MarketError::Retry`]).
/// (A macro rather than a function taking an async closure: such closures' futures cannot yet be shown
/// to be `Send`, which axum's handlers need.)
macro_rules! write_tx {
    ($db:expr, $tx:ident, $body:block) => {{
        let db: &$crate::db::Db = &$db;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let guard = db.write_guard().await;
            let result = match db.pool.begin().await {
                Err(e) => Err($crate::error::MarketError::from(e)),
                Ok(mut txn) => {
                    let r = $crate::db::typed(async {
                        let $tx: &mut sqlx::AnyConnection = &mut txn;
                        $body
                    })
                    .await;
                    match r {
                        Ok(v) => txn
                            .commit()
                            .await
                            .map(|_| v)
                            .map_err($crate::error::MarketError::from),
                        Err(e) => {
                            let _ = txn.rollback().await;
                            Err(e)
                        }
                    }
                }
            };
            drop(guard);
            match result {
                Err(e) if e.is_retryable() && attempt < 50 => $crate::db::backoff(attempt).await,
                Err($crate::error::MarketError::Retry) => {
                    break Err($crate::error::MarketError::TooManyConflicts { attempts: attempt })
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use write_tx;
