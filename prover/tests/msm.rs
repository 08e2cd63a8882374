//! The vendored halo2-axiom's `best_multiexp` (patched: narrow and wide scalars split, batch-affine
//! additions from 2^9 points; vendor/halo2-axiom/src/arithmetic/msm.rs) must give exactly the group element
//! of halo2curves' `msm_best`, for every kind of scalar vector a prover commits to.

use halo2_proofs::arithmetic::best_multiexp;
use halo2_proofs::halo2curves::bn256::{Fr, G1Affine, G1};
use halo2_proofs::halo2curves::ff::Field;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::{Curve, Group};
use halo2_proofs::halo2curves::msm::{msm_best, msm_parallel};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn bases(n: usize, rng: &mut ChaCha20Rng) -> Vec<G1Affine> {
    let g = G1::random(&mut *rng);
    let mut p = g;
    (0..n)
        .map(|_| {
            p = p.double() + g;
            p.to_affine()
        })
        .collect()
}

#[test]
fn patched_multiexp_equals_msm_best_for_every_kind_of_scalars() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    for k in [8usize, 9, 10, 11, 12, 13] {
        let n = 1 << k;
        let bases = bases(n, &mut rng);
        // random-looking: grand products, quotient pieces, blinding polynomials
        let full: Vec<Fr> = (0..n).map(|_| Fr::random(&mut rng)).collect();
        // an advice column: small values, then random blinding rows and a negative value
        let mut advice: Vec<Fr> = (0..n)
            .map(|i| Fr::from((i as u64 * 7919) % (1 << 19)))
            .collect();
        for (i, v) in advice.iter_mut().enumerate().skip(n - 10) {
            *v = match i % 2 {
                0 => Fr::random(&mut rng),
                _ => -Fr::from(i as u64),
            };
        }
        // a permuted lookup column: small values only
        let narrow: Vec<Fr> = (0..n).map(|i| Fr::from(i as u64 % 512)).collect();
        let zeros = vec![Fr::zero(); n];
        let mut one_wide = narrow.clone();
        one_wide[n / 2] = Fr::random(&mut rng);
        // values just below and at 2^64, where narrow ends
        let edge: Vec<Fr> = (0..n)
            .map(|i| match i % 3 {
                0 => Fr::from(u64::MAX),
                1 => Fr::from(u64::MAX) + Fr::one(),
                _ => Fr::from(i as u64),
            })
            .collect();
        // a repeated base and its negation take the batch addition's doubling and P + (-P) branches
        let mut dup = bases.clone();
        dup[1] = dup[0];
        dup[2] = -dup[0];
        let same: Vec<Fr> = vec![full[0]; n];
        for (name, scalars, b) in [
            ("full", &full, &bases),
            ("advice", &advice, &bases),
            ("narrow", &narrow, &bases),
            ("zeros", &zeros, &bases),
            ("one wide", &one_wide, &bases),
            ("edge", &edge, &bases),
            ("repeated bases", &full, &dup),
            ("repeated bases, one scalar", &same, &dup),
        ] {
            assert_eq!(
                best_multiexp(scalars, b).to_affine(),
                msm_best(scalars, b).to_affine(),
                "{name} scalars on 2^{k} points"
            );
        }
        // a base at infinity (no valid SRS has one): the projective path, no panic (halo2curves'
        // batch-affine `msm_best` would panic from 2^13 points, so compare with `msm_parallel`)
        let mut with_identity = bases.clone();
        with_identity[3] = G1Affine::identity();
        assert_eq!(
            best_multiexp(&full, &with_identity).to_affine(),
            msm_parallel(&full, &with_identity).to_affine(),
            "a base at infinity on 2^{k} points"
        );
    }
}
