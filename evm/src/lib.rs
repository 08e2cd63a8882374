//! zkinfer on EVM chains: the pinned Solidity compiler ([`solc`]), an in-memory revm chain to deploy and call
//! contracts on ([`runtime`]), and the Solidity verifier of a model.
//!
//! Nothing in the verifier, the browser verifier, the market, the circuits or the compiler links this crate;
//! the CLI and the escrow crate do.
#![warn(missing_docs)]

pub mod contracts;
pub mod export;
pub mod generate;
pub mod layout;
pub mod runtime;
/// Scalars in hex, in both byte orders (the EVM's uint256 and halo2's field element).
pub use zkinfer_circuits::scalar_hex;
pub mod solc;
