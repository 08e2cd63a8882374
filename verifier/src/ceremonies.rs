//! Public powers-of-tau ceremonies whose `[τ]₂` (`s·g2` in halo2's KZG params) this verifier accepts.
//!
//! A KZG verdict is only as good as the SRS: whoever knows `τ` can open any commitment to any value and
//! forge proofs. A ceremony is trusted when at least one of its many participants destroyed their share,
//! so its `τ` is unknown to everyone. The verifier pins `[τ]₂` (the only SRS point besides the generators
//! that KZG verification uses); SRS files converted from the same ceremony, of any size, share it.
//!
//! Coordinates are decimal strings of the affine point on BN254's G2, `x = x.c0 + x.c1·u`,
//! `y = y.c0 + y.c1·u` (halo2curves' order; Ethereum's precompile order is `c1, c0`). Every entry names the
//! public source its constants were checked against.

use halo2_proofs::halo2curves::bn256::{Fq, Fq2, G2Affine};
use halo2_proofs::halo2curves::CurveAffine;

/// A pinned public ceremony.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceremony {
    /// Short name, as shown in verdicts.
    pub name: &'static str,
    /// Where the ceremony and the constant below are published.
    pub source: &'static str,
    /// `[τ]₂` as decimal strings: `x.c0, x.c1, y.c0, y.c1`.
    pub tau_g2: [&'static str; 4],
}

/// The ceremonies this build trusts.
pub const CEREMONIES: &[Ceremony] = &[
    // Hermez (Polygon) "powersOfTau28_hez_final" phase-1 ceremony on BN254 (54 contributions and a final
    // random beacon; based on the Perpetual Powers of Tau). Its halo2 KZG form is PSE's `hermez-raw-<k>`
    // (github.com/han0110/halo2-kzg-srs). Checked against two independent published verifiers:
    // - github.com/summa-dev/summa-solvency, kzg_prover/generated/verifying_key.sol (commit 09fdcfd4),
    //   a halo2-solidity-verifier key generated from `hermez-raw-17`: `neg_s_g2` = (x.c1 = 0x26186a2d…e23d,
    //   x.c0 = 0x30441fd1…f79e, y.c1 = 0x16f363f1…c145, y.c0 = 0x2b1cbb3e…deff), i.e. −[τ]₂; negating y
    //   gives the y below.
    // - the snarkjs PLONK verifying-key constants `X_2` of ZisK's final wrapping circuit (made from the
    //   Hermez powersOfTau28 files): x = (0x30441fd1…f79e, 0x26186a2d…e23d), y = (0x05479334…1e48,
    //   0x1970ea81…3c02), the same point.
    Ceremony {
        name: "hermez-powersOfTau28",
        source: "Hermez powersOfTau28_hez_final (snarkjs .ptau; halo2 form: PSE hermez-raw-<k>)",
        tau_g2: [
            "21831381940315734285607113342023901060522397560371972897001948545212302161822",
            "17231025384763736816414546592865244497437017442647097510447326538965263639101",
            "2388026358213174446665280700919698872609886601280537296205114254867301080648",
            "11507326595632554467052522095592665270651932854513688777769618397986436103170",
        ],
    },
    // Perpetual Powers of Tau, contribution 71 (`response_0071_edward`), converted by PSE to halo2 KZG params
    // `perpetual-powers-of-tau-raw-<k>` (github.com/han0110/halo2-kzg-srs README, commit d6929c74): the SRS
    // that EZKL downloads and that Scroll proves with. Checked against independent published sources:
    // - github.com/scroll-tech/zkevm-circuits, prover/src/utils.rs line 38 (commit b3cca6a9),
    //   `PARAMS_G2_SECRET_POWER`: this point, pinned by Scroll for the same reason;
    // - github.com/zkonduit/ezkl, tests/assets/wasm.code (commit 5da444ee), a generated halo2 Solidity
    //   verifier whose `neg_s_g2` (EVM order x.c1, x.c0, y.c1, y.c0) negates to this point; several more
    //   public `Halo2Verifier.sol` files carry the same `neg_s_g2`.
    Ceremony {
        name: "perpetual-powers-of-tau-0071",
        source: "Perpetual Powers of Tau response_0071 (halo2 form: PSE perpetual-powers-of-tau-raw-<k>, as used by EZKL and Scroll)",
        tau_g2: [
            "10665153487364924395451186075663597035495902496253353881119509267933768999122",
            "11029560635643983818885738975758839003131865733814273016801144285524936684972",
            "18755874088236213082062601512863221433227017725453112019151604716957419045549",
            "18790173187318184075281544452912101572166071561689308149111466352378718492148",
        ],
    },
];

