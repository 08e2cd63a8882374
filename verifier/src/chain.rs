//! A model split across circuits: the manifest of its segments (`segments.json`) and the verification of a
//! chain of segment proofs.
//!
//! A segmented model directory `D` holds `D/segments.json` and one ordinary model folder per segment,
//! `D/segment-<i>/`. Segment `i`'s outputs are segment `i + 1`'s inputs (the tensors crossing the cut),
//! hashed on both sides: a chain is proved when every segment's proof passes [`judge`] and each cut's
//! commitments in the producer's outputs equal those in the consumer's inputs (the same values under the
//! same salt, so the consumer computed on exactly what the producer output). The first segment's inputs and
//! the last segment's outputs are the model's, checked against the caller's statement as for an unsplit
//! model.

use crate::artifacts::{read_file_capped, VerifierArtifacts};
use crate::error::VerifyError;
use crate::instances::ProvedTensor;
use crate::judge::{judge, Statement, Verified};
use crate::limits::LoadLimits;
use crate::proof_file::ProofFile;
use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zkinfer_circuits::field::fr_to_hex;
use zkinfer_circuits::poseidon::fr_to_be_hex;
use zkinfer_circuits::segments::CutTensor;
use zkinfer_circuits::settings::{IoSpec, Visibility};

/// The manifest's file name in a segmented model directory.
pub const MANIFEST_FILE: &str = "segments.json";
/// Version of `segments.json`.
pub const MANIFEST_VERSION: u32 = 1;
/// The largest manifest read.
const MAX_MANIFEST_BYTES: u64 = 16 << 20;
/// The most segments a manifest may list.
pub const MAX_SEGMENTS: usize = 4096;

/// The folder of segment `i` inside a segmented model directory.
pub fn segment_dir(root: &Path, i: usize) -> PathBuf {
    root.join(format!("segment-{i}"))
}

/// The proof file of segment `i` inside a chain proof folder.
pub fn segment_proof(chain: &Path, i: usize) -> PathBuf {
    chain.join(format!("segment-{i}.json"))
}

/// Whether `dir` is a segmented model directory.
pub fn is_segmented(dir: &Path) -> bool {
    dir.join(MANIFEST_FILE).is_file()
}

/// One segment in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentEntry {
    /// log2 of its rows.
    pub k: u32,
    /// The digest of its settings ([`zkinfer_circuits::settings::Settings::digest`], hex).
    pub settings_digest: String,
    /// The ops of the whole quantised model it holds (`[start, end)`).
    pub ops: (usize, usize),
    /// Its model id (settings, vk, SRS), written by `setup`; `None` before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// `segments.json`: the segments in order and the tensors of each cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentsManifest {
    /// [`MANIFEST_VERSION`].
    pub version: u32,
    /// The model's name.
    pub model_name: String,
    /// The row budget it was split for.
    pub max_k: u32,
    /// The segments, in evaluation order (segment `i` is in `segment-<i>/`).
    pub segments: Vec<SegmentEntry>,
    /// `cuts[i]`: the tensors segment `i` outputs and segment `i + 1` reads, in order.
    pub cuts: Vec<Vec<CutTensor>>,
}

impl SegmentsManifest {
    /// Reads and checks the manifest of `dir` (size-capped, version, segment and cut counts).
    pub fn read(dir: &Path) -> Result<Self, VerifyError> {
        let path = dir.join(MANIFEST_FILE);
        let file = path.display().to_string();
        let bytes = read_file_capped(&path, MAX_MANIFEST_BYTES)?;
        let m: Self = serde_json::from_slice(&bytes).map_err(|e| VerifyError::Format {
            file: file.clone(),
            what: e.to_string(),
        })?;
        if m.version != MANIFEST_VERSION {
            return Err(VerifyError::Version {
                file,
                found: m.version,
                expected: MANIFEST_VERSION,
            });
        }
        if m.segments.is_empty()
            || m.segments.len() > MAX_SEGMENTS
            || m.cuts.len() + 1 != m.segments.len()
        {
            return Err(VerifyError::Format {
                file,
                what: format!(
                    "{} segment(s) and {} cut(s): a chain of n segments (1..={MAX_SEGMENTS}) has n - 1 cuts",
                    m.segments.len(),
                    m.cuts.len()
                ),
            });
        }
        Ok(m)
    }

    /// The manifest as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The chain's id: SHA-256 over the segments' model ids, in order (each pins its settings, vk and SRS).
    /// `None` until every segment has been set up.
    pub fn chain_id(&self) -> Option<String> {
        let mut h = Sha256::new();
        h.update(b"zkinfer-chain-id/v1");
        for s in &self.segments {
            let id = s.model_id.as_ref()?;
            h.update((id.len() as u64).to_le_bytes());
            h.update(id.as_bytes());
        }
        Some(hex::encode(h.finalize()))
    }
}

