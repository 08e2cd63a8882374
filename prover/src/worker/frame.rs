//! The resident worker's frames and messages (see [`super`] for the protocol).

use halo2_proofs::halo2curves::bn256::{Bn256, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::plonk::ProvingKey;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::sync::Arc;
use thiserror::Error;
use zkinfer_circuits::circuit::{CompiledModel, ModelCircuit};
use zkinfer_circuits::quant::QuantModel;
use zkinfer_circuits::settings::Settings;
use zkinfer_circuits::witness;
use zkinfer_verifier::proof_system::TranscriptKind;

/// Largest frame accepted (a proving key and params of k = 26 fit well under it).
const MAX_FRAME: u64 = 1 << 36;

/// Why a frame cannot be used.
#[derive(Debug, Error)]
pub enum FrameError {
    #[error("unknown frame kind")]
    Kind,
    #[error("truncated frame (at {section})")]
    Truncated { section: &'static str },
    #[error("trailing bytes after the frame")]
    Trailing,
    #[error("the key's digest does not match its bytes")]
    Digest,
    #[error("bad {section} section")]
    Json {
        section: &'static str,
        #[source]
        source: serde_json::Error,
    },
    #[error("unknown transcript {name:?} (expected blake2b or evm)")]
    Transcript { name: String },
    #[error("bad input, binding value or instance section length")]
    SectionLength,
    #[error("an instance is not a field element")]
    NotAFieldElement,
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
    #[error("malformed answer")]
    Answer,
    #[error("reading the request")]
    Read {
        #[source]
        source: std::io::Error,
    },
    #[error("a one-shot request is a key frame, then a proof frame, then nothing")]
    OneShot,
}

impl FrameError {
    /// The error with its sources, `: `-separated (what an answer carries back).
    pub(crate) fn message(&self) -> String {
        let mut m = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            m.push_str(&format!(": {s}"));
            source = s.source();
        }
        m
    }
}

/// Reads one frame; `None` at a clean end of input (before a frame's first byte).
pub fn read_frame(r: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 8];
    let mut got = 0;
    while got < 8 {
        match r.read(&mut len[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    let len = u64::from_le_bytes(len);
    if len > MAX_FRAME {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {len} bytes"),
        ));
    }
    let mut buf = Vec::new();
    r.take(len).read_to_end(&mut buf)?;
    if buf.len() as u64 != len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(Some(buf))
}

/// Writes one frame and flushes.
pub fn write_frame(w: &mut impl Write, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(&(bytes.len() as u64).to_le_bytes())?;
    w.write_all(bytes)?;
    w.flush()
}

fn put(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s);
}

fn take<'a>(rest: &mut &'a [u8], section: &'static str) -> Result<&'a [u8], FrameError> {
    if rest.len() < 8 {
        return Err(FrameError::Truncated { section });
    }
    let (len, tail) = rest.split_at(8);
    let mut l = [0u8; 8];
    l.copy_from_slice(len);
    let len = usize::try_from(u64::from_le_bytes(l))
        .ok()
        .filter(|&n| n <= tail.len())
        .ok_or(FrameError::Truncated { section })?;
    let (s, tail) = tail.split_at(len);
    *rest = tail;
    Ok(s)
}

fn digest_of(rest: &[u8]) -> [u8; 32] {
    Sha256::digest(rest).into()
}

fn split_digest(frame: &[u8]) -> Result<([u8; 32], &[u8]), FrameError> {
    let body = frame
        .get(1..)
        .ok_or(FrameError::Truncated { section: "kind" })?;
    if body.len() < 32 {
        return Err(FrameError::Truncated { section: "digest" });
    }
    let (d, rest) = body.split_at(32);
    let mut digest = [0u8; 32];
    digest.copy_from_slice(d);
    Ok((digest, rest))
}

fn fr(c: &[u8]) -> Result<Fr, FrameError> {
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(c);
    Option::<Fr>::from(Fr::from_repr(repr)).ok_or(FrameError::NotAFieldElement)
}

/// `value` as JSON, checked to parse back to exactly `value` (the worker parses exactly these bytes).
fn json_exactly<T>(value: &T, what: &str) -> Result<Vec<u8>, String>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    let bytes = serde_json::to_vec(value).map_err(|e| e.to_string())?;
    if serde_json::from_slice::<T>(&bytes).ok().as_ref() != Some(value) {
        return Err(format!("{what} would not survive a JSON round trip"));
    }
    Ok(bytes)
}

