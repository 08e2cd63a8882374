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

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};
use thiserror::Error;

pub const H_KEY: &str = "x-zk-key";
pub const H_NONCE: &str = "x-zk-nonce";
pub const H_TIMESTAMP: &str = "x-zk-timestamp";
pub const H_SIGNATURE: &str = "x-zk-signature";

/// The largest request timestamp accepted (Unix seconds, year 2255): any two accepted timestamps differ
/// by far less than `i64::MAX`.
pub const MAX_TIMESTAMP: i64 = 1 << 33;

/// Seconds since the Unix epoch by the system clock (the timestamps requests are signed with).
pub fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Why a request's signature headers were refused (HTTP 401).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    #[error("missing header {header}: sign the request")]
    MissingHeader { header: &'static str },
    #[error("{header}: '{value}' is not an integer")]
    TimestampNotInteger { header: &'static str, value: String },
    #[error("the key must be lower-case hex")]
    KeyNotLowerCase,
    #[error("key '{key}' is not hex")]
    KeyNotHex { key: String },
    #[error("a public key is 32 bytes (64 hex digits)")]
    KeyLength { bytes: usize },
    #[error("key '{key}' is not an ed25519 public key")]
    KeyNotOnCurve { key: String },
    #[error("key '{key}' is not canonically encoded")]
    KeyNotCanonical { key: String },
    #[error("key '{key}' is a small-order (weak) ed25519 key, which anyone can sign for")]
    KeyWeak { key: String },
    #[error("timestamp {timestamp} is outside the accepted range 0..={max}")]
    TimestampOutOfRange { timestamp: i64, max: i64 },
    #[error("the nonce must be 8 to 64 characters of [A-Za-z0-9_-]")]
    BadNonce { nonce: String },
    #[error("stale or future timestamp {timestamp} (server time {now}, allowed skew {skew} s)")]
    StaleTimestamp { timestamp: i64, now: i64, skew: i64 },
    #[error("the signature is not hex")]
    SignatureNotHex,
    #[error("a signature is 64 bytes")]
    SignatureLength { bytes: usize },
    #[error("bad signature (over method, path, body hash, nonce and timestamp)")]
    BadSignature,
}

/// Why a key file could not be read or written.
#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error("{file}: not a key file: {source}")]
    NotJson {
        file: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("{file}: missing field \"secret\"")]
    MissingSecret { file: String },
    #[error("{file}: secret is not hex: {source}")]
    SecretNotHex {
        file: String,
        #[source]
        source: hex::FromHexError,
    },
    #[error("{file}: the secret must be 32 bytes")]
    SecretLength { file: String, bytes: usize },
    #[error("{file}: the public key does not match the secret")]
    PublicMismatch { file: String },
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot create: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

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

    /// The X25519 secret of this identity (the scalar bytes of its ed25519 signing key, as libsodium's
    /// `crypto_sign_ed25519_sk_to_curve25519`): what opens the inputs sealed to it ([`crate::sealed`]).
    pub(crate) fn x25519_scalar_bytes(&self) -> [u8; 32] {
        self.key.to_scalar_bytes()
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

    /// Parses a key file written by [`Identity::to_file_json`] (`file` names it in errors).
    pub fn from_file_json(text: &str, file: &str) -> Result<Self, KeyFileError> {
        let file_name = || file.to_string();
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|source| KeyFileError::NotJson {
                file: file_name(),
                source,
            })?;
        let secret = v
            .get("secret")
            .and_then(|s| s.as_str())
            .ok_or_else(|| KeyFileError::MissingSecret { file: file_name() })?;
        let bytes = hex::decode(secret).map_err(|source| KeyFileError::SecretNotHex {
            file: file_name(),
            source,
        })?;
        let seed: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| KeyFileError::SecretLength {
                file: file_name(),
                bytes: b.len(),
            })?;
        let id = Self::from_seed(seed);
        if let Some(p) = v.get("public").and_then(|s| s.as_str()) {
            if p != id.public_hex() {
                return Err(KeyFileError::PublicMismatch { file: file_name() });
            }
        }
        Ok(id)
    }

    /// Reads a key file.
    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_file_json(&text, &path.display().to_string())
    }

    /// Writes a key file, readable by its owner only (Unix), refusing to overwrite one.
    pub fn save(&self, path: &Path) -> Result<(), KeyFileError> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(|source| KeyFileError::Create {
            path: path.to_path_buf(),
            source,
        })?;
        f.write_all(self.to_file_json().as_bytes())
            .map_err(|source| KeyFileError::Write {
                path: path.to_path_buf(),
                source,
            })
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

