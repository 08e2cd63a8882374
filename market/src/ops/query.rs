//! Read-only queries.

use super::accounts::{balances, get_listing, listing_from_row};
use super::jobs::strip;
use crate::error::MarketError;
use crate::ledger;
use crate::market::{job_from_row, load_job, Market, JOB_COLS};
use crate::types::{Balances, Info, Job, LedgerEntry, Listing, Totals};
use serde::Deserialize;
use sqlx::Row;
use zkinfer_market_types::auth::check_account_key;

/// The most jobs one `GET /v1/jobs` answers with (`limit` is clamped to it; 100 when not given).
pub const MAX_JOBS_PAGE: i64 = 500;

/// Filters of `GET /v1/jobs`. Jobs come in a stable order, most urgent first: by deadline, then price
/// (highest first), then id; `after` (a job id, the last of the previous page) continues from there.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobFilter {
    pub state: Option<String>,
    pub listing_id: Option<String>,
    pub model_id: Option<String>,
    pub buyer: Option<String>,
    /// Jobs of this account: as buyer or as a provider that claimed them (now or before).
    pub party: Option<String>,
    /// The page after this job (a job id from the previous page).
    pub after: Option<String>,
    pub limit: Option<i64>,
    /// Include each job's input (omitted, as an empty list, unless asked).
    pub include_input: Option<bool>,
}

impl Market {
    /// A job's public view (no outputs).
    pub async fn job(&self, id: &str) -> Result<Job, MarketError> {
        let mut c = self.db.pool.acquire().await?;
        load_job(&mut c, id).await.map(strip)
    }

    /// A job with its outputs, for its buyer.
    pub async fn job_result(&self, signer: &str, id: &str) -> Result<Job, MarketError> {
        let mut c = self.db.pool.acquire().await?;
        let job = load_job(&mut c, id).await?;
        if job.buyer != signer {
            return Err(MarketError::OnlyBuyerReads { job_id: job.id });
        }
        Ok(job)
    }

    /// Jobs in the order of [`JobFilter`], one page.
    pub async fn jobs(&self, f: &JobFilter) -> Result<Vec<Job>, MarketError> {
        let limit = f.limit.unwrap_or(100).clamp(1, MAX_JOBS_PAGE);
        if let Some(state) = f.state.as_deref().filter(|s| !s.is_empty()) {
            state
                .to_ascii_uppercase()
                .parse::<crate::types::JobState>()
                .map_err(|e| MarketError::BadFilter {
                    reason: e.to_string(),
                })?;
        }
        let mut c = self.db.pool.acquire().await?;
        // the cursor: (deadline, price, id) of the job the page starts after
        let (after_deadline, after_price, after_id) = match f.after.as_deref() {
            Some(id) if !id.is_empty() => {
                let j = load_job(&mut c, id).await?;
                (j.deadline, j.price, j.id)
            }
            _ => (i64::MIN, i64::MAX, String::new()),
        };
        let rows = sqlx::query(&format!(
            "SELECT {JOB_COLS} FROM jobs WHERE ($1 = '' OR state = $1) AND ($2 = '' OR listing_id = $2) AND ($3 = '' OR model_id = $3) AND ($4 = '' OR buyer = $4) AND ($5 = '' OR buyer = $5 OR EXISTS (SELECT 1 FROM claims c WHERE c.job_id = jobs.id AND c.provider = $5)) AND (deadline > $6 OR (deadline = $6 AND (price < $7 OR (price = $7 AND id > $8)))) ORDER BY deadline, price DESC, id LIMIT $9"
        ))
        .bind(f.state.clone().unwrap_or_default().to_ascii_uppercase())
        .bind(f.listing_id.clone().unwrap_or_default())
        // model ids are hex: compared without regard to case
        .bind(f.model_id.as_deref().unwrap_or_default().to_ascii_lowercase())
        .bind(f.buyer.clone().unwrap_or_default())
        .bind(f.party.clone().unwrap_or_default())
        .bind(after_deadline)
        .bind(after_price)
        .bind(after_id)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
        let with_input = f.include_input.unwrap_or(false);
        rows.iter()
            .map(|r| {
                let mut j = job_from_row(r).map(strip)?;
                if !with_input {
                    j.input = Vec::new();
                }
                Ok(j)
            })
            .collect()
    }

