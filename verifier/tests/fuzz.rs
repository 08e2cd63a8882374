//! Hostile input never panics: every reader (settings.json, vk.bin, verifier_params.bin, proof.json) and
//! `judge` on mutated proof files, on random bytes and mutated valid files (bit flips, truncations,
//! splices, huge numbers, deep nesting, wrong types), with a seeded RNG. Each case runs under
//! `catch_unwind` so a panic is reported with its case and seed and fails the test; in wasm a panic would
//! abort the page. Every answer must be an error with a message, or a valid result.
#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;
use zkinfer_verifier::artifacts::parse_settings;
use zkinfer_verifier::vk_file::VkLayout;
use zkinfer_verifier::{
    judge, ProofFile, Rejection, Statement, TranscriptKind, Verified, VerifierArtifacts,
    VerifierParams,
};

const CASES: usize = 10_000;

fn interesting_number(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..14) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(27),
        3 => json!(28),
        4 => json!(64),
        5 => json!(1u64 << 31),
        6 => json!(u32::MAX),
        7 => json!(u64::MAX),
        8 => json!(i64::MIN),
        9 => json!(1e308),
        10 => json!(-1e-308),
        11 => json!(9_007_199_254_740_993u64),
        12 => json!(1.5),
        _ => json!(rng.gen::<i64>()),
    }
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!(0), |v, _| Value::Array(vec![v]))
}

fn replacement(rng: &mut ChaCha8Rng) -> Value {
    match rng.gen_range(0..10) {
        0..=3 => interesting_number(rng),
        4 => nested(rng.gen_range(1..120)),
        5 => json!("ff"),
        6 => Value::Null,
        7 => json!({ "x": [1, 2] }),
        8 => Value::Array(vec![json!(1); rng.gen_range(0..5000)]),
        _ => json!([]),
    }
}

/// Replaces, removes or grows a random node of a JSON value.
fn mutate_value(rng: &mut ChaCha8Rng, v: &mut Value, depth: usize) {
    let stop = depth > 0 && rng.gen_bool(0.3);
    match v {
        Value::Object(m) if !m.is_empty() && !stop => {
            let keys: Vec<String> = m.keys().cloned().collect();
            let k = &keys[rng.gen_range(0..keys.len())];
            if rng.gen_bool(0.08) {
                m.remove(k);
            } else {
                mutate_value(rng, m.get_mut(k).unwrap(), depth + 1);
            }
        }
        Value::Array(a) if !a.is_empty() && !stop => {
            let i = rng.gen_range(0..a.len());
            match rng.gen_range(0..10) {
                0 => {
                    a.remove(i);
                }
                1 => a.push(replacement(rng)),
                _ => mutate_value(rng, &mut a[i], depth + 1),
            }
        }
        Value::String(s) if rng.gen_bool(0.5) && !s.is_empty() => {
            let mut b = s.clone().into_bytes();
            let i = rng.gen_range(0..b.len());
            b[i] = b"0123456789abcdefxZ"[rng.gen_range(0..18)];
            *s = String::from_utf8(b).unwrap_or_default();
        }
        _ => *v = replacement(rng),
    }
}

