//! Error bodies of the HTTP API: every failed request answers `{"error": message, "code": code}` with the
//! HTTP status of its [`ErrorCode`].

use serde::{Deserialize, Serialize};
use std::fmt;

/// The machine-readable `code` of an error body; each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: malformed request (bad JSON, a missing or ill-typed field, an unreadable proof).
    BadRequest,
    /// 401: the signature, timestamp or key of a signed request is missing or wrong.
    Unauthorized,
    /// 401: a signed nonce was already used by this key.
    Replay,
    /// 403: signed correctly, but not allowed to do this.
    Forbidden,
    /// 404: no such job, listing, submission or route.
    NotFound,
    /// 409: the request conflicts with the current state.
    Conflict,
    /// 402: not enough money in an account.
    InsufficientFunds,
    /// 422: well-formed but unacceptable content.
    Unprocessable,
    /// 422: a submitted proof was verified and rejected (the claim was slashed).
    ProofRejected,
    /// 413: request body or proof too large.
    TooLarge,
    /// 403: a feature disabled on this server (dev mint, dev clock).
    Disabled,
    /// 409: the listing is frozen: this server no longer accepts its artifacts (its SRS, k or size; see
    /// the market's README), so it takes no new jobs and its claims were released.
    Frozen,
    /// 503: the database failed.
    Database,
    /// 503: the server's key memory budget is taken by keys in use; try again shortly.
    Busy,
    /// 500: a bug or an unexpected state on the server.
    Internal,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 15] = [
        Self::BadRequest,
        Self::Unauthorized,
        Self::Replay,
        Self::Forbidden,
        Self::NotFound,
        Self::Conflict,
        Self::InsufficientFunds,
        Self::Unprocessable,
        Self::ProofRejected,
        Self::TooLarge,
        Self::Disabled,
        Self::Frozen,
        Self::Database,
        Self::Busy,
        Self::Internal,
    ];

    /// The code as it appears in error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Replay => "replay",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::InsufficientFunds => "insufficient_funds",
            Self::Unprocessable => "unprocessable",
            Self::ProofRejected => "proof_rejected",
            Self::TooLarge => "too_large",
            Self::Disabled => "disabled",
            Self::Frozen => "frozen",
            Self::Database => "database",
            Self::Busy => "busy",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::Unauthorized | Self::Replay => 401,
            Self::InsufficientFunds => 402,
            Self::Forbidden | Self::Disabled => 403,
            Self::NotFound => 404,
            Self::Conflict | Self::Frozen => 409,
            Self::TooLarge => 413,
            Self::Unprocessable | Self::ProofRejected => 422,
            Self::Database | Self::Busy => 503,
            Self::Internal => 500,
        }
    }

    /// The code named `s` in an error body, if it is one.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The JSON body of an error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    pub code: ErrorCode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
            let json = serde_json::to_value(c).expect("json");
            assert_eq!(json.as_str(), Some(c.as_str()));
            assert!((400..600).contains(&c.status()));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }
}
