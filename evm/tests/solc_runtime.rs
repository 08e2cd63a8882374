//! The pinned solc and the revm chain together: compile a contract, deploy it with constructor arguments,
//! call it, read its events and a revert reason.

use zkinfer_evm::runtime::{address, ether, Chain, U256};
use zkinfer_evm::solc::{Optimizer, Solc, Source, PINNED_VERSION};

const SRC: &str = r#"
// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;
contract Counter {
    uint256 public count;
    event Bumped(address indexed by, uint256 count);
    constructor(uint256 start) { count = start; }
    function bump() external payable {
        require(msg.value == 1 ether, "pay one ether");
        count += 1;
        emit Bumped(msg.sender, count);
    }
}
"#;

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn compile_deploy_call_revert() {
    let solc = Solc::locate().expect("solc: run scripts/install-solc.sh");
    let out = solc
        .compile(
            &[Source::solidity("Counter.sol", SRC)],
            Optimizer::On { runs: 200 },
        )
        .expect("compiles");
    assert!(out.version.starts_with(PINNED_VERSION), "{}", out.version);
    let c = out.contract("Counter").expect("Counter");
    assert!(c.abi.as_array().is_some_and(|a| !a.is_empty()));

    let mut chain = Chain::new();
    let alice = address(0xa11ce);
    chain.fund(alice, ether(5));
    let d = chain
        .deploy(
            alice,
            &c.creation,
            &U256::from(41).to_be_bytes::<32>(),
            U256::ZERO,
        )
        .expect("deploys");
    assert_eq!(d.code_size, c.deployed.len());

    let bump = &zkinfer_evm::runtime::keccak256("bump()")[..4];
    let bad = chain
        .call(alice, d.address, bump, U256::ZERO)
        .expect("runs");
    assert_eq!(bad.revert_reason().as_deref(), Some("pay one ether"));
    let ok = chain.call(alice, d.address, bump, ether(1)).expect("runs");
    assert!(ok.is_success(), "{ok}");
    assert_eq!(ok.logs.len(), 1);
    assert_eq!(chain.balance(d.address), ether(1));

    let count = &zkinfer_evm::runtime::keccak256("count()")[..4];
    let v = chain.view(alice, d.address, count).expect("view");
    assert_eq!(U256::from_be_slice(&v.output), U256::from(42));
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn compiler_messages_come_back() {
    let solc = Solc::locate().expect("solc");
    let e = solc
        .compile(
            &[Source::solidity("Bad.sol", "contract Bad { function f( }")],
            Optimizer::Off,
        )
        .expect_err("syntax error");
    assert!(e.to_string().contains("ParserError"), "{e}");
}
