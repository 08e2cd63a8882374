//! Errors of the market, each with the wire [`ErrorCode`] (and so the HTTP status) it maps to. Requests that
//! fail change nothing: the transaction that was running is rolled back.

use crate::ledger::describe;
use crate::market::short;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use thiserror::Error;
use zkinfer_market_types::auth::AuthError;
use zkinfer_market_types::{
    ErrorCode, IllegalTransition, JobState, SubmissionStatus, UnknownState,
};
use zkinfer_verifier::VerifyError;

/// The largest money amount a request may name (see [`crate::limits`]).
pub use crate::limits::MAX_AMOUNT;
use crate::limits::{BPS, MAX_SUPPLY};

/// A development feature a server may have turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevFeature {
    /// `POST /v1/dev/mint` (`--dev-mint`).
    Mint,
    /// `POST /v1/dev/clock` (`--dev-clock`).
    Clock,
}

impl std::fmt::Display for DevFeature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Mint => "minting is disabled on this server (start it with --dev-mint)",
            Self::Clock => "the clock is fixed on this server (start it with --dev-clock)",
        })
    }
}

/// Why a market operation failed. [`MarketError::code`] groups the variants by wire code.
#[derive(Debug, Error)]
pub enum MarketError {
    // ---- 400 bad_request: malformed requests ----
    #[error("cannot read the body: {}", .0.body_text())]
    UnreadableBody(#[source] BytesRejection),
    #[error("malformed JSON body: {0}")]
    MalformedJson(#[source] serde_json::Error),
    #[error("bad query: {}", .0.body_text())]
    BadQuery(#[source] QueryRejection),
    #[error("bad query: {reason}")]
    BadFilter { reason: String },
    #[error("field {field}: not hex: {source}")]
    NotHex {
        field: &'static str,
        #[source]
        source: hex::FromHexError,
    },
    #[error("listing_id must be 1 to 64 characters of [A-Za-z0-9._-]")]
    BadListingId { listing_id: String },
    #[error("client_index must be 1 to 128 characters")]
    BadClientIndex { len: usize },
    #[error("malformed proof file: {0}")]
    MalformedProof(#[source] VerifyError),
    #[error("malformed proof file: the proof is empty")]
    EmptyProof,
    #[error("amount overflow")]
    AmountOverflow { account: String },

    // ---- 401 unauthorized, replay ----
    #[error(transparent)]
    Unauthorized(#[from] AuthError),
    #[error("replayed request: nonce {nonce} was already used by this key")]
    Replay { nonce: String },

    // ---- 403 forbidden, disabled ----
    #[error("the request is signed by {} but field \"{field}\" names {}: sign with that account's key", short(.signer), short(.account))]
    NotSigner {
        signer: String,
        field: &'static str,
        account: String,
    },
    #[error("only the job's buyer can cancel it")]
    OnlyBuyerCancels { job_id: String },
    #[error("only the job's buyer can read its outputs")]
    OnlyBuyerReads { job_id: String },
    #[error("only the claimant can abandon its claim")]
    OnlyClaimantAbandons { job_id: String },
    #[error("only the claimant of job {job_id} can submit for it")]
    OnlyClaimantSubmits { job_id: String },
    #[error("only the buyer of job {job_id} can post its sealed input")]
    OnlyBuyerSeals { job_id: String },
    #[error("only the current claimant of job {job_id} can fetch its sealed input")]
    OnlyClaimantReadsInput { job_id: String },
    #[error("{} has no stake for model '{listing_id}': stake first", short(.provider))]
    NoStake {
        provider: String,
        listing_id: String,
    },
    #[error("listing '{listing_id}' belongs to another owner")]
    NotListingOwner { listing_id: String },
    #[error("{0}")]
    Disabled(DevFeature),

    // ---- 404 not_found ----
    #[error("no route {method} {path}")]
    NoRoute { method: String, path: String },
    #[error("no job '{id}'")]
    NoJob { id: String },
    #[error("no model listing '{id}'")]
    NoListing { id: String },
    #[error("no submission '{id}'")]
    NoSubmission { id: String },
    #[error("no account '{key}': it has never held money on this market")]
    NoAccount { key: String },
    #[error("job {job_id}: the buyer has not posted the sealed input for this claim yet")]
    NoSealedInput { job_id: String },

    // ---- 409 conflict: the request conflicts with the current state ----
    #[error("client_index '{client_index}' was already used for job {job_id} with another model or input")]
    ClientIndexReused {
        client_index: String,
        job_id: String,
    },
    #[error("the job has an active claim; it can be cancelled once the claim ends")]
    CancelWhileClaimed { job_id: String },
    #[error("the job is already {state}")]
    AlreadyFinished { job_id: String, state: JobState },
    #[error("job {job_id} is {state}, not {expected}")]
    WrongState {
        job_id: String,
        state: JobState,
        expected: JobState,
    },
    #[error("job {job_id} expires in {left} s, too close to prove (claims need {need} s)")]
    TooCloseToDeadline {
        job_id: String,
        left: i64,
        need: i64,
    },
    #[error("{} already holds {cap} open claims (the cap)", short(.provider))]
    ClaimCap { provider: String, cap: i64 },
    #[error("claim {claim_id} is not the active claim of job {job_id}")]
    NotActiveClaim { job_id: String, claim_id: String },
    #[error("a submission for this claim is being verified")]
    AbandonWhileVerifying { claim_id: String },
    #[error("another submission for this claim is being verified")]
    SubmissionPending { claim_id: String },
    #[error("this proof was already judged {status}: {}", .reason.as_deref().unwrap_or_default())]
    AlreadyJudged {
        submission_id: String,
        status: SubmissionStatus,
        reason: Option<String>,
    },
    #[error("this proof was already submitted for job {job_id}")]
    ProofUsedElsewhere { job_id: String },
    #[error("the sealed input for claim {claim_id} was already posted")]
    AlreadySealed { claim_id: String },
    #[error("claim {claim_id} has no sealed input to refuse")]
    NothingSealed { claim_id: String },
    #[error("the claim deadline has passed")]
    ClaimDeadlinePassed { claim_id: String, deadline: i64 },
    #[error("cannot unstake while holding {open} open claim(s) on '{listing_id}'")]
    UnstakeWithOpenClaims { open: i64, listing_id: String },
    #[error("listing '{listing_id}' was re-listed again and again while the job was being created; try again")]
    ListingChanged { listing_id: String },
    /// A concurrent transaction changed a row this one read; the transaction is retried.
    #[error("concurrent update, retry")]
    Retry,

    // ---- 402 insufficient_funds ----
    #[error("insufficient {}: needs {needs}, has {has}", describe(.account))]
    InsufficientFunds {
        account: String,
        needs: i64,
        has: i64,
    },

    // ---- 422 unprocessable: well-formed but unacceptable content ----
    #[error("{what} must be {} and at most {MAX_AMOUNT}, got {got}", if *.allow_zero { "≥ 0" } else { "> 0" })]
    AmountOutOfRange {
        what: &'static str,
        got: i64,
        allow_zero: bool,
    },
    #[error("price {price} with royalty {royalty_bps} bps and fee {fee_bps} bps is out of bounds: price ≤ {MAX_AMOUNT}, royalty + fee ≤ {BPS} bps")]
    TermsOutOfRange {
        price: i64,
        royalty_bps: i64,
        fee_bps: i64,
    },
    #[error("minting {amount} would exceed the money supply cap of {MAX_SUPPLY} ({minted} minted so far)")]
    SupplyExhausted { amount: i64, minted: i64 },
    #[error("account '{key}' is malformed: {source}")]
    BadAccount {
        key: String,
        #[source]
        source: AuthError,
    },
    #[error("royalty_bps must be in 0..={} (10000 minus the market fee of {fee_bps} bps)", 10_000 - .fee_bps)]
    RoyaltyOutOfRange { royalty_bps: i64, fee_bps: i64 },
    #[error("claim_timeout must be 1 to 86400 seconds")]
    ClaimTimeoutOutOfRange { claim_timeout: i64 },
    #[error("deadline_secs must be 1 to 2592000 seconds")]
    DeadlineOutOfRange { deadline_secs: i64 },
    #[error("the deadline leaves no time to prove: claims need at least {min_window} s")]
    DeadlineTooClose { deadline_secs: i64, min_window: i64 },
    #[error("advance_secs must be 0 to 31536000 (the clock only moves forward)")]
    ClockOutOfRange { advance_secs: i64 },
    /// The job's input does not parse or falls outside the model's calibrated range.
    #[error("{reason}")]
    BadInput { reason: String },
    #[error("the model has {expected} input(s), the job gives {given}")]
    InputCount { expected: usize, given: usize },
    #[error("listing '{listing_id}' takes hashed inputs: name the input by its commitments (\"commitments\": [\"0x…\"], one per input tensor), not by values")]
    HashedInputNeedsCommitments { listing_id: String },
    #[error("listing '{listing_id}' takes public inputs: give the input values (\"input\"), not commitments")]
    CommitmentsForPublicInput { listing_id: String },
    #[error("commitment {index}: {reason}")]
    BadCommitment { index: usize, reason: String },
    #[error("listing refused: {reason}")]
    UnsupportedVisibility { reason: String },
    #[error("job {job_id} takes public input values: it has no sealed input")]
    NotHashedJob { job_id: String },
    #[error("the sealed input has {bytes} bytes, fewer than a sealed box's {min}")]
    SealedTooSmall { bytes: usize, min: usize },
    #[error("verifier artifacts rejected: {0}")]
    ArtifactsRejected(#[source] VerifyError),
    /// The listing's verifier params are not a pinned public ceremony's and the server is not in
    /// development mode (`--dev-srs`), or they are degenerate.
    #[error("listing '{listing_id}': {source}; this market accepts only SRSs from pinned public ceremonies (import one with `zkinfer setup --srs`)")]
    UntrustedSrs {
        listing_id: String,
        #[source]
        source: zkinfer_verifier::trust::TrustError,
    },

    /// A listing's artifacts refused before its key is parsed (sizes, SRS, k, load cost; see
    /// [`crate::key_limits`]). Too-large files are 413, the rest 422.
    #[error("listing refused: {0}")]
    KeyLimit(#[source] crate::key_limits::KeyLimitError),

    // ---- 409 frozen ----
    /// The artifacts a listing or job pins are no longer accepted by this server (a restart with another
    /// SRS policy or lower limits): no new jobs; its open jobs were refunded, its claims released.
    #[error(
        "listing '{listing_id}' is frozen: this server no longer accepts its artifacts ({reason})"
    )]
    Frozen { listing_id: String, reason: String },

    // ---- 503 busy ----
    #[error("the server's key memory budget ({} MiB) is taken by keys in use; a key of {} MiB has to wait: try again shortly", .budget >> 20, .cost >> 20)]
    KeyBudgetBusy { cost: u64, budget: u64 },

    // ---- 413 too_large ----
    #[error("request body too large: {announced} bytes announced, the limit is {limit}")]
    BodyTooLarge { announced: u64, limit: usize },
    #[error("request body too large: {}", .0.body_text())]
    BodyLimit(#[source] BytesRejection),
    #[error("request body too large: the proof has {bytes} bytes, the limit is {limit}")]
    ProofTooLarge { bytes: usize, limit: usize },
    #[error("request body too large: a sealed input for this job has at most {limit} bytes ({what} {bytes})")]
    SealedTooLarge {
        what: &'static str,
        bytes: u64,
        limit: u64,
    },

    // ---- 503 database: not the request's fault ----
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    #[error("database error: bad database URL: {0}")]
    DbUrl(#[source] sqlx::Error),
    #[error("database error: cannot open the database: {0}")]
    DbOpen(#[source] sqlx::Error),
    #[error("database error: the database has schema version {found}, this build knows up to {known}; upgrade zkinfer")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("database error: too many concurrent updates of the same rows; try again")]
    TooManyConflicts { attempts: u32 },

    // ---- 500 internal: a bug or an unexpected state, never caused by a request ----
    #[error("internal error: stored {what} JSON: {source}")]
    StoredJson {
        what: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("internal error: cannot encode the response: {0}")]
    Encode(#[source] serde_json::Error),
    #[error("internal error: negative movement {amount} ({reason})")]
    NegativeMove { amount: i64, reason: &'static str },
    #[error("internal error: artifact {hash} is missing")]
    ArtifactMissing { hash: String },
    #[error("internal error: artifact {hash} does not match its hash")]
    ArtifactCorrupt { hash: String },
    #[error("internal error: stored artifacts: {0}")]
    StoredArtifacts(#[source] VerifyError),
    #[error("internal error: artifact cache")]
    ArtifactCache,
    #[error("internal error: stored submission {id}: {source}")]
    StoredSubmission {
        id: String,
        #[source]
        source: VerifyError,
    },
    #[error("internal error: {what} task: {source}")]
    Task {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
    #[error("internal error: stored {0}")]
    StoredState(#[from] UnknownState),
    /// A change of state that the transition table does not list (a bug, never the caller's fault).
    #[error("internal error: {0}")]
    IllegalTransition(#[from] IllegalTransition),
    #[error("internal error: no active claim")]
    NoActiveClaim { job_id: String },
    /// A claim that a CLAIMED job names is not ACTIVE in the claims table (the records disagree): the
    /// transaction is rolled back, so no money moves on it.
    #[error("internal error: claim {claim_id} is not ACTIVE")]
    ClaimNotActive { claim_id: String },
    #[error("bad market configuration: {what}")]
    BadConfig { what: String },
}

impl MarketError {
    /// The wire code of the error body.
    pub fn error_code(&self) -> ErrorCode {
        use MarketError::*;
        match self {
            UnreadableBody(_)
            | MalformedJson(_)
            | BadQuery(_)
            | BadFilter { .. }
            | NotHex { .. }
            | BadListingId { .. }
            | BadClientIndex { .. }
            | MalformedProof(_)
            | EmptyProof
            | AmountOverflow { .. }
            | BadAccount { .. } => ErrorCode::BadRequest,
            Unauthorized(_) => ErrorCode::Unauthorized,
            Replay { .. } => ErrorCode::Replay,
            NotSigner { .. }
            | OnlyBuyerCancels { .. }
            | OnlyBuyerReads { .. }
            | OnlyClaimantAbandons { .. }
            | OnlyClaimantSubmits { .. }
            | OnlyBuyerSeals { .. }
            | OnlyClaimantReadsInput { .. }
            | NoStake { .. }
            | NotListingOwner { .. } => ErrorCode::Forbidden,
            Disabled(_) => ErrorCode::Disabled,
            NoRoute { .. }
            | NoJob { .. }
            | NoListing { .. }
            | NoSubmission { .. }
            | NoAccount { .. }
            | NoSealedInput { .. } => ErrorCode::NotFound,
            ClientIndexReused { .. }
            | CancelWhileClaimed { .. }
            | AlreadyFinished { .. }
            | WrongState { .. }
            | TooCloseToDeadline { .. }
            | ClaimCap { .. }
            | NotActiveClaim { .. }
            | AbandonWhileVerifying { .. }
            | SubmissionPending { .. }
            | AlreadyJudged { .. }
            | ProofUsedElsewhere { .. }
            | ClaimDeadlinePassed { .. }
            | UnstakeWithOpenClaims { .. }
            | ListingChanged { .. }
            | AlreadySealed { .. }
            | NothingSealed { .. }
            | SupplyExhausted { .. }
            | Retry => ErrorCode::Conflict,
            InsufficientFunds { .. } => ErrorCode::InsufficientFunds,
            AmountOutOfRange { .. }
            | TermsOutOfRange { .. }
            | RoyaltyOutOfRange { .. }
            | ClaimTimeoutOutOfRange { .. }
            | DeadlineOutOfRange { .. }
            | DeadlineTooClose { .. }
            | ClockOutOfRange { .. }
            | BadInput { .. }
            | InputCount { .. }
            | HashedInputNeedsCommitments { .. }
            | CommitmentsForPublicInput { .. }
            | BadCommitment { .. }
            | UnsupportedVisibility { .. }
            | NotHashedJob { .. }
            | SealedTooSmall { .. }
            | ArtifactsRejected(_)
            | UntrustedSrs { .. } => ErrorCode::Unprocessable,
            BodyTooLarge { .. } | BodyLimit(_) | ProofTooLarge { .. } | SealedTooLarge { .. } => {
                ErrorCode::TooLarge
            }
            KeyLimit(crate::key_limits::KeyLimitError::FileTooLarge { .. }) => ErrorCode::TooLarge,
            KeyLimit(_) => ErrorCode::Unprocessable,
            Frozen { .. } => ErrorCode::Frozen,
            KeyBudgetBusy { .. } => ErrorCode::Busy,
            Db(_) | DbUrl(_) | DbOpen(_) | SchemaTooNew { .. } | TooManyConflicts { .. } => {
                ErrorCode::Database
            }
            StoredJson { .. }
            | Encode(_)
            | NegativeMove { .. }
            | ArtifactMissing { .. }
            | ArtifactCorrupt { .. }
            | StoredArtifacts(_)
            | ArtifactCache
            | StoredSubmission { .. }
            | Task { .. }
            | NoActiveClaim { .. }
            | ClaimNotActive { .. }
            | StoredState(_)
            | IllegalTransition(_)
            | BadConfig { .. } => ErrorCode::Internal,
        }
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.error_code().status()
    }

    /// A short machine-readable code.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
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
        Self::Db(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_messages() {
        let e = MarketError::InsufficientFunds {
            account: "avail:0123456789abcdef0123".into(),
            needs: 5,
            has: 2,
        };
        assert_eq!((e.status(), e.code()), (402, "insufficient_funds"));
        assert_eq!(
            e.to_string(),
            "insufficient available balance of 0123456789abcdef: needs 5, has 2"
        );
        let e = MarketError::AmountOutOfRange {
            what: "amount",
            got: -1,
            allow_zero: true,
        };
        assert_eq!((e.status(), e.code()), (422, "unprocessable"));
        assert!(e.to_string().starts_with("amount must be ≥ 0"), "{e}");
        assert_eq!(MarketError::Retry.status(), 409);
        assert_eq!(MarketError::Disabled(DevFeature::Mint).status(), 403);
        let e = MarketError::from(AuthError::BadSignature);
        assert_eq!((e.status(), e.code()), (401, "unauthorized"));
        assert_eq!(
            MarketError::Replay { nonce: "n".into() }.code(),
            ErrorCode::Replay.as_str()
        );
    }
}
