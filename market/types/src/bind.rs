//! The binding value: the last public instance of every market proof.
//!
//! `bind = SHA-256("zkinfer-market/v1" ‖ len ‖ market id ‖ len ‖ job id ‖ len ‖ provider key)` read as a
//! little-endian 256-bit integer and reduced modulo the BN254 scalar field order r, where each `len` is the
//! following field's byte length as a little-endian u32 (so no two different triples hash the same bytes).
//! The market recomputes it from the job and its claimant, never from a submission; a provider passes it to
//! `zkinfer prove --bind HEX` (or `pipeline::prove_bound`). halo2 absorbs the instances into the transcript
//! before any challenge, so a proof made for one value fails for every other.

use halo2_proofs::halo2curves::ff::FromUniformBytes;
use sha2::{Digest, Sha256};
use zkinfer_circuits::Fr;

/// Domain separator of the binding hash.
pub const BIND_DOMAIN: &[u8] = b"zkinfer-market/v1";

/// The binding value of a proof for `job_id`, made by `provider_key` (hex public key), on `market_id`.
pub fn bind(market_id: &str, job_id: &str, provider_key: &str) -> Fr {
    let mut h = Sha256::new();
    h.update(BIND_DOMAIN);
    for part in [market_id, job_id, provider_key] {
        h.update((part.len() as u32).to_le_bytes());
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut wide = [0u8; 64];
    wide[..32].copy_from_slice(&digest);
    Fr::from_uniform_bytes(&wide)
}

/// [`bind`] as the 64-digit hex that proof files and `--bind` use.
pub fn bind_hex(market_id: &str, job_id: &str, provider_key: &str) -> String {
    zkinfer_circuits::field::fr_to_hex(&bind(market_id, job_id, provider_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_separates_every_field() {
        let b = bind("m", "j", "p");
        assert_eq!(b, bind("m", "j", "p"));
        assert_ne!(b, bind("m", "j", "q"));
        assert_ne!(b, bind("m", "k", "p"));
        assert_ne!(b, bind("n", "j", "p"));
        // length prefixes: moving a byte between fields changes the value
        assert_ne!(bind("ab", "c", "p"), bind("a", "bc", "p"));
        let h = bind_hex("m", "j", "p");
        assert_eq!(h.len(), 64);
        assert_eq!(zkinfer_circuits::field::fr_from_hex(&h), Some(b));
    }
}