/// A `K` frame: a proving key with what it proves.
#[derive(Debug)]
pub struct KeyMessage<'a> {
    /// SHA-256 of the sections.
    pub digest: [u8; 32],
    sections: &'a [u8],
}

impl<'a> KeyMessage<'a> {
    /// The frame for `pk` of `model` with `params`, and its digest.
    pub fn encode(
        settings: &Settings,
        quant: &QuantModel,
        params: &ParamsKZG<Bn256>,
        pk: &ProvingKey<G1Affine>,
    ) -> Result<(Vec<u8>, [u8; 32]), String> {
        let settings_bytes = json_exactly(settings, "the settings")?;
        let quant_bytes = json_exactly(quant, "the quantised model")?;
        // the kind, room for the digest, then the sections
        let mut frame = vec![0u8; 33];
        frame[0] = b'K';
        put(&mut frame, &settings_bytes);
        put(&mut frame, &quant_bytes);
        let mut p = Vec::new();
        params
            .write_custom(&mut p, SerdeFormat::RawBytes)
            .map_err(|e| e.to_string())?;
        put(&mut frame, &p);
        drop(p);
        put(&mut frame, &pk.to_bytes(SerdeFormat::RawBytes));
        let digest = digest_of(&frame[33..]);
        frame[1..33].copy_from_slice(&digest);
        Ok((frame, digest))
    }

    /// Splits a `K` frame, checking its digest.
    pub fn decode(frame: &'a [u8]) -> Result<Self, FrameError> {
        let (digest, sections) = split_digest(frame)?;
        if digest_of(sections) != digest {
            return Err(FrameError::Digest);
        }
        Ok(Self { digest, sections })
    }

    /// The digest, settings, planned model, params bytes and proving key.
    #[allow(clippy::type_complexity)]
    pub fn into_parts(
        self,
    ) -> Result<
        (
            [u8; 32],
            Settings,
            CompiledModel,
            Vec<u8>,
            ProvingKey<G1Affine>,
        ),
        FrameError,
    > {
        let mut rest = self.sections;
        let settings_bytes = take(&mut rest, "settings")?;
        let quant_bytes = take(&mut rest, "model")?;
        let params = take(&mut rest, "params")?.to_vec();
        let pk_bytes = take(&mut rest, "proving key")?;
        if !rest.is_empty() {
            return Err(FrameError::Trailing);
        }
        let settings: Settings =
            serde_json::from_slice(settings_bytes).map_err(|source| FrameError::Json {
                section: "settings",
                source,
            })?;
        let quant: QuantModel =
            serde_json::from_slice(quant_bytes).map_err(|source| FrameError::Json {
                section: "model",
                source,
            })?;
        let model =
            CompiledModel::new(quant, &settings).map_err(|source| FrameError::Model { source })?;
        let pk = ProvingKey::<G1Affine>::read::<_, ModelCircuit>(
            &mut &pk_bytes[..],
            SerdeFormat::RawBytes,
            settings.clone(),
        )
        .map_err(|source| FrameError::Bytes {
            what: "proving key",
            source,
        })?;
        Ok((self.digest, settings, model, params, pk))
    }
}

/// A `P` frame: one proof with a loaded key.
#[derive(Debug)]
pub struct ProveMessage {
    /// The key's digest.
    pub digest: [u8; 32],
    /// The transcript to write the proof with.
    pub transcript: TranscriptKind,
    /// The stored (quantised) inputs.
    pub stored: Vec<i64>,
    /// The binding value.
    pub bind: Fr,
    /// The public instances.
    pub instances: Vec<Fr>,
}

