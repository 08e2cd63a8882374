//! Integer and parameter bounds: royalty, zero and huge amounts, instance counts, field elements, time.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::{Uint, U256};
use alloy_sol_types::SolCall;
use common::*;
use zkinfer_escrow::bind::SCALAR_MODULUS;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, ListingParams, ZkinferEscrowErrors as E};

fn list_err(w: &mut World, p: ListingParams) -> E {
    let call = w.list_call(p);
    let r = w.send(w.owner, U256::ZERO, &call);
    err(&r)
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn royalty_above_10000_bps_is_refused_and_10000_pays_the_owner_the_whole_price() {
    let mut w = World::new();
    let mut p = w.params(ETH);
    p.royaltyBps = 10_001;
    assert!(
        matches!(list_err(&mut w, p.clone()), E::RoyaltyOutOfRange(e) if e.royaltyBps == U256::from(10_001))
    );
    p.royaltyBps = u16::MAX;
    assert_eq!(
        format!("{:?}", list_err(&mut w, p.clone()))
            .split('(')
            .next(),
        Some("RoyaltyOutOfRange")
    );
    p.royaltyBps = 10_000;
    let listing = w.list_with(p);
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof).is_success());
    assert_eq!(w.credit(w.owner, ETH), u(PRICE));
    assert_eq!(w.credit(w.provider, ETH), u(COLLATERAL));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn zero_price_and_zero_collateral_are_refused() {
    let mut w = World::new();
    let mut p = w.params(ETH);
    p.price = 0;
    assert!(matches!(list_err(&mut w, p), E::AmountOutOfRange(_)));
    let mut p = w.params(ETH);
    p.collateral = 0;
    assert!(matches!(list_err(&mut w, p), E::AmountOutOfRange(_)));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn the_largest_amounts_settle_exactly() {
    let mut w = World::new();
    let max = u128::MAX;
    let mut p = w.params(w.token);
    p.price = max;
    p.collateral = max;
    p.royaltyBps = 9_999;
    let listing = w.list_with(p);
    let token = w.token;
    w.fund_token(token, w.buyer, U256::from(max));
    w.fund_token(token, w.provider, U256::from(max));
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof).is_success());
    let royalty = U256::from(max) * U256::from(9_999) / U256::from(10_000);
    assert_eq!(w.credit(w.owner, token), royalty);
    assert_eq!(
        w.credit(w.provider, token),
        U256::from(max) - royalty + U256::from(max)
    );
    assert!(w.withdraw(w.provider, token).is_success());
    assert!(w.withdraw(w.owner, token).is_success());
    assert_eq!(w.token_balance(token, w.escrow.address), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn an_amount_above_uint128_in_raw_calldata_is_refused() {
    let mut w = World::new();
    let p = w.params(ETH);
    let mut data = w.list_call(p).abi_encode();
    // head: selector, then the static struct's words: verifier, token, digest, nIn, nOut, price, ...
    let price_word = 4 + 5 * 32;
    assert_eq!(
        U256::from_be_slice(&data[price_word..price_word + 32]),
        u(PRICE)
    );
    data[price_word..price_word + 32]
        .copy_from_slice(&(U256::from(1) << 128usize).to_be_bytes::<32>());
    let r = w
        .chain
        .call(w.owner, w.escrow.address, &data, U256::ZERO)
        .unwrap();
    assert!(!r.is_success(), "a price of 2^128 must not be listed");
    let count = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::listingCountCall {})
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn listing_parameters_out_of_range_are_refused() {
    let mut w = World::new();
    let base = w.params(ETH);
    let cases: Vec<(ListingParams, &str)> = vec![
        (
            ListingParams {
                settingsDigest: SCALAR_MODULUS,
                ..base.clone()
            },
            "DigestOutOfField",
        ),
        (
            ListingParams {
                settingsDigest: U256::MAX,
                ..base.clone()
            },
            "DigestOutOfField",
        ),
        (
            ListingParams {
                nInputs: 0,
                ..base.clone()
            },
            "InstanceCountOutOfRange",
        ),
        (
            ListingParams {
                nOutputs: 0,
                ..base.clone()
            },
            "InstanceCountOutOfRange",
        ),
        (
            ListingParams {
                nInputs: 4097,
                ..base.clone()
            },
            "InstanceCountOutOfRange",
        ),
        (
            ListingParams {
                nOutputs: u32::MAX,
                ..base.clone()
            },
            "InstanceCountOutOfRange",
        ),
        (
            ListingParams {
                claimTimeout: 59,
                ..base.clone()
            },
            "ClaimTimeoutOutOfRange",
        ),
        (
            ListingParams {
                claimTimeout: 86_400 + 1,
                ..base.clone()
            },
            "ClaimTimeoutOutOfRange",
        ),
        (
            ListingParams {
                collateral: PRICE / 10 - 1,
                ..base.clone()
            },
            "CollateralTooLow",
        ),
        (
            ListingParams {
                minClaimWindow: 59,
                ..base.clone()
            },
            "ClaimWindowOutOfRange",
        ),
        (
            ListingParams {
                minClaimWindow: CLAIM_TIMEOUT + 1,
                ..base.clone()
            },
            "ClaimWindowOutOfRange",
        ),
        (
            ListingParams {
                token: addr(0x66),
                ..base.clone()
            },
            "NotAContract",
        ),
    ];
    for (p, expected) in cases {
        let e = format!("{:?}", list_err(&mut w, p));
        assert_eq!(e.split('(').next(), Some(expected), "{e}");
    }
    // the edges themselves are accepted
    let edges = ListingParams {
        nInputs: 4096,
        nOutputs: 4096,
        claimTimeout: 60,
        minClaimWindow: 60,
        collateral: PRICE / 10,
        settingsDigest: SCALAR_MODULUS - U256::from(1),
        ..base.clone()
    };
    w.list_with(edges);
    w.list_with(ListingParams {
        claimTimeout: 86_400,
        minClaimWindow: 86_400,
        ..base
    });
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn job_parameters_out_of_range_are_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let now = w.chain.timestamp();
    let create = |inputs: Vec<U256>, deadline: u64| ZkinferEscrow::createJobCall {
        listingId: listing,
        inputs,
        deadline: Uint::from(deadline),
    };
    let ok_deadline = now + JOB_DURATION;
    let mut big = inputs();
    big[2] = SCALAR_MODULUS;
    let mut wide = inputs();
    wide[0] = U256::from(1u64 << INPUT_BITS);
    let cases = vec![
        (create(big, ok_deadline), u(PRICE), "InputOutOfRange"),
        (create(wide, ok_deadline), u(PRICE), "InputOutOfRange"),
        (
            create(inputs(), now + u64::from(MIN_CLAIM_WINDOW) - 1),
            u(PRICE),
            "DeadlineOutOfRange",
        ),
        (
            create(inputs()[..3].to_vec(), ok_deadline),
            u(PRICE),
            "WrongInstanceCount",
        ),
        (
            create(vec![U256::ZERO; 5], ok_deadline),
            u(PRICE),
            "WrongInstanceCount",
        ),
        (create(inputs(), now), u(PRICE), "DeadlineOutOfRange"),
        (
            create(inputs(), now + 365 * 86_400 + 1),
            u(PRICE),
            "DeadlineOutOfRange",
        ),
        (create(inputs(), ok_deadline), u(PRICE - 1), "WrongPayment"),
        (create(inputs(), ok_deadline), u(PRICE + 1), "WrongPayment"),
        (create(inputs(), ok_deadline), U256::ZERO, "WrongPayment"),
    ];
    for (call, value, expected) in cases {
        let r = w.send(w.buyer, value, &call);
        assert_eq!(err_name(&r), expected);
    }
    let unknown = ZkinferEscrow::createJobCall {
        listingId: U256::from(7),
        inputs: inputs(),
        deadline: Uint::from(ok_deadline),
    };
    assert_eq!(
        err_name(&w.send(w.buyer, u(PRICE), &unknown)),
        "UnknownListing"
    );
    // ETH with an ERC-20 listing
    let tl = w.list_token();
    let call = ZkinferEscrow::createJobCall {
        listingId: tl,
        inputs: inputs(),
        deadline: Uint::from(ok_deadline),
    };
    assert_eq!(err_name(&w.send(w.buyer, u(1), &call)), "WrongPayment");
    let count = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::jobCountCall {})
        .unwrap();
    assert_eq!(count, 0, "no job was made");
    assert_eq!(w.chain.balance(w.escrow.address), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn plain_eth_sent_to_the_escrow_is_refused() {
    let mut w = World::new();
    let r = w.chain.call(w.buyer, w.escrow.address, &[], u(1)).unwrap();
    assert!(!r.is_success());
    assert_eq!(w.chain.balance(w.escrow.address), U256::ZERO);
}
