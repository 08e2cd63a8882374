//! The HTTP API's checks that need no model: signatures, replays, malformed and oversized requests,
//! unknown ids, disabled features, the audit and migrations. Each runs on SQLite and on PostgreSQL.

use serde_json::{json, Value};
use zkinfer_market::auth::{fresh_nonce, Identity};
use zkinfer_market::clock::system_now;
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::Config;

fn server(b: Backend, dir: &std::path::Path, config: Config) -> TestServer {
    TestServer::started(b, dir, config)
}

on_both!(
    signatures_and_replays,
    bad_requests_are_4xx_and_change_nothing,
    audit_detects_tampering,
    migrations_are_idempotent
);

fn mint_body(id: &Identity, amount: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({"account": id.public_hex(), "amount": amount})).expect("json")
}

fn signatures_and_replays(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    let c = s.client();
    let id = c.identity().expect("id").clone();
    let body = mint_body(&id, 100);
    let h = id.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), system_now());
    let (st, v) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
        .expect("send");
    assert_eq!(st, 200, "{v}");
    let entries = s.entries();
    // the same request again: a replay
    let (st, v) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
        .expect("send");
    assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    // the same nonce on another path, freshly signed for it
    let stake =
        serde_json::to_vec(&json!({"provider": id.public_hex(), "listing_id": "x", "amount": 1}))
            .expect("json");
    let h2 = id.sign("POST", "/v1/stake", &stake, &h.nonce, system_now());
    let (st, v) = c
        .send_raw("POST", "/v1/stake", &stake, Some(&h2))
        .expect("send");
    assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    // a stale timestamp, a future one
    for ts in [system_now() - 3600, system_now() + 3600] {
        let h = id.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), ts);
        let (st, v) = c
            .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
            .expect("send");
        assert_eq!(st, 401, "{v}");
        assert!(
            v["error"].as_str().unwrap_or("").contains("timestamp"),
            "{v}"
        );
    }
    // a bad signature: signed over another body, another path, another key
    let other = Identity::generate();
    let mut forged = id.sign(
        "POST",
        "/v1/dev/mint",
        &mint_body(&id, 1_000_000),
        &fresh_nonce(),
        system_now(),
    );
    let (st, _) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&forged))
        .expect("send");
    assert_eq!(st, 401);
    forged = id.sign("POST", "/v1/stake", &body, &fresh_nonce(), system_now());
    let (st, _) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&forged))
        .expect("send");
    assert_eq!(st, 401);
    forged = other.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), system_now());
    forged.key = id.public_hex();
    let (st, _) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&forged))
        .expect("send");
    assert_eq!(st, 401);
    let mut garbled = id.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), system_now());
    garbled.signature = "zz".into();
    assert_eq!(
        c.send_raw("POST", "/v1/dev/mint", &body, Some(&garbled))
            .expect("send")
            .0,
        401
    );
    // the signer is not the account in the body
    let h = other.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), system_now());
    let (st, v) = c
        .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
        .expect("send");
    assert_eq!((st, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    // unsigned
    let (st, v) = c
        .send_raw("POST", "/v1/dev/mint", &body, None)
        .expect("send");
    assert_eq!(st, 401, "{v}");
    assert_eq!(
        s.entries(),
        entries,
        "no rejected request may touch the ledger"
    );
    assert_eq!(c.balances(&id.public_hex()).expect("bal").available, 100);
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.minted, 100);
}

