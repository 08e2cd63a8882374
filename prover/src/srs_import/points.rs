//! Decoding BN254 points as SRS files store them, and reading runs of them in bounded chunks.
//!
//! Raw: affine x then y, each coordinate 32 bytes little-endian in Montgomery form (R = 2²⁵⁶), an Fq2
//! element c0 then c1, the point at infinity all zeros. This is both halo2curves' `SerdeFormat::RawBytes`
//! and snarkjs' `.ptau` encoding (ffjavascript `toRprLEM`/`fromRprLEM` write the wasm Montgomery limbs as
//! they are). Compressed: halo2curves' `GroupEncoding` (32 bytes for G1, 64 for G2), the older halo2
//! params format.

use super::error::SrsImportError;
use halo2_proofs::halo2curves::bn256::{G1Affine, G2Affine};
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::halo2curves::serde::SerdeObject;
use std::io::Read;

/// How points are encoded in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Raw,
    Compressed,
}

impl Encoding {
    pub(crate) fn g1_size(self) -> u64 {
        match self {
            Self::Raw => 64,
            Self::Compressed => 32,
        }
    }

    pub(crate) fn g2_size(self) -> u64 {
        2 * self.g1_size()
    }
}

/// Points decoded per read: bounds the read buffer (4 MiB raw) whatever the file claims.
const CHUNK: usize = 1 << 16;

pub(crate) fn decode_g1(bytes: &[u8], enc: Encoding) -> Option<G1Affine> {
    match enc {
        Encoding::Raw => G1Affine::from_raw_bytes(bytes),
        Encoding::Compressed => {
            let mut repr = <G1Affine as GroupEncoding>::Repr::default();
            if repr.as_ref().len() != bytes.len() {
                return None;
            }
            repr.as_mut().copy_from_slice(bytes);
            Option::from(G1Affine::from_bytes(&repr))
        }
    }
}

pub(crate) fn decode_g2(bytes: &[u8], enc: Encoding) -> Option<G2Affine> {
    match enc {
        Encoding::Raw => G2Affine::from_raw_bytes(bytes),
        Encoding::Compressed => {
            let mut repr = <G2Affine as GroupEncoding>::Repr::default();
            if repr.as_ref().len() != bytes.len() {
                return None;
            }
            repr.as_mut().copy_from_slice(bytes);
            Option::from(G2Affine::from_bytes(&repr))
        }
    }
}

/// Reads `n` G1 points from `r`. The caller has checked that the file holds them (so `n` is bounded by
/// the file's length); reads go through a fixed-size buffer.
pub(crate) fn read_g1s<R: Read>(
    r: &mut R,
    n: usize,
    enc: Encoding,
    file: &str,
    section: &'static str,
) -> Result<Vec<G1Affine>, SrsImportError> {
    let size = enc.g1_size() as usize;
    let mut out = Vec::with_capacity(n);
    let mut buf = vec![0u8; CHUNK.min(n) * size];
    while out.len() < n {
        let m = CHUNK.min(n - out.len());
        let bytes = &mut buf[..m * size];
        r.read_exact(bytes)
            .map_err(|e| SrsImportError::io(file, e))?;
        for chunk in bytes.chunks_exact(size) {
            let index = out.len() as u64;
            let p = decode_g1(chunk, enc).ok_or_else(|| SrsImportError::BadPoint {
                file: file.to_string(),
                section,
                index,
            })?;
            out.push(p);
        }
    }
    Ok(out)
}

/// Reads one G2 point (the `index` is only for the error message).
pub(crate) fn read_g2<R: Read>(
    r: &mut R,
    enc: Encoding,
    file: &str,
    section: &'static str,
    index: u64,
) -> Result<G2Affine, SrsImportError> {
    let mut buf = vec![0u8; enc.g2_size() as usize];
    r.read_exact(&mut buf)
        .map_err(|e| SrsImportError::io(file, e))?;
    decode_g2(&buf, enc).ok_or_else(|| SrsImportError::BadPoint {
        file: file.to_string(),
        section,
        index,
    })
}
