//! Issue 28, items 6 and 8: a claim needs at least the listing's minimum claim window before the job's
//! deadline (a claim mined 1 s before the deadline used to get 1 s, and its valid proof then failed), a
//! failed claim reopens its job only if that window is left, and a job is created with at least that long.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::U256;
use common::*;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, ZkinferEscrowErrors as E};

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_claim_with_less_than_the_minimum_window_left_is_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    let deadline: u64 = w.job(job).deadline.to();
    // the case: 1 s before the job's deadline
    w.chain.advance(JOB_DURATION - 1);
    let r = w.claim_call(job, w.provider);
    assert!(
        matches!(err(&r), E::ClaimWindowTooShort(ref e)
            if e.left == U256::from(1) && e.needed == U256::from(MIN_CLAIM_WINDOW)),
        "{}",
        err_name(&r)
    );
    assert_eq!(w.state(job), OPEN);
    assert_eq!(
        w.chain.balance(w.escrow.address),
        u(PRICE),
        "no collateral taken"
    );

    // one second short of the window, then exactly the window
    let job = w.create_job(listing);
    let deadline2: u64 = w.job(job).deadline.to();
    assert!(deadline2 > deadline);
    w.chain
        .advance(JOB_DURATION - u64::from(MIN_CLAIM_WINDOW) + 1);
    assert_eq!(
        err_name(&w.claim_call(job, w.provider)),
        "ClaimWindowTooShort"
    );
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.chain.advance(JOB_DURATION - u64::from(MIN_CLAIM_WINDOW));
    w.claim(job, w.provider);
    let claim_deadline: u64 = w.job(job).claimDeadline.to();
    let window = claim_deadline - w.chain.timestamp();
    assert_eq!(
        window,
        u64::from(MIN_CLAIM_WINDOW),
        "the claim gets the whole window"
    );
    // and a valid proof submitted at the end of it settles
    let proof = w.prove(job, w.provider);
    w.chain.advance(u64::from(MIN_CLAIM_WINDOW));
    assert!(w.submit(job, w.provider, proof).is_success());
    assert_eq!(w.state(job), SETTLED);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_failed_claim_reopens_its_job_only_with_the_window_left() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    // claimed with CLAIM_TIMEOUT + 100 s left: the claim lapses with 99 s left, less than the window
    w.chain
        .advance(JOB_DURATION - u64::from(CLAIM_TIMEOUT) - 100);
    w.claim(job, w.provider);
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    let r = w.send_ok(
        w.outsider,
        U256::ZERO,
        &ZkinferEscrow::expireClaimCall { jobId: job },
    );
    assert!(events::<ZkinferEscrow::JobReopened>(&r).is_empty());
    assert_eq!(event::<ZkinferEscrow::JobRefunded>(&r).amount, u(PRICE));
    assert_eq!(w.state(job), REFUNDED);
    assert_eq!(w.credit(w.buyer, ETH), u(PRICE));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn claim_squatting_is_bounded() {
    // the case: 1 wei of collateral with a 30-day claim timeout
    let mut w = World::new();
    let mut p = w.params(ETH);
    p.collateral = 1;
    let call = w.list_call(p);
    let r = w.send(w.owner, U256::ZERO, &call);
    assert!(matches!(err(&r), E::CollateralTooLow(ref e) if e.collateral == U256::from(1)));
    let mut p = w.params(ETH);
    p.claimTimeout = 30 * 86_400;
    let call = w.list_call(p);
    let r = w.send(w.owner, U256::ZERO, &call);
    assert_eq!(err_name(&r), "ClaimTimeoutOutOfRange");
    let max_timeout: U256 = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::MAX_CLAIM_TIMEOUTCall {})
        .unwrap();
    let min_bps: U256 = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::MIN_COLLATERAL_BPSCall {})
        .unwrap();
    assert_eq!(
        (max_timeout, min_bps),
        (U256::from(86_400), U256::from(1_000))
    );
}