fn bad_requests_are_4xx_and_change_nothing(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = Config {
        max_body: 64 * 1024,
        ..TestServer::test_config()
    };
    let s = server(b, dir.path(), config);
    let c = s.client();
    c.mint(1000).expect("mint");
    let entries = s.entries();
    let id = c.identity().expect("id").clone();
    let send = |method: &str, path: &str, body: &[u8]| -> (u16, Value) {
        let h = id.sign(method, path, body, &fresh_nonce(), system_now());
        c.send_raw(method, path, body, Some(&h)).expect("send")
    };
    let key = id.public_hex();
    let cases: Vec<(&str, String, Vec<u8>, u16)> = vec![
        ("POST", "/v1/jobs".into(), b"{not json".to_vec(), 400),
        ("POST", "/v1/jobs".into(), b"".to_vec(), 400),
        ("POST", "/v1/jobs".into(), br#"{"buyer": 5}"#.to_vec(), 400),
        ("POST", "/v1/stake".into(), serde_json::to_vec(&json!({"provider": key, "listing_id": "nope", "amount": 5})).expect("j"), 404),
        ("POST", "/v1/stake".into(), serde_json::to_vec(&json!({"provider": key, "listing_id": "nope", "amount": -5})).expect("j"), 422),
        ("POST", "/v1/stake".into(), serde_json::to_vec(&json!({"provider": key, "listing_id": "nope", "amount": 5, "extra": 1})).expect("j"), 400),
        ("POST", "/v1/jobs".into(), serde_json::to_vec(&json!({"buyer": key, "listing_id": "nope", "input": {"input_data": [[1.0]]}, "deadline_secs": 100, "client_index": "a"})).expect("j"), 404),
        ("POST", "/v1/jobs".into(), serde_json::to_vec(&json!({"buyer": key, "listing_id": "nope", "input": {"data": []}, "deadline_secs": 100, "client_index": "a"})).expect("j"), 422),
        ("POST", "/v1/jobs/jnope/claim".into(), serde_json::to_vec(&json!({"provider": key})).expect("j"), 404),
        ("POST", "/v1/jobs/jnope/cancel".into(), serde_json::to_vec(&json!({"buyer": key})).expect("j"), 404),
        ("POST", "/v1/jobs/jnope/abandon".into(), serde_json::to_vec(&json!({"provider": key, "claim_id": "c"})).expect("j"), 404),
        ("POST", "/v1/jobs/jnope/submit".into(), serde_json::to_vec(&json!({"provider": key, "claim_id": "c", "proof": {"version": 1}})).expect("j"), 400),
        ("POST", "/v1/jobs/jnope/submit".into(), serde_json::to_vec(&json!({"provider": key, "claim_id": "c", "proof": "garbage"})).expect("j"), 400),
        ("POST", "/v1/models".into(), serde_json::to_vec(&json!({"owner": key, "listing_id": "m", "settings": "zz", "vk": "", "params": "", "price": 1, "royalty_bps": 0, "collateral": 0, "claim_timeout": 10})).expect("j"), 400),
        ("POST", "/v1/models".into(), serde_json::to_vec(&json!({"owner": key, "listing_id": "m", "settings": "7b7d", "vk": "00", "params": "00", "price": 1, "royalty_bps": 0, "collateral": 0, "claim_timeout": 10})).expect("j"), 422),
        ("POST", "/v1/models".into(), serde_json::to_vec(&json!({"owner": key, "listing_id": "bad id!", "settings": "", "vk": "", "params": "", "price": 1, "royalty_bps": 0, "collateral": 0, "claim_timeout": 10})).expect("j"), 400),
        ("POST", "/v1/dev/clock".into(), serde_json::to_vec(&json!({"advance_secs": -5})).expect("j"), 422),
        ("POST", "/v1/nowhere".into(), b"{}".to_vec(), 404),
    ];
    for (m, p, body, want) in &cases {
        let (st, v) = send(m, p, body);
        assert_eq!(st, *want, "{m} {p}: {v}");
        assert!(
            v["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{m} {p}: a JSON error: {v}"
        );
    }
    // a signed GET: unsigned is 401, signed for an unknown job 404
    let (st, v) = c
        .send_raw("GET", "/v1/jobs/jnope/result", b"", None)
        .expect("send");
    assert_eq!((st, v["code"].as_str()), (401, Some("unauthorized")), "{v}");
    let e = c.job_result("jnope").expect_err("unknown job");
    assert_eq!((e.status, e.code.as_str()), (404, "not_found"), "{e}");
    for (path, want) in [
        ("/v1/jobs/jnope", 404),
        ("/v1/models/nope", 404),
        ("/v1/jobs?limit=abc", 400),
        ("/v1/nowhere", 404),
    ] {
        let (st, v) = c.send_raw("GET", path, b"", None).expect("send");
        assert_eq!(st, want, "{path}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    assert_eq!(
        s.entries(),
        entries,
        "no rejected request may touch the ledger"
    );
    // dev features off
    let prod = server(b, dir.path(), Config::default());
    let pc = prod.client();
    let e = pc.mint(5).expect_err("mint disabled");
    assert_eq!(e.status, 403, "{e}");
    let e = pc.advance_clock(5).expect_err("clock disabled");
    assert_eq!(e.status, 403, "{e}");
    assert_eq!(e.code, "disabled", "{e}");
    // a disabled feature answers 403 before the signature is looked at
    let (st, v) = pc
        .send_raw("POST", "/v1/dev/mint", b"{}", None)
        .expect("send");
    assert_eq!((st, v["code"].as_str()), (403, Some("disabled")), "{v}");
    assert!(prod.audit().ok());
    assert!(s.audit().ok());
}

fn audit_detects_tampering(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    s.client().mint(500).expect("mint");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(
        (a.minted, a.burned, a.held.get("avail").copied()),
        (500, 0, Some(500))
    );
    s.block_on(
        sqlx::query("UPDATE accounts SET balance = balance + 1 WHERE kind = 'avail'")
            .execute(&s.market.db.pool),
    )
    .expect("tamper");
    let a = s.audit();
    assert!(!a.ok());
    assert!(
        a.problems.iter().any(|p| p.contains("entries sum to")),
        "{:?}",
        a.problems
    );
    assert!(
        a.problems.iter().any(|p| p.contains("minted")),
        "{:?}",
        a.problems
    );
}

fn migrations_are_idempotent(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    let id = s.market.market_id.clone();
    let again = s
        .block_on(zkinfer_market::Market::open(
            &s.db_url,
            Config::default(),
            Default::default(),
        ))
        .expect("reopen");
    assert_eq!(again.market_id, id, "the market id survives restarts");
    let v = s
        .block_on(
            again
                .db
                .scalar_i64("SELECT CAST(MAX(version) AS BIGINT) FROM schema_migrations"),
        )
        .expect("version");
    assert_eq!(v, zkinfer_market::db::SCHEMA_VERSION);
}
