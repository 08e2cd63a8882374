//! The records the market stores and the JSON bodies of its API.

use serde::{Deserialize, Serialize};

pub use crate::state::{ClaimStatus, JobState, SubmissionStatus};

/// Job states (shorthands of [`JobState`]'s variants). SETTLED, REFUNDED and CANCELLED are terminal.
pub const OPEN: JobState = JobState::Open;
pub const CLAIMED: JobState = JobState::Claimed;
pub const SETTLED: JobState = JobState::Settled;
pub const REFUNDED: JobState = JobState::Refunded;
pub const CANCELLED: JobState = JobState::Cancelled;

/// Whether a job state name is terminal (an unknown name is not).
pub fn is_terminal(state: &str) -> bool {
    state.parse::<JobState>().is_ok_and(|s| s.is_terminal())
}

/// What to do with a job whose claim failed (invalid proof, missed deadline, abandoned).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FailurePolicy {
    /// Reopen for another provider while the job deadline leaves time.
    #[default]
    Reopen,
    /// Refund the buyer at once.
    Refund,
}

impl FailurePolicy {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Reopen => "reopen",
            Self::Refund => "refund",
        }
    }
    pub fn parse(s: &str) -> Self {
        if s == "refund" {
            Self::Refund
        } else {
            Self::Reopen
        }
    }
}

/// A model listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Listing {
    pub id: String,
    pub owner: String,
    /// SHA-256 of settings.json + vk.bin (the `model_id` in proof files).
    pub model_id: String,
    pub settings_hash: String,
    pub vk_hash: String,
    pub params_hash: String,
    pub price: i64,
    pub royalty_bps: i64,
    pub collateral: i64,
    pub claim_timeout: i64,
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// Why the listing is frozen, when this server no longer accepts its artifacts (its SRS, k or size):
    /// it takes no new jobs, and its jobs were refunded and their claims released without slashing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<String>,
}

/// A job, as stored and as served (the outputs only to its buyer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub buyer: String,
    pub client_index: String,
    pub listing_id: String,
    pub owner: String,
    pub model_id: String,
    pub settings_hash: String,
    pub vk_hash: String,
    pub params_hash: String,
    pub price: i64,
    pub royalty_bps: i64,
    pub fee_bps: i64,
    pub collateral: i64,
    pub claim_timeout: i64,
    /// The input as the circuit sees it (each value on the model's fixed-point grid), one list per input.
    /// Empty in job listings unless asked for (`include_input=true`).
    #[serde(default)]
    pub input: Vec<Vec<f64>>,
    pub policy: FailurePolicy,
    pub state: JobState,
    pub version: i64,
    pub created_at: i64,
    pub deadline: i64,
    pub claim_id: Option<String>,
    pub claimant: Option<String>,
    pub claim_deadline: Option<i64>,
    pub claims: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Vec<f64>>>,
    pub submission_id: Option<String>,
    pub finished_at: Option<i64>,
    /// The job's bounty (slashed collateral of earlier claims), paid to the provider that settles it.
    #[serde(default)]
    pub bounty: i64,
    /// A hashed-input job names its input by these commitments (one per input tensor, `0x` big-endian
    /// hex) instead of values (`input` is then empty); the claimant receives the openings sealed to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments: Option<Vec<String>>,
    /// The most bytes the sealed input of a hashed-input job may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_max: Option<i64>,
    /// When the buyer posted the sealed input for the current claim (hashed-input jobs; none yet: the
    /// claim waits for it and is released without slashing if it never comes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_at: Option<i64>,
}

impl Job {
    /// Whether the job names its input by commitments (a hashed-input model).
    pub fn is_hashed(&self) -> bool {
        self.commitments.is_some()
    }
}

/// A claim on a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimInfo {
    pub claim_id: String,
    pub job_id: String,
    pub provider: String,
    pub collateral: i64,
    pub claimed_at: i64,
    pub deadline: i64,
    pub status: ClaimStatus,
    /// The binding value the proof must carry (hex field element): `zkinfer prove --bind` it.
    pub bind: String,
}

/// The outcome of a submission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmitResult {
    pub job_id: String,
    pub submission_id: String,
    /// VALID (settled), INVALID (slashed), MALFORMED (unreadable, nothing changed) or SUPERSEDED.
    pub status: SubmissionStatus,
    pub reason: Option<String>,
    pub job_state: JobState,
    /// The verified outputs, when VALID.
    pub outputs: Option<Vec<Vec<f64>>>,
    /// What the provider received (price share + bounty), when VALID.
    pub paid: i64,
    /// Microseconds spent in proof verification.
    pub verify_us: i64,
}

/// Balances of one identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Balances {
    pub account: String,
    pub available: i64,
    /// Free stake per listing.
    pub stakes: std::collections::BTreeMap<String, i64>,
    /// Collateral locked by open claims.
    pub collateral: i64,
    /// Stake on its way back (unbonding).
    pub unbonding: i64,
    /// Escrowed in the account's open and claimed jobs (as buyer).
    #[serde(default)]
    pub escrow: i64,
}