/// A mutated copy of `base` (bytes), sometimes JSON-aware.
fn mutate(rng: &mut ChaCha8Rng, base: &[u8], splice_from: &[u8]) -> Vec<u8> {
    let mut b = base.to_vec();
    let rounds = if rng.gen_bool(0.2) {
        rng.gen_range(2..4)
    } else {
        1
    };
    for _ in 0..rounds {
        let n = b.len().max(1);
        match rng.gen_range(0..9) {
            0 => {
                let len = rng.gen_range(0..600);
                b = (0..len).map(|_| rng.gen()).collect();
            }
            1 | 2 => {
                for _ in 0..rng.gen_range(1..5) {
                    if !b.is_empty() {
                        let i = rng.gen_range(0..b.len());
                        b[i] ^= 1 << rng.gen_range(0..8);
                    }
                }
            }
            3 => b.truncate(rng.gen_range(0..n)),
            4 => {
                let (s, e) = {
                    let a = rng.gen_range(0..splice_from.len().max(1));
                    (a, (a + rng.gen_range(0..64)).min(splice_from.len()))
                };
                let at = rng.gen_range(0..=b.len());
                let end = (at + rng.gen_range(0..64)).min(b.len());
                b.splice(
                    at..end,
                    splice_from.get(s..e).unwrap_or(&[]).iter().copied(),
                );
            }
            5 => {
                for _ in 0..rng.gen_range(1..5) {
                    if !b.is_empty() {
                        let i = rng.gen_range(0..b.len());
                        b[i] = [0x00, 0xff, b'9', b'[', b'"', b'-'][rng.gen_range(0..6)];
                    }
                }
            }
            6 => {
                let at = rng.gen_range(0..=b.len());
                let text: &[u8] = match rng.gen_range(0..5) {
                    0 => b"1e999",
                    1 => b"123456789012345678901234567890123456789",
                    2 => b"-0.0000000000000000000000001",
                    3 => b"\"\\ud800\"",
                    _ => b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                };
                b.splice(at..at, text.iter().copied());
            }
            _ => {
                if let Ok(mut v) = serde_json::from_slice::<Value>(&b) {
                    mutate_value(rng, &mut v, 0);
                    b = serde_json::to_vec(&v).unwrap();
                } else if !b.is_empty() {
                    let i = rng.gen_range(0..b.len());
                    b[i] = rng.gen();
                }
            }
        }
    }
    b
}

/// What one fuzz case came to.
enum Outcome {
    /// Refused with an error message; `kind` names the stage and the error's variant.
    Rejected { kind: String, message: String },
    /// A reader took the mutated bytes: a mutation may leave a well-formed file, and a reader only reads.
    Read,
    /// `judge` accepted a mutated proof file that proves exactly what the original proves, with the same
    /// proof bytes and transcript: the mutation touched only what no statement depends on (a float
    /// rewritten within half a grid step, the informational version, an equal hex spelling).
    AcceptedUnchanged,
    /// `judge` accepted a mutated proof that proves exactly what the original proves (model, inputs,
    /// outputs, binding, transcript) with other proof bytes: a second encoding of the same proof (halo2's
    /// point encodings are not all canonical). Not a forgery: nothing a verdict states changed. Counted.
    AcceptedReencoded,
    /// `judge` accepted a mutated proof whose statement or transcript differs from the original's: a
    /// soundness failure.
    AcceptedChanged(String),
}

/// The outcome of a refusal: the stage and the error's variant (the first word of its `Debug`), and its
/// message.
fn rejected(stage: &str, e: &impl std::fmt::Debug, message: String) -> Outcome {
    let debug = format!("{e:?}");
    let variant = debug
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .next()
        .unwrap_or_default();
    Outcome::Rejected {
        kind: format!("{stage}: {variant}"),
        message,
    }
}

/// `judge` on a mutated proof file, against the original's verdict: a refusal is counted by its kind, and
/// an acceptance passes only when the statement (model, integers, binding), the proof bytes and the
/// transcript are all the original's.
fn judged(art: &VerifierArtifacts, p: &ProofFile, st: &Statement, original: &Original) -> Outcome {
    match judge(art, p, st) {
        Err(e) => {
            let kind = match &e {
                Rejection::ProofFails { source, .. } => format!("{source:?}")
                    .split(['(', ' ', '{'])
                    .next()
                    .unwrap_or_default()
                    .to_string(),
                _ => String::new(),
            };
            let stage = if kind.is_empty() {
                "judge".to_string()
            } else {
                format!("judge ({kind})")
            };
            rejected(&stage, &e, e.to_string())
        }
        Ok(v) => {
            let bytes = p.proof_bytes("proof.json").ok();
            let same_statement = v == original.verified && p.transcript == original.transcript;
            if same_statement && bytes.as_deref() == Some(&original.bytes[..]) {
                Outcome::AcceptedUnchanged
            } else if same_statement {
                Outcome::AcceptedReencoded
            } else {
                Outcome::AcceptedChanged(format!(
                    "proves {:?} (original {:?}), proof bytes changed: {}, transcript {:?}",
                    (&v.model_id, &v.inputs_q, &v.outputs_q, &v.bind),
                    (
                        &original.verified.model_id,
                        &original.verified.inputs_q,
                        &original.verified.outputs_q,
                        &original.verified.bind
                    ),
                    bytes.as_deref() != Some(&original.bytes[..]),
                    p.transcript
                ))
            }
        }
    }
}