/// The ceremony whose `[τ]₂` is `s_g2`, if this build pins it.
pub fn find(s_g2: &G2Affine) -> Option<&'static Ceremony> {
    CEREMONIES
        .iter()
        .find(|c| c.point().is_some_and(|p| p == *s_g2))
}

impl Ceremony {
    /// The pinned `[τ]₂` as a curve point; `None` if the constants are not a valid G2 point.
    pub fn point(&self) -> Option<G2Affine> {
        let [xc0, xc1, yc0, yc1] = self.tau_g2.map(fq_from_decimal);
        let x = Fq2::new(xc0?, xc1?);
        let y = Fq2::new(yc0?, yc1?);
        Option::from(G2Affine::from_xy(x, y))
    }
}

/// Parses a decimal string below the base field's modulus.
fn fq_from_decimal(s: &str) -> Option<Fq> {
    if s.is_empty() || s.len() > 80 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Big-endian base-10 to little-endian bytes, then the canonical check of `from_bytes`.
    let mut le = [0u8; 32];
    for d in s.bytes().map(|b| b - b'0') {
        let mut carry = u32::from(d);
        for byte in le.iter_mut() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        if carry != 0 {
            return None;
        }
    }
    Option::from(Fq::from_bytes(&le))
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::bn256::G2;
    use halo2_proofs::halo2curves::group::cofactor::CofactorGroup;
    use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
    use halo2_proofs::halo2curves::group::Curve;

    #[test]
    fn every_entry_is_a_valid_subgroup_point() {
        assert!(!CEREMONIES.is_empty());
        for c in CEREMONIES {
            let p = c
                .point()
                .unwrap_or_else(|| panic!("{}: not a point on G2", c.name));
            assert!(!bool::from(p.is_identity()), "{}", c.name);
            let proj: G2 = p.into();
            assert!(
                bool::from(proj.is_torsion_free()),
                "{}: not in the prime-order subgroup",
                c.name
            );
            assert_eq!(find(&p).map(|f| f.name), Some(c.name));
            assert_ne!(p, G2Affine::generator(), "{}: τ = 1", c.name);
        }
    }

    #[test]
    fn decimal_parsing() {
        assert_eq!(fq_from_decimal("0"), Some(Fq::zero()));
        assert_eq!(fq_from_decimal("1"), Some(Fq::one()));
        assert_eq!(fq_from_decimal("x1"), None);
        assert_eq!(fq_from_decimal(""), None);
        // The modulus itself is not canonical.
        assert_eq!(
            fq_from_decimal(
                "21888242871839275222246405745257275088696311157297823662689037894645226208583"
            ),
            None
        );
        // The G2 generator's published coordinates decode to halo2curves' generator.
        let g = Ceremony {
            name: "g",
            source: "",
            tau_g2: [
                "10857046999023057135944570762232829481370756359578518086990519993285655852781",
                "11559732032986387107991004021392285783925812861821192530917403151452391805634",
                "8495653923123431417604973247489272438418190587263600148770280649306958101930",
                "4082367875863433681332203403145435568316851327593401208105741076214120093531",
            ],
        };
        assert_eq!(g.point(), Some(G2Affine::generator()));
        assert_eq!(G2::generator().to_affine(), G2Affine::generator());
    }
}
