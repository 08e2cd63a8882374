//! The `zkinfer market` commands as a user runs them: a spawned server, identities from `keygen`, the client
//! commands, the provider loop (`work`) settling two jobs with real proofs, the buyer reading the verified
//! outputs, and `audit`. On SQLite and on PostgreSQL.

mod market_common;

use market_common::*;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use zkinfer_market::testkit::Backend;

on_both!(commands_and_provider_loop);

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
    let Some(db) = server_database(b, dir.path()) else {
        return;
    };
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
