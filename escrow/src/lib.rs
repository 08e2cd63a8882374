//! zkinfer on chain: the escrow marketplace contract.
//!
//! `contracts/ZkinferEscrow.sol` does on chain what `zkinfer market` does off chain: a model owner lists a
//! model (its verifier contract, settings digest, instance counts, price, royalty, collateral, claim
//! timeout), a buyer escrows the price of a job with its input committed, a provider claims the job with
//! collateral and submits the outputs and a proof bound to (chain, escrow, job, provider); the escrow builds
//! the instance vector itself, calls the verifier, and credits provider and owner (pull payments). A claim
//! that misses its deadline is slashed to the buyer.
//!
//! This crate compiles the contracts ([`contracts`]) with the project's pinned solc and runs them on the
//! in-memory revm chain, both from `zkinfer-evm` (its [`zkinfer_evm::solc`] and [`zkinfer_evm::runtime`],
//! re-exported here as [`Chain`] and [`Outcome`]), calls them through typed bindings ([`bindings`],
//! [`escrow`]) and computes the binding value a proof must carry ([`bind`]), which
//! `zkinfer prove --transcript evm --bind HEX` takes.

pub mod bind;
pub mod bindings;
pub mod check;
pub mod contracts;
pub mod error;
pub mod escrow;

pub use alloy_primitives;
pub use bind::{bind_hex, bind_u256, bind_value, listing_bind_u256};
pub use contracts::Contracts;
pub use error::EscrowError;
pub use escrow::Escrow;
pub use zkinfer_evm::runtime::{Chain, ChainError, Outcome, Status};