/// The unmutated fixture proof: what it proves, its bytes and transcript.
#[derive(Clone)]
struct Original {
    verified: Verified,
    bytes: Vec<u8>,
    transcript: TranscriptKind,
}

impl Original {
    fn of(art: &VerifierArtifacts, st: &Statement) -> Self {
        let p = common::proof();
        Self {
            verified: judge(art, &p, st).expect("the fixture proof is valid"),
            bytes: p.proof_bytes("proof.json").unwrap(),
            transcript: p.transcript,
        }
    }
}

#[derive(Default)]
struct Tally {
    rejected: BTreeMap<String, usize>,
    read: usize,
    accepted_unchanged: usize,
    accepted_reencoded: usize,
    failures: Vec<String>,
}

/// Runs `CASES` cases of `f` (given a case RNG) on up to 4 threads. A panic, an empty error message or an
/// accepted changed proof fails the test, with its case and seed; refusals are counted by kind.
fn run(name: &str, seed: u64, f: impl Fn(&mut ChaCha8Rng) -> Outcome + Sync) {
    let t = Instant::now();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|th| {
                let f = &f;
                s.spawn(move || {
                    let mut tally = Tally::default();
                    for case in (th..CASES).step_by(threads) {
                        let mut rng = ChaCha8Rng::seed_from_u64(
                            seed ^ (case as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15),
                        );
                        let at = format!("{name}: case {case} (seed {seed:#x})");
                        match catch_unwind(AssertUnwindSafe(|| f(&mut rng))) {
                            Ok(Outcome::Rejected { kind, message }) => {
                                if message.trim().is_empty() {
                                    tally
                                        .failures
                                        .push(format!("{at}: {kind} with an empty message"));
                                }
                                *tally.rejected.entry(kind).or_default() += 1;
                            }
                            Ok(Outcome::Read) => tally.read += 1,
                            Ok(Outcome::AcceptedUnchanged) => tally.accepted_unchanged += 1,
                            Ok(Outcome::AcceptedReencoded) => tally.accepted_reencoded += 1,
                            Ok(Outcome::AcceptedChanged(what)) => tally
                                .failures
                                .push(format!("{at}: a changed proof was accepted: {what}")),
                            Err(_) => tally.failures.push(format!("{at} panicked")),
                        }
                    }
                    tally
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut total = Tally::default();
    for tally in tallies {
        for (k, n) in tally.rejected {
            *total.rejected.entry(k).or_default() += n;
        }
        total.read += tally.read;
        total.accepted_unchanged += tally.accepted_unchanged;
        total.accepted_reencoded += tally.accepted_reencoded;
        total.failures.extend(tally.failures);
    }
    let refused: usize = total.rejected.values().sum();
    eprintln!(
        "{name}: {CASES} cases in {:.1} s: {refused} refused, {} read, {} accepted unchanged, {} accepted \
         as another encoding of the same proof, {} failures",
        t.elapsed().as_secs_f64(),
        total.read,
        total.accepted_unchanged,
        total.accepted_reencoded,
        total.failures.len()
    );
    for (kind, n) in &total.rejected {
        eprintln!("  {n:>6}  {kind}");
    }
    assert!(total.failures.is_empty(), "{}", total.failures.join("\n"));
    assert_eq!(
        refused + total.read + total.accepted_unchanged + total.accepted_reencoded,
        CASES,
        "{name}: every case is counted once"
    );
}

#[test]
fn settings_reader_never_panics() {
    let settings = common::bytes("settings.json");
    let vk = common::bytes("vk.bin");
    let params = common::bytes("verifier_params.bin");
    run("settings.json", 0x5e77, |rng| {
        let s = mutate(rng, &settings, &vk);
        let parsed = match parse_settings(&s, "settings.json") {
            Ok(p) => p,
            Err(e) => return rejected("parse_settings", &e, e.to_string()),
        };
        let _ = VkLayout::of(&parsed);
        // the same key, re-headed for the mutated settings, so the structure check meets hostile settings
        let mut vk2 = vk.clone();
        vk2[12..44].copy_from_slice(&Sha256::digest(&s));
        match VerifierArtifacts::from_bytes(&s, &vk2, &params) {
            Ok(_) => Outcome::Read,
            Err(e) => rejected("artifacts", &e, e.to_string()),
        }
    });
}

#[test]
fn vk_reader_never_panics() {
    let settings = common::bytes("settings.json");
    let vk = common::bytes("vk.bin");
    let params = common::bytes("verifier_params.bin");
    run("vk.bin", 0x7b, |rng| {
        let mut v = mutate(rng, &vk, &params);
        if rng.gen_bool(0.7) && v.len() >= 44 {
            v[..44].copy_from_slice(&vk[..44]); // keep the header so halo2's part is reached
        }
        match VerifierArtifacts::from_bytes(&settings, &v, &params) {
            Ok(_) => Outcome::Read,
            Err(e) => rejected("artifacts", &e, e.to_string()),
        }
    });
}

#[test]
fn params_reader_never_panics() {
    let params = common::bytes("verifier_params.bin");
    let vk = common::bytes("vk.bin");
    run("verifier_params.bin", 0x9a, |rng| {
        let p = mutate(rng, &params, &vk);
        let parsed = match VerifierParams::from_bytes(&p, "verifier_params.bin") {
            Ok(parsed) => parsed,
            Err(e) => return rejected("params", &e, e.to_string()),
        };
        match zkinfer_verifier::trust::assess(
            &parsed,
            zkinfer_verifier::SrsPolicy::AllowDevelopment,
        ) {
            Ok(_) => Outcome::Read,
            Err(e) => rejected("trust", &e, format!("{e:?}")),
        }
    });
}

#[test]
fn proof_reader_and_judge_never_panic_nor_accept_a_changed_proof() {
    let art = common::artifacts();
    let proof = common::bytes("proof.json");
    let vk = common::bytes("vk.bin");
    let st = common::dev_statement();
    let original = Original::of(&art, &st);
    run("proof.json", 0x9f, |rng| {
        let b = mutate(rng, &proof, &vk);
        match ProofFile::parse(&b, "proof.json") {
            Ok(p) => judged(&art, &p, &st, &original),
            Err(e) => rejected("parse", &e, e.to_string()),
        }
    });
}

#[test]
fn judge_on_mutated_proof_files_never_panics_nor_accepts_a_changed_proof() {
    let art = common::artifacts();
    let base: Value = serde_json::from_slice(&common::bytes("proof.json")).unwrap();
    let st = common::dev_statement();
    let original = Original::of(&art, &st);
    run("judge", 0x1d, |rng| {
        let mut v = base.clone();
        for _ in 0..rng.gen_range(1..4) {
            mutate_value(rng, &mut v, 0);
        }
        match serde_json::from_value::<ProofFile>(v) {
            Ok(p) => judged(&art, &p, &st, &original),
            Err(e) => rejected("json", &e, e.to_string()),
        }
    });
}

#[test]
fn an_accepted_changed_proof_fails_the_fuzzer() {
    // the fuzzer's own check: the fixture proof is accepted unchanged against itself, and counts as an
    // accepted *changed* proof (a failure) against an original that proves another output
    let art = common::artifacts();
    let st = common::dev_statement();
    let original = Original::of(&art, &st);
    assert!(matches!(
        judged(&art, &common::proof(), &st, &original),
        Outcome::AcceptedUnchanged
    ));
    let mut forged = original.clone();
    forged.verified.outputs_q[0][0] += 1;
    assert!(matches!(
        judged(&art, &common::proof(), &st, &forged),
        Outcome::AcceptedChanged(_)
    ));
}
