//! The ledger audit (`zkinfer market audit --db URL`): recomputes every balance from the entries and
//! checks the invariants of the design note.
//!
//! 1. every account's balance equals its credits minus its debits, and every entry names a known account;
//! 2. no balance is negative but `mint`'s;
//! 3. available + free stakes + unbonding + claim collateral + escrow + bounties + treasury = minted − burned;
//! 4. a terminal job holds no escrow and no bounty; an open or claimed job's escrow is its price;
//! 5. every non-empty collateral account belongs to the active claim of a CLAIMED job, and that claim holds
//!    exactly the job's collateral; a job has at most one active claim; an open job points at none (a settled
//!    one keeps the claim that settled it);
//! 6. a settled job has exactly one valid submission and paid its provider once; no other job paid anyone;
//! 7. liveness (at the audit's clock, see [`AuditOptions`]): no claim is still ACTIVE more than
//!    [`LIVENESS_GRACE_SECS`] past its deadline, no OPEN job is unrefunded that long past its deadline, no
//!    submission is PENDING longer than the server's pending grace plus [`LIVENESS_GRACE_SECS`], and no
//!    provider holds more ACTIVE claims than the server's cap.
//!
//! The server records its pending grace and claim cap in the database (`meta`), so an audit run beside it
//! judges by the server's own parameters.

use crate::db::Db;
use crate::error::MarketError;
use crate::types::{is_terminal, ClaimStatus, JobState, SubmissionStatus};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// How long past a deadline the reaper may take before the audit calls a claim, job or submission stuck
/// (the reaper runs every second by default).
pub const LIVENESS_GRACE_SECS: i64 = 60;

/// The clock and parameters of the liveness checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditOptions {
    /// Now, in market time (Unix seconds).
    pub now: i64,
    /// A submission may stay PENDING this long (plus [`LIVENESS_GRACE_SECS`]); `None`: the server's
    /// value recorded in the database, else the default.
    pub pending_grace_secs: Option<i64>,
    /// The open-claim cap per provider; `None`: the server's value recorded in the database, else the
    /// default.
    pub max_open_claims: Option<i64>,
}

impl AuditOptions {
    /// At `now`, with the server's recorded parameters.
    pub fn at(now: i64) -> Self {
        Self {
            now,
            pending_grace_secs: None,
            max_open_claims: None,
        }
    }
}

/// The audit's findings.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AuditReport {
    pub accounts: usize,
    pub entries: i64,
    pub jobs: usize,
    pub minted: i64,
    pub burned: i64,
    /// Money held per account kind.
    pub held: BTreeMap<String, i64>,
    /// Broken invariants, liveness failures included (any makes the audit fail).
    pub problems: Vec<String>,
    /// How many of `problems` are liveness failures (stuck claims, jobs, submissions; claims over the cap).
    #[serde(default)]
    pub stuck: usize,
}

impl AuditReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Runs every check at the system clock; database errors are errors, broken invariants are `problems`.
pub async fn audit(db: &Db) -> Result<AuditReport, MarketError> {
    audit_with(db, AuditOptions::at(crate::clock::system_now())).await
}

/// [`audit`] at a given clock and parameters.
pub async fn audit_with(db: &Db, opts: AuditOptions) -> Result<AuditReport, MarketError> {
    let mut r = balances_audit(db).await?;
    let before = r.problems.len();
    crate::liveness::check(db, opts, &mut r.problems).await?;
    r.stuck = r.problems.len() - before;
    Ok(r)
}

/// Checks 1 to 6.
async fn balances_audit(db: &Db) -> Result<AuditReport, MarketError> {
    let mut r = AuditReport::default();
    let bal = account_balances(db).await?;
    r.accounts = bal.len();
    r.entries = db
        .scalar_i64("SELECT CAST(COUNT(*) AS BIGINT) FROM entries")
        .await?;
    check_accounts(db, &bal, &mut r).await?;
    check_jobs_and_claims(db, &bal, &mut r).await?;
    check_stored_states(db, &mut r).await?;
    check_payments(db, &mut r).await?;
    Ok(r)
}

