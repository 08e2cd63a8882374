//! Issue 28, items 4 and 5: a listing states its input/output split and input ranges, and a listing whose
//! settings digest or instance counts do not match its verifier cannot be made (so it can take no claim):
//! `list` calls the verifier with an example statement (inputs ‖ outputs ‖ the listing's digest ‖
//! listingBindValue(owner)) and its proof. Here the instance-checking test verifier stands in for a
//! model's verifier: the owner's proof is registered for the model's real digest and counts, as a real
//! verifier accepts proofs only for them. `end_to_end.rs` does the same with a real generated verifier.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::U256;
use common::*;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, InputRange, ZkinferEscrowErrors as E};

fn listing_count(w: &World) -> u64 {
    w.escrow
        .view(&w.chain, &ZkinferEscrow::listingCountCall {})
        .unwrap()
}

fn refused(w: &mut World, call: &ZkinferEscrow::listCall) -> String {
    let owner = w.owner;
    let r = w.send(owner, U256::ZERO, call);
    assert_eq!(listing_count(w), 0, "nothing was listed");
    err_name(&r)
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_listing_whose_digest_does_not_match_its_verifier_is_refused() {
    let mut w = World::new();
    let p = w.params(ETH);
    let mut call = w.list_call(p);
    call.p.settingsDigest = digest() + U256::from(1);
    assert_eq!(refused(&mut w, &call), "ListingProofRejected");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_listing_whose_instance_counts_do_not_match_its_verifier_is_refused() {
    let mut w = World::new();
    let p = w.params(ETH);
    let good = w.list_call(p);
    // one input fewer: the example (and its proof) shortened with it
    let mut call = good.clone();
    call.p.nInputs = N_IN - 1;
    call.ranges[0].count = N_IN - 1;
    call.example.inputs.pop();
    assert_eq!(refused(&mut w, &call), "ListingProofRejected");
    // one output more
    let mut call = good.clone();
    call.p.nOutputs = N_OUT + 1;
    call.example.outputs.push(U256::from(1));
    assert_eq!(refused(&mut w, &call), "ListingProofRejected");
    // an example that does not have the stated counts
    let mut call = good.clone();
    call.example.outputs.push(U256::from(1));
    assert!(matches!(
        decode(&mut w, &call),
        E::WrongInstanceCount(ref e) if e.expected == U256::from(N_OUT) && e.got == U256::from(N_OUT + 1)
    ));
    // the matching listing is accepted
    let owner = w.owner;
    w.send_ok(owner, U256::ZERO, &good);
    assert_eq!(listing_count(&w), 1);
}

fn decode(w: &mut World, call: &ZkinferEscrow::listCall) -> E {
    let owner = w.owner;
    let r = w.send(owner, U256::ZERO, call);
    err(&r)
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn an_example_proof_of_another_owner_is_refused() {
    let mut w = World::new();
    let p = w.params(ETH);
    // the outsider copies the owner's example (e.g. from the owner's listing transaction)
    let call = w.list_call(p);
    let outsider = w.outsider;
    let r = w.send(outsider, U256::ZERO, &call);
    assert_eq!(err_name(&r), "ListingProofRejected");
    assert_eq!(listing_count(&w), 0);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn input_ranges_must_cover_exactly_the_inputs() {
    let mut w = World::new();
    let p = w.params(ETH);
    let good = w.list_call(p);
    let r = |count: u32, bits: u8| InputRange { count, bits };
    let cases: Vec<(Vec<InputRange>, &str)> = vec![
        (vec![], "no range"),
        (vec![r(N_IN - 1, 8)], "too few inputs"),
        (vec![r(N_IN, 8), r(1, 8)], "too many inputs"),
        (vec![r(N_IN, 0)], "zero bits"),
        (vec![r(N_IN, 65)], "more than 64 bits"),
        (vec![r(N_IN, 253)], "253 bits (not the commitment range)"),
        (vec![r(N_IN, 255)], "255 bits (not the commitment range)"),
        (vec![r(0, 8), r(N_IN, 8)], "an empty range"),
        (vec![r(1, 8); 17], "more than 16 ranges"),
    ];
    for (ranges, what) in cases {
        let mut call = good.clone();
        call.ranges = ranges;
        assert_eq!(refused(&mut w, &call), "InputRangesInvalid", "{what}");
    }
    // the example's own inputs must lie in the ranges it states
    let mut call = good.clone();
    call.ranges = vec![r(N_IN, 1)];
    assert!(matches!(decode(&mut w, &call), E::InputOutOfRange(ref e) if e.index == U256::from(1)));
    // COMMITMENT_BITS: the instances are field elements (a hashed input's commitment), e.g. after a public
    // range; the listing states them as given
    let mut call = good.clone();
    call.ranges = vec![r(N_IN - 1, 8), r(1, zkinfer_escrow::check::COMMITMENT_BITS)];
    let owner = w.owner;
    let res = w.send(owner, U256::ZERO, &call);
    assert!(
        res.is_success(),
        "{}",
        zkinfer_escrow::escrow::describe_failure(&res)
    );
    let listing = event::<ZkinferEscrow::ModelListed>(&res).listingId;
    assert_eq!(
        w.escrow.input_ranges(&w.chain, listing).unwrap(),
        call.ranges
    );
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn the_listing_states_its_split_ranges_and_window() {
    let mut w = World::new();
    let listing = w.list_eth();
    let l = w.escrow.listing(&w.chain, listing).unwrap();
    assert_eq!((l.nInputs, l.nOutputs), (N_IN, N_OUT));
    assert_eq!(l.minClaimWindow, MIN_CLAIM_WINDOW);
    assert_eq!(
        w.escrow.input_ranges(&w.chain, listing).unwrap(),
        ranges(N_IN)
    );
    // the example's binding value is the contract's listingBindValue: job id 0, never a job's
    let on_chain: U256 = w
        .escrow
        .view(
            &w.chain,
            &ZkinferEscrow::listingBindValueCall { owner: w.owner },
        )
        .unwrap();
    assert_eq!(
        on_chain,
        zkinfer_escrow::bind::listing_bind_u256(CHAIN_ID, w.escrow.address, w.owner)
    );
}
