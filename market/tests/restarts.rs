//! Issue 27 across restarts, on SQLite and PostgreSQL: a restart without `--dev-srs` freezes the listings
//! resting on a development SRS without slashing anyone (defect 3); downtime counts for no one (defect 6);
//! the dev clock's offset survives a restart; the audit passes after a restart with a lower claim cap.

use serde_json::json;
use std::path::{Path, PathBuf};
use zkinfer_market::client::Client;
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::types::FailurePolicy;
use zkinfer_market::Config;

on_both!(
    a_restart_without_dev_srs_freezes_without_slashing,
    claims_get_the_downtime_back,
    the_dev_clock_survives_a_restart,
    a_lower_claim_cap_after_a_restart_passes_the_audit
);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris")
}

/// The same identity on the restarted server.
fn moved(c: &Client, s: &TestServer) -> Client {
    Client::new(&s.url, c.identity().cloned())
}

fn iris_job(buyer: &Client, index: &str) -> String {
    buyer
        .create_job(
            "iris",
            json!({"input_data": [[4.40625, 3.1875, 1.3125, 0.1875]]}),
            3600,
            FailurePolicy::Reopen,
            index,
        )
        .expect("job")
        .job
        .id
}

fn a_restart_without_dev_srs_freezes_without_slashing(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (owner, buyer, p) = (s.client(), s.client(), s.client());
    owner
        .list_model("iris", &fixture(), 100, 500, 40, 60)
        .expect("a development server lists a development SRS");
    buyer.mint(1000).expect("mint");
    p.mint(200).expect("mint");
    p.stake("iris", 200).expect("stake");
    let open = iris_job(&buyer, "a");
    let claimed = iris_job(&buyer, "b");
    let verifying = iris_job(&buyer, "c");
    p.claim(&claimed).expect("claim");
    let c = p.claim(&verifying).expect("claim");
    // a submission left PENDING by the shutdown: the restarted server must not judge it against an SRS
    // it refuses (that judged every correct proof INVALID and slashed it)
    let proof = std::fs::read_to_string(fixture().join("proof.json")).expect("proof");
    s.block_on(async {
        sqlx::query("INSERT INTO submissions (id, job_id, claim_id, provider, proof_hash, body, received_at, status) VALUES ('spending', $1, $2, $3, 'h', $4, $5, 'PENDING')")
            .bind(&verifying).bind(&c.claim_id).bind(p.key()).bind(&proof).bind(s.market.now())
            .execute(&s.market.db.pool).await
    })
    .expect("pending submission");
    let production = Config {
        dev_srs: false,
        ..TestServer::test_config()
    };
    let s = s.restarted(production, 5);
    s.reap();
    let (buyer, p) = (moved(&buyer, &s), moved(&p, &s));
    for j in [&open, &claimed, &verifying] {
        let job = buyer.job(j).expect("job");
        assert_eq!(job.state, "REFUNDED", "{job:?}");
    }
    let pb = p.balances(&p.key()).expect("provider");
    assert_eq!(
        (pb.stakes["iris"], pb.collateral, pb.available),
        (200, 0, 0),
        "no collateral lost"
    );
    assert_eq!(buyer.balances(&buyer.key()).expect("buyer").available, 1000);
    let e = buyer
        .create_job(
            "iris",
            json!({"input_data": [[4.40625, 3.1875, 1.3125, 0.1875]]}),
            3600,
            FailurePolicy::Reopen,
            "d",
        )
        .expect_err("frozen");
    assert_eq!((e.status, e.code.as_str()), (409, "frozen"), "{e:?}");
    let listing = &buyer.models().expect("models")[0];
    assert!(
        listing.frozen.as_deref().unwrap_or("").contains("ceremon"),
        "{listing:?}"
    );
    let status: String = s
        .block_on(async {
            sqlx::query_scalar("SELECT status FROM submissions WHERE id = 'spending'")
                .fetch_one(&s.market.db.pool)
                .await
        })
        .expect("submission");
    assert_eq!(status, "SUPERSEDED");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.burned, 0, "nobody was slashed");
}

/// Claims running when the server went away get the downtime added; one already late does not.
fn claims_get_the_downtime_back(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 0, 40)
        .expect("listing");
    p.stake("m", 100).expect("stake");
    let late = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let running = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    p.claim(&late).expect("claim");
    s.advance(61); // the first claim (60 s) is now late, before any outage
    let c = p.claim(&running).expect("claim");
    assert_eq!(c.deadline, s.market.now() + 60);
    let s = s.restarted(TestServer::test_config(), 100);
    s.reap();
    let (buyer, p) = (moved(&buyer, &s), moved(&p, &s));
    let j = buyer.job(&running).expect("job");
    assert_eq!(
        j.state, "CLAIMED",
        "the outage cost the provider its claim: {j:?}"
    );
    assert_eq!(j.claim_deadline, Some(c.deadline + 100));
    assert_eq!(
        buyer.job(&late).expect("job").state,
        "OPEN",
        "late before the outage: slashed"
    );
    p.abandon(&running, &c.claim_id)
        .expect("still the claimant");
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
}

fn the_dev_clock_survives_a_restart(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    let before = s.market.now();
    let info = c.advance_clock(5000).expect("advance");
    assert_eq!(info.now, before + 5000);
    let s = s.restarted(TestServer::test_config(), 0);
    assert_eq!(s.market.now(), before + 5000, "the offset was lost");
}

fn a_lower_claim_cap_after_a_restart_passes_the_audit(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = Config {
        max_open_claims: 4,
        ..TestServer::test_config()
    };
    let s = TestServer::started(b, dir.path(), config);
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 10, 0, 1)
        .expect("listing");
    p.stake("m", 100).expect("stake");
    for _ in 0..4 {
        let j = s.seed_job(&buyer.key(), "m", 3600).expect("job");
        p.claim(&j).expect("claim");
    }
    let lower = Config {
        max_open_claims: 2,
        ..TestServer::test_config()
    };
    let s = s.restarted(lower, 0);
    let a = s.audit();
    assert!(
        a.ok(),
        "a harmless restart failed the audit: {:?}",
        a.problems
    );
    // the lower cap holds for new claims
    let p = moved(&p, &s);
    let j = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let e = p.claim(&j).expect_err("over the cap");
    assert_eq!(e.status, 409, "{e:?}");
}
