//! snarkjs `.ptau` files (iden3 binfile "ptau", version 1), e.g. the Hermez/Polygon
//! `powersOfTau28_hez_final_*.ptau`.
//!
//! Layout: magic `ptau`, version u32, number of sections u32, then per section: id u32, size u64, data.
//! All integers little-endian. Section 1 (header): n8 u32 (32 for BN254), q (n8 bytes, the base field
//! modulus), power u32, ceremonyPower u32. Section 2 (tauG1): 2^(power+1) - 1 G1 points \[τⁱ]₁.
//! Section 3 (tauG2): 2^power G2 points \[τⁱ]₂. Sections 4..7 (alpha/beta powers, contributions) and, in
//! "prepared" files, 12..15 (Lagrange bases) are not needed here and are skipped. Points are raw affine
//! Montgomery little-endian (see `points`).

use super::error::SrsImportError;
use super::points::{read_g1s, read_g2, Encoding};
use super::Powers;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};

/// The first four bytes of a `.ptau` file.
pub const PTAU_MAGIC: &[u8; 4] = b"ptau";

/// The BN254 base field modulus, little-endian, as the `.ptau` header stores q.
const BN254_Q_LE: [u8; 32] = {
    // 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47
    let be: [u8; 32] = [
        0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45, 0xb6, 0x81, 0x81, 0x58,
        0x5d, 0x97, 0x81, 0x6a, 0x91, 0x68, 0x71, 0xca, 0x8d, 0x3c, 0x20, 0x8c, 0x16, 0xd8, 0x7c,
        0xfd, 0x47,
    ];
    let mut le = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        le[i] = be[31 - i];
        i += 1;
    }
    le
};

const HEADER: u32 = 1;
const TAU_G1: u32 = 2;
const TAU_G2: u32 = 3;
/// The header section: n8, q (32 bytes), power, ceremonyPower.
const HEADER_SIZE: u64 = 4 + 32 + 4 + 4;
/// The largest power a BN254 KZG SRS can use (the 2-adicity of the scalar field).
const MAX_POWER: u32 = 28;

/// The parsed header and where the needed sections lie.
#[derive(Debug, Clone, Copy)]
pub struct PtauHeader {
    /// The file holds 2^power powers of τ usable as a KZG SRS.
    pub power: u32,
    /// The power of the ceremony the file was cut from (informational).
    pub ceremony_power: u32,
    tau_g1: (u64, u64),
    tau_g2: (u64, u64),
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_le_bytes(a)
}

fn read_n<R: Read>(r: &mut R, n: usize, file: &str) -> Result<Vec<u8>, SrsImportError> {
    let mut buf = vec![0u8; n];
    r.read_exact(&mut buf)
        .map_err(|e| SrsImportError::io(file, e))?;
    Ok(buf)
}

fn section_name(id: u32) -> &'static str {
    match id {
        HEADER => "header",
        TAU_G1 => "tauG1",
        TAU_G2 => "tauG2",
        _ => "other",
    }
}

/// The section table after the file header: where each section's data starts and its size, by section
/// id; every section fits in the file.
fn read_section_table<R: Read + Seek>(
    r: &mut R,
    n_sections: u32,
    file_len: u64,
    file: &str,
) -> Result<BTreeMap<u32, Vec<(u64, u64)>>, SrsImportError> {
    let mut sections: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    let mut pos = 12u64;
    for _ in 0..n_sections {
        if pos.saturating_add(12) > file_len {
            return Err(SrsImportError::Size {
                file: file.to_string(),
                what: format!("section table ({n_sections} sections)"),
                expected: pos.saturating_add(12),
                found: file_len,
            });
        }
        r.seek(SeekFrom::Start(pos))
            .map_err(|e| SrsImportError::io(file, e))?;
        let sh = read_n(r, 12, file)?;
        let (id, size) = (le_u32(&sh), le_u64(&sh[4..]));
        let start = pos + 12;
        let end = start.checked_add(size).filter(|&e| e <= file_len);
        let Some(end) = end else {
            return Err(SrsImportError::SectionSize {
                file: file.to_string(),
                section: id,
                name: section_name(id),
                expected: size,
                found: file_len.saturating_sub(start),
            });
        };
        sections.entry(id).or_default().push((start, size));
        pos = end;
    }
    Ok(sections)
}

