//! zkinfer's circuit layer: the graph IR (no ONNX or tract types), fixed-point quantisation, the row plan,
//! exact integer witness generation, one halo2 chip per file, and the model [`circuit::ModelCircuit`] whose
//! `configure_with_params(settings)` builds the constraint system from [`settings::Settings`] alone.
//!
//! Dependency direction: `graph` <- `quant` <- `layout` <- `witness` <- `circuit`, except that each op of
//! `graph` holds its own quantisation (the `IrOp` trait), written against `quant`'s `Quantiser` and its
//! quantised op types; `chips` and `settings` are the configuration part that the verifier links (it never
//! needs the graph, the plan or the witness).

#![warn(missing_docs)]

pub mod chips;
pub mod circuit;
pub mod compile;
pub mod degree;
#[cfg(feature = "dev")]
pub mod dev;
pub mod encoding;
pub mod error;
pub mod field;
pub mod graph;
pub mod input_data;
pub mod layout;
pub mod poseidon;
pub mod quant;
pub mod scalar_hex;
pub mod segments;
pub mod settings;
pub mod tables;
pub mod visibility;
pub mod witness;

pub use error::CircuitError;
pub use halo2_proofs;
pub use halo2_proofs::halo2curves::bn256::Fr;