impl ProveMessage {
    /// The frame for proving `circuit` (with its witness) with the key `digest`.
    pub fn encode(
        digest: &[u8; 32],
        circuit: &ModelCircuit,
        instances: &[Fr],
        transcript: TranscriptKind,
    ) -> Result<Vec<u8>, String> {
        let model = circuit.model.as_ref().ok_or("the circuit has no model")?;
        let w = circuit
            .witness
            .as_ref()
            .ok_or("the circuit has no witness")?;
        let n_inputs: usize = model
            .quant
            .inputs
            .iter()
            .map(|&t| model.quant.tensors[t].numel())
            .sum();
        let ins = w
            .instances
            .get(..n_inputs)
            .ok_or("the witness has fewer instances than inputs")?;
        let mut stored = Vec::with_capacity(n_inputs * 8);
        for &v in ins {
            let v = i64::try_from(v).map_err(|_| "a stored input exceeds 64 bits")?;
            stored.extend_from_slice(&v.to_le_bytes());
        }
        let mut inst = Vec::with_capacity(instances.len() * 32);
        for f in instances {
            inst.extend_from_slice(f.to_repr().as_ref());
        }
        let mut frame = vec![b'P'];
        frame.extend_from_slice(digest);
        put(&mut frame, transcript.name().as_bytes());
        put(&mut frame, &stored);
        put(&mut frame, w.bind.to_repr().as_ref());
        put(&mut frame, &inst);
        Ok(frame)
    }

    /// Parses a `P` frame.
    pub fn decode(frame: &[u8]) -> Result<Self, FrameError> {
        let (digest, mut rest) = split_digest(frame)?;
        let t = take(&mut rest, "transcript")?;
        let stored = take(&mut rest, "inputs")?;
        let bind = take(&mut rest, "binding value")?;
        let inst = take(&mut rest, "instances")?;
        if !rest.is_empty() {
            return Err(FrameError::Trailing);
        }
        let transcript = std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse::<TranscriptKind>().ok())
            .ok_or_else(|| FrameError::Transcript {
                name: String::from_utf8_lossy(t).into_owned(),
            })?;
        if stored.len() % 8 != 0 || inst.len() % 32 != 0 || bind.len() != 32 {
            return Err(FrameError::SectionLength);
        }
        let stored = stored
            .chunks_exact(8)
            .map(|c| {
                let mut b = [0u8; 8];
                b.copy_from_slice(c);
                i64::from_le_bytes(b)
            })
            .collect();
        Ok(Self {
            digest,
            transcript,
            stored,
            bind: fr(bind)?,
            instances: inst.chunks_exact(32).map(fr).collect::<Result<_, _>>()?,
        })
    }

    /// The circuit of this proof on `model`, its witness rebuilt from the stored inputs, checked against
    /// the instances.
    pub fn circuit(
        &self,
        settings: &Settings,
        model: Arc<CompiledModel>,
    ) -> Result<ModelCircuit, FrameError> {
        let quant = &model.quant;
        let mut inputs = Vec::with_capacity(quant.inputs.len());
        let mut at = 0;
        for &t in &quant.inputs {
            let info = quant.tensors.get(t).ok_or(FrameError::InputCount {
                stored: self.stored.len(),
                needed: at,
            })?;
            let vals = self.stored.get(at..at + info.numel());
            at += info.numel();
            let vals = vals.ok_or(FrameError::InputCount {
                stored: self.stored.len(),
                needed: at,
            })?;
            inputs.push(vals.iter().map(|&v| info.encoding.dequantise(v)).collect());
        }
        if at != self.stored.len() {
            return Err(FrameError::InputCount {
                stored: self.stored.len(),
                needed: at,
            });
        }
        let w = witness::generate(&model.quant, &model.plan, &inputs)
            .map_err(|source| FrameError::Witness { source })?
            .with_bind(self.bind);
        let circuit = ModelCircuit::with_witness(settings.clone(), model, Arc::new(w));
        if circuit.instances() != self.instances {
            return Err(FrameError::InstancesDiffer);
        }
        Ok(circuit)
    }
}

/// The worker's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The proof (empty for a key).
    Proof(Vec<u8>),
    /// A failure, with its status and message.
    Failed { status: u8, message: String },
}

impl Answer {
    /// The frame.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Answer::Proof(p) => {
                let mut f = Vec::with_capacity(1 + p.len());
                f.push(b'O');
                f.extend_from_slice(p);
                f
            }
            Answer::Failed { status, message } => {
                let mut f = vec![b'E', *status];
                f.extend_from_slice(message.as_bytes());
                f
            }
        }
    }

    /// Parses an answer frame.
    pub fn decode(mut frame: Vec<u8>) -> Result<Self, FrameError> {
        match frame.first() {
            Some(b'O') => {
                frame.remove(0);
                Ok(Answer::Proof(frame))
            }
            Some(b'E') if frame.len() >= 2 => Ok(Answer::Failed {
                status: frame[1],
                message: String::from_utf8_lossy(&frame[2..]).into_owned(),
            }),
            _ => Err(FrameError::Answer),
        }
    }
}
