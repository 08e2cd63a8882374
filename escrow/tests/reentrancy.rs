//! Re-entrancy through a malicious ERC-20 and a malicious payment receiver, and tokens the escrow refuses.
//! Each attacker is a contract holding escrow credit, so a re-entrant withdraw would pay it twice on a
//! contract without the guard and without checks-effects-interactions.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use common::*;
use zkinfer_escrow::bindings::ZkinferEscrow::{self, ZkinferEscrowErrors as E};
use zkinfer_escrow::bindings::{Reentrant, TestToken};

/// Makes `actor` (a contract with `exec`) do `call` on the contract `to` with `value` wei.
fn exec_at<C: SolCall>(
    w: &mut World,
    actor: Address,
    to: Address,
    value: U256,
    call: &C,
) -> zkinfer_escrow::Outcome {
    let data = Reentrant::execCall {
        to,
        value,
        data: call.abi_encode().into(),
    };
    w.chain
        .call(w.deployer, actor, &data.abi_encode(), value)
        .unwrap()
}

/// Makes `actor` (a contract with `exec`) do `call` on the escrow with `value` wei.
fn exec<C: SolCall>(
    w: &mut World,
    actor: Address,
    value: U256,
    call: &C,
) -> zkinfer_escrow::Outcome {
    let escrow = w.escrow.address;
    exec_at(w, actor, escrow, value, call)
}

/// Makes `actor` withdraw its credit in `token` to `to`.
fn withdraw_as(
    w: &mut World,
    actor: Address,
    token: Address,
    to: Address,
) -> zkinfer_escrow::Outcome {
    exec(
        w,
        actor,
        U256::ZERO,
        &ZkinferEscrow::withdrawCall { token, to },
    )
}

/// Arms `evil`: when it is next called into (a transfer to it, or of its tokens), it withdraws its credit
/// in `token` from the escrow again.
fn arm_withdraw(w: &mut World, evil: Address, token: Address) {
    let again = ZkinferEscrow::withdrawCall { token, to: evil }.abi_encode();
    w.ok(
        w.deployer,
        evil,
        U256::ZERO,
        &Reentrant::armCall {
            target: w.escrow.address,
            payload: again.into(),
        },
    );
}

/// `evil` tried to re-enter once, and the escrow refused that withdraw with `Reentrancy`.
fn assert_reentry_refused(w: &mut World, evil: Address, who: &str) {
    assert_eq!(attempts(w, evil), U256::from(1), "the {who} did re-enter");
    assert!(
        !view_bool(w, evil, &Reentrant::lastOkCall {}),
        "the re-entrant withdraw must fail"
    );
    assert_eq!(
        last_return(w, evil),
        ZkinferEscrow::Reentrancy::SELECTOR.to_vec()
    );
}

/// Mints `amount` of the token `evil` to itself, and has it approve the escrow to take all of it.
fn mint_and_approve(w: &mut World, evil: Address, amount: U256) {
    w.ok(
        w.deployer,
        evil,
        U256::ZERO,
        &TestToken::mintCall { to: evil, amount },
    );
    let approve = TestToken::approveCall {
        spender: w.escrow.address,
        amount: U256::MAX,
    };
    assert!(exec_at(w, evil, evil, U256::ZERO, &approve).is_success());
}

/// The call creating a job of `listing` with `inputs()`, due in `JOB_DURATION`.
fn create_job_call(w: &World, listing: U256) -> ZkinferEscrow::createJobCall {
    let deadline = alloy_primitives::Uint::from(w.chain.timestamp() + JOB_DURATION);
    ZkinferEscrow::createJobCall {
        listingId: listing,
        inputs: inputs(),
        deadline,
    }
}

fn view_bool<C: SolCall<Return = bool>>(w: &mut World, at: Address, call: &C) -> bool {
    let r = w.chain.view(Address::ZERO, at, &call.abi_encode()).unwrap();
    C::abi_decode_returns(&r.output).unwrap()
}

fn attempts(w: &mut World, at: Address) -> U256 {
    let r = w
        .chain
        .view(Address::ZERO, at, &Reentrant::attemptsCall {}.abi_encode())
        .unwrap();
    Reentrant::attemptsCall::abi_decode_returns(&r.output).unwrap()
}

fn last_return(w: &mut World, at: Address) -> Vec<u8> {
    let r = w
        .chain
        .view(
            Address::ZERO,
            at,
            &Reentrant::lastReturnCall {}.abi_encode(),
        )
        .unwrap();
    Reentrant::lastReturnCall::abi_decode_returns(&r.output)
        .unwrap()
        .to_vec()
}

