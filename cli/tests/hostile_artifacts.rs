//! Hostile artifacts against `zkinfer verify`, the built binary, under an address-space cap of 1 GiB
//! (`prlimit --as`): k from 0 to 40 with the key's and params' headers edited to match, files over their
//! caps (sparse files of 1 TiB, which must be refused unread), truncated files and non-canonical points.
//! Every run ends with exit 1 (an invalid proof) or 2 (a refused file), never a panic, an abort or a
//! signal; and a valid proof prints the digest of the input it proves.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The address-space cap every run gets.
const MEMORY_CAP: u64 = 1 << 30;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris")
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture().join(name)).unwrap()
}

/// `zkinfer verify DIR --proof PROOF --allow-dev-srs [extra]` under `prlimit --as=1GiB`.
fn verify(dir: &Path, proof: &Path, extra: &[&str]) -> Output {
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--as={MEMORY_CAP}"))
        .arg(env!("CARGO_BIN_EXE_zkinfer"))
        .arg("verify")
        .arg(dir)
        .arg("--proof")
        .arg(proof)
        .arg("--allow-dev-srs")
        .args(extra);
    cmd.output()
        .expect("this test needs prlimit (util-linux) on PATH")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Exit 1 or 2 and no panic: a typed answer.
fn assert_typed(o: &Output, what: &str) {
    let code = o.status.code();
    assert!(
        matches!(code, Some(1) | Some(2)),
        "{what}: exit {:?} (a signal or a panic)\n{}",
        o.status,
        text(o)
    );
    assert!(!text(o).contains("panicked"), "{what}: {}", text(o));
}

/// A model directory holding the fixture's files with `edit` applied.
fn model_dir(edit: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>, &mut Vec<u8>)) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let (mut s, mut vk, mut p) = (
        fixture_bytes("settings.json"),
        fixture_bytes("vk.bin"),
        fixture_bytes("verifier_params.bin"),
    );
    edit(&mut s, &mut vk, &mut p);
    std::fs::write(tmp.path().join("settings.json"), s).unwrap();
    std::fs::write(tmp.path().join("vk.bin"), vk).unwrap();
    std::fs::write(tmp.path().join("verifier_params.bin"), p).unwrap();
    std::fs::write(tmp.path().join("proof.json"), fixture_bytes("proof.json")).unwrap();
    tmp
}

#[test]
fn a_valid_proof_verifies_under_the_cap_and_names_its_input() {
    let dir = model_dir(|_, _, _| {});
    let o = verify(dir.path(), &dir.path().join("proof.json"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let proof: serde_json::Value = serde_json::from_slice(&fixture_bytes("proof.json")).unwrap();
    let inputs_q: Vec<Vec<i64>> = proof["inputs_q"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| zkinfer_verifier::proof_file::flatten_ints(t, "inputs_q").unwrap())
        .collect();
    let digest = zkinfer_verifier::input_digest(&inputs_q);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "input: sha256 {digest} (not checked: pass --input FILE"
        )),
        "{out}"
    );
}

#[test]
fn k_from_0_to_40_exits_1_or_2_under_a_1_gib_cap() {
    for k in 0..=40u32 {
        let dir = model_dir(|s, vk, p| {
            let mut v: serde_json::Value = serde_json::from_slice(s).unwrap();
            v["k"] = k.into();
            *s = serde_json::to_vec_pretty(&v).unwrap();
            let digest = hex::decode(zkinfer_verifier::artifacts::sha256_hex(s)).unwrap();
            vk[12..44].copy_from_slice(&digest);
            vk[45..49].copy_from_slice(&k.to_le_bytes());
            p[12..16].copy_from_slice(&k.to_le_bytes());
        });
        let o = verify(dir.path(), &dir.path().join("proof.json"), &[]);
        assert_typed(&o, &format!("k = {k}"));
        if k > 26 {
            assert_eq!(o.status.code(), Some(2), "k = {k}: {}", text(&o));
        }
        if k == 27 {
            assert!(text(&o).contains("above the largest k"), "{}", text(&o));
        }
    }
}

#[test]
fn a_lower_max_k_refuses_before_loading() {
    let dir = model_dir(|_, _, _| {});
    let o = verify(
        dir.path(),
        &dir.path().join("proof.json"),
        &["--max-k", "11"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("k = 12 is above the largest k this verifier loads (11)"),
        "{}",
        text(&o)
    );
}

#[test]
fn oversized_and_truncated_files_exit_2() {
    // sparse files of 1 TiB: refused from their size, never read
    for name in [
        "settings.json",
        "vk.bin",
        "verifier_params.bin",
        "proof.json",
    ] {
        let dir = model_dir(|_, _, _| {});
        let f = std::fs::File::create(dir.path().join(name)).unwrap();
        f.set_len(1 << 40).unwrap();
        let o = verify(dir.path(), &dir.path().join("proof.json"), &[]);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains("over the limit"), "{name}: {}", text(&o));
    }
    // truncated files
    for name in [
        "settings.json",
        "vk.bin",
        "verifier_params.bin",
        "proof.json",
    ] {
        let len = fixture_bytes(name).len();
        for cut in [0, 1, len / 2, len - 1] {
            let dir = model_dir(|_, _, _| {});
            let bytes = fixture_bytes(name);
            std::fs::write(dir.path().join(name), &bytes[..cut]).unwrap();
            let o = verify(dir.path(), &dir.path().join("proof.json"), &[]);
            assert_typed(&o, &format!("{name} cut at {cut}"));
        }
    }
}

#[test]
fn a_key_point_with_the_infinity_flag_set_exits_2() {
    let dir = model_dir(|_, vk, _| vk[44 + 10 + 31] |= 0x80);
    let o = verify(dir.path(), &dir.path().join("proof.json"), &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("canonical"), "{}", text(&o));
}