/// Whether a compressed Edwards y-coordinate (little-endian, sign bit in the top bit) is the canonical
/// encoding: y < p = 2^255 - 19. (The only other non-canonical encodings, x = 0 with the sign bit set, are
/// of small-order points, refused as weak.)
fn canonical_y(b: &[u8; 32]) -> bool {
    let top_is_max = b[31] & 0x7f == 0x7f && b[1..31].iter().all(|&x| x == 0xff);
    !(top_is_max && b[0] >= 0xed)
}

/// Checks that `key` is a well-formed public key: 64 hex digits of the canonical encoding of a point
/// that is not of small order (a small-order key has signatures that verify for every message).
pub fn parse_public(key: &str) -> Result<VerifyingKey, AuthError> {
    let bytes = hex::decode(key).map_err(|_| AuthError::KeyNotHex {
        key: key.to_string(),
    })?;
    let arr: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| AuthError::KeyLength { bytes: b.len() })?;
    if !canonical_y(&arr) {
        return Err(AuthError::KeyNotCanonical {
            key: key.to_string(),
        });
    }
    let vk = VerifyingKey::from_bytes(&arr).map_err(|_| AuthError::KeyNotOnCurve {
        key: key.to_string(),
    })?;
    if vk.is_weak() {
        return Err(AuthError::KeyWeak {
            key: key.to_string(),
        });
    }
    Ok(vk)
}

/// Checks that `key` names an account: lower-case hex of a valid, strong public key.
pub fn check_account_key(key: &str) -> Result<(), AuthError> {
    if key != key.to_ascii_lowercase() {
        return Err(AuthError::KeyNotLowerCase);
    }
    parse_public(key).map(|_| ())
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
) -> Result<(), AuthError> {
    if h.key != h.key.to_ascii_lowercase() {
        return Err(AuthError::KeyNotLowerCase);
    }
    let vk = parse_public(&h.key)?;
    if !(8..=64).contains(&h.nonce.len())
        || !h
            .nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AuthError::BadNonce {
            nonce: h.nonce.clone(),
        });
    }
    if !(0..=MAX_TIMESTAMP).contains(&h.timestamp) {
        return Err(AuthError::TimestampOutOfRange {
            timestamp: h.timestamp,
            max: MAX_TIMESTAMP,
        });
    }
    if h.timestamp.abs_diff(now) > skew.unsigned_abs() {
        return Err(AuthError::StaleTimestamp {
            timestamp: h.timestamp,
            now,
            skew,
        });
    }
    let sig_bytes = hex::decode(&h.signature).map_err(|_| AuthError::SignatureNotHex)?;
    let sig = Signature::from_slice(&sig_bytes).map_err(|_| AuthError::SignatureLength {
        bytes: sig_bytes.len(),
    })?;
    // strict: no small-order R, canonical s, no weak key (checked above too)
    vk.verify_strict(&message(method, path, body, &h.nonce, h.timestamp), &sig)
        .map_err(|_| AuthError::BadSignature)
}

