//! The escrow flow end to end with the instance-checking test verifier: ETH and ERC-20, events, payments.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::{keccak256, U256};
use alloy_sol_types::SolCall;
use common::*;
use zkinfer_escrow::bind::bind_u256;
use zkinfer_escrow::bindings::ZkinferEscrow;

fn settle_and_check(w: &mut World, listing: U256, token: alloy_primitives::Address) {
    let job = w.create_job(listing);
    assert_eq!(w.state(job), OPEN);
    let claimed = w.claim(job, w.provider);
    let ev = event::<ZkinferEscrow::JobClaimed>(&claimed);
    let expected_bind = bind_u256(w.chain.chain_id(), w.escrow.address, job, w.provider);
    assert_eq!(ev.bindValue, expected_bind);
    assert_eq!(ev.provider, w.provider);
    assert_eq!(w.state(job), CLAIMED);

    let proof = w.prove(job, w.provider);
    let r = w.submit(job, w.provider, proof);
    assert!(
        r.is_success(),
        "submit: {}",
        zkinfer_escrow::escrow::describe_failure(&r)
    );
    let settled = event::<ZkinferEscrow::JobSettled>(&r);
    assert_eq!(settled.outputs, outputs());
    assert_eq!(settled.provider, w.provider);
    assert_eq!(settled.royalty, royalty());
    assert_eq!(settled.providerAmount, provider_share());
    assert_eq!(w.state(job), SETTLED);
    let mut packed = Vec::new();
    for o in outputs() {
        packed.extend_from_slice(&o.to_be_bytes::<32>());
    }
    let stored = w
        .escrow
        .view(&w.chain, &ZkinferEscrow::outputsHashCall::new((job,)))
        .unwrap();
    assert_eq!(stored, keccak256(&packed));
    assert_eq!(w.credit(w.provider, token), provider_share());
    assert_eq!(w.credit(w.owner, token), royalty());
    assert_eq!(w.credit(w.buyer, token), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn happy_path_eth() {
    let mut w = World::new();
    let listing = w.list_eth();
    let (buyer0, prov0, owner0) = (
        w.chain.balance(w.buyer),
        w.chain.balance(w.provider),
        w.chain.balance(w.owner),
    );
    settle_and_check(&mut w, listing, ETH);
    assert_eq!(w.chain.balance(w.escrow.address), u(PRICE + COLLATERAL));

    let r = w.withdraw(w.provider, ETH);
    assert!(r.is_success());
    let ev = event::<ZkinferEscrow::Withdrawn>(&r);
    assert_eq!(
        (ev.account, ev.token, ev.to, ev.amount),
        (w.provider, ETH, w.provider, provider_share())
    );
    assert!(w.withdraw(w.owner, ETH).is_success());
    // gas price is zero here, so balances move by exactly the amounts
    assert_eq!(w.chain.balance(w.buyer), buyer0 - u(PRICE));
    assert_eq!(w.chain.balance(w.provider), prov0 + u(PRICE) - royalty());
    assert_eq!(w.chain.balance(w.owner), owner0 + royalty());
    assert_eq!(w.chain.balance(w.escrow.address), U256::ZERO);
    assert_eq!(w.credit(w.provider, ETH), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn happy_path_erc20() {
    let mut w = World::new();
    let listing = w.list_token();
    let token = w.token;
    let (buyer0, prov0) = (
        w.token_balance(token, w.buyer),
        w.token_balance(token, w.provider),
    );
    let eth0 = w.chain.balance(w.buyer);
    settle_and_check(&mut w, listing, token);
    assert_eq!(
        w.token_balance(token, w.escrow.address),
        u(PRICE + COLLATERAL)
    );
    assert!(w.withdraw(w.provider, token).is_success());
    assert!(w.withdraw(w.owner, token).is_success());
    assert_eq!(w.token_balance(token, w.buyer), buyer0 - u(PRICE));
    assert_eq!(
        w.token_balance(token, w.provider),
        prov0 + u(PRICE) - royalty()
    );
    assert_eq!(w.token_balance(token, w.owner), royalty());
    assert_eq!(w.token_balance(token, w.escrow.address), U256::ZERO);
    assert_eq!(w.chain.balance(w.buyer), eth0, "an ERC-20 job moves no ETH");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn every_transition_emits_its_event() {
    let mut w = World::new();
    let params = w.params(ETH);
    let call = w.list_call(params.clone());
    let r = w.send_ok(w.owner, U256::ZERO, &call);
    let listed = event::<ZkinferEscrow::ModelListed>(&r);
    assert_eq!(
        (listed.listingId, listed.owner, listed.verifier),
        (U256::from(1), w.owner, w.verifier)
    );
    assert_eq!(listed.params.settingsDigest, digest());
    assert_eq!(listed.inputRanges, ranges(N_IN));
    // the verifier's code is pinned: the event and the stored listing carry its code hash
    let codehash = keccak256(w.chain.code(w.verifier));
    assert_eq!(listed.verifierCodehash, codehash);
    let listing = listed.listingId;
    assert_eq!(
        w.escrow
            .listing(&w.chain, listing)
            .unwrap()
            .verifierCodehash,
        codehash
    );

    let deadline = w.chain.timestamp() + JOB_DURATION;
    let call = ZkinferEscrow::createJobCall {
        listingId: listing,
        inputs: inputs(),
        deadline: alloy_primitives::Uint::from(deadline),
    };
    let r = w.send_ok(w.buyer, u(PRICE), &call);
    let created = event::<ZkinferEscrow::JobCreated>(&r);
    assert_eq!(created.inputs, inputs());
    assert_eq!(created.buyer, w.buyer);
    let mut packed = Vec::new();
    for i in inputs() {
        packed.extend_from_slice(&i.to_be_bytes::<32>());
    }
    assert_eq!(created.inputsHash, keccak256(&packed));
    let job = created.jobId;

    w.claim(job, w.provider);
    let r = w.send_ok(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::abandonCall { jobId: job },
    );
    let slashed = event::<ZkinferEscrow::ClaimSlashed>(&r);
    assert!(slashed.abandoned);
    assert_eq!(
        (
            slashed.provider,
            slashed.collateral,
            slashed.burned,
            slashed.toBounty
        ),
        (
            w.provider,
            u(COLLATERAL),
            u(COLLATERAL / 2),
            u(COLLATERAL - COLLATERAL / 2)
        )
    );
    assert_eq!(event::<ZkinferEscrow::JobReopened>(&r).jobId, job);

    let r = w.send_ok(
        w.buyer,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: job },
    );
    let cancelled = event::<ZkinferEscrow::JobCancelled>(&r);
    assert_eq!(
        (cancelled.jobId, cancelled.buyer, cancelled.amount),
        (job, w.buyer, u(PRICE))
    );
    let burned = event::<ZkinferEscrow::BountyBurned>(&r);
    assert_eq!(
        (burned.jobId, burned.amount),
        (job, u(COLLATERAL - COLLATERAL / 2))
    );

    let r = w.send_ok(
        w.owner,
        U256::ZERO,
        &ZkinferEscrow::setListingActiveCall {
            listingId: listing,
            active: false,
        },
    );
    assert!(!event::<ZkinferEscrow::ListingActiveSet>(&r).active);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn bind_value_matches_the_contract_on_every_chain() {
    for chain_id in [1u64, 10, 8453, 31337, u64::MAX] {
        let w = World::with_chain_id(chain_id);
        for (job, provider) in [
            (1u64, w.provider),
            (2, w.provider),
            (1, w.provider2),
            (u64::MAX, w.outsider),
        ] {
            let job = U256::from(job);
            let on_chain = w.escrow.bind_value(&w.chain, job, provider).unwrap();
            assert_eq!(
                on_chain,
                bind_u256(chain_id, w.escrow.address, job, provider)
            );
            assert!(on_chain < zkinfer_escrow::bind::SCALAR_MODULUS);
            let f = zkinfer_escrow::bind_value(chain_id, w.escrow.address, job, provider);
            assert_eq!(zkinfer_escrow::bind::fr_to_u256(&f), on_chain);
        }
    }
    // and a job id above 2^64 (the contract takes uint256 ids)
    let w = World::new();
    let job = U256::MAX - U256::from(1);
    assert_eq!(
        w.escrow.bind_value(&w.chain, job, w.provider).unwrap(),
        bind_u256(CHAIN_ID, w.escrow.address, job, w.provider)
    );
}
