//! Hostile artifacts against the verifier library (issue 27): k from 0 to 40 with the key and params
//! headers edited to match, files at their size caps and one byte over, truncated files, counts at
//! their limits and just over, and non-canonical point encodings. Every one gets a typed error, never a
//! panic, and nothing is allocated in proportion to a k the limits refuse.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod common;

use serde_json::Value;
use sha2::{Digest, Sha256};
use zkinfer_verifier::limits::{
    self, LimitError, HARD_MAX_K, MAX_SETTINGS_BYTES, MAX_VK_BYTES, PARAMS_BYTES,
};
use zkinfer_verifier::{LoadLimits, VerifierArtifacts, VerifyError};

/// A budget that a k = 14 verifier fits and a k = 16 one does not, so that no test allocates much.
fn small_limits() -> LoadLimits {
    LoadLimits::default().with_memory_budget(48 << 20)
}

fn settings_json() -> Value {
    serde_json::from_slice(&common::bytes("settings.json")).unwrap()
}

/// The fixture's three files with k set to `k` everywhere an attacker would set it: the settings, the
/// vk's halo2 header (and its digest of the settings) and the params.
fn with_k(k: u32) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let mut s = settings_json();
    s["k"] = k.into();
    let settings = serde_json::to_vec_pretty(&s).unwrap();
    let mut vk = common::bytes("vk.bin");
    vk[12..44].copy_from_slice(&Sha256::digest(&settings));
    vk[45..49].copy_from_slice(&k.to_le_bytes());
    let mut params = common::bytes("verifier_params.bin");
    params[12..16].copy_from_slice(&k.to_le_bytes());
    (settings, vk, params)
}

fn load(
    files: &(Vec<u8>, Vec<u8>, Vec<u8>),
    limits: &LoadLimits,
) -> Result<VerifierArtifacts, VerifyError> {
    VerifierArtifacts::from_bytes_within(&files.0, &files.1, &files.2, limits)
}

fn limit_error(e: &VerifyError) -> &LimitError {
    match e {
        VerifyError::Limit { limit, .. } => limit,
        other => panic!("expected a limit error, got {other:?}"),
    }
}

#[test]
fn k_from_0_to_40_gets_a_typed_answer() {
    let fixture_k = common::artifacts().settings.k;
    let original = common::bytes("settings.json");
    let required =
        limits::required_k(&zkinfer_verifier::artifacts::parse_settings(&original, "s").unwrap());
    assert_eq!(required, 12, "the fixture's tables need 2049 rows");
    let budget = small_limits().max_memory_bytes;
    let fits = |k: u32| {
        let mut s = common::artifacts().settings;
        s.k = k;
        limits::load_cost(&s).memory_bytes <= budget
    };
    assert!(fits(14) && !fits(17), "the budget splits the loadable ks");
    for k in 0..=40u32 {
        let files = with_k(k);
        let r = load(&files, &small_limits());
        match k {
            // settings' own range check (k in 4..=27, lookup bits below k)
            _ if k <= 10 => assert!(
                matches!(r, Err(VerifyError::Format { .. })),
                "k = {k}: {r:?}"
            ),
            _ if k < required => assert_eq!(
                limit_error(&r.unwrap_err()),
                &LimitError::KTooSmall { k, min: required }
            ),
            _ if k == fixture_k => {
                let a = r.expect("the fixture's own k, the settings re-serialised");
                assert_eq!(a.settings.k, k);
            }
            // loadable sizes: the key loads (its points are valid), and the proof then fails
            _ if k <= HARD_MAX_K && fits(k) => {
                let a = r.expect("within the budget");
                let proof = common::proof();
                assert!(zkinfer_verifier::judge(&a, &proof, &common::dev_statement()).is_err());
            }
            _ if k <= HARD_MAX_K => assert!(
                matches!(
                    limit_error(&r.unwrap_err()),
                    LimitError::OverMemoryBudget { k: got, .. } if *got == k
                ),
                "k = {k}"
            ),
            _ => {
                let e = r.unwrap_err();
                if k <= 27 {
                    assert_eq!(
                        limit_error(&e),
                        &LimitError::KTooLarge { k, max: HARD_MAX_K }
                    );
                } else {
                    // over the settings' own range
                    assert!(matches!(e, VerifyError::Format { .. }), "k = {k}: {e:?}");
                }
            }
        }
    }
}

