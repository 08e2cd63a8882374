//! Dev-mode minting, model listings, stakes and unbonding.

use crate::db::write_tx;
use crate::error::{DevFeature, MarketError};
use crate::key_limits::{precheck, ArtifactFile, KeyLimitError};
use crate::ledger::{self, Postings};
use crate::market::{check_amount, random_id, require_signer, Market, Signer};
use crate::types::{Balances, ClaimStatus, ListReq, Listing, MintReq, StakeReq};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};
use zkinfer_verifier::VerifierArtifacts;

/// Decodes an artifact's hex, refusing one over its size limit before decoding it.
fn unhex(s: &str, file: ArtifactFile) -> Result<Vec<u8>, MarketError> {
    let s = s.trim();
    if s.len() / 2 > file.limit() {
        return Err(MarketError::KeyLimit(KeyLimitError::FileTooLarge {
            file,
            bytes: s.len() / 2,
        }));
    }
    let field = match file {
        ArtifactFile::Settings => "settings",
        ArtifactFile::Vk => "vk",
        ArtifactFile::Params => "params",
    };
    hex::decode(s).map_err(|source| MarketError::NotHex { field, source })
}

fn valid_listing_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

impl Market {
    /// Dev mode: creates money in the signer's account.
    pub async fn mint(&self, s: &Signer, req: &MintReq) -> Result<i64, MarketError> {
        if !self.config.dev_mint {
            return Err(MarketError::Disabled(DevFeature::Mint));
        }
        require_signer(s, &req.account, "account")?;
        check_amount(req.amount, "amount", false)?;
        let now = self.now();
        let available = write_tx!(self.db, tx, {
            let mut p = Postings::new();
            let acct = ledger::avail(&req.account);
            p.add(
                (ledger::MINT, ""),
                (&acct, &req.account),
                req.amount,
                "mint",
            )?;
            p.apply(tx, None, now).await?;
            ledger::balance(tx, &acct).await
        })?;
        crate::event!(account = %req.account, amount = req.amount, "minted (dev)");
        Ok(available)
    }

