//! The cost of loading a verifier is known up front: [`limits::load_cost`]'s memory estimate is above
//! the peak resident memory that building halo2's evaluation domain (what grows with k) and loading the
//! fixture's whole verifier actually take, and not far above it. Measured with Linux's peak-RSS counter
//! (`VmHWM`, reset through `/proc/self/clear_refs`), so this file holds one test: nothing else runs in
//! the process meanwhile.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use zkinfer_verifier::limits::{self, CircuitShape, MEMORY_BYTES_FIXED};

/// A field of `/proc/self/status` in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap();
    kib * 1024
}

/// Peak resident bytes above the resident bytes at the start, while `f` runs.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, u64) {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (Linux >= 4.0)");
    let base = status_bytes("VmRSS:");
    let out = f();
    (out, status_bytes("VmHWM:").saturating_sub(base))
}

#[test]
fn the_memory_estimate_bounds_what_loading_takes() {
    let art = common::artifacts();
    let mut settings = art.settings.clone();
    let shape = CircuitShape::of(&settings);
    for k in [12u32, 14, 16, 18, 20] {
        settings.k = k;
        let cost = limits::load_cost(&settings);
        let (domain, peak) = peak_of(|| {
            halo2_proofs::poly::EvaluationDomain::<zkinfer_circuits::Fr>::new(
                shape.degree as u32,
                k,
            )
        });
        assert_eq!(domain.extended_k(), cost.extended_k, "k = {k}");
        drop(domain);
        let estimate = cost.memory_bytes - MEMORY_BYTES_FIXED;
        println!(
            "k = {k}: domain peak {peak} bytes ({:.1} per domain point), estimate {estimate}",
            peak as f64 / (7u64 << k) as f64
        );
        assert!(peak <= estimate, "k = {k}: {peak} > {estimate}");
        if k >= 16 {
            assert!(
                estimate <= 2 * peak,
                "k = {k}: {estimate} is loose ({peak})"
            );
        }
    }
    let (s, vk, p) = (
        common::bytes("settings.json"),
        common::bytes("vk.bin"),
        common::bytes("verifier_params.bin"),
    );
    let (loaded, peak) = peak_of(|| zkinfer_verifier::VerifierArtifacts::from_bytes(&s, &vk, &p));
    let loaded = loaded.unwrap();
    println!(
        "fixture load: peak {peak} bytes, estimate {}",
        loaded.cost.memory_bytes
    );
    assert!(
        peak <= loaded.cost.memory_bytes,
        "{peak} > {}",
        loaded.cost.memory_bytes
    );
    let proof = common::bytes("proof.json");
    let (parsed, peak) = peak_of(|| loaded.parse_proof(&proof, "proof.json"));
    parsed.unwrap();
    assert!(peak <= loaded.cost.proof.memory_bytes(), "{peak}");
}
