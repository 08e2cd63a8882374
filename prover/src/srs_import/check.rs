//! The consistency check of an imported SRS.

use super::error::{ConsistencyCheck, SrsImportError};
use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{multi_miller_loop, Fr, G1Affine, G2Affine, G2Prepared, G2};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::halo2curves::pairing::MillerLoopResult;
use rand::rngs::OsRng;
use rand::SeedableRng;

/// Checks that `g` = \[τ⁰..τⁿ⁻¹]₁ for the τ of `s_g2` = \[τ]₂ and the standard generators:
/// g₀ = G1 generator, `g2` = G2 generator, \[τ]₂ ∉ {O, g2} and in the prime-order subgroup, and
/// e(Σ rᵢ·gᵢ₊₁, g2) = e(Σ rᵢ·gᵢ, \[τ]₂) for fresh random rᵢ (i < n - 1): one MSM over each side and one
/// pairing product. If some gᵢ₊₁ ≠ τ·gᵢ the two sides differ except with probability 1/r.
/// (G1 of BN254 has cofactor 1, so decoded G1 points need no subgroup check.)
pub fn check_powers(
    file: &str,
    g: &[G1Affine],
    g2: &G2Affine,
    s_g2: &G2Affine,
) -> Result<(), SrsImportError> {
    let fail = |check| SrsImportError::Inconsistent {
        file: file.to_string(),
        check,
    };
    if g.first() != Some(&G1Affine::generator()) {
        return Err(fail(ConsistencyCheck::G1NotGenerator));
    }
    if *g2 != G2Affine::generator() {
        return Err(fail(ConsistencyCheck::G2NotGenerator));
    }
    if bool::from(s_g2.is_identity()) {
        return Err(fail(ConsistencyCheck::TauG2Identity));
    }
    if s_g2 == g2 {
        return Err(fail(ConsistencyCheck::TauIsOne));
    }
    if !bool::from(G2::from(*s_g2).is_torsion_free()) {
        return Err(fail(ConsistencyCheck::TauG2NotInSubgroup));
    }
    if g.len() < 2 {
        // k = 0: the only power is the generator, checked above.
        return Ok(());
    }
    let mut rng = rand_chacha::ChaCha20Rng::from_rng(OsRng).map_err(|e| SrsImportError::Io {
        file: file.to_string(),
        source: std::io::Error::other(e),
    })?;
    let r: Vec<Fr> = (0..g.len() - 1).map(|_| Fr::random(&mut rng)).collect();
    let shifted = best_multiexp(&r, &g[1..]).to_affine();
    let base = best_multiexp(&r, &g[..g.len() - 1]);
    let neg_base = (-base).to_affine();
    let ok = multi_miller_loop(&[
        (&shifted, &G2Prepared::from(*g2)),
        (&neg_base, &G2Prepared::from(*s_g2)),
    ])
    .final_exponentiation()
    .is_identity();
    if !bool::from(ok) {
        return Err(fail(ConsistencyCheck::PowersNotGeometric));
    }
    Ok(())
}
