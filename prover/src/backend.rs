//! Proving backends behind one trait, chosen at run time (`--device cpu|cuda`).

use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::{create_proof, ProvingKey};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::transcript::{EncodedChallenge, TranscriptWrite, TranscriptWriterBuffer};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_verifier::proof_system::{
    EvmTranscriptWriter, MultiopenProver, Scheme, TranscriptKind, TranscriptWriter,
};

/// Where proofs are computed. Parsed from and written as `cpu` / `cuda`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    #[default]
    Cpu,
    Cuda,
}

impl Device {
    /// Every device, in the order a command line lists them.
    pub const ALL: [Device; 2] = [Device::Cpu, Device::Cuda];

    /// The device's name: `cpu` or `cuda`.
    pub fn name(self) -> &'static str {
        match self {
            Device::Cpu => "cpu",
            Device::Cuda => "cuda",
        }
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A device name that is neither `cpu` nor `cuda`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown device '{name}' (expected cpu or cuda)")]
pub struct UnknownDevice {
    pub name: String,
}

impl std::str::FromStr for Device {
    type Err = UnknownDevice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Device::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownDevice {
                name: s.to_string(),
            })
    }
}

/// A proving backend: the proof system of `zkinfer_verifier::proof_system` (KZG + SHPLONK over BN254 with
/// the Blake2b or the EVM transcript), whatever the hardware.
pub trait ProverBackend: std::fmt::Debug {
    /// Name for reports.
    fn name(&self) -> &'static str;
    /// Proves one circuit with its public instances, writing the proof with `transcript`.
    fn prove_with(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, ProverError>;

    /// Proves one circuit with its public instances, with the default (Blake2b) transcript.
    fn prove(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
    ) -> Result<Vec<u8>, ProverError> {
        self.prove_with(params, pk, circuit, instances, TranscriptKind::Blake2b)
    }
}

/// halo2-axiom's CPU prover writing to the transcript `T`.
fn cpu_prove<E, T>(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: ModelCircuit,
    instances: &[Fr],
) -> Result<Vec<u8>, ProverError>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWrite<G1Affine, E> + TranscriptWriterBuffer<Vec<u8>, G1Affine, E>,
{
    let mut transcript = T::init(Vec::new());
    create_proof::<Scheme, MultiopenProver<'_>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(ProverError::halo2("proving"))?;
    Ok(transcript.finalize())
}

/// halo2-axiom's multi-threaded CPU prover.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl ProverBackend for CpuBackend {
    fn name(&self) -> &'static str {
        "cpu"
    }

    fn prove_with(
        &self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, ProverError> {
        match transcript {
            TranscriptKind::Blake2b => {
                cpu_prove::<_, TranscriptWriter<Vec<u8>>>(params, pk, circuit, instances)
            }
            TranscriptKind::Evm => {
                cpu_prove::<_, EvmTranscriptWriter<Vec<u8>>>(params, pk, circuit, instances)
            }
        }
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

/// The backend for many proofs in one process: the CPU prover, or for `cuda` one resident `zkinfer-cuda
/// serve` worker that keeps the CUDA context and each proving key loaded between proofs.
pub fn batch_backend_for(device: Device) -> Result<Box<dyn ProverBackend>, ProverError> {
    match device {
        Device::Cpu => Ok(Box::new(CpuBackend)),
        Device::Cuda => resident_cuda_backend(),
    }
}

#[cfg(feature = "cuda")]
fn resident_cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Ok(Box::new(
        crate::cuda_backend::CudaBackend::open()?.resident()?,
    ))
}

#[cfg(not(feature = "cuda"))]
fn resident_cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Err(ProverError::CudaNotBuilt)
}

/// halo2-axiom-gpu's prover, in the `zkinfer-cuda` worker process (see [`crate::cuda_backend`]).
#[cfg(feature = "cuda")]
fn cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Ok(Box::new(crate::cuda_backend::CudaBackend::open()?))
}

#[cfg(not(feature = "cuda"))]
fn cuda_backend() -> Result<Box<dyn ProverBackend>, ProverError> {
    Err(ProverError::CudaNotBuilt)
}

#[cfg(test)]
mod tests {
    use super::Device;

    #[test]
    fn device_names_round_trip() {
        for d in Device::ALL {
            assert_eq!(d.to_string().parse::<Device>(), Ok(d));
        }
        assert_eq!("CUDA".parse::<Device>(), Ok(Device::Cuda));
        let e = "tpu".parse::<Device>().expect_err("unknown");
        assert!(e.to_string().contains("'tpu'"), "{e}");
    }
}