#[test]
fn the_default_limits_refuse_k_over_26_before_allocating() {
    for k in [27, 28, 30, 40] {
        let e = load(&with_k(k), &LoadLimits::default()).unwrap_err();
        assert!(
            matches!(&e, VerifyError::Limit { .. } | VerifyError::Format { .. }),
            "k = {k}: {e}"
        );
    }
    // a caller's ceiling below the hard one; and one above it is capped
    let e = load(&with_k(13), &LoadLimits::with_max_k(12)).unwrap_err();
    assert_eq!(limit_error(&e), &LimitError::KTooLarge { k: 13, max: 12 });
    let e = load(&with_k(27), &LoadLimits::with_max_k(40)).unwrap_err();
    assert_eq!(limit_error(&e), &LimitError::KTooLarge { k: 27, max: 26 });
    assert!(e.to_string().starts_with("settings.json: k = 27"), "{e}");
}

#[test]
fn the_cost_of_loading_is_known_up_front() {
    let a = common::artifacts();
    let cost = limits::load_cost(&a.settings);
    assert_eq!(cost, a.cost);
    assert_eq!(cost.k, 12);
    assert_eq!(cost.extended_k, 14);
    assert_eq!(cost.vk_bytes, common::bytes("vk.bin").len() as u64);
    let mut s = a.settings.clone();
    let mut last = 0;
    for k in 12..=26 {
        s.k = k;
        let c = limits::load_cost(&s);
        assert!(c.memory_bytes > last, "grows with k");
        last = c.memory_bytes;
    }
    // k = 26: 7 * 2^26 domain points
    assert!(last > 40 << 30, "{last}");
    let proof = common::bytes("proof.json");
    assert!((proof.len() as u64) < cost.proof.max_file_bytes);
    assert!(limits::count_json_values(&proof) <= cost.proof.max_values);
}

fn pad_json(bytes: &[u8], to: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v.resize(to, b' ');
    v
}

#[test]
fn files_at_their_caps_load_and_one_byte_over_are_refused_unread() {
    let (s, vk, p) = (
        common::bytes("settings.json"),
        common::bytes("vk.bin"),
        common::bytes("verifier_params.bin"),
    );
    let at_cap = pad_json(&s, MAX_SETTINGS_BYTES as usize);
    let over = pad_json(&s, MAX_SETTINGS_BYTES as usize + 1);
    let l = LoadLimits::default();
    assert!(
        VerifierArtifacts::from_bytes_within(&at_cap, &fix_digest(&vk, &at_cap), &p, &l).is_ok()
    );
    let e =
        VerifierArtifacts::from_bytes_within(&over, &fix_digest(&vk, &over), &p, &l).unwrap_err();
    assert_eq!(
        limit_error(&e),
        &LimitError::FileTooLarge {
            size: MAX_SETTINGS_BYTES + 1,
            max: MAX_SETTINGS_BYTES
        }
    );
    // params: exactly PARAMS_BYTES, one over, truncated
    assert_eq!(p.len() as u64, PARAMS_BYTES);
    let mut long = p.clone();
    long.push(0);
    let e = VerifierArtifacts::from_bytes_within(&s, &vk, &long, &l).unwrap_err();
    assert!(matches!(limit_error(&e), LimitError::FileTooLarge { .. }));
    for cut in [0, 1, 12, 16, 17, 100, p.len() - 1] {
        let e = VerifierArtifacts::from_bytes_within(&s, &vk, &p[..cut], &l).unwrap_err();
        assert!(
            matches!(e, VerifyError::Format { .. }),
            "params cut at {cut}: {e}"
        );
    }
    // vk: over the cap before anything is read, one byte over its exact length, truncated
    let huge = vec![0u8; MAX_VK_BYTES as usize + 1];
    let e = VerifierArtifacts::from_bytes_within(&s, &huge, &p, &l).unwrap_err();
    assert!(matches!(limit_error(&e), LimitError::FileTooLarge { .. }));
    let mut long = vk.clone();
    long.push(0);
    assert!(VerifierArtifacts::from_bytes_within(&s, &long, &p, &l).is_err());
    for cut in [0, 8, 12, 44, 50, 54, vk.len() - 1] {
        let e = VerifierArtifacts::from_bytes_within(&s, &vk[..cut], &p, &l).unwrap_err();
        assert!(
            matches!(e, VerifyError::Format { .. }),
            "vk cut at {cut}: {e}"
        );
    }
    for cut in [0, 1, s.len() / 2, s.len() - 2] {
        assert!(VerifierArtifacts::from_bytes_within(&s[..cut], &vk, &p, &l).is_err());
    }
}