/// The verifier artifacts of every segment, with the manifest they were checked against.
#[derive(Debug)]
pub struct ChainArtifacts {
    /// The manifest.
    pub manifest: SegmentsManifest,
    /// Each segment's artifacts, in order.
    pub segments: Vec<VerifierArtifacts>,
}

impl ChainArtifacts {
    /// Loads the manifest and every segment's `settings.json`, `vk.bin` and `verifier_params.bin` under
    /// `limits` (each segment is loaded as an unsplit model would be).
    pub fn load_dir_within(dir: &Path, limits: &LoadLimits) -> Result<Self, VerifyError> {
        let manifest = SegmentsManifest::read(dir)?;
        let segments = (0..manifest.segments.len())
            .map(|i| VerifierArtifacts::load_dir_within(&segment_dir(dir, i), limits))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { manifest, segments })
    }

    /// Reads the chain proof folder `chain` (`segment-<i>.json`, one per segment), each file bounded by its
    /// segment's limits.
    pub fn read_proofs(&self, chain: &Path) -> Result<Vec<ProofFile>, VerifyError> {
        let mut proofs = Vec::new();
        for (i, art) in self.segments.iter().enumerate() {
            let path = segment_proof(chain, i);
            if !path.exists() {
                break;
            }
            proofs.push(art.read_proof(&path)?);
        }
        Ok(proofs)
    }

    /// The chain id ([`SegmentsManifest::chain_id`]) of the loaded artifacts' model ids.
    pub fn chain_id(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"zkinfer-chain-id/v1");
        for art in &self.segments {
            h.update((art.model_id.len() as u64).to_le_bytes());
            h.update(art.model_id.as_bytes());
        }
        hex::encode(h.finalize())
    }
}

/// Why a chain of segment proofs does not prove the statement.
#[derive(Debug, Error)]
pub enum ChainRejection {
    /// A chain of another length.
    #[error("the chain has {found} segment proof(s), the model has {expected} segment(s)")]
    SegmentCount {
        /// Segments in the manifest.
        expected: usize,
        /// Proofs given.
        found: usize,
    },
    /// The proof at `position` is the proof of another segment (the chain is out of order).
    #[error("the proof in position {position} is segment {segment}'s: the chain is out of order")]
    OutOfOrder {
        /// Where it was given.
        position: usize,
        /// The segment it proves.
        segment: usize,
    },
    /// A segment's artifacts are not the ones the manifest names.
    #[error("segment {segment}'s artifacts are not the manifest's: {what}")]
    ManifestMismatch {
        /// The segment.
        segment: usize,
        /// What differs.
        what: String,
    },
    /// The caller pinned another chain id.
    #[error("chain id mismatch: expected {expected}, the artifacts are {found}")]
    ChainIdMismatch {
        /// The id the caller expected.
        expected: String,
        /// The artifacts' id.
        found: String,
    },
    /// A segment's proof does not prove its statement.
    #[error("segment {segment}: {rejection}")]
    Segment {
        /// The segment.
        segment: usize,
        /// Why [`judge`] refused it.
        #[source]
        rejection: Rejection,
    },
    /// The commitment a segment's proof states for a cut tensor differs from the one the next segment's
    /// proof states for it: the consumer did not compute on the producer's output.
    #[error(
        "broken link at cut {cut} (segment {cut} -> {}): tensor '{tensor}' is committed as {producer} by \
         the producer and {consumer} by the consumer",
        cut + 1
    )]
    BrokenLink {
        /// The cut (between segment `cut` and `cut + 1`).
        cut: usize,
        /// The tensor.
        tensor: String,
        /// The producer's commitment (big-endian hex).
        producer: String,
        /// The consumer's commitment (big-endian hex).
        consumer: String,
    },
}

impl ChainRejection {
    /// A short stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChainRejection::SegmentCount { .. } => "segment_count",
            ChainRejection::OutOfOrder { .. } => "out_of_order",
            ChainRejection::ManifestMismatch { .. } => "manifest_mismatch",
            ChainRejection::ChainIdMismatch { .. } => "chain_id_mismatch",
            ChainRejection::Segment { .. } => "segment",
            ChainRejection::BrokenLink { .. } => "broken_link",
        }
    }
}

/// A chain that passed: each segment's verdict, the first segment's inputs and the last one's outputs.
#[derive(Debug, Clone)]
pub struct ChainVerified {
    /// The chain id ([`ChainArtifacts::chain_id`]).
    pub chain_id: String,
    /// Each segment's verdict, in order.
    pub segments: Vec<Verified>,
}

impl ChainVerified {
    /// The verdict of the first segment (the model's inputs).
    pub fn first(&self) -> &Verified {
        &self.segments[0]
    }

    /// The verdict of the last segment (the model's outputs).
    pub fn last(&self) -> &Verified {
        &self.segments[self.segments.len() - 1]
    }
}

