//! Importing a public ceremony's SRS: snarkjs `.ptau` files (Hermez/Polygon `powersOfTau28_hez_final_*`)
//! and halo2 `ParamsKZG<Bn256>` files (PSE/EZKL/Scroll conversions of the Perpetual Powers of Tau, raw or
//! compressed), into halo2-axiom `ParamsKZG<Bn256>` of a requested degree k.
//!
//! Every import is checked: g₀ is the G1 generator, the file's G2 generator is the G2 generator, \[τ]₂ is
//! a non-trivial point of the prime-order subgroup, and the G1 points are the powers of that τ (one pairing
//! check on random linear combinations, see [`check_powers`]). Sizes are checked against the file's length
//! before anything is allocated, so truncated or garbage files give an error, never a panic or a huge
//! allocation. Whether \[τ]₂ is one of the trusted ceremonies is the verifier's decision, not this module's.

mod check;
mod error;
mod halo2_params;
mod points;
mod ptau;

pub use check::check_powers;
pub use error::{ConsistencyCheck, SrsImportError};
pub use halo2_params::read_halo2_params;
pub use ptau::{read_ptau, PtauHeader, PTAU_MAGIC};

use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Affine};
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand::SeedableRng;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The kind of SRS file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrsFormat {
    /// snarkjs powers of tau (`.ptau`).
    Ptau,
    /// halo2 `ParamsKZG` with raw points (`SerdeFormat::RawBytes`, what `ParamsKZG::write` writes).
    Halo2Raw,
    /// halo2 `ParamsKZG` with compressed points (`SerdeFormat::Processed`).
    Halo2Compressed,
}

impl std::fmt::Display for SrsFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Ptau => "snarkjs .ptau",
            Self::Halo2Raw => "halo2 KZG params (raw)",
            Self::Halo2Compressed => "halo2 KZG params (compressed)",
        })
    }
}

/// The powers of τ read from a file, before they are checked.
#[derive(Debug, Clone)]
pub struct Powers {
    /// What the file was.
    pub format: SrsFormat,
    /// The largest k the file can give (it holds at least 2^max_k powers of τ in G1).
    pub max_k: u32,
    /// \[τ⁰]₁ .. \[τ^(2^k - 1)]₁ for the requested k.
    pub g: Vec<G1Affine>,
    /// \[τ⁰]₂ as the file stores it.
    pub g2: G2Affine,
    /// \[τ]₂.
    pub s_g2: G2Affine,
}

/// Checked params and where they came from.
#[derive(Debug, Clone)]
pub struct ImportedSrs {
    /// KZG params of the requested k: g = the file's first 2^k powers, g_lagrange recomputed from them,
    /// g2 = the G2 generator, s_g2 = the file's \[τ]₂.
    pub params: ParamsKZG<Bn256>,
    /// What the file was.
    pub format: SrsFormat,
    /// The largest k the file could have given.
    pub max_k: u32,
}

/// The format and largest k of an SRS file, from its header and length only.
pub fn probe(path: &Path) -> Result<(SrsFormat, u32), SrsImportError> {
    let file = path.display().to_string();
    let f = File::open(path).map_err(|e| SrsImportError::io(&file, e))?;
    let file_len = f
        .metadata()
        .map_err(|e| SrsImportError::io(&file, e))?
        .len();
    let mut r = BufReader::new(f);
    if is_ptau(path)? {
        let h = ptau::read_header(&mut r, file_len, &file)?;
        return Ok((SrsFormat::Ptau, h.power));
    }
    let (k, enc) = halo2_params::read_k(&mut r, file_len, &file)?;
    Ok((
        match enc {
            points::Encoding::Raw => SrsFormat::Halo2Raw,
            points::Encoding::Compressed => SrsFormat::Halo2Compressed,
        },
        k,
    ))
}

fn is_ptau(path: &Path) -> Result<bool, SrsImportError> {
    let file = path.display().to_string();
    let mut f = File::open(path).map_err(|e| SrsImportError::io(&file, e))?;
    let mut magic = [0u8; 4];
    match f.read_exact(&mut magic) {
        Ok(()) => Ok(&magic == PTAU_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(SrsImportError::io(&file, e)),
    }
}

/// Reads the first 2^k powers of τ of a `.ptau` or halo2 params file (told apart by the `ptau` magic),
/// unchecked.
pub fn read_powers(path: &Path, k: u32) -> Result<Powers, SrsImportError> {
    if is_ptau(path)? {
        read_ptau(path, k)
    } else {
        read_halo2_params(path, k)
    }
}

/// Builds `ParamsKZG` of degree k from checked powers (`g.len()` must be 2^k; `import_srs` ensures it).
/// g2 is the G2 generator (checked equal to the file's by [`check_powers`]).
pub(crate) fn params_from_powers(k: u32, g: Vec<G1Affine>, s_g2: G2Affine) -> ParamsKZG<Bn256> {
    // halo2-axiom builds params from parts only through a method of an existing value, which it ignores;
    // a k = 0 setup from a fixed seed is the cheapest such value (its contents are discarded).
    let template = ParamsKZG::<Bn256>::setup(0, rand_chacha::ChaCha20Rng::seed_from_u64(0));
    template.from_parts(k, g, None, G2Affine::generator(), s_g2)
}

/// Imports KZG params of degree k from a `.ptau` or halo2 params file, checking that they are a
/// consistent SRS ([`check_powers`]) before building them.
pub fn import_srs(path: &Path, k: u32) -> Result<ImportedSrs, SrsImportError> {
    let powers = read_powers(path, k)?;
    check_powers(
        &path.display().to_string(),
        &powers.g,
        &powers.g2,
        &powers.s_g2,
    )?;
    Ok(ImportedSrs {
        params: params_from_powers(k, powers.g, powers.s_g2),
        format: powers.format,
        max_k: powers.max_k,
    })
}