/// `actor` claims a job of `listing`, "proves" it and settles it: it then holds provider credit.
fn settle_as(w: &mut World, actor: Address, listing: U256, collateral_value: U256) -> U256 {
    let job = w.create_job(listing);
    let r = exec(
        w,
        actor,
        collateral_value,
        &ZkinferEscrow::claimCall { jobId: job },
    );
    assert!(r.is_success(), "claim: {}", r);
    let proof = w.prove(job, actor);
    let call = ZkinferEscrow::submitCall {
        jobId: job,
        inputs: inputs(),
        outputs: outputs(),
        proof: proof.into(),
    };
    let r = exec(w, actor, U256::ZERO, &call);
    assert!(r.is_success(), "submit: {}", r);
    job
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_malicious_erc20_cannot_reenter_withdraw() {
    let mut w = World::new();
    let evil = w.deploy("test/TestTokens.sol", "ReentrantToken");
    // the token itself is the provider, so it has credit to steal twice
    mint_and_approve(&mut w, evil, u(COLLATERAL * 10));
    w.fund_token(evil, w.buyer, u(PRICE * 10));
    let mut params = w.params(evil);
    params.royaltyBps = 0;
    let listing = w.list_with(params);
    settle_as(&mut w, evil, listing, U256::ZERO);
    assert_eq!(w.credit(evil, evil), u(PRICE + COLLATERAL));

    // arm: during the escrow's transfer, withdraw again
    arm_withdraw(&mut w, evil, evil);
    let r = withdraw_as(&mut w, evil, evil, evil);
    assert!(r.is_success(), "{}", r);
    assert_reentry_refused(&mut w, evil, "token");
    assert_eq!(w.credit(evil, evil), U256::ZERO);
    // the escrow paid exactly once and holds nothing more of the token
    assert_eq!(w.token_balance(evil, w.escrow.address), U256::ZERO);
    assert_eq!(w.token_balance(evil, evil), u(COLLATERAL * 10 + PRICE));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_malicious_erc20_cannot_reenter_during_transfer_from() {
    let mut w = World::new();
    let evil = w.deploy("test/TestTokens.sol", "ReentrantToken");
    w.fund_token(evil, w.buyer, u(PRICE * 10));
    let listing = w.list_with(w.params(evil));
    // the token earns credit first (it cancels a job it bought itself)
    mint_and_approve(&mut w, evil, u(PRICE));
    let create = create_job_call(&w, listing);
    let r = exec(&mut w, evil, U256::ZERO, &create);
    let own_job = ZkinferEscrow::createJobCall::abi_decode_returns(
        &Reentrant::execCall::abi_decode_returns(&r.output).unwrap(),
    )
    .unwrap();
    assert!(exec(
        &mut w,
        evil,
        U256::ZERO,
        &ZkinferEscrow::cancelCall { jobId: own_job }
    )
    .is_success());
    assert_eq!(w.credit(evil, evil), u(PRICE));

    // now a buyer creates a job; in transferFrom the token tries to withdraw its credit
    arm_withdraw(&mut w, evil, evil);
    let job = w.create_job(listing);
    assert_eq!(w.state(job), OPEN);
    assert_reentry_refused(&mut w, evil, "token");
    assert_eq!(w.credit(evil, evil), u(PRICE), "credit untouched");
    assert_eq!(w.token_balance(evil, w.escrow.address), u(2 * PRICE));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_malicious_receiver_cannot_reenter_withdraw() {
    let mut w = World::new();
    let evil = w.deploy("test/ReentrantReceiver.sol", "ReentrantReceiver");
    w.chain.fund(evil, u(10 * ONE_ETHER));
    let listing = w.list_eth();
    settle_as(&mut w, evil, listing, u(COLLATERAL));
    // a second settled job gives the escrow more ETH than the receiver is owed
    let job2 = w.create_job(listing);
    w.claim(job2, w.provider);
    let proof = w.prove(job2, w.provider);
    assert!(w.submit(job2, w.provider, proof).is_success());
    assert_eq!(w.credit(evil, ETH), provider_share());

    arm_withdraw(&mut w, evil, ETH);
    let before = w.chain.balance(evil);
    let r = withdraw_as(&mut w, evil, ETH, evil);
    assert!(r.is_success(), "{}", r);
    assert_reentry_refused(&mut w, evil, "receiver");
    assert_eq!(
        w.chain.balance(evil),
        before + provider_share(),
        "paid exactly once"
    );
    assert_eq!(
        w.chain.balance(w.escrow.address),
        provider_share() + royalty() * u(2)
    );
    let r = withdraw_as(&mut w, evil, ETH, evil);
    assert_eq!(err_name(&r), "NothingToWithdraw");
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_receiver_that_refuses_eth_blocks_only_itself() {
    let mut w = World::new();
    let evil = w.deploy("test/ReentrantReceiver.sol", "ReentrantReceiver");
    w.chain.fund(evil, u(10 * ONE_ETHER));
    let listing = w.list_eth();
    settle_as(&mut w, evil, listing, u(COLLATERAL));
    w.ok(
        w.deployer,
        evil,
        U256::ZERO,
        &Reentrant::setRefuseCall { refuse: true },
    );
    let r = withdraw_as(&mut w, evil, ETH, evil);
    assert!(matches!(err(&r), E::EthTransferFailed(e) if e.to == evil));
    assert_eq!(
        w.credit(evil, ETH),
        provider_share(),
        "the failed withdrawal changed nothing"
    );
    // everybody else is still paid
    assert!(w.withdraw(w.owner, ETH).is_success());
    // and the refusing account can have its credit sent elsewhere
    let sink = addr(0x55);
    let r = withdraw_as(&mut w, evil, ETH, sink);
    assert!(r.is_success());
    assert_eq!(w.chain.balance(sink), provider_share());
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn a_fee_on_transfer_token_is_refused() {
    let mut w = World::new();
    let fee = w.deploy("test/TestTokens.sol", "FeeToken");
    w.fund_token(fee, w.buyer, u(PRICE * 10));
    let listing = w.list_with(w.params(fee));
    let create = create_job_call(&w, listing);
    let r = w.send(w.buyer, U256::ZERO, &create);
    assert!(
        matches!(err(&r), E::TokenAmountMismatch(e) if e.expected == u(PRICE) && e.received == u(PRICE - PRICE / 100))
    );
}
