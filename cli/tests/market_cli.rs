//! The `zkinfer market` commands as a user runs them: a spawned server, identities from `keygen`, the client
//! commands, the provider loop (`work`) settling two jobs with real proofs, the buyer reading the verified
//! outputs, and `audit`. On SQLite and on PostgreSQL.

mod market_common;

use market_common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use zkinfer_market::client::Client;
use zkinfer_market::testkit::Backend;
use zkinfer_market::types::FailurePolicy;

on_both!(commands_and_provider_loop, commands_answer_users);

fn zk(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(args)
        .output()
        .expect("run zkinfer")
}

fn ok(args: &[&str]) -> String {
    let o = zk(args);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        o.status.success(),
        "zkinfer {args:?} failed: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn commands_and_provider_loop(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = server_database(b, dir.path());
    let port = free_port();
    let server_url = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args([
            "market",
            "serve",
            "--db",
            &db,
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--dev-mint",
            "--dev-srs",
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("serve");
    let t = Instant::now();
    while zk(&["market", "info", "--server", &server_url])
        .status
        .code()
        != Some(0)
    {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let key = |n: &str| dir.path().join(format!("{n}.key")).display().to_string();
    let (owner, buyer, prov) = (key("owner"), key("buyer"), key("prov"));
    let prov_pub = ok(&["market", "keygen", "--out", &prov]).trim().to_string();
    ok(&["market", "keygen", "--out", &owner]);
    ok(&["market", "keygen", "--out", &buyer]);
    assert_eq!(
        zk(&["market", "keygen", "--out", &prov]).status.code(),
        Some(2),
        "refuses to overwrite a key"
    );
    let s = ["--server", server_url.as_str()];
    let with = |cmd: &[&str], key: &str| -> String {
        let mut a: Vec<&str> = vec!["market"];
        a.extend_from_slice(cmd);
        a.extend_from_slice(&s);
        a.extend_from_slice(&["--key", key]);
        ok(&a)
    };
    with(&["mint", "--amount", "5000"], &buyer);
    with(&["mint", "--amount", "1000"], &prov);
    let digits = models().digits.display().to_string();
    with(
        &[
            "list-model",
            &digits,
            "--id",
            "digits",
            "--price",
            "1000",
            "--royalty-bps",
            "500",
            "--collateral",
            "200",
        ],
        &owner,
    );
    with(&["stake", "--model", "digits", "--amount", "600"], &prov);
    let input = models_src()
        .join("digits_mlp/input.json")
        .display()
        .to_string();
    let mut jobs = vec![];
    for i in ["o1", "o2"] {
        let out = with(
            &[
                "create-job",
                "--model",
                "digits",
                "--input",
                &input,
                "--index",
                i,
            ],
            &buyer,
        );
        let v: serde_json::Value = serde_json::from_str(&out).expect("json");
        jobs.push(v["job"]["id"].as_str().expect("id").to_string());
    }
    let out = with(
        &[
            "work",
            "--models",
            &digits,
            "--max-jobs",
            "2",
            "--idle-exit",
            "60",
            "--poll-ms",
            "100",
        ],
        &prov,
    );
    assert!(out.contains("done: 2 settled, 0 rejected"), "{out}");
    let bal: serde_json::Value = serde_json::from_str(&ok(&[
        "market",
        "balance",
        &prov_pub,
        "--server",
        &server_url,
    ]))
    .expect("json");
    assert_eq!(bal["available"], 400 + 2 * (1000 - 50 - 10));
    let res: serde_json::Value =
        serde_json::from_str(&with(&["show", &jobs[0], "--result"], &buyer)).expect("json");
    assert_eq!(res["state"], "SETTLED");
    assert_eq!(res["outputs"][0].as_array().map(Vec::len), Some(10));
    // a client error is exit code 2 with the server's message
    let o = zk(&[
        "market",
        "cancel",
        &jobs[0],
        "--server",
        &server_url,
        "--key",
        &buyer,
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("409"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let _ = server.kill();
    let _ = server.wait();
    let out = ok(&["market", "audit", "--db", &db]);
    assert!(out.contains("audit passed"), "{out}");
}

/// `zkinfer market ARGS --server URL [--key KEY]`: (exit code, stdout, stderr).
fn market(url: &str, key: Option<&Path>, args: &[&str]) -> (Option<i32>, String, String) {
    let mut a: Vec<String> = vec!["market".into()];
    a.extend(args.iter().map(|s| s.to_string()));
    a.extend(["--server".into(), url.to_string()]);
    if let Some(k) = key {
        a.extend(["--key".into(), k.display().to_string()]);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(&a)
        .output()
        .expect("run zkinfer");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).to_string(),
        String::from_utf8_lossy(&o.stderr).to_string(),
    )
}

fn key_file(dir: &Path, name: &str, c: &Client) -> PathBuf {
    let path = dir.join(format!("{name}.key"));
    c.identity()
        .expect("identity")
        .save(&path)
        .expect("save key");
    path
}

fn json(out: &str) -> serde_json::Value {
    serde_json::from_str(out).expect(out)
}

/// Balance errors, the treasury's totals, a provider's slash history, a buyer's escrow, `jobs` without
/// inputs and with limits, and `show --result` before and after settlement.
fn commands_answer_users(b: Backend) {
    let s = scenario(b, 1, config());
    let dir = tempfile::tempdir().expect("tmp");
    let url = s.server.url.as_str();
    let p = &s.providers[0];
    let (buyer, prov) = (
        key_file(dir.path(), "buyer", &s.buyer),
        key_file(dir.path(), "prov", p),
    );
    // an account that never held money, a malformed one: exit 2 and a clear message
    let (code, out, err) = market(
        url,
        None,
        &[
            "balance",
            &zkinfer_market::auth::Identity::generate().public_hex(),
        ],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("no account"), "{err}");
    let (code, _, err) = market(url, None, &["balance", "bob"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("not an account key"), "{err}");
    // the treasury: the market's totals
    let (code, out, _) = market(url, None, &["balance", "treasury"]);
    assert_eq!(code, Some(0));
    assert_eq!(json(&out)["minted"], 10_000 + 1000);
    let (_, out, _) = market(url, None, &["totals"]);
    assert_eq!(json(&out)["burned"], 0);
    // two jobs escrowed; a claim given up is slashed, with its reason in the history
    let j1 = s.job("a", 3600, FailurePolicy::Reopen);
    let j2 = s.job("b", 3600, FailurePolicy::Reopen);
    let c = p.claim(&j2).expect("claim");
    p.abandon(&j2, &c.claim_id).expect("abandon");
    let (_, out, _) = market(url, Some(&buyer), &["balance"]);
    assert_eq!(json(&out)["escrow"], 2 * PRICE, "{out}");
    let (code, out, _) = market(url, Some(&prov), &["history"]);
    assert_eq!(code, Some(0));
    let entries = json(&out);
    let reasons: Vec<&str> = entries
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["reason"].as_str())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("slash")),
        "{reasons:?}"
    );
    let (_, out, _) = market(url, Some(&prov), &["entries", "--limit", "1"]);
    assert_eq!(json(&out).as_array().map(Vec::len), Some(1));
    let (_, out, _) = market(url, None, &["totals"]);
    assert!(json(&out)["burned"].as_i64().expect("burned") > 0, "{out}");
    // jobs: without inputs unless asked, limited, the caller's own
    let (_, out, _) = market(url, Some(&buyer), &["jobs", "--mine", "--limit", "1"]);
    let js = json(&out);
    assert_eq!(js.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(js[0]["input"].as_array().map(Vec::len), Some(0), "{out}");
    let (_, out, _) = market(url, Some(&buyer), &["jobs", "--mine", "--with-input"]);
    let js = json(&out);
    assert_eq!(js.as_array().map(Vec::len), Some(2), "{out}");
    assert!(js[0]["input"][0].as_array().is_some_and(|l| !l.is_empty()));
    let (_, out, _) = market(url, Some(&prov), &["jobs", "--mine"]);
    assert_eq!(
        json(&out).as_array().map(Vec::len),
        Some(1),
        "the claimed one: {out}"
    );
    // show --result: "not ready" (exit 3) until settled, then the outputs
    let (code, _, err) = market(url, Some(&buyer), &["show", &j1, "--result"]);
    assert_eq!(code, Some(3));
    assert!(err.contains("not ready"), "{err}");
    let (code, _, err) = market(
        url,
        Some(&buyer),
        &["show", &j1, "--result", "--wait", "--timeout", "1"],
    );
    assert_eq!(code, Some(3));
    assert!(err.contains("timed out"), "{err}");
    let c = p.claim(&j1).expect("claim");
    let proof = prove_claim(&models().digits, &s, &j1, &c);
    p.submit(&j1, &c.claim_id, proof).expect("submit");
    let (code, out, err) = market(url, Some(&buyer), &["show", &j1, "--result", "--wait"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(json(&out)["outputs"][0].as_array().map(Vec::len), Some(10));
    s.assert_audit();
}
