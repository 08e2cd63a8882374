//! The client side of the resident worker: sends each key once (remembered by a cheap fingerprint), then
//! one `P` frame per proof.

use super::frame::{read_frame, write_frame, Answer, KeyMessage, ProveMessage};
use super::{answer_error, STATUS_UNKNOWN_KEY};
use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{Read, Write};
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_verifier::proof_system::TranscriptKind;

/// What identifies a key without serialising it: the verifying key's transcript hash (it commits to the
/// circuit's shape, the fixed columns and the permutation, so to the SRS too), the SRS size and the
/// settings and model the worker rebuilds circuits from.
pub fn key_fingerprint(
    circuit: &ModelCircuit,
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
) -> Result<[u8; 32], String> {
    let model = circuit.model.as_ref().ok_or("the circuit has no model")?;
    let mut h = Sha256::new();
    h.update(pk.get_vk().transcript_repr().to_repr().as_ref());
    h.update(params.k().to_le_bytes());
    h.update(serde_json::to_vec(&circuit.settings).map_err(|e| e.to_string())?);
    h.update(serde_json::to_vec(&model.quant).map_err(|e| e.to_string())?);
    Ok(h.finalize().into())
}

/// The request of the one-shot worker ([`super::serve_one_shot`]): the frames a resident worker gets for a
/// first proof of `circuit`, the key's and the proof's, one after the other.
pub fn one_shot_request(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ModelCircuit,
    instances: &[Fr],
    transcript: TranscriptKind,
) -> Result<Vec<u8>, String> {
    let model = circuit.model.as_ref().ok_or("the circuit has no model")?;
    let (key, digest) = KeyMessage::encode(&circuit.settings, &model.quant, params, pk)?;
    let proof = ProveMessage::encode(&digest, circuit, instances, transcript)?;
    let mut request = Vec::with_capacity(16 + key.len() + proof.len());
    write_frame(&mut request, &key).map_err(|e| e.to_string())?;
    drop(key);
    write_frame(&mut request, &proof).map_err(|e| e.to_string())?;
    Ok(request)
}

/// A connection to a resident worker: its answers come on `R`, requests go on `W`.
#[derive(Debug)]
pub struct WorkerClient<R, W> {
    from: R,
    to: W,
    /// fingerprint -> digest of the keys this worker was sent
    sent: HashMap<[u8; 32], [u8; 32]>,
    /// Key frames sent so far (a test and a report read it).
    pub keys_sent: usize,
}

fn io_error(action: &'static str) -> impl Fn(std::io::Error) -> ProverError {
    move |source| ProverError::Worker {
        worker: "(resident)".into(),
        action,
        source,
    }
}

impl<R: Read, W: Write> WorkerClient<R, W> {
    /// A client over a worker's output (`from`) and input (`to`).
    pub fn new(from: R, to: W) -> Self {
        Self {
            from,
            to,
            sent: HashMap::new(),
            keys_sent: 0,
        }
    }

    fn request(&mut self, frame: &[u8]) -> Result<Answer, ProverError> {
        write_frame(&mut self.to, frame).map_err(io_error("did not take a request"))?;
        let answer = read_frame(&mut self.from)
            .map_err(io_error("did not answer"))?
            .ok_or_else(|| {
                io_error("ended without answering")(std::io::ErrorKind::UnexpectedEof.into())
            })?;
        Answer::decode(answer).map_err(|e| ProverError::Device {
            reason: format!("the resident worker answered garbage: {e}"),
        })
    }

    /// Proves `circuit` on the worker, sending the key first if this worker has not got it.
    pub fn prove(
        &mut self,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
        circuit: &ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, ProverError> {
        let refuse = |what: String| ProverError::Device {
            reason: format!("cannot hand this proof to the resident worker: {what}"),
        };
        let fp = key_fingerprint(circuit, params, pk).map_err(refuse)?;
        // one retry: a worker that dropped the key (its cache is bounded) says so, and gets it again
        for _ in 0..2 {
            let digest = match self.sent.get(&fp) {
                Some(d) => *d,
                None => {
                    let model = circuit
                        .model
                        .as_ref()
                        .ok_or_else(|| refuse("no model".into()))?;
                    let (frame, digest) =
                        KeyMessage::encode(&circuit.settings, &model.quant, params, pk)
                            .map_err(refuse)?;
                    match self.request(&frame)? {
                        Answer::Proof(_) => {}
                        Answer::Failed { status, message } => {
                            return Err(answer_error(status, message))
                        }
                    }
                    self.keys_sent += 1;
                    self.sent.insert(fp, digest);
                    digest
                }
            };
            let frame =
                ProveMessage::encode(&digest, circuit, instances, transcript).map_err(refuse)?;
            match self.request(&frame)? {
                Answer::Proof(p) => return Ok(p),
                Answer::Failed { status, .. } if status == STATUS_UNKNOWN_KEY => {
                    self.sent.remove(&fp);
                }
                Answer::Failed { status, message } => return Err(answer_error(status, message)),
            }
        }
        Err(refuse(
            "the worker does not keep the key it was sent".into(),
        ))
    }
}