/// Every account's kind and stored balance.
async fn account_balances(db: &Db) -> Result<HashMap<String, (String, i64)>, MarketError> {
    let mut bal = HashMap::new();
    for row in sqlx::query("SELECT name, kind, balance FROM accounts")
        .fetch_all(&db.pool)
        .await?
    {
        bal.insert(
            row.try_get("name")?,
            (row.try_get("kind")?, row.try_get("balance")?),
        );
    }
    Ok(bal)
}

/// Checks 1 to 3: balances equal their entries, none negative but the mint, and money held equals minted
/// less burned.
async fn check_accounts(
    db: &Db,
    bal: &HashMap<String, (String, i64)>,
    r: &mut AuditReport,
) -> Result<(), MarketError> {
    let mut computed: HashMap<String, i64> = HashMap::new();
    for (col, sign) in [("credit", 1i64), ("debit", -1i64)] {
        let q = format!("SELECT {col} AS name, CAST(SUM(amount) AS BIGINT) AS total FROM entries GROUP BY {col}");
        for row in sqlx::query(&q).fetch_all(&db.pool).await? {
            let (name, total): (String, i64) = (row.try_get("name")?, row.try_get("total")?);
            *computed.entry(name).or_default() += sign * total;
        }
    }
    // 1, 2
    for (name, c) in &computed {
        if !bal.contains_key(name) {
            r.problems.push(format!(
                "entries move money through unknown account {name} (net {c})"
            ));
        }
    }
    for (name, (kind, b)) in bal {
        let c = computed.get(name).copied().unwrap_or(0);
        if *b != c {
            r.problems
                .push(format!("account {name}: balance {b}, entries sum to {c}"));
        }
        if *b < 0 && kind != "mint" {
            r.problems.push(format!("account {name} is negative ({b})"));
        }
        match kind.as_str() {
            "mint" => r.minted = -b,
            "burn" => r.burned = *b,
            k => *r.held.entry(k.to_string()).or_default() += b,
        }
    }
    // 3
    let held: i64 = r.held.values().sum();
    if held != r.minted - r.burned {
        r.problems.push(format!(
            "money held ({held}) differs from minted − burned ({} − {} = {})",
            r.minted,
            r.burned,
            r.minted - r.burned
        ));
    }
    for k in r.held.keys() {
        if ![
            "avail", "stake", "unbond", "coll", "escrow", "bounty", "treasury",
        ]
        .contains(&k.as_str())
        {
            r.problems.push(format!("unknown account kind '{k}'"));
        }
    }
    Ok(())
}