/// One ledger movement (`GET /v1/accounts/{key}/entries`): `amount` from `debit` to `credit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// Increasing: the cursor of the next page (`after`).
    pub id: i64,
    pub at: i64,
    pub debit: String,
    pub credit: String,
    pub amount: i64,
    /// What it was: `escrow`, `refund`, `royalty`, `fee`, `pay provider`, `pay bounty`, `stake`,
    /// `lock collateral`, `unlock collateral`, `slash invalid: buyer`, `slash timeout: burn`, ...
    pub reason: String,
    pub job_id: Option<String>,
}

/// The market's totals (`GET /v1/totals`): money minted, burned, and held per account kind (`avail`,
/// `stake`, `coll`, `unbond`, `escrow`, `bounty`, `treasury`); held = minted − burned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Totals {
    pub minted: i64,
    pub burned: i64,
    pub treasury: i64,
    pub held: std::collections::BTreeMap<String, i64>,
}

/// Public information about the market.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Info {
    pub market_id: String,
    pub fee_bps: i64,
    pub now: i64,
    pub dev_mint: bool,
    pub dev_clock: bool,
    pub max_open_claims: i64,
    pub min_claim_window: i64,
    pub unbonding_secs: i64,
    pub schema_version: i64,
    pub backend: String,
}

/// Server-side counters for the load benchmark.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Stats {
    pub submissions: u64,
    pub settled: u64,
    pub rejected: u64,
    /// Total microseconds spent handling submissions (both transactions and verification).
    pub submit_us: u64,
    /// Of which in proof verification (instance building + halo2 verification).
    pub verify_us: u64,
}

// ---- request bodies ----

/// `POST /v1/dev/mint`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintReq {
    pub account: String,
    pub amount: i64,
}

/// `POST /v1/models`: list (or re-list, by its owner) a model. Artifacts are hex.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListReq {
    pub owner: String,
    pub listing_id: String,
    pub settings: String,
    pub vk: String,
    pub params: String,
    pub price: i64,
    pub royalty_bps: i64,
    pub collateral: i64,
    pub claim_timeout: i64,
}

/// `POST /v1/stake` and `POST /v1/unstake`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StakeReq {
    pub provider: String,
    pub listing_id: String,
    pub amount: i64,
}

/// `POST /v1/jobs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateJobReq {
    pub buyer: String,
    pub listing_id: String,
    /// EZKL's input format: `{"input_data": [[...], ...]}` (public-input listings only).
    #[serde(default)]
    pub input: serde_json::Value,
    /// Hashed-input listings only: the commitment to each input tensor (`0x` big-endian hex, each below
    /// the BN254 scalar order), from the buyer's openings file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitments: Option<Vec<String>>,
    /// Seconds from now until the job expires.
    pub deadline_secs: i64,
    #[serde(default)]
    pub policy: FailurePolicy,
    /// The buyer's idempotency key: a second create with it returns the first job.
    pub client_index: String,
}

/// `POST /v1/jobs/{id}/cancel`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelReq {
    pub buyer: String,
}

/// `POST /v1/jobs/{id}/claim`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimReq {
    pub provider: String,
}

/// `POST /v1/jobs/{id}/abandon`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AbandonReq {
    pub provider: String,
    pub claim_id: String,
    /// Hashed-input jobs: the sealed input the buyer posted for this claim cannot be used (it does not
    /// open for this key, or its openings do not open the job's commitments). The claim is then released
    /// with its whole collateral and the job refunded to its buyer: the market cannot tell who is at
    /// fault, so neither pays.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input_unusable: bool,
}

/// `POST /v1/jobs/{id}/sealed-input`: the buyer's openings sealed to the current claimant
/// ([`crate::sealed`]), for the claim `claim_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealReq {
    pub buyer: String,
    pub claim_id: String,
    /// The sealed box, hex.
    pub sealed: String,
}

/// `GET /v1/jobs/{id}/sealed-input` (signed by the claimant): the sealed input of the current claim.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedInput {
    pub job_id: String,
    pub claim_id: String,
    pub provider: String,
    /// The sealed box, hex.
    pub sealed: String,
    pub posted_at: i64,
    /// The claim deadline, which starts when the sealed input is posted.
    pub claim_deadline: i64,
}

/// `POST /v1/jobs/{id}/submit`: the proof file (proof.json) as a JSON object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitReq {
    pub provider: String,
    pub claim_id: String,
    pub proof: serde_json::Value,
}

/// `POST /v1/dev/clock`: moves the market clock (servers started with `--dev-clock`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockReq {
    pub advance_secs: i64,
}

/// Result of a job creation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Created {
    pub created: bool,
    pub job: Job,
}
