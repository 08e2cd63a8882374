//! The resident prover worker: one process that serves many proofs, keeping each proving key (and, for the
//! GPU, the CUDA context and the device copy of the SRS) in memory between them. `zkinfer-cuda serve` runs
//! [`serve`] with halo2-axiom-gpu's prover; [`CpuResident`] runs the same loop on halo2-axiom's CPU prover,
//! so the protocol and the key cache are tested on machines without a GPU.
//!
//! Protocol (stdin/stdout of the worker, or any byte stream): frames of a little-endian `u64` length and
//! that many bytes. The first byte of a frame says what it is:
//! - `K` (client to worker): a key. 32 bytes of digest (SHA-256 of the rest of the frame), then
//!   length-prefixed sections: the settings (JSON), the quantised model (JSON), the KZG params and the
//!   proving key (halo2 `RawBytes`). The worker keeps it under its digest ([`MAX_KEYS`] at most, the
//!   least recently used is dropped first).
//! - `P` (client to worker): a proof of a loaded key: the key's digest, then sections: the transcript name,
//!   the stored inputs (`i64` little-endian), the binding value and the public instances (32-byte field
//!   elements). The worker rebuilds the witness from the key's model and checks it gives these instances.
//! - `O` (worker to client): success, then the proof bytes (empty for a key).
//! - `E` (worker to client): failure, then one byte of exit-code-like status ([`STATUS_BAD_REQUEST`],
//!   [`STATUS_PROVING_FAILED`], [`STATUS_NO_GPU`], [`STATUS_UNKNOWN_KEY`]) and the message (UTF-8).
//!
//! Every request gets exactly one answer; a failed request leaves the worker serving. End of input ends it.
//!
//! The one-shot worker (`zkinfer-cuda prove`, the CUDA backend's path for a single proof) serves one request
//! the same way ([`serve_one_shot`]): its input is the `K` frame and the `P` frame a resident worker gets for
//! a first proof ([`one_shot_request`]), read to the end; its output is the proof bytes, or for a failure the
//! answer's status as its exit code and the message on stderr.

mod client;
mod frame;
mod process;

pub use client::{key_fingerprint, one_shot_request, WorkerClient};
pub use frame::{read_frame, write_frame, Answer, FrameError, KeyMessage, ProveMessage};
pub use process::ResidentProcess;

use crate::backend::{CpuBackend, ProverBackend};
use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::Arc;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::settings::Settings;
use zkinfer_verifier::proof_system::{check, ProofCheckError, TranscriptKind};

/// Answer status: the request is malformed (the two sides disagree).
pub const STATUS_BAD_REQUEST: u8 = 2;
/// Answer status: the prover failed.
pub const STATUS_PROVING_FAILED: u8 = 3;
/// Answer status: no usable GPU.
pub const STATUS_NO_GPU: u8 = 4;
/// Answer status: a proof names a key the worker does not hold (send the key first).
pub const STATUS_UNKNOWN_KEY: u8 = 5;

/// Keys a worker keeps at most (the least recently used goes first): bounds its (GPU) memory.
pub const MAX_KEYS: usize = 4;

/// A prover a resident worker drives: loads a key once, proves many circuits with it.
pub trait ResidentProver {
    /// What a loaded key is on this prover (e.g. the params in the device's own type, and the key).
    type Key;
    /// Loads the params (halo2 `RawBytes`) and the proving key. `Err((status, message))` on failure.
    fn load(
        &mut self,
        settings: &Settings,
        params: &[u8],
        pk: ProvingKey<G1Affine>,
    ) -> Result<Self::Key, (u8, String)>;
    /// Proves `circuit` with `key`, writing the proof with `transcript`.
    fn prove(
        &mut self,
        key: &Self::Key,
        circuit: ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, (u8, String)>;
}

/// halo2-axiom's CPU prover as a resident worker (the tests' stand-in for the GPU one).
#[derive(Debug, Default)]
pub struct CpuResident;

impl ResidentProver for CpuResident {
    type Key = (ParamsKZG<Bn256>, ProvingKey<G1Affine>);

    fn load(
        &mut self,
        _settings: &Settings,
        params: &[u8],
        pk: ProvingKey<G1Affine>,
    ) -> Result<Self::Key, (u8, String)> {
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
        CpuBackend
            .prove_with(&key.0, &key.1, circuit, instances, transcript)
            .map_err(|e| (STATUS_PROVING_FAILED, e.to_string()))
    }
}

#[derive(Debug)]
struct Entry<K> {
    settings: Settings,
    model: Arc<CompiledModel>,
    key: K,
    used: u64,
}

/// The keys a worker holds, by digest, at most [`MAX_KEYS`].
#[derive(Debug)]
pub struct KeyCache<K> {
    entries: HashMap<[u8; 32], Entry<K>>,
    clock: u64,
}

impl<K> Default for KeyCache<K> {
    fn default() -> Self {
        Self {
            entries: HashMap::new(),
            clock: 0,
        }
    }
}

impl<K> KeyCache<K> {
    /// Digests of the keys held.
    pub fn digests(&self) -> Vec<[u8; 32]> {
        self.entries.keys().copied().collect()
    }

