//! The escrow's whole job state machine as a table (escrow/README.md has the same table): every allowed
//! edge is taken and lands in its state, every refused edge reverts with its error and changes nothing
//! (state, credits, bounty, burned, balance).
//!
//! A job is in one of None (unknown id), Open, Claimed, Settled, Cancelled, Refunded; the functions that
//! act on a job are claim, submit, abandon, expireClaim and cancel (createJob makes a new job: None → Open,
//! and its refusals are in bounds.rs and griefing.rs).
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::U256;
use common::*;
use zkinfer_escrow::bindings::ZkinferEscrow;
use zkinfer_escrow::Outcome;

/// Where a job is brought before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum From {
    /// An id no job has.
    None,
    Open,
    /// Open, with less than the minimum claim window left before the job's deadline.
    OpenLate,
    /// Claimed by `provider` just now (claim deadline in CLAIM_TIMEOUT s, the job's much later).
    Claimed,
    /// Claimed, its claim deadline passed, the window still left.
    ClaimLapsed,
    /// Claimed with exactly the window left (claim deadline = job deadline), then 1 s passed.
    ClaimedLate,
    /// Claimed late and its claim deadline (the job's) passed.
    ClaimedLateLapsed,
    Settled,
    Cancelled,
    Refunded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// claim by provider2 with the collateral
    Claim,
    /// submit of a valid proof by the caller
    Submit,
    /// abandon by the caller
    Abandon,
    /// expireClaim by the caller
    Expire,
    /// cancel by the caller
    Cancel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Buyer,
    Provider,
    Provider2,
    Outsider,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    To(u8),
    Refused(&'static str),
}
use Expect::{Refused, To};

/// (from, call, caller, expected): the table.
const TABLE: &[(From, Call, Who, Expect)] = &[
    // ---- allowed edges
    (From::Open, Call::Claim, Who::Provider2, To(CLAIMED)),
    (From::Open, Call::Cancel, Who::Buyer, To(CANCELLED)),
    (From::Claimed, Call::Submit, Who::Provider, To(SETTLED)),
    (From::Claimed, Call::Abandon, Who::Provider, To(OPEN)),
    (
        From::ClaimedLate,
        Call::Abandon,
        Who::Provider,
        To(REFUNDED),
    ),
    (From::ClaimLapsed, Call::Expire, Who::Outsider, To(OPEN)),
    (
        From::ClaimedLateLapsed,
        Call::Expire,
        Who::Outsider,
        To(REFUNDED),
    ),
    (From::OpenLate, Call::Cancel, Who::Buyer, To(CANCELLED)),
    // ---- refused by a guard (the state allows the call, the caller or the time does not)
    (
        From::OpenLate,
        Call::Claim,
        Who::Provider2,
        Refused("ClaimWindowTooShort"),
    ),
    (From::Open, Call::Cancel, Who::Outsider, Refused("NotBuyer")),
    (
        From::Claimed,
        Call::Submit,
        Who::Provider2,
        Refused("NotClaimant"),
    ),
    (
        From::ClaimLapsed,
        Call::Submit,
        Who::Provider,
        Refused("ClaimExpired"),
    ),
    (
        From::Claimed,
        Call::Abandon,
        Who::Buyer,
        Refused("NotClaimant"),
    ),
    (
        From::Claimed,
        Call::Expire,
        Who::Outsider,
        Refused("ClaimNotExpired"),
    ),
    (
        From::Claimed,
        Call::Claim,
        Who::Provider2,
        Refused("JobNotOpen"),
    ),
    (
        From::Claimed,
        Call::Cancel,
        Who::Buyer,
        Refused("JobNotOpen"),
    ),
    // ---- refused by the state
    (
        From::None,
        Call::Claim,
        Who::Provider2,
        Refused("JobNotOpen"),
    ),
    (
        From::None,
        Call::Submit,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::None,
        Call::Abandon,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::None,
        Call::Expire,
        Who::Outsider,
        Refused("JobNotClaimed"),
    ),
    (From::None, Call::Cancel, Who::Buyer, Refused("JobNotOpen")),
    (
        From::Open,
        Call::Submit,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Open,
        Call::Abandon,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Open,
        Call::Expire,
        Who::Outsider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Settled,
        Call::Claim,
        Who::Provider2,
        Refused("JobNotOpen"),
    ),
    (
        From::Settled,
        Call::Submit,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Settled,
        Call::Abandon,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Settled,
        Call::Expire,
        Who::Outsider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Settled,
        Call::Cancel,
        Who::Buyer,
        Refused("JobNotOpen"),
    ),
    (
        From::Cancelled,
        Call::Claim,
        Who::Provider2,
        Refused("JobNotOpen"),
    ),
    (
        From::Cancelled,
        Call::Submit,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Cancelled,
        Call::Abandon,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Cancelled,
        Call::Expire,
        Who::Outsider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Cancelled,
        Call::Cancel,
        Who::Buyer,
        Refused("JobNotOpen"),
    ),
    (
        From::Refunded,
        Call::Claim,
        Who::Provider2,
        Refused("JobNotOpen"),
    ),
    (
        From::Refunded,
        Call::Submit,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Refunded,
        Call::Abandon,
        Who::Provider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Refunded,
        Call::Expire,
        Who::Outsider,
        Refused("JobNotClaimed"),
    ),
    (
        From::Refunded,
        Call::Cancel,
        Who::Buyer,
        Refused("JobNotOpen"),
    ),
];

