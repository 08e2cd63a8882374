//! zkinfer's prover: SRS handling, key generation, proving backends, the model directory's artifacts,
//! and the pipeline behind the `zkinfer` command.

pub mod backend;
pub mod bench;
pub mod conformance;
#[cfg(feature = "cuda")]
pub mod cuda_backend;
pub mod demo;
pub mod error;
pub mod export;
pub mod market_bench;
pub mod market_worker;
pub mod model_dir;
pub mod pipeline;
pub mod progress;
pub mod srs;
pub mod srs_import;

pub use backend::{backend_for, CpuBackend, Device, ProverBackend};
pub use error::ProverError;
pub use model_dir::ModelDir;
