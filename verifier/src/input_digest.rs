//! The digest of a proof's input, which `zkinfer verify` prints so that whoever verifies a proof without
//! `--input` still learns which input was proved.
//!
//! `SHA-256("zkinfer-input/v1" ‖ for each input in order: element count (u64 LE) ‖ each stored
//! fixed-point integer (i64 LE), row-major)`, lower-case hex. The integers are the proof's public
//! instances (`inputs_q` of `proof.json`), so two proofs about the same input have the same digest, and
//! proving the input file again (or `zkinfer verify --input FILE`) shows whether it is this one.

use sha2::{Digest, Sha256};

/// Domain separator of [`input_digest`].
pub const INPUT_DIGEST_DOMAIN: &[u8] = b"zkinfer-input/v1";

/// The digest of the stored integers of every input (see the module documentation).
pub fn input_digest(inputs_q: &[Vec<i64>]) -> String {
    let mut h = Sha256::new();
    h.update(INPUT_DIGEST_DOMAIN);
    for tensor in inputs_q {
        h.update((tensor.len() as u64).to_le_bytes());
        for q in tensor {
            h.update(q.to_le_bytes());
        }
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_values_order_and_tensor_boundaries() {
        let d = input_digest(&[vec![1, 2], vec![3]]);
        assert_eq!(d.len(), 64);
        assert_eq!(d, input_digest(&[vec![1, 2], vec![3]]));
        assert_ne!(d, input_digest(&[vec![1], vec![2, 3]]));
        assert_ne!(d, input_digest(&[vec![2, 1], vec![3]]));
        assert_ne!(d, input_digest(&[vec![1, 2], vec![4]]));
        // the definition, spelt out
        let mut h = Sha256::new();
        h.update(b"zkinfer-input/v1");
        h.update(2u64.to_le_bytes());
        h.update(1i64.to_le_bytes());
        h.update(2i64.to_le_bytes());
        h.update(1u64.to_le_bytes());
        h.update(3i64.to_le_bytes());
        assert_eq!(d, hex::encode(h.finalize()));
    }
}
