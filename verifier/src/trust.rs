//! Whether a verifier's KZG params can be trusted, and which SRS a verdict rests on.
//!
//! KZG verification checks `e(W, s·g2) = e(C', g2)`-style pairings. If `g2` and `s·g2` are both the
//! identity every pairing passes; if anyone knows `s` (a development SRS made on the model owner's machine)
//! they can open commitments to anything. So params are trusted only when
//!
//! 1. `g[0]` is BN254's G1 generator and `g2` its G2 generator (what every honest SRS uses),
//! 2. `s·g2` is not the identity nor `±g2` (s = 0, ±1) and lies in the prime-order subgroup, and
//! 3. `s·g2` is the `[τ]₂` of a pinned public ceremony ([`crate::ceremonies`]), or the caller explicitly
//!    accepts development params ([`SrsPolicy::AllowDevelopment`]).
//!
//! The provenance tag in `verifier_params.bin` is used for messages only.

use crate::ceremonies::{self, Ceremony};
use crate::params::{Provenance, VerifierParams};
use crate::proof_system::{G1, G2};
use halo2_proofs::halo2curves::bn256::G2 as G2Projective;
use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_proofs::halo2curves::group::GroupEncoding;
use sha2::{Digest, Sha256};

/// Which SRSs a caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrsPolicy {
    /// Only the pinned public ceremonies (the default, and the only choice for verdicts others rely on).
    #[default]
    CeremonyOnly,
    /// Also SRSs whose `s` someone may know (local development). Degenerate params are still refused.
    AllowDevelopment,
}

/// The SRS a verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SrsIdentity {
    /// A pinned public ceremony.
    Ceremony(&'static Ceremony),
    /// Development params, accepted because the caller opted in.
    Development {
        /// SHA-256 of the compressed `s·g2` (lower-case hex), naming this SRS.
        fingerprint: [u8; 32],
    },
}

impl std::fmt::Display for SrsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ceremony(c) => write!(f, "ceremony {} ({})", c.name, c.source),
            Self::Development { fingerprint } => write!(
                f,
                "development SRS {} (its s may be known: not for verdicts others rely on)",
                hex::encode(&fingerprint[..8])
            ),
        }
    }
}

/// Why params are refused whatever the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UntrustedReason {
    /// `g[0]` is not the G1 generator.
    G0NotGenerator,
    /// `g2` is not the G2 generator.
    G2NotGenerator,
    /// `s·g2` is the identity (s = 0): every pairing check passes.
    SG2Identity,
    /// `s·g2 = g2` (s = 1).
    SG2IsG2,
    /// `s·g2 = -g2` (s = -1).
    SG2IsMinusG2,
    /// `s·g2` is not in G2's prime-order subgroup.
    SG2NotInSubgroup,
}

impl std::fmt::Display for UntrustedReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::G0NotGenerator => "g[0] is not the BN254 G1 generator",
            Self::G2NotGenerator => "g2 is not the BN254 G2 generator",
            Self::SG2Identity => {
                "s*g2 is the identity (s = 0): every pairing check would pass and any output would verify"
            }
            Self::SG2IsG2 => "s*g2 = g2 (s = 1): the secret is known",
            Self::SG2IsMinusG2 => "s*g2 = -g2 (s = -1): the secret is known",
            Self::SG2NotInSubgroup => "s*g2 is not in the prime-order subgroup of G2",
        })
    }
}

/// What [`assess`] found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustError {
    /// Refused whatever the policy.
    Untrusted(UntrustedReason),
    /// Well-formed params of no pinned ceremony, and the policy does not accept development params.
    Development {
        /// SHA-256 of the compressed `s·g2`.
        fingerprint: [u8; 32],
        /// What the file says about itself.
        provenance: Provenance,
    },
}

impl std::fmt::Display for TrustError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Untrusted(reason) => write!(f, "untrusted SRS: {reason}"),
            Self::Development {
                fingerprint,
                provenance,
            } => write!(
                f,
                "the SRS {} ({provenance}) is not a pinned public ceremony's: whoever made it may know its secret and forge proofs",
                hex::encode(&fingerprint[..8])
            ),
        }
    }
}

impl std::error::Error for TrustError {}

