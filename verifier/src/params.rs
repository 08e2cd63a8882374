//! `verifier_params.bin`: the verifier's side of a KZG SRS (k, `g[0]`, `g2`, `s·g2`), a few hundred bytes.
//!
//! - version 1: magic `ZKVP\0\0\0\x01`, version (u32 LE), k (u32 LE), `g[0]` (G1), `g2`, `s·g2` (G2),
//!   compressed. Read as [`Provenance::Unmarked`].
//! - version 2: magic, version, k, one provenance byte ([`Provenance`]), then the three points.
//!
//! The provenance tag only makes error messages clearer ("this is a development SRS"); whether params
//! are trusted is decided from the points alone ([`crate::trust`]).

use crate::error::VerifyError;
use crate::proof_system::{Params, G1, G2};
use halo2_proofs::halo2curves::bn256::Fq;
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::poly::commitment::{Params as _, ParamsProver};
use halo2_proofs::SerdeFormat;

/// Magic bytes of `verifier_params.bin`.
pub const PARAMS_MAGIC: &[u8; 8] = b"ZKVP\0\0\0\x01";
/// Version of `verifier_params.bin` this build writes (it also reads version 1).
pub const PARAMS_VERSION: u32 = 2;

/// Where params say they come from. Informational only: never used to decide trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provenance {
    /// A version-1 file, which carries no tag.
    Unmarked,
    /// Made from local randomness by `zkinfer setup` without `--srs` (someone knows `s`).
    Development,
    /// Downsized from an SRS file given to `zkinfer setup --srs`.
    Imported,
}

impl Provenance {
    fn tag(self) -> u8 {
        match self {
            Self::Unmarked => 0,
            Self::Development => 1,
            Self::Imported => 2,
        }
    }

    fn from_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Self::Unmarked),
            1 => Some(Self::Development),
            2 => Some(Self::Imported),
            _ => None,
        }
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unmarked => "no provenance tag (version-1 file)",
            Self::Development => "marked as a local development SRS",
            Self::Imported => "marked as imported from an SRS file",
        })
    }
}

/// The verifier's side of a KZG SRS: k, `g[0]`, `g2`, `s·g2`.
#[derive(Debug, Clone)]
pub struct VerifierParams {
    /// log2 of the SRS size the keys were made with.
    pub k: u32,
    /// halo2 params holding only `g[0]`, `g2` and `s·g2`.
    pub params: Params,
    /// What the file says about its origin (informational).
    pub provenance: Provenance,
}

impl VerifierParams {
    /// Extracts the verifier part of full params (unmarked; see [`Self::with_provenance`]).
    pub fn from_full(full: &Params) -> Self {
        Self::from_points(full.k(), full.get_g()[0], full.g2(), full.s_g2())
    }

    /// The same params tagged with `provenance`.
    pub fn with_provenance(mut self, provenance: Provenance) -> Self {
        self.provenance = provenance;
        self
    }

    /// Params from their points.
    pub fn from_points(k: u32, g0: G1, g2: G2, s_g2: G2) -> Self {
        // A k = 0 stand-in gives `from_parts` its receiver; the result has n = 2^k and only g[0].
        let mut seed = Vec::new();
        seed.extend_from_slice(&0u32.to_le_bytes());
        for p in [
            g0.to_bytes().as_ref().to_vec(),
            g0.to_bytes().as_ref().to_vec(),
            g2.to_bytes().as_ref().to_vec(),
            s_g2.to_bytes().as_ref().to_vec(),
        ] {
            seed.extend_from_slice(&p);
        }
        let base = Params::read_custom(&mut seed.as_slice(), SerdeFormat::Processed)
            .unwrap_or_else(|_| unreachable!("points encoded by their own encoder"));
        let params = base.from_parts(k, vec![g0], Some(Vec::new()), g2, s_g2);
        Self {
            k,
            params,
            provenance: Provenance::Unmarked,
        }
    }

    /// `g[0]`.
    pub fn g0(&self) -> G1 {
        self.params.get_g()[0]
    }

    /// `g2`.
    pub fn g2(&self) -> G2 {
        self.params.g2()
    }

    /// `s·g2`.
    pub fn s_g2(&self) -> G2 {
        self.params.s_g2()
    }