fn fix_digest(vk: &[u8], settings: &[u8]) -> Vec<u8> {
    let mut vk = vk.to_vec();
    vk[12..44].copy_from_slice(&Sha256::digest(settings));
    vk
}

#[test]
fn files_on_disk_are_read_only_up_to_their_caps() {
    let tmp = tempfile::tempdir().unwrap();
    for f in ["settings.json", "vk.bin", "verifier_params.bin"] {
        std::fs::write(tmp.path().join(f), common::bytes(f)).unwrap();
    }
    let a = VerifierArtifacts::load_dir_within(tmp.path(), &LoadLimits::default()).unwrap();
    // a sparse file of 1 TiB is refused from its size alone
    let big = std::fs::File::create(tmp.path().join("vk.bin")).unwrap();
    big.set_len(1 << 40).unwrap();
    let e = VerifierArtifacts::load_dir_within(tmp.path(), &LoadLimits::default()).unwrap_err();
    assert!(matches!(limit_error(&e), LimitError::FileTooLarge { size, .. } if *size == 1 << 40));
    assert!(e.to_string().contains("vk.bin"), "{e}");
    // proof files: at the model's largest (padding) and one byte over
    let proof = common::bytes("proof.json");
    let max = a.cost.proof.max_file_bytes as usize;
    let path = tmp.path().join("proof.json");
    std::fs::write(&path, pad_json(&proof, max)).unwrap();
    a.read_proof(&path).expect("at the cap");
    std::fs::write(&path, pad_json(&proof, max + 1)).unwrap();
    let e = a.read_proof(&path).unwrap_err();
    assert!(
        matches!(limit_error(&e), LimitError::FileTooLarge { .. }),
        "{e}"
    );
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(1 << 40).unwrap();
    assert!(a.read_proof(&path).is_err());
}

#[test]
fn proof_files_with_more_values_or_a_longer_proof_than_the_model_allows_are_refused() {
    let a = common::artifacts();
    let bounds = a.cost.proof;
    let mut v: Value = serde_json::from_slice(&common::bytes("proof.json")).unwrap();
    // as many values as allowed: an array of zeros in an unknown field (ignored by the parser)
    let have = limits::count_json_values(&serde_json::to_vec(&v).unwrap());
    // the new field adds a comma and a bracket, its n zeros n - 1 commas
    let room = bounds.max_values - have - 1;
    v["padding"] = Value::Array(vec![0.into(); room as usize]);
    let at = serde_json::to_vec(&v).unwrap();
    assert_eq!(limits::count_json_values(&at), bounds.max_values);
    a.parse_proof(&at, "proof.json").expect("at the limit");
    v["padding"] = Value::Array(vec![0.into(); room as usize + 1]);
    let over = serde_json::to_vec(&v).unwrap();
    let e = a.parse_proof(&over, "proof.json").unwrap_err();
    assert!(
        matches!(limit_error(&e), LimitError::TooManyValues { .. }),
        "{e}"
    );
    // a proof of the largest length reads (and fails verification), one byte longer is refused
    let mut v: Value = serde_json::from_slice(&common::bytes("proof.json")).unwrap();
    v["proof"] = "00".repeat(bounds.max_proof_bytes as usize).into();
    let at = serde_json::to_vec(&v).unwrap();
    let p = a.parse_proof(&at, "proof.json").expect("at the limit");
    assert!(zkinfer_verifier::judge(&a, &p, &common::dev_statement()).is_err());
    v["proof"] = "00".repeat(bounds.max_proof_bytes as usize + 1).into();
    let e = a
        .parse_proof(&serde_json::to_vec(&v).unwrap(), "proof.json")
        .unwrap_err();
    assert!(
        matches!(limit_error(&e), LimitError::ProofTooLong { .. }),
        "{e}"
    );
    // the real proof is well inside its bound
    let real = common::proof().proof_bytes("proof.json").unwrap().len() as u64;
    assert!(
        real <= bounds.max_proof_bytes / 2,
        "{real} of {}",
        bounds.max_proof_bytes
    );
}

