//! Claims, deadlines, slashing, cancellation and settlement only once.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::U256;
use common::*;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, ZkinferEscrowErrors as E};

fn expire(w: &mut World, job: U256) -> zkinfer_escrow::Outcome {
    w.send(
        w.outsider,
        U256::ZERO,
        &ZkinferEscrow::expireClaimCall { jobId: job },
    )
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn claim_race_first_claim_wins_and_the_loser_keeps_its_collateral() {
    for token in [false, true] {
        let mut w = World::new();
        let listing = if token { w.list_token() } else { w.list_eth() };
        let tok = w.listing_token(listing);
        let job = w.create_job(listing);
        let (eth2, tok2) = (
            w.chain.balance(w.provider2),
            w.token_balance(w.token, w.provider2),
        );
        // two claims in the same block: the first one ordered wins
        w.claim(job, w.provider);
        let r = w.claim_call(job, w.provider2);
        assert!(matches!(err(&r), E::JobNotOpen(e) if u8::from(e.state) == CLAIMED));
        assert_eq!(w.job(job).provider, w.provider);
        assert_eq!(w.chain.balance(w.provider2), eth2);
        assert_eq!(w.token_balance(w.token, w.provider2), tok2);
        let held = if tok == ETH {
            w.chain.balance(w.escrow.address)
        } else {
            w.token_balance(tok, w.escrow.address)
        };
        assert_eq!(held, u(PRICE + COLLATERAL), "one collateral held");
    }
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn claim_needs_the_exact_collateral() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    for value in [COLLATERAL - 1, COLLATERAL + 1, 0] {
        let r = w.send(
            w.provider,
            u(value),
            &ZkinferEscrow::claimCall { jobId: job },
        );
        assert!(
            matches!(err(&r), E::WrongPayment(e) if e.expected == u(COLLATERAL) && e.got == u(value))
        );
    }
    // ETH sent with a claim of an ERC-20 job
    let listing = w.list_token();
    let job = w.create_job(listing);
    let r = w.send(w.provider, u(1), &ZkinferEscrow::claimCall { jobId: job });
    assert_eq!(err_name(&r), "WrongPayment");
    assert_eq!(w.state(job), OPEN);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn late_submit_after_the_claim_deadline_is_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    let deadline: u64 = w.job(job).claimDeadline.to();
    assert_eq!(deadline, w.chain.timestamp() + u64::from(CLAIM_TIMEOUT));
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    let r = w.submit(job, w.provider, proof);
    assert!(matches!(err(&r), E::ClaimExpired(e) if e.claimDeadline == U256::from(deadline)));
    assert_eq!(w.credit(w.provider, ETH), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn submit_exactly_at_the_claim_deadline_is_in_time() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    w.chain.advance(u64::from(CLAIM_TIMEOUT));
    assert_eq!(err_name(&expire(&mut w, job)), "ClaimNotExpired");
    assert!(w.submit(job, w.provider, proof).is_success());
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn slash_on_timeout_reopens_then_refunds_after_the_job_deadline() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    // not before the claim deadline
    let r = expire(&mut w, job);
    assert_eq!(err_name(&r), "ClaimNotExpired");
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    let r = expire(&mut w, job);
    assert!(r.is_success());
    let s = event::<ZkinferEscrow::ClaimSlashed>(&r);
    assert!(!s.abandoned);
    assert_eq!((s.provider, s.collateral), (w.provider, u(COLLATERAL)));
    assert_eq!(events::<ZkinferEscrow::JobReopened>(&r).len(), 1);
    assert_eq!(w.state(job), OPEN);
    assert_eq!(w.job(job).provider, alloy_primitives::Address::ZERO);
    // slashed as the market slashes a timeout: half burned, half to the job's bounty, nothing to the buyer
    assert_eq!(
        (s.burned, s.toBounty),
        (u(COLLATERAL / 2), u(COLLATERAL - COLLATERAL / 2))
    );
    assert_eq!(w.credit(w.buyer, ETH), U256::ZERO);
    assert_eq!(w.credit(w.provider, ETH), U256::ZERO);
    assert_eq!(w.bounty(job), u(COLLATERAL - COLLATERAL / 2));
    assert_eq!(w.burned(ETH), u(COLLATERAL / 2));
    // expiring twice does nothing more
    assert_eq!(err_name(&expire(&mut w, job)), "JobNotClaimed");

    // the second claim runs into the job deadline: its claim deadline is the job's
    w.chain
        .advance(JOB_DURATION - u64::from(CLAIM_TIMEOUT) - 1 - 200);
    w.claim(job, w.provider2);
    let j = w.job(job);
    assert_eq!(j.claimDeadline, j.deadline);
    w.chain.advance(202);
    let r = expire(&mut w, job);
    assert!(r.is_success());
    let refunded = event::<ZkinferEscrow::JobRefunded>(&r);
    assert_eq!((refunded.buyer, refunded.amount), (w.buyer, u(PRICE)));
    assert_eq!(w.state(job), REFUNDED);
    // the buyer gets its price back and nothing more; the bounty is burned with the second slash's half
    assert_eq!(w.credit(w.buyer, ETH), u(PRICE));
    assert_eq!(w.bounty(job), U256::ZERO);
    assert_eq!(w.burned(ETH), u(2 * COLLATERAL));
    // a refunded job cannot be claimed, cancelled or settled
    assert_eq!(err_name(&w.claim_call(job, w.provider)), "JobNotOpen");
    assert_eq!(
        err_name(&w.send(
            w.buyer,
            U256::ZERO,
            &ZkinferEscrow::cancelCall { jobId: job }
        )),
        "JobNotOpen"
    );
    let buyer0 = w.chain.balance(w.buyer);
    assert!(w.withdraw(w.buyer, ETH).is_success());
    assert_eq!(w.chain.balance(w.buyer), buyer0 + u(PRICE));
    assert_eq!(
        w.chain.balance(w.escrow.address),
        u(2 * COLLATERAL),
        "the burned collateral stays locked"
    );
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn abandon_slashes_half_burned_half_bounty_and_reopens_claimant_only() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let r = w.send(
        w.provider2,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    assert_eq!(err_name(&r), "NotClaimant");
    w.send_ok(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    assert_eq!(w.state(job), OPEN);
    assert_eq!(w.credit(w.buyer, ETH), U256::ZERO);
    assert_eq!(w.bounty(job), u(COLLATERAL - COLLATERAL / 2));
    assert_eq!(w.burned(ETH), u(COLLATERAL / 2));
    let r = w.send(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    assert_eq!(err_name(&r), "JobNotClaimed");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn cancel_and_refund_rules() {
    let mut w = World::new();
    let listing = w.list_token();
    let token = w.token;
    let job = w.create_job(listing);
    // only the buyer
    let r = w.send(
        w.outsider,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    assert!(matches!(err(&r), E::NotBuyer(e) if e.caller == w.outsider));
    // not while claimed
    w.claim(job, w.provider);
    let r = w.send(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    assert!(matches!(err(&r), E::JobNotOpen(e) if u8::from(e.state) == CLAIMED));
    w.send_ok(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    // open again: the buyer cancels, once
    w.send_ok(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    assert_eq!(w.state(job), CANCELLED);
    assert_eq!(
        w.credit(w.buyer, token),
        u(PRICE),
        "the bounty is burned, not paid to the buyer"
    );
    assert_eq!(w.burned(token), u(COLLATERAL));
    let r = w.send(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    assert!(matches!(err(&r), E::JobNotOpen(e) if u8::from(e.state) == CANCELLED));
    assert_eq!(err_name(&w.claim_call(job, w.provider)), "JobNotOpen");
    assert_eq!(w.credit(w.buyer, token), u(PRICE));
    // a settled job cannot be cancelled
    let job2 = w.create_job(listing);
    w.claim(job2, w.provider);
    let proof = w.prove(job2, w.provider);
    assert!(w.submit(job2, w.provider, proof).is_success());
    let r = w.send(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job2 },
    );
    assert_eq!(err_name(&r), "JobNotOpen");
    // an unknown job
    let r = w.send(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall {
            jobId: U256::from(99),
        },
    );
    assert!(matches!(err(&r), E::JobNotOpen(e) if u8::from(e.state) == 0));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn an_open_job_past_its_deadline_cannot_be_claimed_and_the_buyer_gets_it_back() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.chain.advance(JOB_DURATION);
    assert_eq!(err_name(&w.claim_call(job, w.provider)), "JobExpired");
    w.send_ok(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    assert_eq!(w.credit(w.buyer, ETH), u(PRICE));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn double_settle_and_double_withdraw_are_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof.clone()).is_success());
    // settled: no second settlement, no expiry, no abandonment
    assert_eq!(err_name(&w.submit(job, w.provider, proof)), "JobNotClaimed");
    w.chain.advance(JOB_DURATION * 2);
    assert_eq!(err_name(&expire(&mut w, job)), "JobNotClaimed");
    let r = w.send(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    assert_eq!(err_name(&r), "JobNotClaimed");
    assert_eq!(w.credit(w.buyer, ETH), U256::ZERO);
    // withdraw once, then nothing
    let p0 = w.chain.balance(w.provider);
    assert!(w.withdraw(w.provider, ETH).is_success());
    let r = w.withdraw(w.provider, ETH);
    assert!(matches!(err(&r), E::NothingToWithdraw(e) if e.account == w.provider));
    assert_eq!(w.chain.balance(w.provider), p0 + provider_share());
    // the owner's royalty is still there
    assert_eq!(w.chain.balance(w.escrow.address), royalty());
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_closed_listing_takes_no_new_jobs_but_its_jobs_still_settle() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job = w.create_job(listing);
    let call = ZkinferEscrow::setListingActiveCall {
        listingId: listing,
        active: false,
    };
    let r = w.send(w.outsider, U256::ZERO, &call);
    assert!(matches!(err(&r), E::NotListingOwner(e) if e.caller == w.outsider));
    w.send_ok(w.owner, U256::ZERO, &call);
    let deadline = alloy_primitives::Uint::from(w.chain.timestamp() + JOB_DURATION);
    let create = ZkinferEscrow::createJobCall {
        listingId: listing,
        inputs: inputs(),
        deadline,
    };
    assert_eq!(
        err_name(&w.send(w.buyer, u(PRICE), &create)),
        "ListingInactive"
    );
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof).is_success());
    let unknown = ZkinferEscrow::setListingActiveCall {
        listingId: U256::from(9),
        active: true,
    };
    assert_eq!(
        err_name(&w.send(w.owner, U256::ZERO, &unknown)),
        "UnknownListing"
    );
}