    /// The canonical encoding of what verification uses: k (u32 LE), `g[0]`, `g2`, `s·g2` (compressed).
    /// The provenance tag is not part of it. Hashed into the model id.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4 + 32 + 64 + 64);
        out.extend_from_slice(&self.k.to_le_bytes());
        out.extend_from_slice(self.g0().to_bytes().as_ref());
        out.extend_from_slice(self.g2().to_bytes().as_ref());
        out.extend_from_slice(self.s_g2().to_bytes().as_ref());
        out
    }

    /// Serialises as `verifier_params.bin` (version 2).
    pub fn to_bytes(&self) -> Vec<u8> {
        let canonical = self.canonical_bytes();
        let mut out = Vec::new();
        out.extend_from_slice(PARAMS_MAGIC);
        out.extend_from_slice(&PARAMS_VERSION.to_le_bytes());
        out.extend_from_slice(&canonical[..4]);
        out.push(self.provenance.tag());
        out.extend_from_slice(&canonical[4..]);
        out
    }

    /// Parses `verifier_params.bin` (version 1 or 2). Only checks that the points are valid encodings;
    /// whether they can be trusted is [`crate::trust::assess`]'s decision.
    pub fn from_bytes(bytes: &[u8], file: &str) -> Result<Self, VerifyError> {
        if bytes.len() < 12 || &bytes[..8] != PARAMS_MAGIC {
            return Err(VerifyError::format(
                file,
                "not a zkinfer verifier params file (bad magic)",
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        let rest = &bytes[12..];
        let (k_bytes, provenance, points) = match version {
            1 => (rest.get(..4), Some(Provenance::Unmarked), rest.get(4..)),
            2 => (
                rest.get(..4),
                rest.get(4).copied().and_then(Provenance::from_tag),
                rest.get(5..),
            ),
            found => {
                return Err(VerifyError::Version {
                    file: file.to_string(),
                    found,
                    expected: PARAMS_VERSION,
                })
            }
        };
        let (Some(k_bytes), Some(points)) = (k_bytes, points) else {
            return Err(VerifyError::format(file, "truncated"));
        };
        let provenance =
            provenance.ok_or_else(|| VerifyError::format(file, "unknown provenance tag"))?;
        if points.len() != 32 + 64 + 64 {
            return Err(VerifyError::format(
                file,
                format!(
                    "expected 160 bytes of points after k, found {}",
                    points.len()
                ),
            ));
        }
        let k = u32::from_le_bytes([k_bytes[0], k_bytes[1], k_bytes[2], k_bytes[3]]);
        if !(1..=28).contains(&k) {
            return Err(VerifyError::format(
                file,
                format!("k = {k} is out of range"),
            ));
        }
        let mut g0 = <G1 as GroupEncoding>::Repr::default();
        g0.as_mut().copy_from_slice(&points[..32]);
        let bad =
            |what: &str| VerifyError::format(file, format!("{what} is not a valid curve point"));
        let g0: G1 = Option::from(G1::from_bytes(&g0)).ok_or_else(|| bad("g[0]"))?;
        let g2 = g2_from_bytes(&points[32..96]).ok_or_else(|| bad("g2"))?;
        let sg2 = g2_from_bytes(&points[96..160]).ok_or_else(|| bad("s*g2"))?;
        // one byte string per SRS: halo2curves also decodes an infinity flag with x != 0 (as the point x)
        // and the identity with its sign bit set; only the encoding it writes is accepted
        let canonical = [
            ("g[0]", g0.to_bytes().as_ref().to_vec(), &points[..32]),
            ("g2", g2.to_bytes().as_ref().to_vec(), &points[32..96]),
            ("s*g2", sg2.to_bytes().as_ref().to_vec(), &points[96..160]),
        ];
        if let Some((name, _, _)) = canonical
            .iter()
            .find(|(_, c, given)| c.as_slice() != *given)
        {
            return Err(VerifyError::format(
                file,
                format!("{name} is not in its canonical encoding"),
            ));
        }
        Ok(Self::from_points(k, g0, g2, sg2).with_provenance(provenance))
    }
}

/// Decodes a compressed G2 point. halo2curves' `G2Affine::from_bytes` panics (an unwrap inside
/// `Fq2::from_bytes`) when either half of x is not a canonical base-field element, so both halves are
/// checked first, with the two flag bits of the last byte masked as halo2curves masks them.
fn g2_from_bytes(bytes: &[u8]) -> Option<G2> {
    let mut repr = <G2 as GroupEncoding>::Repr::default();
    if bytes.len() != repr.as_ref().len() {
        return None;
    }
    repr.as_mut().copy_from_slice(bytes);
    let mut x = [0u8; 64];
    x.copy_from_slice(bytes);
    x[63] &= 0b0011_1111;
    for half in x.chunks_exact(32) {
        let mut h = [0u8; 32];
        h.copy_from_slice(half);
        if bool::from(Fq::from_bytes(&h).is_none()) {
            return None;
        }
    }
    Option::from(G2::from_bytes(&repr))
}