/// The signed headers of a request, from a header lookup (`get(name)`: the header's value, if present
/// and text).
pub fn signed_headers<'a>(
    get: impl Fn(&'static str) -> Option<&'a str>,
) -> Result<SignedHeaders, AuthError> {
    let need = |header: &'static str| get(header).ok_or(AuthError::MissingHeader { header });
    let ts = need(H_TIMESTAMP)?;
    Ok(SignedHeaders {
        key: need(H_KEY)?.to_string(),
        nonce: need(H_NONCE)?.to_string(),
        timestamp: ts.parse().map_err(|_| AuthError::TimestampNotInteger {
            header: H_TIMESTAMP,
            value: ts.to_string(),
        })?,
        signature: need(H_SIGNATURE)?.to_string(),
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

    /// Signature (R = identity, s = 0): valid for every message under a small-order key with cofactorless,
    /// non-strict verification.
    fn identity_signature() -> String {
        let mut sig = [0u8; 64];
        sig[0] = 1;
        hex::encode(sig)
    }

    #[test]
    fn small_order_and_non_canonical_keys_are_refused() {
        let mut order2 = [0xffu8; 32];
        order2[0] = 0xec;
        order2[31] = 0x7f;
        let mut non_canonical = order2;
        non_canonical[0] = 0xee;
        let mut ident = [0u8; 32];
        ident[0] = 1;
        for (key, what) in [
            (ident, "identity"),
            (order2, "order 2"),
            (non_canonical, "non-canonical"),
        ] {
            let key = hex::encode(key);
            assert!(parse_public(&key).is_err(), "{what} key parsed");
            assert!(check_account_key(&key).is_err(), "{what} key accepted");
            let h = SignedHeaders {
                key: key.clone(),
                nonce: "nonce-0003".into(),
                timestamp: 1000,
                signature: identity_signature(),
            };
            let e = verify_request(&h, "POST", "/v1/dev/mint", b"{}", 1000, 30);
            assert!(e.is_err(), "{what}: forged request accepted");
        }
        // a strong key still works, and the forged signature fails for it too
        let id = Identity::generate();
        assert!(check_account_key(&id.public_hex()).is_ok());
        let mut h = id.sign("POST", "/v1/x", b"", "nonce-0004", 1000);
        verify_request(&h, "POST", "/v1/x", b"", 1000, 30).expect("valid");
        h.signature = identity_signature();
        assert_eq!(
            verify_request(&h, "POST", "/v1/x", b"", 1000, 30),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn extreme_timestamps_are_refused_without_overflow() {
        let id = Identity::generate();
        let now: i64 = 1_800_000_000;
        for ts in [
            now.wrapping_add(i64::MIN),
            i64::MIN,
            i64::MAX,
            -1,
            MAX_TIMESTAMP + 1,
            now - 31,
            now + 31,
        ] {
            let h = id.sign("POST", "/v1/x", b"", "nonce-0005", ts);
            assert!(
                verify_request(&h, "POST", "/v1/x", b"", now, 30).is_err(),
                "timestamp {ts} accepted"
            );
        }
        for ts in [now - 30, now + 30] {
            let h = id.sign("POST", "/v1/x", b"", "nonce-0006", ts);
            verify_request(&h, "POST", "/v1/x", b"", now, 30).expect("in the window");
        }
    }

    #[test]
    fn headers_and_key_files() {
        let id = Identity::generate();
        let h = id.sign("GET", "/v1/jobs/j/result", b"", "nonce-0002", 5);
        let ts = h.timestamp.to_string();
        let lookup = |name: &str| match name {
            H_KEY => Some(h.key.as_str()),
            H_NONCE => Some(h.nonce.as_str()),
            H_TIMESTAMP => Some(ts.as_str()),
            H_SIGNATURE => Some(h.signature.as_str()),
            _ => None,
        };
        assert_eq!(signed_headers(lookup), Ok(h.clone()));
        let missing = signed_headers(|n| if n == H_NONCE { None } else { lookup(n) });
        assert_eq!(missing, Err(AuthError::MissingHeader { header: H_NONCE }));
        let bad_ts = signed_headers(|n| {
            if n == H_TIMESTAMP {
                Some("soon")
            } else {
                lookup(n)
            }
        });
        assert!(
            matches!(bad_ts, Err(AuthError::TimestampNotInteger { ref value, .. }) if value == "soon")
        );
        let stale = verify_request(&h, "GET", "/v1/jobs/j/result", b"", 100, 30);
        assert_eq!(
            stale.map_err(|e| e.to_string()),
            Err("stale or future timestamp 5 (server time 100, allowed skew 30 s)".into())
        );
        let other = Identity::generate().to_file_json();
        let (_, other_secret) = other.split_once("\"secret\"").expect("secret");
        let mixed = format!(
            "{{\"public\": \"{}\", \"secret\"{other_secret}",
            id.public_hex()
        );
        assert!(matches!(
            Identity::from_file_json(&mixed, "k"),
            Err(KeyFileError::PublicMismatch { .. })
        ));
        assert!(matches!(
            Identity::from_file_json("{\"secret\": \"00\"}", "k"),
            Err(KeyFileError::SecretLength { bytes: 1, .. })
        ));
        let e = Identity::load(Path::new("/nonexistent/zk.key")).expect_err("missing");
        assert!(matches!(e, KeyFileError::Read { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("/nonexistent/zk.key: cannot read"),
            "{e}"
        );
    }
}
