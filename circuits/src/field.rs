//! Conversions between small signed integers and BN254 scalars.

use halo2_proofs::halo2curves::bn256::Fr;
use halo2_proofs::halo2curves::ff::PrimeField;

/// The field element of a signed integer (negative values wrap to p - |v|).
pub fn fr_from_i128(v: i128) -> Fr {
    // `from_u128` doubles 64 times whatever the value; most values fit a u64 (one Montgomery product)
    let abs = v.unsigned_abs();
    let f = match u64::try_from(abs) {
        Ok(small) => Fr::from(small),
        Err(_) => Fr::from_u128(abs),
    };
    if v >= 0 {
        f
    } else {
        -f
    }
}

/// The integer in [0, 2^127) that a field element represents, or `None` if it is larger.
pub fn fr_to_u128(f: &Fr) -> Option<u128> {
    let repr = f.to_repr();
    let bytes = repr.as_ref();
    if bytes[16..].iter().any(|b| *b != 0) {
        return None;
    }
    let mut lo = [0u8; 16];
    lo.copy_from_slice(&bytes[..16]);
    let v = u128::from_le_bytes(lo);
    (v < (1u128 << 127)).then_some(v)
}

/// Lower-case hex of a field element's canonical little-endian representation (64 characters).
pub fn fr_to_hex(f: &Fr) -> String {
    let repr = f.to_repr();
    repr.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses [`fr_to_hex`]'s format (exactly 64 hex digits, no `0x`: a `0x` prefix marks the big-endian
/// uint256 form, which [`crate::scalar_hex::parse_scalar`] reads); `None` for a malformed or non-canonical
/// string.
pub fn fr_from_hex(s: &str) -> Option<Fr> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut repr = <Fr as PrimeField>::Repr::default();
    for (i, b) in repr.as_mut().iter_mut().enumerate() {
        *b = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Option::from(Fr::from_repr(repr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for v in [0i128, 1, 255, 1 << 40, (1 << 100) + 7] {
            let f = fr_from_i128(v);
            assert_eq!(fr_to_u128(&f), Some(v as u128));
            assert_eq!(fr_from_hex(&fr_to_hex(&f)), Some(f));
        }
        assert_eq!(fr_to_u128(&fr_from_i128(-1)), None);
        assert_eq!(fr_from_hex("zz"), None);
        assert_eq!(fr_from_hex(&"f".repeat(64)), None, "non-canonical");
    }
}
