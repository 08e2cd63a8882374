//! The crate's errors.

use zkinfer_evm::runtime::ChainError;
use zkinfer_evm::solc::SolcError;

/// What can go wrong compiling, deploying or calling the contracts.
#[derive(Debug, thiserror::Error)]
pub enum EscrowError {
    /// The pinned compiler is missing or refused the sources.
    #[error("compiling the escrow contracts")]
    Solc(#[from] SolcError),
    /// The EVM refused a transaction before executing it (balance, nonce...) or a deployment failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The compiled output has no such contract.
    #[error("no compiled contract {name}")]
    UnknownContract {
        /// `file:Contract`.
        name: String,
    },
    /// A call reverted or halted where success was required.
    #[error("call to {to} failed: {outcome}")]
    CallFailed {
        /// The callee.
        to: String,
        /// The revert (decoded where the escrow's error is known) or halt.
        outcome: String,
    },
    /// An on-chain listing description that cannot be read (not hex, ...).
    #[error("the listing: {reason}")]
    BadListing {
        /// What is wrong.
        reason: String,
    },
    /// A model whose statement the escrow cannot serve (a private input, a hashed or private output).
    #[error("the escrow cannot list this model: {reason}")]
    Unlistable {
        /// Why.
        reason: String,
    },
    /// A successful call's return data could not be decoded.
    #[error("could not decode the return of {function}")]
    Decode {
        /// The function.
        function: String,
        /// Why.
        #[source]
        source: alloy_sol_types::Error,
    },
}