/// Checks 4 and 5: each job's escrow and bounty match its state, and each collateral belongs to the active
/// claim of a CLAIMED job.
async fn check_jobs_and_claims(
    db: &Db,
    bal: &HashMap<String, (String, i64)>,
    r: &mut AuditReport,
) -> Result<(), MarketError> {
    let pool = &db.pool;
    let get = |n: &str| bal.get(n).map(|x| x.1).unwrap_or(0);
    let jobs = sqlx::query("SELECT id, state, price, collateral, claim_id FROM jobs")
        .fetch_all(pool)
        .await?;
    r.jobs = jobs.len();
    let mut active_claim_of: HashMap<String, String> = HashMap::new();
    for row in &jobs {
        let (id, state, price, collateral): (String, String, i64, i64) = (
            row.try_get("id")?,
            row.try_get("state")?,
            row.try_get("price")?,
            row.try_get("collateral")?,
        );
        let claim: Option<String> = row.try_get("claim_id")?;
        let (escrow, bounty) = (get(&format!("escrow:{id}")), get(&format!("bounty:{id}")));
        if is_terminal(&state) {
            if escrow != 0 || bounty != 0 {
                r.problems.push(format!(
                    "{state} job {id} still holds escrow {escrow} and bounty {bounty}"
                ));
            }
        } else if escrow != price {
            r.problems
                .push(format!("{state} job {id}: escrow {escrow}, price {price}"));
        }
        match (state.as_str(), claim) {
            ("CLAIMED", Some(c)) => {
                let held = get(&format!("coll:{c}"));
                if held != collateral {
                    r.problems.push(format!(
                        "claim {c} of job {id} holds {held}, the job requires {collateral}"
                    ));
                }
                active_claim_of.insert(c, id);
            }
            ("CLAIMED", None) => r
                .problems
                .push(format!("job {id} is CLAIMED without a claim")),
            ("OPEN", Some(c)) => r
                .problems
                .push(format!("OPEN job {id} still points at claim {c}")),
            _ => {}
        }
    }
    for (name, (kind, b)) in bal {
        if kind == "coll" && *b != 0 {
            let claim = name.trim_start_matches("coll:");
            if !active_claim_of.contains_key(claim) {
                r.problems.push(format!(
                    "collateral {name} ({b}) does not belong to the active claim of a CLAIMED job"
                ));
            }
        }
    }
    for row in sqlx::query("SELECT id, job_id FROM claims WHERE status = $1")
        .bind(ClaimStatus::Active.as_str())
        .fetch_all(pool)
        .await?
    {
        let (c, j): (String, String) = (row.try_get("id")?, row.try_get("job_id")?);
        if active_claim_of.get(&c) != Some(&j) {
            r.problems.push(format!(
                "claim {c} is ACTIVE but not the active claim of job {j}"
            ));
        }
    }
    Ok(())
}

/// Every stored state is one the market knows.
async fn check_stored_states(db: &Db, r: &mut AuditReport) -> Result<(), MarketError> {
    for (table, col) in [
        ("jobs", "state"),
        ("claims", "status"),
        ("submissions", "status"),
    ] {
        let q = format!("SELECT DISTINCT {col} AS s FROM {table}");
        for row in sqlx::query(&q).fetch_all(&db.pool).await? {
            let name: String = row.try_get("s")?;
            let known = match table {
                "jobs" => name.parse::<JobState>().is_ok(),
                "claims" => name.parse::<ClaimStatus>().is_ok(),
                _ => name.parse::<SubmissionStatus>().is_ok(),
            };
            if !known {
                r.problems.push(format!("{table}: unknown {col} '{name}'"));
            }
        }
    }
    Ok(())
}

/// Check 6: a settled job has exactly one valid submission and paid its provider once; no other job has
/// either.
async fn check_payments(db: &Db, r: &mut AuditReport) -> Result<(), MarketError> {
    let q = "SELECT j.id AS id, j.state AS state, CAST((SELECT COUNT(*) FROM submissions s WHERE s.job_id = j.id AND s.status = $1) AS BIGINT) AS valid, CAST((SELECT COUNT(*) FROM entries e WHERE e.job_id = j.id AND e.reason = 'pay provider') AS BIGINT) AS paid FROM jobs j";
    for row in sqlx::query(q)
        .bind(SubmissionStatus::Valid.as_str())
        .fetch_all(&db.pool)
        .await?
    {
        let (id, state, valid, paid): (String, String, i64, i64) = (
            row.try_get("id")?,
            row.try_get("state")?,
            row.try_get("valid")?,
            row.try_get("paid")?,
        );
        let settled = state == "SETTLED";
        if settled && valid != 1 {
            r.problems
                .push(format!("settled job {id} has {valid} valid submissions"));
        }
        if !settled && valid != 0 {
            r.problems
                .push(format!("{state} job {id} has a valid submission"));
        }
        if paid > 1 || (paid > 0 && !settled) {
            r.problems
                .push(format!("{state} job {id} paid its provider {paid} times"));
        }
    }
    Ok(())
}
