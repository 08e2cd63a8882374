//! `zkinfer-cuda`: the GPU worker of zkinfer's CUDA backend (built with `--features cuda`). `zkinfer prove
//! --device cuda` runs it; it is not meant to be run by hand. See `zkinfer_prover::cuda_backend` for why the
//! GPU prover lives in its own process, and for the protocol.
//!
//! - `zkinfer-cuda probe`: exits 0 and prints the device when halo2-axiom-gpu can use a GPU.
//! - `zkinfer-cuda serve`: the resident worker of batches (`zkinfer_prover::worker`): framed requests on
//!   stdin, answers on stdout, until stdin ends; one CUDA context, each proving key (and the device copy of
//!   its SRS) loaded once and kept by digest. It proves with halo2-axiom-gpu (KZG + SHPLONK on BN254, with
//!   each request's transcript: Blake2b or EVM).
//! - `zkinfer-cuda prove`: the same worker serving a single request: one key's and one proof's frames on
//!   stdin, the proof bytes on stdout; a failure exits with its status and prints its message on stderr.
//!
//! Without a usable GPU this program may not reach `main`: the dynamic loader refuses it without
//! `libcuda.so.1`/`libcudart.so.13`, and halo2-axiom-gpu's memory manager aborts from a load-time
//! constructor. zkinfer reports the message this leaves on stderr.

use halo2_axiom_gpu::cuda::utils::HALO2_GPU_CTX;
use halo2_axiom_gpu::halo2curves::bn256::{Bn256, G1Affine};
use halo2_axiom_gpu::plonk::create_proof;
use halo2_axiom_gpu::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_axiom_gpu::poly::kzg::multiopen::ProverSHPLONK;
use halo2_axiom_gpu::transcript::{
    Blake2bWrite, Challenge255, EncodedChallenge, TranscriptWrite, TranscriptWriterBuffer,
};
use halo2_axiom_gpu::SerdeFormat;
use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::plonk::ProvingKey;
use std::io::Write;
use std::process::ExitCode;
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::settings::Settings;
use zkinfer_prover::worker::{
    serve_one_shot, KeyCache, ResidentProver, STATUS_BAD_REQUEST, STATUS_NO_GPU,
    STATUS_PROVING_FAILED,
};
use zkinfer_verifier::proof_system::{EvmTranscriptWriter, TranscriptKind};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["probe"] => probe(),
        ["prove"] => prove(),
        ["serve"] => serve(),
        _ => {
            eprintln!(
                "zkinfer-cuda: usage: zkinfer-cuda probe | zkinfer-cuda prove < request | zkinfer-cuda serve \
                 (the GPU worker of `zkinfer prove --device cuda`)"
            );
            ExitCode::from(STATUS_BAD_REQUEST)
        }
    }
}

/// Creates halo2-axiom-gpu's device context (a stream on the current device), as proving will.
fn device() -> anyhow::Result<u32> {
    // halo2-axiom-gpu creates it lazily and panics when it cannot: turn that into an error (and keep the
    // default hook from printing the panic as well).
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let id = std::panic::catch_unwind(|| HALO2_GPU_CTX.device_id);
    std::panic::set_hook(hook);
    id.map_err(|p| {
        anyhow::anyhow!(p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "creating the CUDA context failed".into()))
    })
}

fn probe() -> ExitCode {
    match device() {
        Ok(id) => {
            println!("CUDA device {id}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zkinfer-cuda: {e}");
            ExitCode::from(STATUS_NO_GPU)
        }
    }
}

fn prove() -> ExitCode {
    let proof = match serve_one_shot(&mut GpuResident, std::io::stdin().lock()) {
        Ok(p) => p,
        Err((status, message)) => {
            eprintln!("zkinfer-cuda: {message}");
            return ExitCode::from(status);
        }
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(&proof).and_then(|()| out.flush()) {
        eprintln!("zkinfer-cuda: writing the proof: {e}");
        return ExitCode::from(STATUS_BAD_REQUEST);
    }
    ExitCode::SUCCESS
}

/// The GPU prover of the resident (and the one-shot) worker: the CUDA context is made once, each key's params
/// read once into halo2-axiom-gpu's type (which carries the device copies of the SRS).
struct GpuResident;

impl ResidentProver for GpuResident {
    type Key = (ParamsKZG<Bn256>, ProvingKey<G1Affine>);

    fn load(
        &mut self,
        _settings: &Settings,
        params: &[u8],
        pk: ProvingKey<G1Affine>,
    ) -> Result<Self::Key, (u8, String)> {
        device().map_err(|e| (STATUS_NO_GPU, e.to_string()))?;
        let p = ParamsKZG::<Bn256>::read_custom(&mut &params[..], SerdeFormat::RawBytes)
            .map_err(|e| (STATUS_BAD_REQUEST, format!("bad KZG params: {e}")))?;
        Ok((p, pk))
    }

    fn prove(
        &mut self,
        key: &Self::Key,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, (u8, String)> {
        prove_on_gpu(&key.0, &key.1, circuit, instances, transcript).map_err(|e| {
            (
                STATUS_PROVING_FAILED,
                format!("halo2-axiom-gpu create_proof failed: {e}"),
            )
        })
    }
}

fn serve() -> ExitCode {
    if let Err(e) = device() {
        eprintln!("zkinfer-cuda: {e}");
        return ExitCode::from(STATUS_NO_GPU);
    }
    let mut cache = KeyCache::default();
    let served = zkinfer_prover::worker::serve(
        &mut GpuResident,
        &mut cache,
        std::io::stdin().lock(),
        std::io::stdout().lock(),
    );
    match served {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("zkinfer-cuda: serve: {e}");
            ExitCode::from(STATUS_BAD_REQUEST)
        }
    }
}

fn prove_on_gpu(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: ModelCircuit,
    instances: &[Fr],
    transcript: TranscriptKind,
) -> Result<Vec<u8>, String> {
    match transcript {
        TranscriptKind::Blake2b => gpu_prove::<_, Blake2bWrite<_, G1Affine, Challenge255<_>>>(
            params, pk, circuit, instances,
        ),
        TranscriptKind::Evm => {
            gpu_prove::<_, EvmTranscriptWriter<_>>(params, pk, circuit, instances)
        }
    }
}

/// halo2-axiom-gpu's prover writing to the transcript `T` (its `create_proof` is generic over
/// halo2-axiom's `TranscriptWrite`).
fn gpu_prove<E, T>(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: ModelCircuit,
    instances: &[Fr],
) -> Result<Vec<u8>, String>
where
    E: EncodedChallenge<G1Affine>,
    T: TranscriptWrite<G1Affine, E> + TranscriptWriterBuffer<Vec<u8>, G1Affine, E>,
{
    let mut transcript = T::init(Vec::new());
    create_proof::<KZGCommitmentScheme<Bn256>, ProverSHPLONK<'_, Bn256>, _, _, _, _>(
        params,
        pk,
        &[circuit],
        &[&[instances]],
        rand::rngs::OsRng,
        &mut transcript,
    )
    .map_err(|e| e.to_string())?;
    Ok(transcript.finalize())
}
