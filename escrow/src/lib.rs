//! zkinfer on chain: the escrow marketplace contract.
//!
//! `contracts/ZkinferEscrow.sol` does on chain what `zkinfer market` does off chain: a model owner lists a
//! model (its verifier contract, settings digest, instance counts, price, royalty, collateral, claim
//! timeout), a buyer escrows the price of a job with its input committed, a provider claims the job with
//! collateral and submits the outputs and a proof bound to (chain, escrow, job, provider); the escrow builds
//! the instance vector itself, calls the verifier, and credits provider and owner (pull payments). A claim
//! that misses its deadline is slashed to the buyer.
//!
//! This crate compiles the contracts with the project's pinned solc ([`solc`], [`contracts`]), runs them in
//! an in-memory EVM ([`chain`], revm), calls them through typed bindings ([`bindings`], [`escrow`]) and
//! computes the binding value a proof must carry ([`bind`]), which `zkinfer prove --bind HEX` takes.

pub mod bind;
pub mod bindings;
pub mod chain;
pub mod contracts;
pub mod error;
pub mod escrow;
pub mod solc;

pub use bind::{bind_hex, bind_u256, bind_value};
pub use chain::{Chain, Receipt, Status};
pub use contracts::Contracts;
pub use error::EscrowError;
pub use escrow::Escrow;
