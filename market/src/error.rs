//! Errors of the market, each with the HTTP status it maps to. Requests that fail change nothing: the
//! transaction that was running is rolled back.

use thiserror::Error;

/// Why a market operation failed.
#[derive(Debug, Error)]
pub enum MarketError {
    /// Malformed request: bad JSON, a missing or ill-typed field, an unparsable proof.
    #[error("{0}")]
    BadRequest(String),
    /// The signature, timestamp or key of a signed request is missing or wrong.
    #[error("{0}")]
    Unauthorized(String),
    /// A signed nonce was already used.
    #[error("replayed request: nonce {0} was already used by this key")]
    Replay(String),
    /// Signed correctly, but not allowed to do this (not the account in the body, not the claimant...).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (job not open, already claimed, ...).
    #[error("{0}")]
    Conflict(String),
    /// Not enough money in an account.
    #[error("{0}")]
    InsufficientFunds(String),
    /// Well-formed but unacceptable content: input outside the calibrated range, a deadline too close...
    #[error("{0}")]
    Unprocessable(String),
    /// A submitted proof was verified and rejected (the claim was slashed).
    #[error("{0}")]
    ProofRejected(String),
    #[error("request body too large: {0}")]
    TooLarge(String),
    /// A feature disabled on this server (dev mint, dev clock).
    #[error("{0}")]
    Disabled(String),
    /// A concurrent transaction changed a row this one read; the transaction is retried.
    #[error("concurrent update, retry")]
    Retry,
    /// The database failed (not the request's fault).
    #[error("database error: {0}")]
    Db(String),
    /// A bug or an unexpected state; never caused by a request.
    #[error("internal error: {0}")]
    Internal(String),
}

impl MarketError {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized(_) | Self::Replay(_) => 401,
            Self::InsufficientFunds(_) => 402,
            Self::Forbidden(_) | Self::Disabled(_) => 403,
            Self::NotFound(_) => 404,
            Self::Conflict(_) | Self::Retry => 409,
            Self::TooLarge(_) => 413,
            Self::Unprocessable(_) | Self::ProofRejected(_) => 422,
            Self::Db(_) => 503,
            Self::Internal(_) => 500,
        }
    }

    /// A short machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Replay(_) => "replay",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) | Self::Retry => "conflict",
            Self::InsufficientFunds(_) => "insufficient_funds",
            Self::Unprocessable(_) => "unprocessable",
            Self::ProofRejected(_) => "proof_rejected",
            Self::TooLarge(_) => "too_large",
            Self::Disabled(_) => "disabled",
            Self::Db(_) => "database",
            Self::Internal(_) => "internal",
        }
    }

    pub(crate) fn bad(m: impl Into<String>) -> Self {
        Self::BadRequest(m.into())
    }
    pub(crate) fn conflict(m: impl Into<String>) -> Self {
        Self::Conflict(m.into())
    }

    /// Whether retrying the whole transaction may succeed (write conflicts, deadlocks, a busy SQLite file).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retry)
    }
}

impl From<sqlx::Error> for MarketError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(d) = &e {
            // PostgreSQL: serialization failure, deadlock; SQLite: busy / locked.
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            if matches!(code.as_str(), "40001" | "40P01" | "5" | "6" | "517" | "261") {
                return Self::Retry;
            }
        }
        Self::Db(e.to_string())
    }
}
