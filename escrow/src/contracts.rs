//! The Solidity sources of this crate, embedded, and their compilation.
//!
//! `ZkinferEscrow.sol` is the escrow; `test/` holds contracts that exist only for tests and the gas
//! benchmark (a verifier that accepts exactly the instance vectors registered with it, plain, fee-taking and
//! re-entering ERC-20s, a re-entering payment receiver, a factory that replaces the code at one address). They are never part of a deployment.

use zkinfer_evm::solc::{Artifact, Optimizer, Solc, Source};

use crate::error::EscrowError;

/// The escrow contract's source.
pub const ESCROW_SOURCE: &str = include_str!("../contracts/ZkinferEscrow.sol");

/// Test-only contracts: file name and source.
pub const TEST_SOURCES: [(&str, &str); 4] = [
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
    (
        "test/Metamorphic.sol",
        include_str!("../contracts/test/Metamorphic.sol"),
    ),
];

/// Optimiser runs the escrow is compiled with.
pub const OPTIMIZER_RUNS: u32 = 200;

/// Every compiled contract of this crate.
#[derive(Debug, Clone)]
pub struct Contracts {
    /// The compiler's full version (`0.8.19+commit.7dd6d404`).
    pub solc_version: String,
    all: Vec<Artifact>,
}

impl Contracts {
    /// Compiles the escrow and the test contracts with the pinned solc ([`Solc::locate`]: `ZKINFER_SOLC`, set
    /// by `scripts/install-solc.sh`, else `tools/solc`), optimiser at [`OPTIMIZER_RUNS`].
    pub fn compile() -> Result<Self, EscrowError> {
        Self::compile_with(&Solc::locate()?)
    }

    /// Compiles them with `solc`.
    pub fn compile_with(solc: &Solc) -> Result<Self, EscrowError> {
        let mut sources = vec![Source::solidity("ZkinferEscrow.sol", ESCROW_SOURCE)];
        sources.extend(
            TEST_SOURCES
                .iter()
                .map(|(name, text)| Source::solidity(*name, *text)),
        );
        let out = solc.compile(
            &sources,
            Optimizer::On {
                runs: OPTIMIZER_RUNS,
            },
        )?;
        Ok(Self {
            solc_version: out.version,
            all: out.contracts,
        })
    }

    /// The contract `Name` of `file` (e.g. `("ZkinferEscrow.sol", "ZkinferEscrow")`).
    pub fn get(&self, file: &str, name: &str) -> Result<&Artifact, EscrowError> {
        self.all
            .iter()
            .find(|a| a.source == file && a.name == name)
            .ok_or_else(|| EscrowError::UnknownContract {
                name: format!("{file}:{name}"),
            })
    }

    /// The escrow contract.
    pub fn escrow(&self) -> Result<&Artifact, EscrowError> {
        self.get("ZkinferEscrow.sol", "ZkinferEscrow")
    }
}