    /// The balances of an identity (400 for a malformed key, 404 for one that never held money), or of
    /// the treasury (`key` = `treasury`: its balance as `available`).
    pub async fn balances(&self, key: &str) -> Result<Balances, MarketError> {
        let mut c = self.db.pool.acquire().await?;
        if key == ledger::TREASURY {
            return Ok(Balances {
                account: key.to_string(),
                available: ledger::balance(&mut c, ledger::TREASURY).await?,
                ..Balances::default()
            });
        }
        check_account_key(key).map_err(|source| MarketError::BadAccount {
            key: key.to_string(),
            source,
        })?;
        let known: i64 =
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM accounts WHERE owner = $1")
                .bind(key)
                .fetch_one(&mut *c)
                .await?;
        if known == 0 {
            return Err(MarketError::NoAccount {
                key: key.to_string(),
            });
        }
        balances(&mut c, key).await
    }

    /// The ledger entries that move money in or out of an identity's accounts (its available balance,
    /// stakes, collateral, unbonding), oldest first: earnings, slashes with their reasons, escrows and
    /// refunds. One page of at most `limit` (≤ [`MAX_JOBS_PAGE`]) after entry id `after`.
    pub async fn entries(
        &self,
        key: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<LedgerEntry>, MarketError> {
        self.balances(key).await?;
        let rows = sqlx::query(
            "SELECT id, at, debit, credit, amount, reason, job_id FROM entries WHERE (debit IN (SELECT name FROM accounts WHERE owner = $1) OR credit IN (SELECT name FROM accounts WHERE owner = $1)) AND id > $2 ORDER BY id LIMIT $3",
        )
        .bind(key)
        .bind(after)
        .bind(limit.clamp(1, MAX_JOBS_PAGE))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LedgerEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    debit: r.try_get("debit")?,
                    credit: r.try_get("credit")?,
                    amount: r.try_get("amount")?,
                    reason: r.try_get("reason")?,
                    job_id: r.try_get("job_id")?,
                })
            })
            .collect()
    }

    /// Minted, burned and held money.
    pub async fn totals(&self) -> Result<Totals, MarketError> {
        let rows = sqlx::query(
            "SELECT kind, CAST(SUM(balance) AS BIGINT) AS total FROM accounts GROUP BY kind",
        )
        .fetch_all(&self.db.pool)
        .await?;
        let mut t = Totals::default();
        for r in rows {
            let (kind, total): (String, i64) = (r.try_get("kind")?, r.try_get("total")?);
            match kind.as_str() {
                "mint" => t.minted = -total,
                "burn" => t.burned = total,
                k => {
                    if k == ledger::TREASURY {
                        t.treasury = total;
                    }
                    t.held.insert(k.to_string(), total);
                }
            }
        }
        Ok(t)
    }

    /// All listings.
    pub async fn listings(&self) -> Result<Vec<Listing>, MarketError> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM listings ORDER BY id",
            crate::store::LISTING_COLS
        ))
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| listing_from_row(r).map(|l| self.with_frozen(l)))
            .collect()
    }

    /// One listing.
    pub async fn listing(&self, id: &str) -> Result<Listing, MarketError> {
        let mut c = self.db.pool.acquire().await?;
        get_listing(&mut c, id).await.map(|l| self.with_frozen(l))
    }

    /// A listing with why it is frozen, if it is.
    fn with_frozen(&self, mut l: Listing) -> Listing {
        l.frozen = self.frozen_reason(&crate::verify::artifact_set(
            &l.settings_hash,
            &l.vk_hash,
            &l.params_hash,
        ));
        l
    }

    /// Public parameters.
    pub fn info(&self) -> Info {
        Info {
            market_id: self.market_id.clone(),
            fee_bps: self.config.fee_bps,
            now: self.now(),
            dev_mint: self.config.dev_mint,
            dev_clock: self.config.dev_clock,
            max_open_claims: self.config.max_open_claims,
            min_claim_window: self.config.min_claim_window,
            unbonding_secs: self.config.unbonding_secs,
            schema_version: crate::db::SCHEMA_VERSION,
            backend: format!("{:?}", self.db.backend).to_lowercase(),
        }
    }
}
