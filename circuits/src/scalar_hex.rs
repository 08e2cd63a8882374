//! A BN254 scalar written in hex, in the two byte orders a user meets, told apart by the `0x` prefix so that
//! one string never means two values:
//!
//! - `0x` followed by 1 to 64 hex digits: the **uint256** the EVM sees, big-endian, as Solidity, the escrow's
//!   events (`JobClaimed`'s binding value) and block explorers print it;
//! - exactly 64 hex digits without a prefix: halo2's **little-endian** encoding of the field element, as proof
//!   files (`bind`, `instances`), `manifest.json`'s `settings_digest`, `zkinfer_escrow::bind_hex` and the
//!   market write it.
//!
//! Either must be below r (BN254's scalar modulus): a value at or above it is refused, never reduced.
//! Every place a user gives a binding value or scalar (`zkinfer verify --bind`, `zkinfer evm`, the Python
//! binding, the browser verifier) parses it here, so the same text means the same value everywhere.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;
use thiserror::Error;

/// Why a string is not a scalar.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ScalarHexError {
    /// Not one of the two forms.
    #[error(
        "'{text}' is neither a uint256 (0x followed by 1 to 64 hex digits, big-endian, as the escrow's events \
         print it) nor a field element's little-endian hex (exactly 64 hex digits, no 0x, as proof files \
         write it)"
    )]
    Form {
        /// The text.
        text: String,
    },
    /// The value is r or above.
    #[error("'{text}' is not below r, BN254's scalar modulus (it is not reduced: a binding value is below r)")]
    NotCanonical {
        /// The text.
        text: String,
    },
}

/// Parses either form (see the module docs).
pub fn parse_scalar(text: &str) -> Result<Fr, ScalarHexError> {
    let t = text.trim();
    let form = || ScalarHexError::Form {
        text: text.to_string(),
    };
    let not_canonical = || ScalarHexError::NotCanonical {
        text: text.to_string(),
    };
    let hex_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    let mut le = [0u8; 32];
    if let Some(digits) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if !hex_digits(digits) || digits.len() > 64 {
            return Err(form());
        }
        let padded = format!("{digits:0>64}");
        let be = hex::decode(padded).map_err(|_| form())?;
        for (i, b) in be.iter().rev().enumerate() {
            le[i] = *b;
        }
    } else {
        if !hex_digits(t) || t.len() != 64 {
            return Err(form());
        }
        let bytes = hex::decode(t).map_err(|_| form())?;
        le.copy_from_slice(&bytes);
    }
    Option::from(Fr::from_repr(le)).ok_or_else(not_canonical)
}

/// A scalar as the EVM's uint256, `0x` and 64 hex digits, big-endian (what [`parse_scalar`] reads back).
pub fn fr_to_uint256_hex(f: &Fr) -> String {
    let mut be = f.to_repr();
    be.reverse();
    format!("0x{}", hex::encode(be))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_to_hex;

    const R_BE: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

    #[test]
    fn both_forms_give_the_same_value() {
        let v = Fr::from(0x5eed_u64);
        assert_eq!(parse_scalar("0x5eed"), Ok(v));
        assert_eq!(parse_scalar(&format!("0x{:0>64}", "5eed")), Ok(v));
        assert_eq!(parse_scalar(&format!("{:0<64}", "ed5e")), Ok(v));
        assert_eq!(parse_scalar(&fr_to_hex(&v)), Ok(v));
        assert_eq!(parse_scalar(&fr_to_uint256_hex(&v)), Ok(v));
        let big = -Fr::from(7u64);
        assert_eq!(parse_scalar(&fr_to_uint256_hex(&big)), Ok(big));
        assert_eq!(parse_scalar(&fr_to_hex(&big)), Ok(big));
    }

    #[test]
    fn out_of_range_and_ambiguous_text_is_refused() {
        // r and above: refused, not reduced
        assert!(matches!(
            parse_scalar(R_BE),
            Err(ScalarHexError::NotCanonical { .. })
        ));
        assert!(matches!(
            parse_scalar(&format!("0x{}", "f".repeat(64))),
            Err(ScalarHexError::NotCanonical { .. })
        ));
        // the uint256 0x5eed written as 64 digits without its prefix would be another value: its
        // little-endian reading is 0xed5e << 240, above r, and refused
        assert!(parse_scalar(&format!("{:0>64}", "5eed")).is_err());
        for bad in [
            "",
            "0x",
            "5eed",
            "0x5eedz",
            &format!("0x{}", "0".repeat(65)),
            &"0".repeat(63),
            &"0".repeat(65),
            "-0x1",
            "24301",
        ] {
            assert!(
                matches!(parse_scalar(bad), Err(ScalarHexError::Form { .. })),
                "{bad}"
            );
        }
    }
}