fn who(w: &World, x: Who) -> alloy_primitives::Address {
    match x {
        Who::Buyer => w.buyer,
        Who::Provider => w.provider,
        Who::Provider2 => w.provider2,
        Who::Outsider => w.outsider,
    }
}

fn expire(w: &mut World, job: U256) {
    w.send_ok(
        w.outsider,
        U256::ZERO,
        &ZkinferEscrow::expireClaimCall { jobId: job },
    );
}

/// Brings a fresh job of `listing` to `from`; returns its id.
fn reach(w: &mut World, listing: U256, from: From) -> U256 {
    if from == From::None {
        return U256::from(999);
    }
    let job = w.create_job(listing);
    let late = JOB_DURATION - u64::from(MIN_CLAIM_WINDOW);
    match from {
        From::None | From::Open => {}
        From::OpenLate => w.chain.advance(late + 1),
        From::Claimed => {
            w.claim(job, w.provider);
        }
        From::ClaimLapsed => {
            w.claim(job, w.provider);
            w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
        }
        From::ClaimedLate | From::ClaimedLateLapsed => {
            w.chain.advance(late);
            w.claim(job, w.provider);
            w.chain.advance(if from == From::ClaimedLate {
                1
            } else {
                u64::from(MIN_CLAIM_WINDOW) + 1
            });
        }
        From::Settled => {
            w.claim(job, w.provider);
            let proof = w.prove(job, w.provider);
            assert!(w.submit(job, w.provider, proof).is_success());
        }
        From::Cancelled => {
            w.send_ok(
                w.buyer,
                U256::ZERO,
                &ZkinferEscrow::cancelCall { jobId: job },
            );
        }
        From::Refunded => {
            w.chain.advance(late);
            w.claim(job, w.provider);
            w.chain.advance(u64::from(MIN_CLAIM_WINDOW) + 1);
            expire(w, job);
        }
    }
    job
}

fn call(w: &mut World, job: U256, c: Call, by: Who) -> Outcome {
    let from = who(w, by);
    match c {
        Call::Claim => w.claim_call(job, from),
        Call::Submit => {
            let proof = w.prove(job, from);
            w.submit(job, from, proof)
        }
        Call::Abandon => w.send(from, U256::ZERO, &ZkinferEscrow::abandonCall { jobId: job }),
        Call::Expire => w.send(
            from,
            U256::ZERO,
            &ZkinferEscrow::expireClaimCall { jobId: job },
        ),
        Call::Cancel => w.send(from, U256::ZERO, &ZkinferEscrow::cancelCall { jobId: job }),
    }
}

/// Everything a refused call must leave as it was.
fn snapshot(w: &mut World, job: U256) -> Vec<U256> {
    let j = w.job(job);
    let mut v = vec![
        U256::from(u8::from(j.state)),
        U256::from_be_slice(j.provider.as_slice()),
        U256::from(j.claimDeadline),
        w.bounty(job),
        w.burned(ETH),
        w.chain.balance(w.escrow.address),
    ];
    for a in [w.buyer, w.provider, w.provider2, w.outsider, w.owner] {
        v.push(w.credit(a, ETH));
    }
    v
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn every_allowed_edge_is_taken_and_every_refused_edge_changes_nothing() {
    let mut w = World::new();
    let listing = w.list_eth();
    for &(from, c, by, expect) in TABLE {
        let job = reach(&mut w, listing, from);
        let before = snapshot(&mut w, job);
        let r = call(&mut w, job, c, by);
        match expect {
            To(state) => {
                assert!(
                    r.is_success(),
                    "{from:?} --{c:?} by {by:?}--> refused: {}",
                    err_name(&r)
                );
                assert_eq!(w.state(job), state, "{from:?} --{c:?} by {by:?}-->");
            }
            Refused(name) => {
                assert!(!r.is_success(), "{from:?} --{c:?} by {by:?}--> was allowed");
                assert_eq!(err_name(&r), name, "{from:?} --{c:?} by {by:?}-->");
                assert_eq!(
                    snapshot(&mut w, job),
                    before,
                    "{from:?} --{c:?} by {by:?}--> changed something"
                );
            }
        }
    }
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn the_table_covers_every_state_and_call() {
    let states = [
        From::None,
        From::Open,
        From::Claimed,
        From::Settled,
        From::Cancelled,
        From::Refunded,
    ];
    let calls = [
        Call::Claim,
        Call::Submit,
        Call::Abandon,
        Call::Expire,
        Call::Cancel,
    ];
    // each job state, reached through any of its variants, has a row for every call
    let base = |f: From| match f {
        From::OpenLate => From::Open,
        From::ClaimLapsed | From::ClaimedLate | From::ClaimedLateLapsed => From::Claimed,
        other => other,
    };
    for s in states {
        for c in calls {
            assert!(
                TABLE.iter().any(|&(f, tc, _, _)| base(f) == s && tc == c),
                "no row for {s:?} --{c:?}-->"
            );
        }
    }
}
