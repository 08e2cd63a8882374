//! `zkinfer export-evm` and `zkinfer evm calldata|verify` as a user runs them (iris). A proof in
//! `zkinfer prove`'s default (Blake2b) transcript is refused by the EVM verifier; a proof made with
//! `zkinfer prove --transcript evm` is accepted by `zkinfer evm verify` (the statement checks of
//! `zkinfer verify`, then the contract) and by `zkinfer verify` alike, and a tampered one (proof bytes,
//! outputs with or without their instances) by neither. `--bind` takes the escrow's uint256 form and the
//! proof files' little-endian form, and refuses what is neither.
mod common;
use common::{cli_compile_and_setup, models, prove, read_json, s, text, zkinfer};
use std::path::{Path, PathBuf};

/// Compiles and sets up iris_mlp (development SRS) into `tmp/iris`; returns the model directory.
fn iris(tmp: &Path) -> PathBuf {
    let dir = tmp.join("iris");
    cli_compile_and_setup("iris_mlp", &dir);
    dir
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn export_evm_writes_a_deployable_verifier_and_refuses_a_blake2b_proof() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = iris(tmp.path());
    let m = models().join("iris_mlp");
    let proof = tmp.path().join("proof.json");
    let o = prove(&dir, &m.join("input.json"), &["--proof", s(&proof)]);
    assert!(o.status.success(), "{}", text(&o));

    let out = tmp.path().join("evm");
    let o = zkinfer(&["export-evm", s(&dir), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("bytes deployed (limit 24576)") && t.contains("9 public instances"),
        "{t}"
    );
    for f in [
        "Halo2Verifier.sol",
        "Halo2Verifier.abi.json",
        "Halo2Verifier.bin",
        "manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing: {t}");
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(manifest["fits_eip170"], true);
    assert!(manifest["solc_version"]
        .as_str()
        .is_some_and(|v| v.starts_with("0.8.19")));

    let o = zkinfer(&["evm", "calldata", s(&proof)]);
    assert!(o.status.success(), "{}", text(&o));
    let hex = String::from_utf8_lossy(&o.stdout).trim().to_string();
    let p = read_json(&proof);
    let proof_hex = p["proof"]
        .as_str()
        .expect("proof hex")
        .trim_start_matches("0x");
    // 9 instances as 32-byte words, then the proof bytes
    assert_eq!(hex.len(), 2 + 2 * 9 * 32 + proof_hex.len(), "{hex}");
    assert!(hex.ends_with(proof_hex));

    let o = evm_verify(&dir, &out, &proof, &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a Blake2b proof must revert: {}",
        text(&o)
    );
    assert!(text(&o).contains("reverted"), "{}", text(&o));
}

/// `zkinfer evm verify DIR --verifier EVM --proof P --allow-dev-srs [extra]`.
fn evm_verify(dir: &Path, evm: &Path, proof: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "evm",
        "verify",
        s(dir),
        "--verifier",
        s(evm),
        "--proof",
        s(proof),
        "--allow-dev-srs",
    ];
    args.extend_from_slice(extra);
    zkinfer(&args)
}

/// Every number of a nested list, in order.
fn leaves(v: &serde_json::Value) -> Vec<f64> {
    match v {
        serde_json::Value::Array(xs) => xs.iter().flat_map(leaves).collect(),
        x => vec![x.as_f64().expect("a number")],
    }
}

/// The first number of a nested list.
fn first_leaf(v: &mut serde_json::Value) -> &mut serde_json::Value {
    if v.is_array() {
        first_leaf(&mut v[0])
    } else {
        v
    }
}

/// The proof file with its first output moved by one grid step, consistently: the stored integer, its
/// value and the instance (so every check but the proof's passes).
fn edit_first_output(file: &serde_json::Value) -> serde_json::Value {
    use zkinfer_circuits::field::{fr_from_hex, fr_to_hex};
    let mut edited = file.clone();
    let (q, f) = (leaves(&file["outputs_q"][0]), leaves(&file["outputs"][0]));
    let j = q
        .iter()
        .position(|x| *x != q[0])
        .expect("two different outputs");
    let step = (f[j] - f[0]) / (q[j] - q[0]);
    *first_leaf(&mut edited["outputs_q"][0]) = ((q[0] as i64) + 1).into();
    *first_leaf(&mut edited["outputs"][0]) = (f[0] + step).into();
    let n_in: usize = file["inputs_q"]
        .as_array()
        .expect("inputs_q")
        .iter()
        .map(|i| leaves(i).len())
        .sum();
    let h = file["instances"][n_in].as_str().expect("an instance");
    let x = fr_from_hex(h).expect("a field element") + zkinfer_circuits::Fr::from(1u64);
    edited["instances"][n_in] = fr_to_hex(&x).into();
    edited
}

/// `zkinfer verify DIR --proof P --allow-dev-srs [extra]`: its exit code and output.
fn verify(dir: &Path, proof: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let o = common::verify(dir, proof, extra);
    (o.status.code(), text(&o))
}

