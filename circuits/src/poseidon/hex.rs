//! Field elements as the Poseidon ecosystem writes them: `0x`-prefixed big-endian hex of the canonical
//! integer (circomlibjs, `poseidon-lite`'s `toString(16)`, Solidity's `uint256`), as opposed to the
//! little-endian hex of [`crate::field::fr_to_hex`].

use crate::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;

/// `0x` and 64 lower-case hex digits, big-endian.
pub fn fr_to_be_hex(f: &Fr) -> String {
    let repr = f.to_repr();
    let digits: String = repr
        .as_ref()
        .iter()
        .rev()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("0x{digits}")
}

/// Parses big-endian hex (with or without `0x`, 1 to 64 digits); `None` for a malformed string or an
/// integer not below the field modulus.
pub fn fr_from_be_hex(s: &str) -> Option<Fr> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if s.is_empty() || s.len() > 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{s:0>64}");
    let mut repr = <Fr as PrimeField>::Repr::default();
    for (i, b) in repr.as_mut().iter_mut().enumerate() {
        let at = 2 * (31 - i);
        *b = u8::from_str_radix(padded.get(at..at + 2)?, 16).ok()?;
    }
    Option::from(Fr::from_repr(repr))
}

/// `serde` with: a field element as big-endian hex.
pub mod be_hex {
    use super::{fr_from_be_hex, fr_to_be_hex};
    use crate::Fr;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `0x…` big-endian hex.
    pub fn serialize<S: Serializer>(f: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_be_hex(f))
    }

    /// Reads big-endian hex below the field modulus.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        fr_from_be_hex(&s).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "'{s}' is not a BN254 scalar in big-endian hex (0x followed by up to 64 hex digits, below p)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects() {
        let one_two = "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a";
        let f = fr_from_be_hex(one_two).expect("parses");
        assert_eq!(fr_to_be_hex(&f), one_two);
        assert_eq!(fr_from_be_hex("0x2a"), Some(Fr::from(42)));
        assert_eq!(fr_from_be_hex("2a"), Some(Fr::from(42)));
        let p = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        assert_eq!(fr_from_be_hex(p), None, "the modulus itself");
        assert_eq!(fr_from_be_hex(&format!("{p}0")), None, "65 digits");
        assert_eq!(fr_from_be_hex("0x"), None);
        assert_eq!(fr_from_be_hex("0xzz"), None);
        assert_eq!(
            fr_to_be_hex(&-Fr::one()),
            "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000"
        );
    }
}
