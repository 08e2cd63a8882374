//! `vk.bin`: magic `ZKVK\0\0\0\x01`, version (u32 LE), the SHA-256 of `settings.json`, then halo2's
//! verifying key (`SerdeFormat::Processed`: compressed, checked points).
//!
//! halo2-axiom's `VerifyingKey::read` trusts the counts and k in the bytes it reads: a crafted key can make
//! it shift by a huge k, allocate `num_selectors * 2^k` booleans, or leave fewer fixed commitments than
//! the constraint system queries, so verification indexes out of bounds. In wasm a panic aborts. So before
//! halo2 sees the bytes, [`check_structure`] checks them against the layout the settings' constraint
//! system implies: halo2's version byte, k, no selector compression (halo2-axiom's `keygen_vk`), exactly
//! the expected number of fixed and permutation commitments, and the exact total length. The caller
//! ([`crate::VerifierArtifacts`]) has already checked k against its limits ([`crate::limits`]), so
//! halo2's evaluation domain, which takes memory in proportion to `2^k`, is within budget. After reading,
//! every point must be in its canonical encoding, so that one key has one byte string (one model id).

use crate::error::VerifyError;
use crate::proof_system::{Scalar, Vk};
use halo2_proofs::plonk::{Circuit, ConstraintSystem};
use halo2_proofs::SerdeFormat;
use sha2::{Digest, Sha256};
use zkinfer_circuits::circuit::ModelCircuit;
use zkinfer_circuits::settings::Settings;

/// Magic bytes of `vk.bin`.
pub const VK_MAGIC: &[u8; 8] = b"ZKVK\0\0\0\x01";
/// Version of `vk.bin`.
pub const VK_VERSION: u32 = 1;

/// Bytes of zkinfer's header before halo2's key: magic, version, SHA-256 of `settings.json`.
pub const HEADER_BYTES: usize = 8 + 4 + 32;

/// halo2-axiom's verifying-key serialisation version byte.
const HALO2_VK_VERSION: u8 = 0x02;
/// Bytes of a compressed G1 point.
const POINT: usize = 32;

/// Serialises a verifying key for `settings_bytes`.
pub fn write_vk(vk: &Vk, settings_bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(VK_MAGIC);
    out.extend_from_slice(&VK_VERSION.to_le_bytes());
    out.extend_from_slice(&Sha256::digest(settings_bytes));
    out.extend_from_slice(&vk.to_bytes(SerdeFormat::Processed));
    out
}

/// The shape of a serialised verifying key, as the settings' constraint system implies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VkLayout {
    /// Fixed commitments (fixed columns plus one per selector, which halo2 turns into fixed columns).
    pub fixed: usize,
    /// Permutation commitments (columns with equality enabled).
    pub permutation: usize,
}

impl VkLayout {
    /// The layout of `settings`' circuit.
    pub fn of(settings: &Settings) -> Self {
        let mut cs = ConstraintSystem::<Scalar>::default();
        let _ = ModelCircuit::configure_with_params(&mut cs, settings.clone());
        Self {
            fixed: cs.num_fixed_columns() + cs.num_selectors(),
            permutation: cs.permutation().get_columns().len(),
        }
    }

    /// Bytes of halo2's serialisation: version, k, compression flag, fixed count, then the points.
    pub fn byte_len(&self) -> usize {
        1 + 4 + 1 + 4 + POINT * (self.fixed + self.permutation)
    }
}

/// Checks halo2's serialised key (after zkinfer's header) against `settings`, so that
/// `VerifyingKey::read` cannot panic or allocate by counts taken from the file.
pub fn check_structure(
    halo2_bytes: &[u8],
    settings: &Settings,
    file: &str,
) -> Result<(), VerifyError> {
    let bad = |what: String| VerifyError::format(file, what);
    let layout = VkLayout::of(settings);
    let header = halo2_bytes
        .get(..10)
        .ok_or_else(|| bad("truncated verifying key".into()))?;
    if header[0] != HALO2_VK_VERSION {
        return Err(bad(format!(
            "halo2 verifying-key version byte {:#04x}, expected {HALO2_VK_VERSION:#04x}",
            header[0]
        )));
    }
    let k = u32::from_le_bytes([header[1], header[2], header[3], header[4]]);
    if k != settings.k {
        return Err(VerifyError::SizeMismatch {
            file: file.to_string(),
            found: k,
            expected: settings.k,
        });
    }
    if header[5] != 0 {
        return Err(bad(
            "the verifying key uses selector compression, which zkinfer keys never do".into(),
        ));
    }
    let fixed = u32::from_le_bytes([header[6], header[7], header[8], header[9]]) as usize;
    if fixed != layout.fixed {
        return Err(bad(format!(
            "the verifying key has {fixed} fixed commitments, this model's circuit has {}",
            layout.fixed
        )));
    }
    if halo2_bytes.len() != layout.byte_len() {
        return Err(bad(format!(
            "the verifying key is {} bytes, this model's circuit needs {}",
            halo2_bytes.len(),
            layout.byte_len()
        )));
    }
    Ok(())
}

/// Reads a verifying key, checking it was made for exactly these settings.
pub fn read_vk(
    bytes: &[u8],
    settings: &Settings,
    settings_bytes: &[u8],
    file: &str,
) -> Result<Vk, VerifyError> {
    if bytes.len() < 12 || &bytes[..8] != VK_MAGIC {
        return Err(VerifyError::format(
            file,
            "not a zkinfer verifying key file (bad magic)",
        ));
    }
    let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    if version != VK_VERSION {
        return Err(VerifyError::Version {
            file: file.to_string(),
            found: version,
            expected: VK_VERSION,
        });
    }
    let rest = &bytes[12..];
    let (digest, halo2_bytes) = rest
        .split_at_checked(32)
        .ok_or_else(|| VerifyError::format(file, "truncated"))?;
    if digest != &Sha256::digest(settings_bytes)[..] {
        return Err(VerifyError::SettingsMismatch {
            file: file.to_string(),
        });
    }
    check_structure(halo2_bytes, settings, file)?;
    let mut reader = halo2_bytes;
    let vk = Vk::read::<_, ModelCircuit>(&mut reader, SerdeFormat::Processed, settings.clone())
        .map_err(|e| VerifyError::format(file, format!("corrupt verifying key: {e}")))?;
    if !reader.is_empty() {
        return Err(VerifyError::format(
            file,
            "trailing bytes after the verifying key",
        ));
    }
    // one byte string per key (the model id hashes these bytes): halo2 accepts points whose infinity
    // flag is set with x != 0, or the identity with its sign bit set; its own encoding is canonical
    if vk.to_bytes(SerdeFormat::Processed) != halo2_bytes {
        return Err(VerifyError::format(
            file,
            "a point of the verifying key is not in its canonical encoding",
        ));
    }
    Ok(vk)
}