#[test]
#[ignore = "needs solc 0.8.19 (scripts/install-solc.sh; scripts/test.sh runs it)"]
fn an_evm_transcript_proof_is_accepted_by_the_contract_and_zkinfer_verify_and_a_tampered_one_by_neither(
) {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = iris(tmp.path());
    let m = models().join("iris_mlp");
    let out = tmp.path().join("evm");
    let o = zkinfer(&["export-evm", s(&dir), "--out", s(&out)]);
    assert!(o.status.success(), "{}", text(&o));

    // bound, as a market or escrow job's proof is
    // 0x5eed, as `--bind` takes it: the little-endian hex of the field element
    let bind = format!("{:0<64}", "ed5e");
    let proof = tmp.path().join("proof.evm.json");
    let o = prove(
        &dir,
        &m.join("input.json"),
        &["--proof", s(&proof), "--transcript", "evm", "--bind", &bind],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("evm transcript"), "{}", text(&o));
    let file = read_json(&proof);
    assert_eq!(file["transcript"], "evm");

    // the statement checks and the contract accept it, in either form of the binding value
    for b in [bind.as_str(), "0x5eed", &format!("0x{:0>64}", "5eed")] {
        let o = evm_verify(&dir, &out, &proof, &["--bind", b]);
        assert!(
            o.status.success(),
            "the EVM verifier must accept an EVM-transcript proof (--bind {b}): {}",
            text(&o)
        );
        let t = text(&o);
        assert!(t.contains("valid") && t.contains("gas"), "{t}");
        assert!(t.contains(&format!("bind: 0x{:0>64}", "5eed")), "{t}");
        let printed = t
            .lines()
            .find_map(|l| l.strip_prefix("outputs: "))
            .expect("the verified outputs are printed");
        let printed: serde_json::Value = serde_json::from_str(printed).expect("json");
        assert_eq!(leaves(&printed), leaves(&file["outputs"]), "{t}");
    }
    // the statement: unbound, another binding value, another model id, another input
    let other_input = tmp.path().join("other_input.json");
    let mut input = read_json(&m.join("input.json"));
    let x = leaves(&input["input_data"])[0];
    *first_leaf(&mut input["input_data"]) = (x + 0.5).into();
    std::fs::write(&other_input, input.to_string()).expect("write");
    let zeros = "0".repeat(64);
    for extra in [
        vec![],
        vec!["--bind", "0x5eee"],
        vec!["--bind", "0x5eed", "--model-id", &zeros],
        vec!["--bind", "0x5eed", "--input", s(&other_input)],
    ] {
        let o = evm_verify(&dir, &out, &proof, &extra);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {}", text(&o));
        assert!(text(&o).contains("INVALID"), "{extra:?}: {}", text(&o));
    }
    // `--bind` refuses what is neither form, and a value at or above r: an error (exit 2), not a verdict
    let r = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    let be_without_prefix = format!("{:0>64}", "5eed");
    for bad in ["5eed", "0x", "0xzz", r, be_without_prefix.as_str()] {
        let o = evm_verify(&dir, &out, &proof, &["--bind", bad]);
        assert_eq!(o.status.code(), Some(2), "--bind {bad}: {}", text(&o));
        assert!(text(&o).contains("--bind"), "{}", text(&o));
        let (code, t) = verify(&dir, &proof, &["--bind", bad]);
        assert_eq!(code, Some(2), "zkinfer verify --bind {bad}: {t}");
    }
    // `zkinfer verify` takes the uint256 form too
    let (code, t) = verify(&dir, &proof, &["--bind", "0x5eed"]);
    assert_eq!(code, Some(0), "{t}");
    // so does `zkinfer verify`, with its binding value and not without it
    let (code, t) = verify(&dir, &proof, &["--bind", &bind]);
    assert_eq!(code, Some(0), "{t}");
    assert!(t.contains("valid") && t.contains("outputs: "), "{t}");
    let (code, t) = verify(&dir, &proof, &[]);
    assert_eq!(
        code,
        Some(1),
        "an unbound verification of a bound proof: {t}"
    );
    // the same outputs as a Blake2b proof of the same input
    let blake = tmp.path().join("proof.blake2b.json");
    let o = prove(
        &dir,
        &m.join("input.json"),
        &["--proof", s(&blake), "--bind", &bind],
    );
    assert!(o.status.success(), "{}", text(&o));
    let b = read_json(&blake);
    assert_eq!(b["transcript"], "blake2b");
    assert_eq!(b["outputs_q"], file["outputs_q"]);

    // tampered: a flipped proof byte, an edited output integer (and its float), the transcript relabelled
    let write = |name: &str, v: &serde_json::Value| {
        let p = tmp.path().join(name);
        std::fs::write(&p, v.to_string()).expect("write");
        p
    };
    let mut flipped = file.clone();
    let hex = file["proof"].as_str().expect("hex").to_string();
    let at = hex.len() / 2;
    let c = if &hex[at..=at] == "0" { "1" } else { "0" };
    flipped["proof"] = format!("{}{c}{}", &hex[..at], &hex[at + 1..]).into();
    let edited = edit_first_output(&file);
    let mut relabelled = file.clone();
    relabelled["transcript"] = "blake2b".into();
    for (name, v) in [
        ("flipped.json", &flipped),
        ("edited.json", &edited),
        ("relabelled.json", &relabelled),
    ] {
        let p = write(name, v);
        let (code, t) = verify(&dir, &p, &["--bind", &bind]);
        assert_eq!(code, Some(1), "zkinfer verify must reject {name}: {t}");
        assert!(t.contains("INVALID"), "{name}: {t}");
    }
    // outputs edited without their instances: the contract alone would accept (it reads only the instances)
    let mut floats_only = file.clone();
    *first_leaf(&mut floats_only["outputs"][0]) = 1000.0.into();
    let mut ints_only = file.clone();
    *first_leaf(&mut ints_only["outputs_q"][0]) = 1_000_000.into();
    for (name, v) in [
        ("flipped.json", &flipped),
        ("edited.json", &edited),
        ("floats_only.json", &floats_only),
        ("ints_only.json", &ints_only),
    ] {
        let p = write(name, v);
        let o = evm_verify(&dir, &out, &p, &["--bind", &bind]);
        assert_eq!(
            o.status.code(),
            Some(1),
            "zkinfer evm verify must reject {name}: {}",
            text(&o)
        );
        assert!(text(&o).contains("INVALID"), "{name}: {}", text(&o));
    }
}
