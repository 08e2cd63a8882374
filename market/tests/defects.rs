//! Issue 17's server-side defects, each on SQLite and PostgreSQL: strict signatures, bounded timestamps and
//! nonce retention, the claim cap under concurrency, claims only with a positive stake, a late submission's
//! expiry. (Money bounds and settlement: `money.rs`.) Listings and jobs are seeded straight into the
//! database (`TestServer::seed_*`), so no model is needed.

use serde_json::json;
use zkinfer_market::auth::{fresh_nonce, SignedHeaders};
use zkinfer_market::clock::system_now;
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::Config;

on_both!(
    small_order_keys_cannot_sign,
    extreme_timestamps_and_replays_after_reaping,
    claim_cap_holds_under_parallel_claims,
    claims_need_a_positive_stake,
    late_submission_expires_its_claim
);

fn server(b: Backend, dir: &std::path::Path, config: Config) -> TestServer {
    TestServer::started(b, dir, config)
}

fn key_hex(first: u8, middle: u8, last: u8) -> String {
    let mut k = [middle; 32];
    k[0] = first;
    k[31] = last;
    hex::encode(k)
}

/// (R = identity, s = 0) for the identity key `0100…00`, the order-2 key `ecff…ff7f` and the
/// non-canonical `eeff…ff7f`: refused as signers, and their accounts are 400 to look up.
fn small_order_keys_cannot_sign(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    let c = s.client();
    let mut sig = [0u8; 64];
    sig[0] = 1;
    for key in [
        key_hex(1, 0, 0),
        key_hex(0xec, 0xff, 0x7f),
        key_hex(0xee, 0xff, 0x7f),
    ] {
        let body = serde_json::to_vec(&json!({"account": key, "amount": 1000})).expect("json");
        let h = SignedHeaders {
            key: key.clone(),
            nonce: fresh_nonce(),
            timestamp: system_now(),
            signature: hex::encode(sig),
        };
        let (st, v) = c
            .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
            .expect("send");
        assert_eq!(
            (st, v["code"].as_str()),
            (401, Some("unauthorized")),
            "{key}: {v}"
        );
        let (st, v) = c
            .send_raw("GET", &format!("/v1/accounts/{key}"), b"", None)
            .expect("send");
        assert_eq!(st, 400, "{key}: {v}");
    }
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.minted, 0);
}

/// A timestamp of now + i64::MIN is refused (it used to overflow the skew check), and a request at the
/// edge of the skew window cannot be replayed after the reaper has run.
fn extreme_timestamps_and_replays_after_reaping(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = TestServer::test_config();
    let skew = config.auth_skew;
    let s = server(b, dir.path(), config);
    let c = s.client();
    let id = c.identity().expect("id").clone();
    let body = serde_json::to_vec(&json!({"account": id.public_hex(), "amount": 7})).expect("json");
    for ts in [system_now().wrapping_add(i64::MIN), i64::MIN, i64::MAX, -1] {
        let h = id.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), ts);
        let (st, v) = c
            .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
            .expect("send");
        assert_eq!(st, 401, "timestamp {ts}: {v}");
    }
    for ts in [system_now() - skew + 2, system_now() + skew - 2] {
        let h = id.sign("POST", "/v1/dev/mint", &body, &fresh_nonce(), ts);
        let (st, v) = c
            .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
            .expect("send");
        assert_eq!(st, 200, "{v}");
        // the market clock (deadlines) moving on does not age nonces: they follow the server clock
        s.advance(10 * skew);
        s.reap();
        let (st, v) = c
            .send_raw("POST", "/v1/dev/mint", &body, Some(&h))
            .expect("send");
        assert_eq!((st, v["code"].as_str()), (401, Some("replay")), "{v}");
    }
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.minted, 14);
}

/// One provider staked on 8 listings sends 8 parallel claims, one per listing, with a cap of 4: exactly
/// 4 win, round after round.
fn claim_cap_holds_under_parallel_claims(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = Config {
        max_open_claims: 4,
        ..TestServer::test_config()
    };
    let s = server(b, dir.path(), config);
    let (buyer, owner, provider) = (s.client(), s.client(), s.client());
    buyer.mint(1_000_000).expect("mint");
    provider.mint(1_000_000).expect("mint");
    let mut jobs = vec![];
    for i in 0..8 {
        let l = format!("m{i}");
        s.seed_listing(&owner.key(), &l, 100, 500, 10)
            .expect("listing");
        provider.stake(&l, 1000).expect("stake");
        jobs.push(s.seed_job(&buyer.key(), &l, 3600).expect("job"));
    }
    for round in 0..5 {
        let won: Vec<_> = std::thread::scope(|sc| {
            let hs: Vec<_> = jobs
                .iter()
                .map(|j| {
                    let p = provider.clone();
                    sc.spawn(move || p.claim(j).ok().map(|c| (j.clone(), c.claim_id)))
                })
                .collect();
            hs.into_iter()
                .filter_map(|h| h.join().expect("thread"))
                .collect()
        });
        assert_eq!(won.len(), 4, "round {round}: {} claims won", won.len());
        let a = s.audit();
        assert!(a.ok(), "round {round}: {:?}", a.problems);
        for (j, c) in won {
            provider.abandon(&j, &c).expect("abandon");
        }
    }
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.minted, 2_000_000);
}

/// A provider whose stake on a zero-collateral listing is back to 0 cannot claim; one that never staked
/// cannot either.
fn claims_need_a_positive_stake(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p, stranger) = (s.client(), s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(10).expect("mint");
    s.seed_listing(&owner.key(), "free", 100, 0, 0)
        .expect("listing");
    let job = s.seed_job(&buyer.key(), "free", 3600).expect("job");
    p.stake("free", 5).expect("stake");
    p.unstake("free", 5).expect("unstake");
    for c in [&p, &stranger] {
        let e = c.claim(&job).expect_err("no stake");
        assert_eq!(e.status, 403, "{e:?}");
        assert!(e.message.contains("no stake"), "{e:?}");
    }
    p.stake("free", 1).expect("stake");
    p.claim(&job).expect("staked claim");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}

/// A submission after the claim deadline fails, and the claim's expiry it found is committed, not rolled
/// back with it (no reaper pass needed).
fn late_submission_expires_its_claim(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = server(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 100, 40)
        .expect("listing");
    let job = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    p.stake("m", 100).expect("stake");
    let claim = p.claim(&job).expect("claim");
    s.advance(61);
    let proof = json!({"version": 2, "model_id": "seeded", "proof": "00", "instances": [],
        "bind": "00", "inputs_q": [], "outputs_q": [], "inputs": [], "outputs": []});
    let e = p
        .submit(&job, &claim.claim_id, proof)
        .expect_err("too late");
    assert_eq!(e.status, 409, "{e:?}");
    let j = buyer.job(&job).expect("job");
    assert_eq!(j.state, "OPEN", "the expired claim was rolled back: {j:?}");
    assert_eq!(j.bounty, 20);
    let bal = p.balances(&p.key()).expect("balances");
    assert_eq!((bal.collateral, bal.stakes["m"]), (0, 60));
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}
