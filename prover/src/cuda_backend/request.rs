//! The worker's request: what `zkinfer-cuda prove` reads on stdin ([`encode_request`]), and its decoding
//! and checking on the worker's side ([`decode_request`]).

use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use std::sync::Arc;
use thiserror::Error;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::quant::QuantModel;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness;
use zkinfer_verifier::proof_system::TranscriptKind;

const MAGIC: &[u8; 8] = b"ZKICUDA3";

fn request_error(what: impl std::fmt::Display) -> ProverError {
    ProverError::Device {
        reason: format!("cannot hand this proof to the GPU worker: {what}"),
    }
}

/// The request for one proof, written with `transcript`, as the worker reads it on stdin.
pub fn encode_request(
    params: &ParamsKZG<Bn256>,
    pk: &ProvingKey<G1Affine>,
    circuit: &ModelCircuit,
    instances: &[Fr],
    transcript: TranscriptKind,
) -> Result<Vec<u8>, ProverError> {
    let model = circuit
        .model
        .as_ref()
        .ok_or_else(|| request_error("the circuit has no model"))?;
    let w = circuit
        .witness
        .as_ref()
        .ok_or_else(|| request_error("the circuit has no witness"))?;
    // The worker parses exactly these bytes: check that they give back exactly these values.
    let settings = serde_json::to_vec(&circuit.settings).map_err(request_error)?;
    if serde_json::from_slice::<Settings>(&settings).ok().as_ref() != Some(&circuit.settings) {
        return Err(request_error(
            "the settings do not survive a JSON round trip",
        ));
    }
    let quant = serde_json::to_vec(&model.quant).map_err(request_error)?;
    if serde_json::from_slice::<QuantModel>(&quant).ok().as_ref() != Some(&model.quant) {
        return Err(request_error(
            "the quantised model does not survive a JSON round trip",
        ));
    }
    // the stored (quantised) inputs: the first instances of the witness
    let n_inputs: usize = model
        .quant
        .inputs
        .iter()
        .map(|&t| model.quant.tensors[t].numel())
        .sum();
    if w.instances.len() < n_inputs {
        return Err(request_error("the witness has fewer instances than inputs"));
    }
    let mut stored = Vec::with_capacity(n_inputs * 8);
    for &v in &w.instances[..n_inputs] {
        let v = i64::try_from(v).map_err(|_| request_error("a stored input exceeds 64 bits"))?;
        stored.extend_from_slice(&v.to_le_bytes());
    }
    let bind = w.bind.to_repr();
    let mut inst = Vec::with_capacity(instances.len() * 32);
    for f in instances {
        inst.extend_from_slice(f.to_repr().as_ref());
    }
    let mut p = Vec::new();
    params
        .write_custom(&mut p, SerdeFormat::RawBytes)
        .map_err(request_error)?;
    let pk_bytes = pk.to_bytes(SerdeFormat::RawBytes);

    let sections: [&[u8]; 8] = [
        transcript.name().as_bytes(),
        &settings,
        &quant,
        &stored,
        bind.as_ref(),
        &inst,
        &p,
        &pk_bytes,
    ];
    let total: usize = sections.iter().map(|s| 8 + s.len()).sum();
    let mut out = Vec::with_capacity(MAGIC.len() + total);
    out.extend_from_slice(MAGIC);
    for s in sections {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s);
    }
    Ok(out)
}

