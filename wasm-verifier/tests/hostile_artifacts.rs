//! The browser verifier's loader under hostile artifacts, natively (the same Rust as the .wasm): k from
//! 0 to 40 with the key's and params' headers edited to match gets an error or a verdict, never a panic,
//! and nothing above `BROWSER_MAX_K` is loaded (loading takes memory in proportion to 2^k, and a WASM
//! memory holds at most 4 GiB). Files over their caps and non-canonical points are refused.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::path::PathBuf;
use zkinfer_verifier::limits::BROWSER_MAX_K;
use zkinfer_wasm_verifier::{verify_bytes, Options};

fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris");
    std::fs::read(dir.join(name)).unwrap()
}

fn allow() -> Options {
    Options {
        allow_dev_srs: Some(true),
        ..Options::default()
    }
}

/// The fixture's files with k edited to `k` (the fixture's own k = 12: its files as they are).
fn with_k(k: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    if k == 12 {
        return (
            fixture("settings.json"),
            fixture("vk.bin"),
            fixture("verifier_params.bin"),
        );
    }
    let mut v: serde_json::Value = serde_json::from_slice(&fixture("settings.json")).unwrap();
    v["k"] = k.into();
    let s = serde_json::to_vec_pretty(&v).unwrap();
    let mut vk = fixture("vk.bin");
    let h = zkinfer_verifier::artifacts::sha256_hex(&s);
    let digest: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    vk[12..44].copy_from_slice(&digest);
    vk[45..49].copy_from_slice(&k.to_le_bytes());
    let mut p = fixture("verifier_params.bin");
    p[12..16].copy_from_slice(&k.to_le_bytes());
    (s, vk, p)
}

#[test]
fn k_from_0_to_40_is_refused_or_judged_and_nothing_over_the_browser_ceiling_loads() {
    let proof = fixture("proof.json");
    for k in 0..=40u32 {
        // the loadable ks above the fixture's take up to ~1 GiB each; the ones in between are covered by
        // the verifier's own suite under a memory budget
        if (13..=BROWSER_MAX_K).contains(&k) && k != BROWSER_MAX_K - 6 {
            continue;
        }
        let (s, vk, p) = with_k(k);
        let r = verify_bytes(&vk, &s, &p, &proof, &allow());
        match k {
            12 => assert!(r.unwrap().valid, "the fixture's own k"),
            _ if k > BROWSER_MAX_K && k <= 27 => {
                let e = r.expect_err("over the browser's ceiling").to_string();
                let expected =
                    format!("k = {k} is above the largest k this verifier loads ({BROWSER_MAX_K})");
                assert!(e.contains(&expected), "k = {k}: {e}");
            }
            _ => {
                if let Ok(outcome) = r {
                    assert!(!outcome.valid, "k = {k}");
                }
            }
        }
    }
}

#[test]
fn oversized_files_and_non_canonical_points_are_refused() {
    let (s, vk, p, proof) = (
        fixture("settings.json"),
        fixture("vk.bin"),
        fixture("verifier_params.bin"),
        fixture("proof.json"),
    );
    let mut big_settings = s.clone();
    big_settings.resize((1 << 20) + 1, b' ');
    let mut big_params = p.clone();
    big_params.push(0);
    let mut big_proof = proof.clone();
    big_proof.resize(64 << 20, b' ');
    let mut flagged = vk.clone();
    flagged[44 + 10 + 31] |= 0x80;
    for (label, s, vk, p, proof) in [
        ("settings", &big_settings, &vk, &p, &proof),
        ("params", &s, &vk, &big_params, &proof),
        ("proof", &s, &vk, &p, &big_proof),
        ("infinity flag", &s, &flagged, &p, &proof),
    ] {
        let e = verify_bytes(vk, s, p, proof, &allow()).expect_err(label);
        let msg = e.to_string();
        assert!(
            msg.contains("over the limit") || msg.contains("canonical"),
            "{label}: {msg}"
        );
    }
}