#[test]
fn counts_and_shapes_at_their_limits_and_just_over() {
    let l = small_limits();
    let base = settings_json();
    let load_settings = |s: &Value| {
        let bytes = serde_json::to_vec(s).unwrap();
        VerifierArtifacts::from_bytes_within(
            &bytes,
            &fix_digest(&common::bytes("vk.bin"), &bytes),
            &common::bytes("verifier_params.bin"),
            &l,
        )
    };
    // rank 32 is read, 33 is refused
    for rank in [32usize, 33] {
        let mut s = base.clone();
        s["inputs"][0]["shape"] = Value::Array(vec![1.into(); rank]);
        let refused =
            load_settings(&s).map_or_else(|e| e.to_string().contains("dimensions"), |_| false);
        assert_eq!(refused, rank == 33, "rank {rank}");
    }
    // element counts that overflow, or more instances than rows
    for shape in [
        serde_json::json!([u64::MAX, 2]),
        serde_json::json!([1u64 << 31, 1u64 << 31, 1u64 << 31]),
        serde_json::json!([4096]),
        serde_json::json!([1, 1u64 << 40]),
    ] {
        let mut s = base.clone();
        s["inputs"][0]["shape"] = shape.clone();
        assert!(load_settings(&s).is_err(), "{shape}");
    }
    // thousands of tables need more rows than k = 12 has
    let mut s = base.clone();
    s["tables"] = Value::Array(vec!["Identity".into(); 64]);
    let e = load_settings(&s).unwrap_err();
    assert!(
        matches!(limit_error(&e), LimitError::KTooSmall { .. }),
        "{e}"
    );
    // the widest layout the settings allow still has a bounded key
    let mut s = base.clone();
    s["version"] = 3.into();
    s["k"] = 20.into();
    s["layout"]["tile_inputs"] = 64.into();
    s["layout"]["tile_outputs"] = 64.into();
    s["layout"]["lanes"] = 16.into();
    s["layout"]["dot_pairs"] = 64.into();
    s["layout"]["lane_mul"] = true.into();
    s["layout"]["lane_zadd"] = true.into();
    s["layout"]["lane_bool"] = true.into();
    let settings: zkinfer_verifier::Settings = serde_json::from_value(s).unwrap();
    let cost = limits::load_cost(&settings);
    assert!(cost.vk_bytes <= MAX_VK_BYTES, "{}", cost.vk_bytes);
}

/// Sets the infinity flag (bit 7 of the last byte) of the compressed point at `at..at + len`.
fn set_infinity_flag(bytes: &mut [u8], at: usize, len: usize) {
    bytes[at + len - 1] |= 0x80;
}

#[test]
fn non_canonical_point_encodings_are_refused() {
    let (s, vk, p) = (
        common::bytes("settings.json"),
        common::bytes("vk.bin"),
        common::bytes("verifier_params.bin"),
    );
    let l = LoadLimits::default();
    let original = VerifierArtifacts::from_bytes_within(&s, &vk, &p, &l).unwrap();
    // the vk's first fixed commitment (after the 44-byte header and halo2's 10), and its last point
    let first = 44 + 10;
    for at in [first, vk.len() - 32] {
        let mut bad = vk.clone();
        set_infinity_flag(&mut bad, at, 32);
        let r = VerifierArtifacts::from_bytes_within(&s, &bad, &p, &l);
        let e = r.expect_err("a second encoding of the same key (and a second model id)");
        assert!(e.to_string().contains("canonical"), "{e}");
    }
    // the identity with its sign bit set, where the key has an identity commitment
    let identity = {
        let mut b = [0u8; 32];
        b[31] = 0x80;
        b
    };
    let points = (vk.len() - first) / 32;
    for i in 0..points {
        let at = first + 32 * i;
        if vk[at..at + 32] == identity {
            let mut bad = vk.clone();
            bad[at + 31] |= 0x40;
            let e = VerifierArtifacts::from_bytes_within(&s, &bad, &p, &l).unwrap_err();
            assert!(e.to_string().contains("canonical"), "{e}");
        }
    }
    // params: g[0] (at 17), g2 (49) and s*g2 (113) with the infinity flag set and x != 0
    for (at, len) in [(17, 32), (49, 64), (113, 64)] {
        let mut bad = p.clone();
        set_infinity_flag(&mut bad, at, len);
        let e = VerifierArtifacts::from_bytes_within(&s, &vk, &bad, &l).unwrap_err();
        assert!(
            e.to_string().contains("canonical") || e.to_string().contains("not a valid"),
            "{e}"
        );
    }
    assert_eq!(original.model_id, common::artifacts().model_id);
}