/// Checks that each segment's artifacts are the manifest's: its settings digest and model id, and its
/// inputs and outputs the cut tensors, hashed.
fn check_manifest(art: &ChainArtifacts) -> Result<(), ChainRejection> {
    let m = &art.manifest;
    let n = m.segments.len();
    if art.segments.len() != n {
        return Err(ChainRejection::SegmentCount {
            expected: n,
            found: art.segments.len(),
        });
    }
    let same = |specs: &[IoSpec], cut: &[CutTensor]| {
        specs.len() == cut.len()
            && specs.iter().zip(cut).all(|(s, c)| {
                s.name == c.name
                    && s.shape == c.shape
                    && s.encoding == c.encoding
                    && s.visibility == Visibility::Hashed
            })
    };
    for (i, (entry, seg)) in m.segments.iter().zip(&art.segments).enumerate() {
        let mismatch = |what: String| ChainRejection::ManifestMismatch { segment: i, what };
        let digest = fr_to_hex(&seg.settings.digest());
        if digest != entry.settings_digest {
            return Err(mismatch(format!(
                "settings digest {digest}, the manifest says {}",
                entry.settings_digest
            )));
        }
        if let Some(id) = &entry.model_id {
            if !id.eq_ignore_ascii_case(&seg.model_id) {
                return Err(mismatch(format!(
                    "model id {}, the manifest says {id}",
                    seg.model_id
                )));
            }
        }
        if i > 0 && !same(&seg.settings.inputs, &m.cuts[i - 1]) {
            return Err(mismatch(format!(
                "its inputs are not the tensors of cut {}",
                i - 1
            )));
        }
        if i + 1 < n && !same(&seg.settings.outputs, &m.cuts[i]) {
            return Err(mismatch(format!(
                "its outputs are not the tensors of cut {i}"
            )));
        }
    }
    Ok(())
}

/// Decides whether `proofs` (one per segment, in order) prove `statement` for the segmented model of
/// `art`: the manifest against the artifacts, the proofs' order, each segment's proof through [`judge`]
/// (the first with the caller's expected inputs; all with the caller's binding value and SRS policy), and
/// every link. `statement.model_id`, when given, is the chain id.
pub fn judge_chain(
    art: &ChainArtifacts,
    proofs: &[ProofFile],
    statement: &Statement,
) -> Result<ChainVerified, ChainRejection> {
    check_manifest(art)?;
    let chain_id = art.chain_id();
    if let Some(expected) = &statement.model_id {
        if !expected.eq_ignore_ascii_case(&chain_id) {
            return Err(ChainRejection::ChainIdMismatch {
                expected: expected.clone(),
                found: chain_id,
            });
        }
    }
    let n = art.segments.len();
    if proofs.len() != n {
        return Err(ChainRejection::SegmentCount {
            expected: n,
            found: proofs.len(),
        });
    }
    for (position, p) in proofs.iter().enumerate() {
        if p.model_id != art.segments[position].model_id {
            if let Some(segment) = art.segments.iter().position(|s| s.model_id == p.model_id) {
                return Err(ChainRejection::OutOfOrder { position, segment });
            }
        }
    }
    let mut verdicts: Vec<Verified> = Vec::with_capacity(n);
    for (i, (seg, proof)) in art.segments.iter().zip(proofs).enumerate() {
        let st = Statement {
            model_id: None,
            inputs: match i {
                0 => statement.inputs.clone(),
                _ => None,
            },
            bind: statement.bind,
            srs: statement.srs,
        };
        let v = judge(seg, proof, &st).map_err(|rejection| ChainRejection::Segment {
            segment: i,
            rejection,
        })?;
        if let Some(prev) = verdicts.last() {
            check_link(
                i - 1,
                &art.manifest.cuts[i - 1],
                prev,
                &v,
                prev.tensors
                    .len()
                    .saturating_sub(art.manifest.cuts[i - 1].len()),
            )?;
        }
        verdicts.push(v);
    }
    Ok(ChainVerified {
        chain_id,
        segments: verdicts,
    })
}

/// The link at `cut`: the producer's output commitments (from index `first_output` of its tensors) equal
/// the consumer's input commitments, tensor by tensor.
fn check_link(
    cut: usize,
    tensors: &[CutTensor],
    producer: &Verified,
    consumer: &Verified,
    first_output: usize,
) -> Result<(), ChainRejection> {
    let show = |t: Option<&ProvedTensor>| match t {
        Some(ProvedTensor::Hashed(c)) => fr_to_be_hex(c),
        Some(ProvedTensor::Public(_)) => "a public value".into(),
        Some(ProvedTensor::Private) | None => "nothing".into(),
    };
    for (j, t) in tensors.iter().enumerate() {
        let (p, c) = (
            producer.tensors.get(first_output + j),
            consumer.tensors.get(j),
        );
        let linked = matches!((p, c), (Some(ProvedTensor::Hashed(a)), Some(ProvedTensor::Hashed(b))) if a == b);
        if !linked {
            return Err(ChainRejection::BrokenLink {
                cut,
                tensor: t.name.clone(),
                producer: show(p),
                consumer: show(c),
            });
        }
    }
    Ok(())
}
