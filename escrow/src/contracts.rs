//! The Solidity sources of this crate, embedded, and their compilation.
//!
//! `ZkinferEscrow.sol` is the escrow; `test/` holds contracts that exist only for tests and the gas
//! benchmark (a verifier that accepts exactly the instance vectors registered with it, plain, fee-taking and
//! re-entering ERC-20s, a re-entering payment receiver). They are never part of a deployment.

use std::collections::BTreeMap;

use crate::error::EscrowError;
use crate::solc::{self, Compiled};

/// The escrow contract's source.
pub const ESCROW_SOURCE: &str = include_str!("../contracts/ZkinferEscrow.sol");

/// Test-only contracts: file name and source.
pub const TEST_SOURCES: [(&str, &str); 3] = [
    (
        "test/InstanceCheckVerifier.sol",
        include_str!("../contracts/test/InstanceCheckVerifier.sol"),
    ),
    (
        "test/TestTokens.sol",
        include_str!("../contracts/test/TestTokens.sol"),
    ),
    (
        "test/ReentrantReceiver.sol",
        include_str!("../contracts/test/ReentrantReceiver.sol"),
    ),
];

/// Optimiser runs the escrow is compiled with.
pub const OPTIMIZER_RUNS: u32 = 200;

/// Every compiled contract of this crate, by `file:Contract`.
#[derive(Debug, Clone)]
pub struct Contracts {
    all: BTreeMap<String, Compiled>,
}

impl Contracts {
    /// Compiles the escrow and the test contracts with the pinned solc (see [`crate::solc`]).
    pub fn compile() -> Result<Self, EscrowError> {
        let mut sources = vec![("ZkinferEscrow.sol", ESCROW_SOURCE)];
        sources.extend(TEST_SOURCES);
        Ok(Self {
            all: solc::compile(&sources, Some(OPTIMIZER_RUNS))?,
        })
    }

    /// The contract `Name` of `file` (e.g. `("ZkinferEscrow.sol", "ZkinferEscrow")`).
    pub fn get(&self, file: &str, name: &str) -> Result<&Compiled, EscrowError> {
        let key = format!("{file}:{name}");
        self.all
            .get(&key)
            .ok_or(EscrowError::UnknownContract { name: key })
    }

    /// The escrow contract.
    pub fn escrow(&self) -> Result<&Compiled, EscrowError> {
        self.get("ZkinferEscrow.sol", "ZkinferEscrow")
    }
}
