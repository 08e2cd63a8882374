//! halo2 `ParamsKZG<Bn256>` files as PSE halo2, halo2-axiom, EZKL and the PSE conversions of the Perpetual
//! Powers of Tau (`perpetual-powers-of-tau-raw-K`, `hermez-raw-K`) write them:
//! k u32 little-endian, g (2^k G1 points \[τⁱ]₁), g_lagrange (2^k G1 points), g2, s_g2 = \[τ]₂.
//! Points are raw (`SerdeFormat::RawBytes`/`RawBytesUnchecked`: 64 bytes per G1, 128 per G2; PSE halo2's
//! `ParamsKZG::write` and halo2-axiom's both write this) or compressed (`SerdeFormat::Processed`, 32 / 64
//! bytes; the older PSE format, the non-`raw` conversions). The encoding follows from the file's length.
//!
//! Only the first 2^k' points of g are read for a requested k' ≤ k; g_lagrange is not trusted from the file
//! but recomputed from g (as `Params::downsize` does).

use super::error::SrsImportError;
use super::points::{read_g1s, read_g2, Encoding};
use super::{Powers, SrsFormat};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The largest k a BN254 KZG SRS can have (the 2-adicity of the scalar field).
const MAX_K: u32 = 28;

/// The size of a params file of degree `k` with the given point encoding.
pub(crate) fn params_file_len(k: u32, enc: Encoding) -> u64 {
    4 + 2 * (1u64 << k) * enc.g1_size() + 2 * enc.g2_size()
}

/// Reads the degree of a halo2 params file and which encoding its length implies.
pub(crate) fn read_k<R: Read>(
    r: &mut R,
    file_len: u64,
    file: &str,
) -> Result<(u32, Encoding), SrsImportError> {
    let mut kb = [0u8; 4];
    r.read_exact(&mut kb).map_err(|_| SrsImportError::Size {
        file: file.to_string(),
        what: "halo2 params header (k)".into(),
        expected: 4,
        found: file_len,
    })?;
    let k = u32::from_le_bytes(kb);
    if k > MAX_K {
        return Err(SrsImportError::Header {
            file: file.to_string(),
            what: format!(
                "neither a snarkjs .ptau file nor halo2 KZG params: the first word, k = {k}, is above {MAX_K}"
            ),
        });
    }
    let raw = params_file_len(k, Encoding::Raw);
    let compressed = params_file_len(k, Encoding::Compressed);
    if file_len == raw {
        Ok((k, Encoding::Raw))
    } else if file_len == compressed {
        Ok((k, Encoding::Compressed))
    } else {
        Err(SrsImportError::Size {
            file: file.to_string(),
            what: format!("halo2 params of k = {k} (raw; {compressed} bytes if compressed)"),
            expected: raw,
            found: file_len,
        })
    }
}

/// Reads \[τ⁰..τ^(2^k - 1)]₁, g2 and s_g2 = \[τ]₂ from a halo2 params file of degree ≥ k.
pub fn read_halo2_params(path: &std::path::Path, k: u32) -> Result<Powers, SrsImportError> {
    let file = path.display().to_string();
    let f = File::open(path).map_err(|e| SrsImportError::io(&file, e))?;
    let file_len = f
        .metadata()
        .map_err(|e| SrsImportError::io(&file, e))?
        .len();
    let mut r = BufReader::new(f);
    let (file_k, enc) = read_k(&mut r, file_len, &file)?;
    if k > file_k {
        return Err(SrsImportError::TooSmall {
            file,
            available: file_k,
            requested: k,
        });
    }
    let g = read_g1s(&mut r, 1usize << k, enc, &file, "g")?;
    let g2_at = 4 + 2 * (1u64 << file_k) * enc.g1_size();
    r.seek(SeekFrom::Start(g2_at))
        .map_err(|e| SrsImportError::io(&file, e))?;
    let g2 = read_g2(&mut r, enc, &file, "g2", 0)?;
    let s_g2 = read_g2(&mut r, enc, &file, "s_g2", 0)?;
    Ok(Powers {
        format: match enc {
            Encoding::Raw => SrsFormat::Halo2Raw,
            Encoding::Compressed => SrsFormat::Halo2Compressed,
        },
        max_k: file_k,
        g,
        g2,
        s_g2,
    })
}
