//! Identities and request signatures.
//!
//! An identity is an ed25519 key pair; its account name is the public key in lower-case hex. Every mutating
//! request carries four headers: `x-zk-key` (public key hex), `x-zk-nonce` (8 to 64 characters of
//! `[A-Za-z0-9_-]`), `x-zk-timestamp` (Unix seconds) and `x-zk-signature` (hex), a signature over
//!
//! ```text
//! zkinfer-market-request/v1\n{METHOD}\n{path}\n{sha256 hex of the body}\n{nonce}\n{timestamp}
//! ```
//!
//! The server rejects a bad signature, a timestamp more than the allowed skew away from its clock, a nonce
//! this key already used (on any path) and a body whose account field is not the signer.

use crate::error::MarketError;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const H_KEY: &str = "x-zk-key";
pub const H_NONCE: &str = "x-zk-nonce";
pub const H_TIMESTAMP: &str = "x-zk-timestamp";
pub const H_SIGNATURE: &str = "x-zk-signature";

/// The signed headers of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub key: String,
    pub nonce: String,
    pub timestamp: i64,
    pub signature: String,
}

/// The bytes a request signature covers.
pub fn message(method: &str, path: &str, body: &[u8], nonce: &str, timestamp: i64) -> Vec<u8> {
    format!(
        "zkinfer-market-request/v1\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        path,
        hex::encode(Sha256::digest(body)),
        nonce,
        timestamp
    )
    .into_bytes()
}

/// A key pair.
#[derive(Debug, Clone)]
pub struct Identity {
    key: SigningKey,
}

impl Identity {
    /// A fresh random key.
    pub fn generate() -> Self {
        Self {
            key: SigningKey::generate(&mut rand::rngs::OsRng),
        }
    }

    /// From a 32-byte secret seed.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The account name: the public key in hex.
    pub fn public_hex(&self) -> String {
        hex::encode(self.key.verifying_key().to_bytes())
    }

    /// Key file contents: JSON with the secret seed and the public key.
    pub fn to_file_json(&self) -> String {
        format!(
            "{{\n  \"type\": \"zkinfer-market-ed25519\",\n  \"public\": \"{}\",\n  \"secret\": \"{}\"\n}}\n",
            self.public_hex(),
            hex::encode(self.key.to_bytes())
        )
    }

    /// Parses a key file written by [`Identity::to_file_json`].
    pub fn from_file_json(text: &str, file: &str) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("{file}: not a key file: {e}"))?;
        let secret = v
            .get("secret")
            .and_then(|s| s.as_str())
            .ok_or_else(|| format!("{file}: missing field \"secret\""))?;
        let bytes = hex::decode(secret).map_err(|e| format!("{file}: secret is not hex: {e}"))?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|_| format!("{file}: the secret must be 32 bytes"))?;
        let id = Self::from_seed(seed);
        if let Some(p) = v.get("public").and_then(|s| s.as_str()) {
            if p != id.public_hex() {
                return Err(format!("{file}: the public key does not match the secret"));
            }
        }
        Ok(id)
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::from_file_json(&text, &path.display().to_string())
    }

    /// Writes a key file, readable by its owner only (Unix), refusing to overwrite one.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts
            .open(path)
            .map_err(|e| format!("{}: cannot create: {e}", path.display()))?;
        f.write_all(self.to_file_json().as_bytes())
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Signs a request.
    pub fn sign(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        nonce: &str,
        timestamp: i64,
    ) -> SignedHeaders {
        let sig = self
            .key
            .sign(&message(method, path, body, nonce, timestamp));
        SignedHeaders {
            key: self.public_hex(),
            nonce: nonce.to_string(),
            timestamp,
            signature: hex::encode(sig.to_bytes()),
        }
    }
}

/// A fresh random nonce (32 hex characters).
pub fn fresh_nonce() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// Checks that `key` is a well-formed public key (64 hex digits of a valid point).
pub fn parse_public(key: &str) -> Result<VerifyingKey, MarketError> {
    let bytes = hex::decode(key)
        .map_err(|_| MarketError::Unauthorized(format!("key '{key}' is not hex")))?;
    let arr: [u8; 32] = bytes.try_into().map_err(|_| {
        MarketError::Unauthorized("a public key is 32 bytes (64 hex digits)".into())
    })?;
    VerifyingKey::from_bytes(&arr)
        .map_err(|_| MarketError::Unauthorized(format!("key '{key}' is not an ed25519 public key")))
}

/// Verifies a request's signature and timestamp (against `now`, allowing `skew` seconds either way).
/// The nonce is checked against the database by the operation itself.
pub fn verify_request(
    h: &SignedHeaders,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
    skew: i64,
) -> Result<(), MarketError> {
    if h.key != h.key.to_ascii_lowercase() {
        return Err(MarketError::Unauthorized(
            "the key must be lower-case hex".into(),
        ));
    }
    let vk = parse_public(&h.key)?;
    if !(8..=64).contains(&h.nonce.len())
        || !h
            .nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(MarketError::Unauthorized(
            "the nonce must be 8 to 64 characters of [A-Za-z0-9_-]".into(),
        ));
    }
    if (h.timestamp - now).abs() > skew {
        return Err(MarketError::Unauthorized(format!(
            "stale or future timestamp {} (server time {now}, allowed skew {skew} s)",
            h.timestamp
        )));
    }
    let sig_bytes = hex::decode(&h.signature)
        .map_err(|_| MarketError::Unauthorized("the signature is not hex".into()))?;
    let sig = Signature::from_slice(&sig_bytes)
        .map_err(|_| MarketError::Unauthorized("a signature is 64 bytes".into()))?;
    vk.verify(&message(method, path, body, &h.nonce, h.timestamp), &sig)
        .map_err(|_| {
            MarketError::Unauthorized(
                "bad signature (over method, path, body hash, nonce and timestamp)".into(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify() {
        let id = Identity::generate();
        let h = id.sign("POST", "/v1/jobs", b"{}", "nonce-0001", 1000);
        verify_request(&h, "POST", "/v1/jobs", b"{}", 1000, 30).expect("valid");
        for (m, p, b, now) in [
            ("POST", "/v1/jobs", &b"{ }"[..], 1000),
            ("POST", "/v1/stake", &b"{}"[..], 1000),
            ("PUT", "/v1/jobs", &b"{}"[..], 1000),
            ("POST", "/v1/jobs", &b"{}"[..], 1031),
        ] {
            assert!(verify_request(&h, m, p, b, now, 30).is_err(), "{m} {p}");
        }
        let other = Identity::generate();
        let mut forged = h.clone();
        forged.key = other.public_hex();
        assert!(verify_request(&forged, "POST", "/v1/jobs", b"{}", 1000, 30).is_err());
        let back = Identity::from_file_json(&id.to_file_json(), "k").expect("parse");
        assert_eq!(back.public_hex(), id.public_hex());
    }
}
