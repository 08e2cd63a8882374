//! The `zkinfer` command line: its subcommands (compile, setup, prove, verify, export-verifier, bench, demo,
//! market), the conformance harness behind `zkinfer-conformance`, and the marketplace's provider loop and
//! load benchmark. The proving itself is the `zkinfer-prover` library.

pub mod batch;
pub mod bench;
pub mod commands;
pub mod conformance;
pub mod demo;
pub mod escrow_cli;
pub mod evm_cli;
pub mod export;
pub mod market_bench;
pub mod market_cli;
pub mod market_worker;
pub mod progress;
pub mod segments;
pub mod weights_cli;
