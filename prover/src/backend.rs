//! Proving backends behind one trait, chosen at run time (`--device cpu|cuda`).

use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_proofs::poly::kzg::multiopen::ProverSHPLONK;
use halo2_proofs::transcript::{Blake2bWrite, Challenge255, TranscriptWriterBuffer};
use serde::{Deserialize, Serialize};
use zkinfer_circuits::circuit::ModelCircuit;

/// Where proofs are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

/// A proving backend: KZG + SHPLONK over BN254 with a Blake2b transcript, whatever the hardware.
pub trait ProverBackend: std::fmt::Debug {
    /// Name for reports.
    fn name(&self) -> &'static str;
    /// Proves one circuit with its public instances.
    fn prove(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
    ) -> Result<Vec<u8>, ProverError>;
}

/// halo2-axiom's multi-threaded CPU prover.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl ProverBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn prove(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
    ) -> Result<Vec<u8>, ProverError> {
        let mut transcript = Blake2bWrite::<_, G1Affine, Challenge255<_>>::init(Vec::new());
        create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
            params,
            pk,
            &[circuit],
            &[&[instances]],
            rand::rngs::OsRng,
            &mut transcript,
        )
        .map_err(|e| ProverError::Halo2 {
            stage: "proving",
            message: format!("{e:?}"),
        })?;
        Ok(transcript.finalize())
    }
}

/// The backend for a device, or why it is unavailable: not in this build, or no usable GPU (with the
/// loader's or the CUDA driver's error).
pub fn backend_for(device: Device) -> Result<Box<dyn ProverBackend>, ProverError> {
    match device {
        Device::Cpu => Ok(Box::new(CpuBackend)),
        Device::Cuda => cuda_backend(),
    }
}

/// halo2-axiom-gpu's prover, in the `zkinfer-cuda` worker process (see [`crate::cuda_backend`]).
#[cfg(feature = "cuda")]
fn cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Ok(Box::new(crate::cuda_backend::CudaBackend::open()?))
}

#[cfg(not(feature = "cuda"))]
fn cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Err(ProverError::Device(
        "--device cuda: this zkinfer was built without CUDA support (the `cuda` feature); use --device cpu".into(),
    ))
}
