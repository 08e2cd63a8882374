//! zkinfer's prover library: SRS handling, key generation, proving backends (the CPU one, and the CUDA one
//! behind the `cuda` feature), the model directory's artifacts, and the pipeline steps (compile, setup, prove,
//! verify) as library functions. The `zkinfer` command is the `zkinfer-cli` crate.

pub mod backend;
#[cfg(feature = "cuda")]
pub mod cuda_backend;
pub mod error;
pub mod loaded;
pub mod model_dir;
pub mod pipeline;
pub mod segments;
pub mod srs;
pub mod srs_import;
pub mod weights;
pub mod worker;

pub use backend::{
    backend_for, batch_backend_for, CpuBackend, Device, ProverBackend, UnknownDevice,
};
pub use error::ProverError;
pub use loaded::LoadedModel;
pub use model_dir::ModelDir;
pub use zkinfer_verifier::TranscriptKind;
