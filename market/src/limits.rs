//! The market's numeric bounds, chosen so that no money computation can overflow `i64`.
//!
//! | bound | value | why |
//! |---|---|---|
//! | [`MAX_AMOUNT`] | 10^15 | largest price, collateral, mint, stake or unstake a request may name |
//! | [`MAX_SUPPLY`] | 10^18 | most money ever minted; so every balance, and every sum of balances, is ≤ 10^18 < `i64::MAX` (≈ 9.2·10^18) |
//! | [`BPS`] | 10 000 | royalty + market fee ≤ 10 000 bps of the price |
//!
//! Settlement computes `price · bps / 10 000` in `i128` ([`split_price`]): with price ≤ 10^15 and bps ≤
//! 10^4 the product is ≤ 10^19, which `i128` holds with room to spare, and each share is ≤ the price.

use crate::error::MarketError;

/// The largest money amount a request may name (price, collateral, mint, stake, unstake).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;
/// The most money that can ever be minted (the `mint` account never goes below −MAX_SUPPLY).
pub const MAX_SUPPLY: i64 = 1_000_000_000_000_000_000;
/// Basis points in the whole price.
pub const BPS: i64 = 10_000;

/// How a settled job's price is divided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// To the listing's owner.
    pub royalty: i64,
    /// To the treasury.
    pub fee: i64,
    /// To the provider (the rest, so the three always add up to the price).
    pub provider: i64,
}

/// Divides `price` into royalty, fee and provider share, exactly (rounding down the royalty and fee; the
/// provider gets the remainder). Fails, without overflowing, when the terms are out of bounds.
pub fn split_price(price: i64, royalty_bps: i64, fee_bps: i64) -> Result<Split, MarketError> {
    let bad = || MarketError::TermsOutOfRange {
        price,
        royalty_bps,
        fee_bps,
    };
    if !(0..=MAX_AMOUNT).contains(&price)
        || !(0..=BPS).contains(&royalty_bps)
        || !(0..=BPS).contains(&fee_bps)
        || royalty_bps + fee_bps > BPS
    {
        return Err(bad());
    }
    let part = |bps: i64| i64::try_from(i128::from(price) * i128::from(bps) / i128::from(BPS));
    let royalty = part(royalty_bps).map_err(|_| bad())?;
    let fee = part(fee_bps).map_err(|_| bad())?;
    let provider = price
        .checked_sub(royalty)
        .and_then(|r| r.checked_sub(fee))
        .filter(|p| *p >= 0)
        .ok_or_else(bad)?;
    Ok(Split {
        royalty,
        fee,
        provider,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn split_is_exact_at_the_bounds() {
        let s = split_price(MAX_AMOUNT, 9_900, 100).expect("in bounds");
        assert_eq!(s.royalty, 990_000_000_000_000);
        assert_eq!(s.fee, 10_000_000_000_000);
        assert_eq!(s.provider, 0);
        assert!(split_price(MAX_AMOUNT + 1, 0, 0).is_err());
        assert!(split_price(i64::MAX, 9_900, 100).is_err());
        assert!(split_price(1, 9_901, 100).is_err());
        assert!(split_price(1, -1, 0).is_err());
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        for _ in 0..100_000 {
            let price = if rng.gen_bool(0.2) {
                MAX_AMOUNT - rng.gen_range(0..3)
            } else {
                rng.gen_range(0..=MAX_AMOUNT)
            };
            let fee = rng.gen_range(0..=BPS);
            let royalty = rng.gen_range(0..=BPS - fee);
            let s = split_price(price, royalty, fee).expect("in bounds");
            assert_eq!(s.royalty + s.fee + s.provider, price);
            assert!(s.royalty >= 0 && s.fee >= 0 && s.provider >= 0);
            assert_eq!(
                i128::from(s.royalty),
                i128::from(price) * i128::from(royalty) / 10_000
            );
        }
    }
}