    /// Lists a model, or re-lists it (new artifacts or terms) when the signer owns the listing. Jobs
    /// already created keep the artifacts and terms they pinned.
    pub async fn list_model(&self, s: &Signer, req: &ListReq) -> Result<Listing, MarketError> {
        require_signer(s, &req.owner, "owner")?;
        if !valid_listing_id(&req.listing_id) {
            return Err(MarketError::BadListingId {
                listing_id: req.listing_id.clone(),
            });
        }
        check_amount(req.price, "price", false)?;
        check_amount(req.collateral, "collateral", true)?;
        if !(0..=10_000).contains(&req.royalty_bps)
            || req.royalty_bps + self.config.fee_bps > 10_000
        {
            return Err(MarketError::RoyaltyOutOfRange {
                royalty_bps: req.royalty_bps,
                fee_bps: self.config.fee_bps,
            });
        }
        if !(1..=86_400).contains(&req.claim_timeout) {
            return Err(MarketError::ClaimTimeoutOutOfRange {
                claim_timeout: req.claim_timeout,
            });
        }
        // sizes, SRS, k and load cost first: nothing proportional to 2^k is allocated for a listing that
        // this server could not hold (crate::key_limits)
        let settings = unhex(&req.settings, ArtifactFile::Settings)?;
        let vk = unhex(&req.vk, ArtifactFile::Vk)?;
        let params = unhex(&req.params, ArtifactFile::Params)?;
        let pre = precheck(&settings, &vk, &params, &self.key_limits()).map_err(|e| match e {
            KeyLimitError::Srs(source) => MarketError::UntrustedSrs {
                listing_id: req.listing_id.clone(),
                source,
            },
            other => MarketError::KeyLimit(other),
        })?;
        // jobs on it must be able to name their input and pay for outputs the buyer reads
        crate::ops::jobs::hashed_inputs(&pre.settings)?;
        let hashes = [&settings, &vk, &params].map(|b| hex::encode(Sha256::digest(b)));
        let set = crate::verify::artifact_set(&hashes[0], &hashes[1], &hashes[2]);
        let (s2, v2, p2) = (settings.clone(), vk.clone(), params.clone());
        let load = move || VerifierArtifacts::from_bytes(&s2, &v2, &p2);
        let art = self
            .keys
            .get_or_load(&set, pre.cost, load)
            .await?
            .map_err(MarketError::ArtifactsRejected)?;
        let now = self.now();
        let listing = write_tx!(self.db, tx, {
            for (h, b) in hashes.iter().zip([&settings, &vk, &params]) {
                sqlx::query(
                        "INSERT INTO artifacts (hash, bytes) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING",
                    )
                    .bind(h)
                    .bind(b.as_slice())
                    .execute(&mut *tx)
                    .await?;
            }
            let existing = get_listing(tx, &req.listing_id).await;
            let revision = match existing {
                Ok(l) if l.owner != req.owner => {
                    return Err(MarketError::NotListingOwner {
                        listing_id: req.listing_id.clone(),
                    })
                }
                Ok(l) => l.revision + 1,
                Err(MarketError::NoListing { .. }) => 1,
                Err(e) => return Err(e),
            };
            let l = Listing {
                id: req.listing_id.clone(),
                owner: req.owner.clone(),
                model_id: art.model_id.clone(),
                settings_hash: hashes[0].clone(),
                vk_hash: hashes[1].clone(),
                params_hash: hashes[2].clone(),
                price: req.price,
                royalty_bps: req.royalty_bps,
                collateral: req.collateral,
                claim_timeout: req.claim_timeout,
                revision,
                created_at: now,
                updated_at: now,
                frozen: None,
            };
            if revision == 1 {
                sqlx::query(
                        "INSERT INTO listings (id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, collateral, claim_timeout, revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(&l.id).bind(&l.owner).bind(&l.model_id).bind(&l.settings_hash).bind(&l.vk_hash)
                    .bind(&l.params_hash).bind(l.price).bind(l.royalty_bps).bind(l.collateral)
                    .bind(l.claim_timeout).bind(l.revision).bind(l.created_at).bind(l.updated_at)
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                        "UPDATE listings SET model_id = $1, settings_hash = $2, vk_hash = $3, params_hash = $4, price = $5, royalty_bps = $6, collateral = $7, claim_timeout = $8, revision = $9, updated_at = $10 WHERE id = $11",
                    )
                    .bind(&l.model_id).bind(&l.settings_hash).bind(&l.vk_hash).bind(&l.params_hash)
                    .bind(l.price).bind(l.royalty_bps).bind(l.collateral).bind(l.claim_timeout)
                    .bind(l.revision).bind(now).bind(&l.id)
                    .execute(&mut *tx)
                    .await?;
            }
            get_listing(tx, &l.id).await
        })?;
        crate::event!(listing = %listing.id, owner = %listing.owner, revision = listing.revision, price = listing.price, royalty_bps = listing.royalty_bps, collateral = listing.collateral, k = pre.settings.k, key_bytes = pre.cost, "model listed");
        Ok(listing)
    }

    /// Moves available money into the provider's stake for a listing (registering it as a provider).
    pub async fn stake(&self, s: &Signer, req: &StakeReq) -> Result<Balances, MarketError> {
        check_stake_req(s, req)?;
        let now = self.now();
        let b = write_tx!(self.db, tx, {
            start_stake_tx(tx, req).await?;
            release_unbonded(tx, Some(&req.provider), now).await?;
            let stake = ledger::stake(&req.provider, &req.listing_id);
            move_providers_money(tx, req, &ledger::avail(&req.provider), &stake, "stake", now).await
        })?;
        crate::event!(provider = %req.provider, listing = %req.listing_id, amount = req.amount, "stake added");
        Ok(b)
    }

    /// Starts unbonding free stake: refused while the provider holds an open claim on the listing; the
    /// money becomes available after the unbonding delay.
    pub async fn unstake(&self, s: &Signer, req: &StakeReq) -> Result<Balances, MarketError> {
        check_stake_req(s, req)?;
        let now = self.now();
        let b = write_tx!(self.db, tx, {
            start_stake_tx(tx, req).await?;
            let open: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM claims WHERE provider = $1 AND listing_id = $2 AND status = $3",
                )
                .bind(&req.provider)
                .bind(&req.listing_id)
                .bind(ClaimStatus::Active.as_str())
                .fetch_one(&mut *tx)
                .await?;
            if open > 0 {
                return Err(MarketError::UnstakeWithOpenClaims {
                    open,
                    listing_id: req.listing_id.clone(),
                });
            }
            let id = random_id("u");
            sqlx::query(
                    "INSERT INTO unbondings (id, provider, listing_id, amount, release_at, released) VALUES ($1, $2, $3, $4, $5, 0)",
                )
                .bind(&id)
                .bind(&req.provider)
                .bind(&req.listing_id)
                .bind(req.amount)
                .bind(now + self.config.unbonding_secs)
                .execute(&mut *tx)
                .await?;
            let stake = ledger::stake(&req.provider, &req.listing_id);
            move_providers_money(tx, req, &stake, &ledger::unbond(&id), "unstake", now).await
        })?;
        crate::event!(provider = %req.provider, listing = %req.listing_id, amount = req.amount, "unstaking started");
        Ok(b)
    }
}

