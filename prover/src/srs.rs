//! Structured reference strings (KZG params on BN254). Without `--srs`, a local development SRS is made
//! from fresh OS randomness (its secret is discarded, but nobody else can check that: fine for development,
//! not for proofs others must trust; verifiers refuse it unless told otherwise) and cached per size. With
//! `--srs FILE`, a ceremony's powers (a snarkjs `.ptau` or halo2 KZG params, see [`crate::srs_import`])
//! of at least the needed size are imported, checked for consistency and downsized.

use crate::error::ProverError;
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::poly::commitment::Params;
use halo2_proofs::poly::kzg::commitment::ParamsKZG;
use halo2_proofs::SerdeFormat;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where development SRS files are cached: `$XDG_CACHE_HOME/zkinfer/srs` or `~/.cache/zkinfer/srs`.
pub fn cache_dir() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("zkinfer").join("srs")
}

/// Reads params written by `ParamsKZG::write` / `write_custom(RawBytes)` (points are checked).
pub fn read_params(path: &Path) -> Result<ParamsKZG<Bn256>, ProverError> {
    let f = std::fs::File::open(path).map_err(|e| ProverError::io(path, e))?;
    ParamsKZG::<Bn256>::read_custom(&mut BufReader::new(f), SerdeFormat::RawBytes).map_err(
        |source| ProverError::Params {
            file: path.display().to_string(),
            source,
        },
    )
}

/// Writes params atomically (temporary file, then rename), so parallel runs never read half a file.
pub fn write_params(params: &ParamsKZG<Bn256>, path: &Path) -> Result<(), ProverError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ProverError::io(dir, e))?;
    }
    // unique per process and per call: two threads of one process writing the same params (the dev SRS
    // cache, from parallel tests) must not share a temporary file, or one rename finds it gone
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}.{n}", std::process::id()));
    let f = std::fs::File::create(&tmp).map_err(|e| ProverError::io(&tmp, e))?;
    let mut w = BufWriter::new(f);
    params
        .write_custom(&mut w, SerdeFormat::RawBytes)
        .map_err(|e| ProverError::io(&tmp, e))?;
    w.flush().map_err(|e| ProverError::io(&tmp, e))?;
    drop(w);
    std::fs::rename(&tmp, path).map_err(|e| ProverError::io(path, e))
}

/// Params for `k`: from `srs` (downsized) or the cached development SRS.
/// Returns the params and whether they are the insecure development SRS.
pub fn params_for(k: u32, srs: Option<&Path>) -> Result<(ParamsKZG<Bn256>, bool), ProverError> {
    if let Some(path) = srs {
        return Ok((crate::srs_import::import_srs(path, k)?.params, false));
    }
    let path = cache_dir().join(format!("kzg_dev_bn254_k{k}.srs"));
    if path.exists() {
        if let Ok(p) = read_params(&path) {
            if p.k() == k {
                return Ok((p, true));
            }
        }
    }
    let p = ParamsKZG::<Bn256>::setup(k, rand::rngs::OsRng);
    write_params(&p, &path)?;
    Ok((p, true))
}
