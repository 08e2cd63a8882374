//! Issue 27, defect 4: nonces stay spent. A signed request that was refused (its transaction rolled back)
//! used to give its nonce back, so anyone who saw it could replay it once the state changed: a claim that
//! lost a race (409) replayed after the job reopened made its provider the claimant without knowing it,
//! and a refused cancel replayed the same way. Signed GETs could be replayed at will. On SQLite and
//! PostgreSQL; listings and jobs are seeded straight into the database.

use serde_json::json;
use zkinfer_market::auth::fresh_nonce;
use zkinfer_market::client::Client;
use zkinfer_market::clock::system_now;
use zkinfer_market::testkit::{on_both, Backend, TestServer};

on_both!(
    a_refused_claim_cannot_be_replayed,
    a_refused_cancel_cannot_be_replayed,
    a_signed_get_cannot_be_replayed
);

/// Sends `body` to `path`, signed by `c` with headers made once: the same bytes can be sent again.
fn signed_once<'a>(
    c: &'a Client,
    method: &str,
    path: &str,
    body: &[u8],
) -> impl Fn() -> (u16, serde_json::Value) + 'a {
    let id = c.identity().expect("identity").clone();
    let h = id.sign(method, path, body, &fresh_nonce(), system_now());
    let (method, path, body) = (method.to_string(), path.to_string(), body.to_vec());
    move || c.send_raw(&method, &path, &body, Some(&h)).expect("send")
}

/// A buyer's open job on a seeded listing and two staked providers.
fn setup(s: &TestServer) -> (Client, Client, Client, String) {
    let (buyer, owner, p1, p2) = (s.client(), s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 0, 40)
        .expect("listing");
    for p in [&p1, &p2] {
        p.mint(100).expect("mint");
        p.stake("m", 100).expect("stake");
    }
    let job = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    (buyer, p1, p2, job)
}

fn a_refused_claim_cannot_be_replayed(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, p1, p2, job) = setup(&s);
    let c1 = p1.claim(&job).expect("p1 claims");
    let body = serde_json::to_vec(&json!({"provider": p2.key()})).expect("json");
    let late_claim = signed_once(&p2, "POST", &format!("/v1/jobs/{job}/claim"), &body);
    let (st, v) = late_claim();
    assert_eq!(st, 409, "the job is taken: {v}");
    p1.abandon(&job, &c1.claim_id).expect("abandon");
    assert_eq!(buyer.job(&job).expect("job").state, "OPEN");
    // an eavesdropper replays p2's refused claim once the job is open again
    let (st, v) = late_claim();
    assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    let j = buyer.job(&job).expect("job");
    assert_eq!((j.state.as_str(), j.claimant), ("OPEN", None));
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}

fn a_refused_cancel_cannot_be_replayed(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, p1, _p2, job) = setup(&s);
    let c1 = p1.claim(&job).expect("p1 claims");
    let body = serde_json::to_vec(&json!({"buyer": buyer.key()})).expect("json");
    let cancel = signed_once(&buyer, "POST", &format!("/v1/jobs/{job}/cancel"), &body);
    let (st, v) = cancel();
    assert_eq!(st, 409, "cannot cancel a claimed job: {v}");
    p1.abandon(&job, &c1.claim_id).expect("abandon");
    let (st, v) = cancel();
    assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    assert_eq!(buyer.job(&job).expect("job").state, "OPEN");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}

fn a_signed_get_cannot_be_replayed(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, _p1, _p2, job) = setup(&s);
    let read = signed_once(&buyer, "GET", &format!("/v1/jobs/{job}/result"), b"");
    let (st, v) = read();
    assert_eq!(st, 200, "{v}");
    let (st, v) = read();
    assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    // the client signs each request afresh
    buyer.job_result(&job).expect("a fresh signature");
}