/// Reads the section table and header of a `.ptau` file, checking every size against the file's length.
pub fn read_header<R: Read + Seek>(
    r: &mut R,
    file_len: u64,
    file: &str,
) -> Result<PtauHeader, SrsImportError> {
    let head = read_n(r, 12, file).map_err(|_| SrsImportError::Size {
        file: file.to_string(),
        what: "ptau file header".into(),
        expected: 12,
        found: file_len,
    })?;
    if &head[..4] != PTAU_MAGIC {
        return Err(SrsImportError::Header {
            file: file.to_string(),
            what: "not a snarkjs .ptau file (no \"ptau\" magic)".into(),
        });
    }
    let version = le_u32(&head[4..]);
    if version != 1 {
        return Err(SrsImportError::Header {
            file: file.to_string(),
            what: format!(".ptau version {version}, only version 1 is known"),
        });
    }
    let n_sections = le_u32(&head[8..]);
    let sections = read_section_table(r, n_sections, file_len, file)?;
    let unique = |id: u32| -> Result<(u64, u64), SrsImportError> {
        match sections.get(&id).map(Vec::as_slice) {
            Some([one]) => Ok(*one),
            found => Err(SrsImportError::Section {
                file: file.to_string(),
                section: id,
                name: section_name(id),
                what: if found.is_none() {
                    "is missing"
                } else {
                    "appears more than once"
                },
            }),
        }
    };
    let (hpos, hsize) = unique(HEADER)?;
    if hsize != HEADER_SIZE {
        return Err(SrsImportError::SectionSize {
            file: file.to_string(),
            section: HEADER,
            name: "header",
            expected: HEADER_SIZE,
            found: hsize,
        });
    }
    r.seek(SeekFrom::Start(hpos))
        .map_err(|e| SrsImportError::io(file, e))?;
    let h = read_n(r, HEADER_SIZE as usize, file)?;
    let n8 = le_u32(&h);
    if n8 != 32 || h[4..36] != BN254_Q_LE {
        return Err(SrsImportError::Header {
            file: file.to_string(),
            what: "the ptau curve is not BN254 (bn128)".into(),
        });
    }
    let power = le_u32(&h[36..]);
    let ceremony_power = le_u32(&h[40..]);
    if power == 0 || power > MAX_POWER {
        return Err(SrsImportError::Header {
            file: file.to_string(),
            what: format!(
                "ptau power {power} is outside 1..={MAX_POWER}, the powers BN254 KZG can use"
            ),
        });
    }
    let tau_g1 = unique(TAU_G1)?;
    let tau_g2 = unique(TAU_G2)?;
    let n = 1u64 << power;
    for (id, (_, size), expected) in [
        (TAU_G1, tau_g1, (2 * n - 1) * Encoding::Raw.g1_size()),
        (TAU_G2, tau_g2, n * Encoding::Raw.g2_size()),
    ] {
        if size != expected {
            return Err(SrsImportError::SectionSize {
                file: file.to_string(),
                section: id,
                name: section_name(id),
                expected,
                found: size,
            });
        }
    }
    Ok(PtauHeader {
        power,
        ceremony_power,
        tau_g1,
        tau_g2,
    })
}

/// Reads \[τ⁰..τ^(2^k - 1)]₁, the G2 generator of the file (\[τ⁰]₂) and \[τ]₂ from a `.ptau` file.
/// Points are decoded and checked to be on the curve; whether they form an SRS is
/// [`super::check_powers`]' job.
pub fn read_ptau(path: &std::path::Path, k: u32) -> Result<Powers, SrsImportError> {
    let file = path.display().to_string();
    let f = File::open(path).map_err(|e| SrsImportError::io(&file, e))?;
    let file_len = f
        .metadata()
        .map_err(|e| SrsImportError::io(&file, e))?
        .len();
    let mut r = BufReader::new(f);
    let header = read_header(&mut r, file_len, &file)?;
    if k > header.power {
        return Err(SrsImportError::TooSmall {
            file,
            available: header.power,
            requested: k,
        });
    }
    r.seek(SeekFrom::Start(header.tau_g1.0))
        .map_err(|e| SrsImportError::io(&file, e))?;
    let g = read_g1s(&mut r, 1usize << k, Encoding::Raw, &file, "tauG1")?;
    r.seek(SeekFrom::Start(header.tau_g2.0))
        .map_err(|e| SrsImportError::io(&file, e))?;
    let g2 = read_g2(&mut r, Encoding::Raw, &file, "tauG2", 0)?;
    let s_g2 = read_g2(&mut r, Encoding::Raw, &file, "tauG2", 1)?;
    Ok(Powers {
        format: super::SrsFormat::Ptau,
        max_k: header.power,
        g,
        g2,
        s_g2,
    })
}