    fn insert(&mut self, digest: [u8; 32], settings: Settings, model: CompiledModel, key: K) {
        if !self.entries.contains_key(&digest) && self.entries.len() >= MAX_KEYS {
            if let Some(old) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(d, _)| *d)
            {
                self.entries.remove(&old);
            }
        }
        self.clock += 1;
        let entry = Entry {
            settings,
            model: Arc::new(model),
            key,
            used: self.clock,
        };
        self.entries.insert(digest, entry);
    }

    fn get(&mut self, digest: &[u8; 32]) -> Option<&Entry<K>> {
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(digest).map(|e| {
            e.used = clock;
            &*e
        })
    }
}

/// Serves requests from `input` until it ends, answering each on `output`. Returns the number of requests
/// served, or the I/O error that ended the stream (a malformed frame, a closed output).
pub fn serve<P: ResidentProver>(
    prover: &mut P,
    cache: &mut KeyCache<P::Key>,
    mut input: impl Read,
    mut output: impl Write,
) -> std::io::Result<usize> {
    let mut served = 0;
    while let Some(frame) = read_frame(&mut input)? {
        let answer = handle(prover, cache, &frame);
        drop(frame);
        write_frame(&mut output, &answer.encode())?;
        served += 1;
    }
    Ok(served)
}

/// Serves the one request of a one-shot worker ([`one_shot_request`]: a `K` frame, then a `P` frame of that
/// key) from `input`, read to its end first, as [`serve`] serves them. Returns the proof, or the failing
/// answer's status and message.
pub fn serve_one_shot<P: ResidentProver>(
    prover: &mut P,
    mut input: impl Read,
) -> Result<Vec<u8>, (u8, String)> {
    let bad = |e: FrameError| (STATUS_BAD_REQUEST, e.message());
    let mut next = |kind: u8| match read_frame(&mut input) {
        Ok(Some(frame)) if frame.first() == Some(&kind) => Ok(frame),
        Ok(_) => Err(bad(FrameError::OneShot)),
        Err(source) => Err(bad(FrameError::Read { source })),
    };
    let frames = [next(b'K')?, next(b'P')?];
    if !matches!(read_frame(&mut input), Ok(None)) {
        return Err(bad(FrameError::OneShot));
    }
    let mut cache = KeyCache::default();
    let mut proof = Vec::new();
    for frame in frames {
        match handle(prover, &mut cache, &frame) {
            Answer::Proof(p) => proof = p,
            Answer::Failed { status, message } => return Err((status, message)),
        }
    }
    Ok(proof)
}

fn handle<P: ResidentProver>(prover: &mut P, cache: &mut KeyCache<P::Key>, frame: &[u8]) -> Answer {
    let bad = |e: FrameError| Answer::Failed {
        status: STATUS_BAD_REQUEST,
        message: e.message(),
    };
    match frame.first() {
        Some(b'K') => {
            let k = match KeyMessage::decode(frame) {
                Ok(k) => k,
                Err(e) => return bad(e),
            };
            let (digest, settings, model, params, pk) = match k.into_parts() {
                Ok(p) => p,
                Err(e) => return bad(e),
            };
            match prover.load(&settings, &params, pk) {
                Ok(key) => {
                    cache.insert(digest, settings, model, key);
                    Answer::Proof(Vec::new())
                }
                Err((status, message)) => Answer::Failed { status, message },
            }
        }
        Some(b'P') => {
            let p = match ProveMessage::decode(frame) {
                Ok(p) => p,
                Err(e) => return bad(e),
            };
            let Some(entry) = cache.get(&p.digest) else {
                return Answer::Failed {
                    status: STATUS_UNKNOWN_KEY,
                    message: format!("no key {} loaded", hex::encode(p.digest)),
                };
            };
            let circuit = match p.circuit(&entry.settings, entry.model.clone()) {
                Ok(c) => c,
                Err(e) => return bad(e),
            };
            match prover.prove(&entry.key, circuit, &p.instances, p.transcript) {
                Ok(proof) => Answer::Proof(proof),
                Err((status, message)) => Answer::Failed { status, message },
            }
        }
        _ => bad(FrameError::Kind),
    }
}

/// Turns a worker's failure answer into the prover's error.
pub(crate) fn answer_error(status: u8, message: String) -> ProverError {
    match status {
        STATUS_PROVING_FAILED => ProverError::GpuProving { message },
        _ => ProverError::Device {
            reason: format!("the resident worker refused a request (status {status}): {message}"),
        },
    }
}

/// A worker's proof, once the verifier's one raw check (`zkinfer_verifier::proof_system::check`, the call
/// `zkinfer verify` ends in) has accepted it: a worker's (or a GPU's) bug must never leave it as a proof.
pub(crate) fn checked_proof(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    instances: &[Fr],
    proof: Vec<u8>,
    transcript: TranscriptKind,
) -> Result<Vec<u8>, ProverError> {
    match check(params, pk.get_vk(), instances, &proof, transcript) {
        Ok(()) => Ok(proof),
        Err(ProofCheckError::Plonk(source)) => Err(ProverError::GpuProofRejected { source }),
        Err(ProofCheckError::TrailingBytes) => {
            Err(ProverError::GpuProofTrailing { extra: proof.len() })
        }
    }
}