/// A stake request's signer (its provider) and amount.
fn check_stake_req(s: &Signer, req: &StakeReq) -> Result<(), MarketError> {
    require_signer(s, &req.provider, "provider")?;
    check_amount(req.amount, "amount", false)
}

/// The start of a stake request's transaction: the listing must exist.
async fn start_stake_tx(tx: &mut AnyConnection, req: &StakeReq) -> Result<(), MarketError> {
    get_listing(tx, &req.listing_id).await?;
    Ok(())
}

/// Moves the request's amount between two of its provider's accounts (`reason` on the posting); the
/// provider's balances after.
async fn move_providers_money(
    tx: &mut AnyConnection,
    req: &StakeReq,
    from: &str,
    to: &str,
    reason: &'static str,
    now: i64,
) -> Result<Balances, MarketError> {
    let mut p = Postings::new();
    p.add(
        (from, &req.provider),
        (to, &req.provider),
        req.amount,
        reason,
    )?;
    p.apply(tx, None, now).await?;
    balances(tx, &req.provider).await
}

/// Releases unbonded stake whose delay has passed (of one provider, or of all).
pub(crate) async fn release_unbonded(
    tx: &mut AnyConnection,
    provider: Option<&str>,
    now: i64,
) -> Result<usize, MarketError> {
    let rows = sqlx::query(
        "SELECT id, provider, amount FROM unbondings WHERE released = 0 AND release_at <= $1 AND ($2 = '' OR provider = $2) ORDER BY id LIMIT 200",
    )
    .bind(now)
    .bind(provider.unwrap_or(""))
    .fetch_all(&mut *tx)
    .await?;
    let mut n = 0;
    for r in rows {
        let (id, who, amount): (String, String, i64) = (
            r.try_get("id")?,
            r.try_get("provider")?,
            r.try_get("amount")?,
        );
        let done = sqlx::query("UPDATE unbondings SET released = 1 WHERE id = $1 AND released = 0")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            continue;
        }
        let mut p = Postings::new();
        p.add(
            (&ledger::unbond(&id), &who),
            (&ledger::avail(&who), &who),
            amount,
            "unbonded",
        )?;
        p.apply(tx, None, now).await?;
        n += 1;
    }
    Ok(n)
}

/// The balances of one identity.
pub(crate) async fn balances(tx: &mut AnyConnection, key: &str) -> Result<Balances, MarketError> {
    let rows = sqlx::query("SELECT name, kind, balance FROM accounts WHERE owner = $1")
        .bind(key)
        .fetch_all(&mut *tx)
        .await?;
    let mut b = Balances {
        account: key.to_string(),
        ..Balances::default()
    };
    b.escrow = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(a.balance), 0) AS BIGINT) FROM accounts a JOIN jobs j ON a.name = 'escrow:' || j.id WHERE j.buyer = $1",
    )
    .bind(key)
    .fetch_one(&mut *tx)
    .await?;
    for r in rows {
        let (name, kind, bal): (String, String, i64) = (
            r.try_get("name")?,
            r.try_get("kind")?,
            r.try_get("balance")?,
        );
        match kind.as_str() {
            "avail" => b.available += bal,
            "stake" => {
                let listing = name.splitn(3, ':').nth(2).unwrap_or("").to_string();
                *b.stakes.entry(listing).or_default() += bal;
            }
            "coll" => b.collateral += bal,
            "unbond" => b.unbonding += bal,
            _ => {}
        }
    }
    Ok(b)
}

pub(crate) use crate::store::{get_listing, listing_from_row};
