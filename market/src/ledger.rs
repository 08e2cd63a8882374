//! The double-entry ledger. Money lives in named accounts; every movement is an entry (debit account,
//! credit account, amount > 0) written in the same transaction as the state change it belongs to, and each
//! account's balance always equals its credits minus its debits.
//!
//! | account | holds |
//! |---|---|
//! | `avail:<key>` | an identity's spendable balance |
//! | `stake:<key>:<listing>` | a provider's free stake for a model |
//! | `coll:<claim>` | collateral locked by one claim |
//! | `unbond:<id>` | stake on its way back to `avail` (unbonding delay) |
//! | `escrow:<job>` | a job's price |
//! | `bounty:<job>` | slashed collateral waiting for the job's next provider |
//! | `treasury` | the market's fees |
//! | `mint`, `burn` | the source of minted and the sink of burned money (`mint` is the only negative one) |
//!
//! [`Postings`] collects a transaction's movements and applies their net effect account by account in
//! name order, so concurrent transactions lock shared rows in one order (no deadlocks on PostgreSQL).

use crate::error::MarketError;
use crate::limits::MAX_SUPPLY;
use sqlx::AnyConnection;
use std::collections::BTreeMap;

pub fn avail(key: &str) -> String {
    format!("avail:{key}")
}
pub fn stake(key: &str, listing: &str) -> String {
    format!("stake:{key}:{listing}")
}
pub fn coll(claim: &str) -> String {
    format!("coll:{claim}")
}
pub fn unbond(id: &str) -> String {
    format!("unbond:{id}")
}
pub fn escrow(job: &str) -> String {
    format!("escrow:{job}")
}
pub fn bounty(job: &str) -> String {
    format!("bounty:{job}")
}
pub const TREASURY: &str = "treasury";
pub const MINT: &str = "mint";
pub const BURN: &str = "burn";

/// The kind (prefix) of an account name.
pub fn kind_of(name: &str) -> &str {
    name.split(':').next().unwrap_or(name)
}

/// One movement of money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub from: String,
    pub to: String,
    pub amount: i64,
    pub reason: &'static str,
}

/// The movements of one transaction, with the owner (identity or job) each new account belongs to.
#[derive(Debug, Default)]
pub struct Postings {
    moves: Vec<Move>,
    owners: BTreeMap<String, String>,
}

impl Postings {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves `amount` (skipped when 0) from one account to another. `owner_*` names the identity or job
    /// an account belongs to, used when the account is created.
    pub fn add(
        &mut self,
        from: (&str, &str),
        to: (&str, &str),
        amount: i64,
        reason: &'static str,
    ) -> Result<(), MarketError> {
        if amount < 0 {
            return Err(MarketError::NegativeMove { amount, reason });
        }
        if amount == 0 {
            return Ok(());
        }
        for (name, owner) in [from, to] {
            self.owners
                .entry(name.to_string())
                .or_insert_with(|| owner.to_string());
        }
        self.moves.push(Move {
            from: from.0.to_string(),
            to: to.0.to_string(),
            amount,
            reason,
        });
        Ok(())
    }

    pub fn moves(&self) -> &[Move] {
        &self.moves
    }

    /// Writes the entries and updates the balances. A balance that would go negative (any account but
    /// `mint`) fails with [`MarketError::InsufficientFunds`], naming the account.
    pub async fn apply(
        self,
        tx: &mut AnyConnection,
        job_id: Option<&str>,
        now: i64,
    ) -> Result<(), MarketError> {
        let mut net: BTreeMap<&str, i64> = BTreeMap::new();
        for m in &self.moves {
            let f = net.entry(m.from.as_str()).or_default();
            *f = f
                .checked_sub(m.amount)
                .ok_or_else(|| MarketError::AmountOverflow {
                    account: m.from.clone(),
                })?;
            let t = net.entry(m.to.as_str()).or_default();
            *t = t
                .checked_add(m.amount)
                .ok_or_else(|| MarketError::AmountOverflow {
                    account: m.to.clone(),
                })?;
        }
        for (name, delta) in net {
            let owner = self.owners.get(name).map(String::as_str).unwrap_or("");
            sqlx::query(
                "INSERT INTO accounts (name, kind, owner, balance) VALUES ($1, $2, $3, 0) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(kind_of(name))
            .bind(owner)
            .execute(&mut *tx)
            .await?;
            if delta == 0 {
                continue;
            }
            // no balance goes negative but mint's, and mint's never below −MAX_SUPPLY: so every
            // balance and every sum of balances stays within ±MAX_SUPPLY (see `limits`)
            let done = sqlx::query(
                "UPDATE accounts SET balance = balance + $1 WHERE name = $2 AND (balance + $1 >= 0 OR (kind = 'mint' AND balance + $1 >= $3))",
            )
            .bind(delta)
            .bind(name)
            .bind(-MAX_SUPPLY)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                let have: i64 = sqlx::query_scalar("SELECT balance FROM accounts WHERE name = $1")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await?;
                if kind_of(name) == MINT {
                    return Err(MarketError::SupplyExhausted {
                        amount: -delta,
                        minted: -have,
                    });
                }
                return Err(MarketError::InsufficientFunds {
                    account: name.to_string(),
                    needs: -delta,
                    has: have,
                });
            }
        }
        for m in &self.moves {
            sqlx::query(
                "INSERT INTO entries (at, debit, credit, amount, reason, job_id) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(now)
            .bind(&m.from)
            .bind(&m.to)
            .bind(m.amount)
            .bind(m.reason)
            .bind(job_id)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// A human description of an account for error messages.
pub fn describe(name: &str) -> String {
    let parts: Vec<&str> = name.split(':').collect();
    match parts.as_slice() {
        ["avail", k] => format!("available balance of {}", short(k)),
        ["stake", k, l] => format!("free stake of {} for model '{l}'", short(k)),
        ["coll", c] => format!("collateral of claim {c}"),
        ["escrow", j] => format!("escrow of job {j}"),
        ["bounty", j] => format!("bounty of job {j}"),
        _ => name.to_string(),
    }
}

fn short(k: &str) -> &str {
    k.get(..16).unwrap_or(k)
}

/// The balance of one account (0 when it does not exist).
pub async fn balance(tx: &mut AnyConnection, name: &str) -> Result<i64, MarketError> {
    let v: Option<i64> = sqlx::query_scalar("SELECT balance FROM accounts WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(v.unwrap_or(0))
}
