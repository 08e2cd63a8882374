//! Attacks on submission: each proof that must not pay is refused, and the job stays as it was.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::U256;
use common::*;
use zkinfer_escrow::bind::SCALAR_MODULUS;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, ZkinferEscrowErrors as E};

/// A claimed ETH job of the default listing, claimed by `w.provider`.
fn claimed(w: &mut World) -> U256 {
    let listing = w.list_eth();
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    job
}

fn assert_untouched(w: &mut World, job: U256) {
    let j = w.job(job);
    assert_eq!(u8::from(j.state), CLAIMED);
    assert_eq!(j.provider, w.provider);
    assert_eq!(w.credit(w.provider, ETH), U256::ZERO);
    assert_eq!(w.credit(w.owner, ETH), U256::ZERO);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn bad_proof_is_refused_and_the_job_stays_claimed() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let r = w.submit(job, w.provider, vec![0xab; 128]);
    assert!(matches!(err(&r), E::ProofRejected(e) if e.jobId == job));
    assert_untouched(&mut w, job);
    // an empty proof too
    let r = w.submit(job, w.provider, Vec::new());
    assert_eq!(err_name(&r), "ProofRejected");
    // the claimant can still submit a valid proof before the deadline
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof).is_success());
    assert_eq!(w.state(job), SETTLED);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn replayed_proof_second_submit_is_refused() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let proof = w.prove(job, w.provider);
    assert!(w.submit(job, w.provider, proof.clone()).is_success());
    let r = w.submit(job, w.provider, proof);
    assert!(
        matches!(err(&r), E::JobNotClaimed(e) if e.jobId == job && u8::from(e.state) == SETTLED)
    );
    assert_eq!(w.credit(w.provider, ETH), provider_share(), "paid once");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn replayed_proof_on_a_second_job_with_the_same_input_is_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job1 = w.create_job(listing);
    let job2 = w.create_job(listing);
    w.claim(job1, w.provider);
    w.claim(job2, w.provider);
    let proof1 = w.prove(job1, w.provider);
    assert!(w.submit(job1, w.provider, proof1.clone()).is_success());
    // same buyer, model, input, outputs and provider: only the job id differs, and the binding catches it
    let r = w.submit(job2, w.provider, proof1);
    assert_eq!(err_name(&r), "ProofRejected");
    assert_eq!(w.state(job2), CLAIMED);
    assert_eq!(w.credit(w.provider, ETH), provider_share());
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn another_jobs_proof_is_refused() {
    let mut w = World::new();
    let listing = w.list_eth();
    let job_a = w.create_job(listing);
    let job_b = w.create_job(listing);
    w.claim(job_b, w.provider);
    // a proof made for job A (never claimed, never settled) offered for job B
    let proof_a = w.prove(job_a, w.provider);
    let r = w.submit(job_b, w.provider, proof_a);
    assert_eq!(err_name(&r), "ProofRejected");
    assert_untouched(&mut w, job_b);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_copied_or_front_run_proof_pays_nobody_but_its_maker() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let proof = w.prove(job, w.provider);
    // the watcher copies the submission from the mempool and sends it first, as itself
    let r = w.submit(job, w.outsider, proof.clone());
    assert!(matches!(err(&r), E::NotClaimant(e) if e.caller == w.outsider));
    assert_untouched(&mut w, job);
    // the claim lapses; the watcher claims the job itself and submits the copied proof: its binding
    // instance is the maker's, so the verifier refuses it
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    w.send_ok(
        w.outsider,
        U256::ZERO,
        &ZkinferEscrow::expireClaimCall { jobId: job },
    );
    w.claim(job, w.outsider);
    let r = w.submit(job, w.outsider, proof.clone());
    assert_eq!(err_name(&r), "ProofRejected");
    assert_eq!(w.credit(w.outsider, ETH), U256::ZERO);
    // the maker, once it holds the claim again, is paid for its own proof
    w.chain.advance(u64::from(CLAIM_TIMEOUT) + 1);
    w.send_ok(
        w.provider,
        U256::ZERO,
        &ZkinferEscrow::expireClaimCall { jobId: job },
    );
    w.claim(job, w.provider);
    assert!(w.submit(job, w.provider, proof).is_success());
    // paid with the job's bounty: half of each of the two lapsed claims' collateral
    assert_eq!(
        w.credit(w.provider, ETH),
        provider_share() + u(2 * (COLLATERAL - COLLATERAL / 2))
    );
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_tampered_output_is_refused() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let proof = w.prove(job, w.provider);
    let mut tampered = outputs();
    tampered[0] += U256::from(1);
    let r = w.submit_with(job, w.provider, inputs(), tampered, proof.clone());
    assert_eq!(err_name(&r), "ProofRejected");
    // the same value in a non-canonical form (x + r) is refused before the verifier sees it
    let mut aliased = outputs();
    aliased[0] += SCALAR_MODULUS;
    let r = w.submit_with(job, w.provider, inputs(), aliased, proof.clone());
    assert!(matches!(err(&r), E::InstanceOutOfField(e) if e.index == U256::from(N_IN)));
    // a missing or extra output
    let r = w.submit_with(
        job,
        w.provider,
        inputs(),
        outputs()[..1].to_vec(),
        proof.clone(),
    );
    assert_eq!(err_name(&r), "WrongInstanceCount");
    let mut extra = outputs();
    extra.push(U256::from(1));
    let r = w.submit_with(job, w.provider, inputs(), extra, proof);
    assert_eq!(err_name(&r), "WrongInstanceCount");
    assert_untouched(&mut w, job);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_proof_for_another_input_is_refused() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let mut other = inputs();
    other[1] = U256::from(9);
    // a genuine proof for another input, bound to this job and provider
    let inst = w.instances(job, w.provider, &other, &outputs(), digest());
    let proof = w.prove_instances(inst);
    let r = w.submit_with(job, w.provider, other, outputs(), proof);
    assert!(matches!(err(&r), E::InputMismatch(e) if e.jobId == job));
    // and the job's own input with that proof
    let inst = w.instances(job, w.provider, &[U256::from(7); 4], &outputs(), digest());
    let proof = w.prove_instances(inst);
    assert_eq!(err_name(&w.submit(job, w.provider, proof)), "ProofRejected");
    assert_untouched(&mut w, job);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_proof_with_another_settings_digest_is_refused() {
    let mut w = World::new();
    let job = claimed(&mut w);
    // a proof of another model (another settings digest) through the same verifier contract
    let inst = w.instances(
        job,
        w.provider,
        &inputs(),
        &outputs(),
        digest() + U256::from(1),
    );
    let proof = w.prove_instances(inst);
    assert_eq!(err_name(&w.submit(job, w.provider, proof)), "ProofRejected");
    assert_untouched(&mut w, job);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_proof_made_on_another_chain_or_escrow_is_refused() {
    let mut w = World::new();
    let job = claimed(&mut w);
    let mut inst = w.instances(job, w.provider, &inputs(), &outputs(), digest());
    let last = inst.len() - 1;
    inst[last] = zkinfer_escrow::bind_u256(CHAIN_ID + 1, w.escrow.address, job, w.provider);
    let proof = w.prove_instances(inst.clone());
    assert_eq!(err_name(&w.submit(job, w.provider, proof)), "ProofRejected");
    inst[last] = zkinfer_escrow::bind_u256(CHAIN_ID, w.verifier, job, w.provider);
    let proof = w.prove_instances(inst);
    assert_eq!(err_name(&w.submit(job, w.provider, proof)), "ProofRejected");
    assert_untouched(&mut w, job);
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_verifier_that_returns_false_cannot_be_listed() {
    let mut w = World::new();
    let false_verifier = w.deploy("test/InstanceCheckVerifier.sol", "FalseVerifier");
    let mut params = w.params(ETH);
    params.verifier = false_verifier;
    let call = w.list_call(params);
    let r = w.send(w.owner, U256::ZERO, &call);
    assert_eq!(err_name(&r), "ListingProofRejected");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_verifier_without_code_cannot_be_listed() {
    let mut w = World::new();
    let mut params = w.params(ETH);
    params.verifier = addr(0x77); // an account with no code would "accept" every call
    let call = w.list_call(params);
    let r = w.send(w.owner, U256::ZERO, &call);
    assert!(matches!(err(&r), E::NotAContract(e) if e.account == addr(0x77)));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_verifier_whose_code_was_replaced_at_its_address_does_not_pay() {
    use alloy_primitives::{keccak256, Address};
    use alloy_sol_types::SolCall;
    use zkinfer_escrow::bindings::MetamorphicFactory;
    let mut w = World::new();
    let factory = w.deploy("test/Metamorphic.sol", "MetamorphicFactory");
    let r = w
        .chain
        .view(
            Address::ZERO,
            factory,
            &MetamorphicFactory::targetCall {}.abi_encode(),
        )
        .unwrap();
    let at = MetamorphicFactory::targetCall::abi_decode_returns(&r.output).unwrap();
    // the code listed: it accepts every call (so the listing's example proof too) but the factory's, which
    // self-destructs it (CALLER PUSH20 factory EQ PUSH1 0x1e JUMPI STOP STOP STOP STOP JUMPDEST CALLER
    // SELFDESTRUCT)
    let mut honest = vec![0x33, 0x73];
    honest.extend_from_slice(factory.as_slice());
    honest.extend_from_slice(&[
        0x14, 0x60, 0x1e, 0x57, 0x00, 0x00, 0x00, 0x00, 0x5b, 0x33, 0xff,
    ]);
    // listed by the factory (its owner) in the transaction that creates it, then destroyed (EIP-6780 still
    // clears the code of a contract destroyed in the transaction that created it)
    let mut params = w.params(ETH);
    params.verifier = at;
    let list = w.list_call_by(factory, params).abi_encode();
    let escrow = w.escrow.address;
    w.ok(
        w.deployer,
        factory,
        U256::ZERO,
        &MetamorphicFactory::deployAndCallCall {
            code: honest.clone().into(),
            to: escrow,
            data: list.into(),
            destroy: true,
        },
    );
    assert_eq!(w.chain.code_size(at), 0, "destroyed");
    let listing = U256::from(1);
    let pinned = w.escrow.listing(&w.chain, listing).unwrap();
    assert_eq!(
        (pinned.verifier, pinned.verifierCodehash),
        (at, keccak256(&honest))
    );
    // the same address now holds other code (STOP: it accepts every call)
    w.ok(
        w.deployer,
        factory,
        U256::ZERO,
        &MetamorphicFactory::deployAndCallCall {
            code: vec![0x00].into(),
            to: Address::ZERO,
            data: Vec::new().into(),
            destroy: false,
        },
    );
    assert_eq!(w.chain.code(at), vec![0x00]);
    let job = w.create_job(listing);
    w.claim(job, w.provider);
    let proof = w.prove(job, w.provider);
    let r = w.submit(job, w.provider, proof);
    assert!(
        matches!(err(&r), E::ProofRejected(ref e) if e.jobId == job),
        "an accept-all verifier swapped in after listing must not pay"
    );
    assert_untouched(&mut w, job);
}
