//! Sealed inputs: a buyer's openings (the values and salts behind a hashed-input job's commitments),
//! encrypted to the claimant alone as a libsodium-compatible sealed box (`crypto_box_seal`: an ephemeral
//! X25519 key, XSalsa20-Poly1305) to the X25519 form of the claimant's ed25519 market identity (the
//! Montgomery form of its public key; the secret scalar of its signing key, as libsodium's
//! `crypto_sign_ed25519_{pk,sk}_to_curve25519`). The server stores the ciphertext and hands it only to
//! the claimant; it never holds a key that opens it.

use crate::auth::{parse_public, Identity};
use crypto_box::{PublicKey, SecretKey};
use thiserror::Error;

/// Bytes a sealed box adds to its plaintext (ephemeral public key + tag).
pub const SEAL_OVERHEAD: usize = crypto_box::SEALBYTES;

/// Why sealing or opening failed.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the recipient '{0}' is not an ed25519 market account")]
    BadRecipient(String),
    #[error("the sealed input is not for this key, or it was altered (decryption failed)")]
    CannotOpen,
    #[error("the plaintext has {len} bytes, more than this job's sealed input may hold ({limit})")]
    TooLarge { len: usize, limit: usize },
    #[error("encryption failed")]
    Encrypt,
}

/// Seals `plaintext` to the market account `recipient` (its public key, hex).
pub fn seal_to(recipient: &str, plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    let vk = parse_public(recipient).map_err(|_| SealError::BadRecipient(recipient.to_string()))?;
    let pk = PublicKey::from(vk.to_montgomery().to_bytes());
    pk.seal(&mut crypto_box::aead::OsRng, plaintext)
        .map_err(|_| SealError::Encrypt)
}

impl Identity {
    /// Opens a box sealed to this identity by [`seal_to`].
    pub fn open_sealed(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        let sk = SecretKey::from(self.x25519_scalar_bytes());
        sk.unseal(sealed).map_err(|_| SealError::CannotOpen)
    }
}

/// The most bytes a sealed input may have for a model whose inputs are `tensors` (each: its name's length
/// and its number of values): the openings as compact JSON (at most 64 bytes a value, 512 bytes plus six
/// times the name a tensor, 1 KiB for the rest) plus [`SEAL_OVERHEAD`]. The server refuses a larger
/// posting before reading it; the buyer's client refuses to seal more.
pub fn sealed_input_limit(tensors: &[(usize, usize)]) -> usize {
    let per: usize = tensors
        .iter()
        .map(|&(name, numel)| {
            512usize
                .saturating_add(name.saturating_mul(6))
                .saturating_add(numel.saturating_mul(64))
        })
        .fold(0usize, usize::saturating_add);
    per.saturating_add(1024).saturating_add(SEAL_OVERHEAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_recipient_opens() {
        let (a, b) = (Identity::generate(), Identity::generate());
        let sealed = seal_to(&a.public_hex(), b"the input").expect("seal");
        assert_eq!(sealed.len(), 9 + SEAL_OVERHEAD);
        assert_eq!(a.open_sealed(&sealed).as_deref(), Ok(&b"the input"[..]));
        assert_eq!(b.open_sealed(&sealed), Err(SealError::CannotOpen));
        let mut bad = sealed.clone();
        bad[40] ^= 1;
        assert_eq!(a.open_sealed(&bad), Err(SealError::CannotOpen));
        assert_eq!(a.open_sealed(&sealed[..20]), Err(SealError::CannotOpen));
        assert!(matches!(
            seal_to("zz", b"x"),
            Err(SealError::BadRecipient(_))
        ));
    }

    #[test]
    fn the_limit_grows_with_the_input() {
        assert!(sealed_input_limit(&[(1, 4)]) < sealed_input_limit(&[(1, 5)]));
        assert_eq!(sealed_input_limit(&[(usize::MAX, usize::MAX)]), usize::MAX);
    }
}
