//! `zkinfer bench`: the JSON report has every stage and phase with sane values, the table is printed, and
//! bad arguments are clear errors. No timing is asserted (only that times are positive and ordered).

use serde_json::Value;
mod common;

use common::{models, s, text, zkinfer};

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .ok_or_else(|| format!("{field} is not a number in {v}"))
        .expect("a number")
}

#[test]
fn bench_reports_every_stage_and_phase() {
    let tmp = tempfile::tempdir().expect("tmp");
    let json = tmp.path().join("bench.json");
    let m = models().join("digits_mlp");
    let o = zkinfer(&[
        "bench",
        s(&m.join("model.onnx")),
        "--input",
        s(&m.join("input.json")),
        "--repeat",
        "2",
        "--json",
        s(&json),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("| stage | runs | median"), "{out}");
    assert!(out.contains("| prove phase |"), "{out}");
    let r: Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json written")).expect("json");
    assert_eq!(r["version"], 1);
    assert_eq!(r["repeat"], 2);
    assert_eq!(r["device"], "cpu");
    assert_eq!(r["verified"], true);
    let c = &r["circuit"];
    let k = num(c, "k");
    assert!((6.0..=20.0).contains(&k), "k = {k}");
    assert!(num(c, "rows_used") > 0.0 && num(c, "rows_used") <= 2f64.powf(k));
    for f in [
        "advice_columns",
        "fixed_columns",
        "instance_columns",
        "lookups",
        "permutation_columns",
    ] {
        assert!(num(c, f) >= 1.0, "{f} in {c}");
    }
    assert!(num(&r, "proof_bytes") > 500.0 && num(&r, "vk_bytes") > 100.0);
    assert!(num(&r, "proofs_per_minute") > 0.0);
    let stages = r["stages"].as_array().expect("stages");
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "compile",
            "srs",
            "keygen_vk",
            "keygen_pk",
            "witness",
            "prove",
            "verify"
        ]
    );
    for st in stages {
        let runs = st["runs"].as_u64().expect("runs");
        let per_proof = ["witness", "prove", "verify"].contains(&st["name"].as_str().unwrap_or(""));
        assert_eq!(runs, if per_proof { 2 } else { 1 }, "{st}");
        let (min, med, max) = (num(st, "min_ms"), num(st, "median_ms"), num(st, "max_ms"));
        assert!(min > 0.0 && min <= med && med <= max, "{st}");
        assert!(num(st, "p25_ms") <= num(st, "p75_ms"), "{st}");
        if cfg!(target_os = "linux") {
            assert!(num(st, "peak_memory_bytes") > 1e6, "{st}");
        }
    }
    let phases = r["prove_phases"].as_array().expect("phases on cpu");
    assert_eq!(phases.len(), 9);
    assert_eq!(phases[0]["name"], "synthesis");
    assert_eq!(phases[8]["name"], "multiopen");
    let shares: f64 = phases.iter().map(|p| num(p, "share_of_prove")).sum();
    assert!(phases.iter().all(|p| num(p, "median_ms") >= 0.0));
    assert!(shares > 0.0, "{shares}");
}

#[test]
fn bench_bad_arguments_are_clear_errors() {
    let m = models().join("iris_mlp");
    let o = zkinfer(&[
        "bench",
        s(&m.join("model.onnx")),
        "--input",
        s(&m.join("input.json")),
        "--repeat",
        "0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--repeat must be at least 1"),
        "{}",
        text(&o)
    );
    let u = models().join("testdata/unsupported_cumsum");
    let input = m.join("input.json");
    let o = zkinfer(&["bench", s(&u.join("model.onnx")), "--input", s(&input)]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unsupported op"), "{}", text(&o));
}
