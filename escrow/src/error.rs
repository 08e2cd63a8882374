//! The crate's errors.

use std::path::PathBuf;

/// What can go wrong compiling, deploying or calling the contracts.
#[derive(Debug, thiserror::Error)]
pub enum EscrowError {
    /// `ZKINFER_SOLC` is not set: the pinned compiler is installed by `scripts/install-solc.sh`.
    #[error("ZKINFER_SOLC is not set: run `eval \"$(bash scripts/install-solc.sh)\"` to install the pinned solc")]
    SolcNotSet,
    /// The compiler could not be started or fed.
    #[error("could not run the Solidity compiler `{command}`")]
    SolcSpawn {
        /// The command line.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The compiler exited with an error.
    #[error("solc failed (exit {status}): {stderr}")]
    SolcFailed {
        /// Exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The compiler's output is not the standard JSON expected.
    #[error("unexpected solc output: {what}")]
    SolcOutput {
        /// What was missing or malformed.
        what: String,
    },
    /// A contract source could not be read.
    #[error("could not read {path}")]
    ReadSource {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The compiled output has no such contract.
    #[error("no compiled contract {name}")]
    UnknownContract {
        /// `file:Contract`.
        name: String,
    },
    /// The EVM refused the transaction before executing it (balance, gas, nonce...).
    #[error("the EVM refused the transaction: {reason}")]
    Invalid {
        /// revm's reason.
        reason: String,
    },
    /// A deployment did not produce a contract.
    #[error("deploying {name} failed: {outcome}")]
    DeployFailed {
        /// The contract.
        name: String,
        /// The revert or halt.
        outcome: String,
    },
    /// A call reverted or halted where success was required.
    #[error("call to {to} failed: {outcome}")]
    CallFailed {
        /// The callee.
        to: String,
        /// The revert (decoded where the escrow's error is known) or halt.
        outcome: String,
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