/// Checks the structural conditions (1 and 2 above) that hold for every acceptable SRS.
pub fn check_structure(params: &VerifierParams) -> Result<(), UntrustedReason> {
    if params.g0() != G1::generator() {
        return Err(UntrustedReason::G0NotGenerator);
    }
    let g2 = G2::generator();
    if params.g2() != g2 {
        return Err(UntrustedReason::G2NotGenerator);
    }
    let s_g2 = params.s_g2();
    if bool::from(s_g2.is_identity()) {
        return Err(UntrustedReason::SG2Identity);
    }
    if s_g2 == g2 {
        return Err(UntrustedReason::SG2IsG2);
    }
    if s_g2 == -g2 {
        return Err(UntrustedReason::SG2IsMinusG2);
    }
    let proj: G2Projective = s_g2.into();
    if !bool::from(proj.is_torsion_free()) {
        return Err(UntrustedReason::SG2NotInSubgroup);
    }
    Ok(())
}

/// SHA-256 of the compressed `s·g2`: names an SRS.
pub fn fingerprint(params: &VerifierParams) -> [u8; 32] {
    Sha256::digest(params.s_g2().to_bytes().as_ref()).into()
}

/// Decides whether `params` can be trusted under `policy`, and names the SRS.
pub fn assess(params: &VerifierParams, policy: SrsPolicy) -> Result<SrsIdentity, TrustError> {
    check_structure(params).map_err(TrustError::Untrusted)?;
    if let Some(c) = ceremonies::find(&params.s_g2()) {
        return Ok(SrsIdentity::Ceremony(c));
    }
    let fingerprint = fingerprint(params);
    match policy {
        SrsPolicy::AllowDevelopment => Ok(SrsIdentity::Development { fingerprint }),
        SrsPolicy::CeremonyOnly => Err(TrustError::Development {
            fingerprint,
            provenance: params.provenance,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::Fr;
    use halo2_proofs::halo2curves::group::Curve;

    fn with(g0: G1, g2: G2, s_g2: G2) -> VerifierParams {
        VerifierParams::from_points(8, g0, g2, s_g2)
    }

    fn dev() -> G2 {
        (G2::generator() * Fr::from(123_456_789u64)).to_affine()
    }

    #[test]
    fn degenerate_params_are_refused_under_every_policy() {
        let (g1, g2) = (G1::generator(), G2::generator());
        let cases = [
            (
                with(g1, G2::identity(), G2::identity()),
                UntrustedReason::G2NotGenerator,
            ),
            (with(g1, g2, G2::identity()), UntrustedReason::SG2Identity),
            (with(g1, g2, g2), UntrustedReason::SG2IsG2),
            (with(g1, g2, -g2), UntrustedReason::SG2IsMinusG2),
            (
                with(G1::identity(), g2, dev()),
                UntrustedReason::G0NotGenerator,
            ),
            (with(g1, dev(), dev()), UntrustedReason::G2NotGenerator),
        ];
        for (p, why) in cases {
            for policy in [SrsPolicy::CeremonyOnly, SrsPolicy::AllowDevelopment] {
                assert_eq!(assess(&p, policy), Err(TrustError::Untrusted(why)));
            }
        }
    }

    #[test]
    fn development_params_need_the_opt_in_and_ceremonies_do_not() {
        let p =
            with(G1::generator(), G2::generator(), dev()).with_provenance(Provenance::Development);
        let fp = fingerprint(&p);
        assert_eq!(
            assess(&p, SrsPolicy::CeremonyOnly),
            Err(TrustError::Development {
                fingerprint: fp,
                provenance: Provenance::Development
            })
        );
        assert_eq!(
            assess(&p, SrsPolicy::AllowDevelopment),
            Ok(SrsIdentity::Development { fingerprint: fp })
        );
        for c in ceremonies::CEREMONIES {
            let p = with(
                G1::generator(),
                G2::generator(),
                c.point().expect("pinned point"),
            );
            for policy in [SrsPolicy::CeremonyOnly, SrsPolicy::AllowDevelopment] {
                assert_eq!(assess(&p, policy), Ok(SrsIdentity::Ceremony(c)));
            }
        }
    }
}