/// Why the worker cannot use a request: it is damaged, or the two sides of the protocol disagree.
#[derive(Debug, Error)]
pub enum RequestError {
    #[error(
        "not a zkinfer GPU request (bad magic): the worker and zkinfer are from different builds"
    )]
    BadMagic,
    #[error("truncated request (at {section})")]
    Truncated { section: &'static str },
    #[error("trailing bytes after the request")]
    Trailing,
    #[error("bad {section} section")]
    Json {
        section: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unknown transcript {name:?} (expected blake2b or evm)")]
    UnknownTranscript { name: String },
    #[error("bad input, binding value or instance section length")]
    SectionLength,
    #[error("an instance is not a field element")]
    NotAFieldElement,
    #[error("the model names input tensor {tensor}, which it does not have")]
    NoSuchTensor { tensor: usize },
    #[error("{stored} stored input values, the model's inputs take {needed}")]
    InputCount { stored: usize, needed: usize },
    #[error("bad model")]
    Model {
        #[source]
        source: zkinfer_circuits::CircuitError,
    },
    #[error("witness generation failed")]
    Witness {
        #[source]
        source: zkinfer_circuits::CircuitError,
    },
    #[error("the rebuilt witness gives other public instances than the request's")]
    InstancesDiffer,
    #[error("bad {what}")]
    Bytes {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// A request, decoded and checked by the worker.
#[derive(Debug)]
pub struct Request {
    pub settings: Settings,
    /// The transcript to write the proof with.
    pub transcript: TranscriptKind,
    /// The circuit, with its witness regenerated from the stored inputs and the binding value.
    pub circuit: ModelCircuit,
    /// The public instances, exactly as sent (and equal to the rebuilt circuit's).
    pub instances: Vec<Fr>,
    /// The KZG params in halo2's `RawBytes` format (the worker reads them into halo2-axiom-gpu's type).
    pub params: Vec<u8>,
    pub pk: ProvingKey<G1Affine>,
}

impl Request {
    /// The params as halo2-axiom's (CPU) type.
    pub fn cpu_params(&self) -> Result<ParamsKZG<Bn256>, RequestError> {
        ParamsKZG::<Bn256>::read_custom(&mut &self.params[..], SerdeFormat::RawBytes).map_err(
            |source| RequestError::Bytes {
                what: "KZG params",
                source,
            },
        )
    }
}

fn fr_from_bytes(c: &[u8]) -> Result<Fr, RequestError> {
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(c);
    Option::<Fr>::from(Fr::from_repr(repr)).ok_or(RequestError::NotAFieldElement)
}

/// The next length-prefixed section of a request.
fn take<'a>(rest: &mut &'a [u8], section: &'static str) -> Result<&'a [u8], RequestError> {
    if rest.len() < 8 {
        return Err(RequestError::Truncated { section });
    }
    let (len, tail) = rest.split_at(8);
    let mut l = [0u8; 8];
    l.copy_from_slice(len);
    let len = usize::try_from(u64::from_le_bytes(l))
        .ok()
        .filter(|&n| n <= tail.len())
        .ok_or(RequestError::Truncated { section })?;
    let (s, tail) = tail.split_at(len);
    *rest = tail;
    Ok(s)
}

/// The model's inputs as real numbers, from their stored values (exact: the scales are powers of two).
fn stored_inputs(quant: &QuantModel, stored: &[i64]) -> Result<Vec<Vec<f64>>, RequestError> {
    let mut inputs = Vec::with_capacity(quant.inputs.len());
    let mut needed = 0;
    for &tensor in &quant.inputs {
        let info = quant
            .tensors
            .get(tensor)
            .ok_or(RequestError::NoSuchTensor { tensor })?;
        needed += info.numel();
        inputs.push(
            stored
                .iter()
                .skip(needed - info.numel())
                .take(info.numel())
                .map(|&v| info.encoding.dequantise(v))
                .collect::<Vec<f64>>(),
        );
    }
    if stored.len() != needed {
        return Err(RequestError::InputCount {
            stored: stored.len(),
            needed,
        });
    }
    Ok(inputs)
}

/// Decodes a request and rebuilds its circuit; any inconsistency is an error (never a panic).
pub fn decode_request(bytes: &[u8]) -> Result<Request, RequestError> {
    let rest = bytes
        .strip_prefix(&MAGIC[..])
        .ok_or(RequestError::BadMagic)?;
    let mut rest = rest;
    let transcript_bytes = take(&mut rest, "transcript")?;
    let settings_bytes = take(&mut rest, "settings")?;
    let quant_bytes = take(&mut rest, "model")?;
    let stored_bytes = take(&mut rest, "inputs")?;
    let bind_bytes = take(&mut rest, "binding value")?;
    let inst_bytes = take(&mut rest, "instances")?;
    let params = take(&mut rest, "params")?.to_vec();
    let pk_bytes = take(&mut rest, "proving key")?;
    if !rest.is_empty() {
        return Err(RequestError::Trailing);
    }

    let transcript = std::str::from_utf8(transcript_bytes)
        .ok()
        .and_then(|s| s.parse::<TranscriptKind>().ok())
        .ok_or_else(|| RequestError::UnknownTranscript {
            name: String::from_utf8_lossy(transcript_bytes).into_owned(),
        })?;
    let settings: Settings =
        serde_json::from_slice(settings_bytes).map_err(|source| RequestError::Json {
            section: "settings",
            source,
        })?;
    let quant: QuantModel =
        serde_json::from_slice(quant_bytes).map_err(|source| RequestError::Json {
            section: "model",
            source,
        })?;
    if stored_bytes.len() % 8 != 0 || inst_bytes.len() % 32 != 0 || bind_bytes.len() != 32 {
        return Err(RequestError::SectionLength);
    }
    let stored: Vec<i64> = stored_bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            i64::from_le_bytes(b)
        })
        .collect();
    let instances = inst_bytes
        .chunks_exact(32)
        .map(fr_from_bytes)
        .collect::<Result<Vec<Fr>, _>>()?;
    let bind = fr_from_bytes(bind_bytes)?;

    let inputs = stored_inputs(&quant, &stored)?;
    let model =
        CompiledModel::new(quant, &settings).map_err(|source| RequestError::Model { source })?;
    let w = witness::generate(&model.quant, &model.plan, &inputs)
        .map_err(|source| RequestError::Witness { source })?
        .with_bind(bind);
    let circuit = ModelCircuit::with_witness(settings.clone(), Arc::new(model), Arc::new(w));
    if circuit.instances() != instances {
        return Err(RequestError::InstancesDiffer);
    }
    let pk = ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
        &mut &pk_bytes[..],
        SerdeFormat::RawBytes,
        settings.clone(),
    )
    .map_err(|source| RequestError::Bytes {
        what: "proving key",
        source,
    })?;
    Ok(Request {
        settings,
        transcript,
        circuit,
        instances,
        params,
        pk,
    })
}
