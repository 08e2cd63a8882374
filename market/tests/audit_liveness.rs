//! The audit sees liveness, not only balances: claims and jobs left past their deadlines, submissions
//! stuck PENDING and providers over the claim cap make it fail (`market audit` exits 1), on SQLite and
//! PostgreSQL; a reaper pass (or the fix) makes it pass again.

use zkinfer_market::audit::{audit_with, AuditOptions, LIVENESS_GRACE_SECS};
use zkinfer_market::testkit::{on_both, Backend, TestServer};

on_both!(
    audit_reports_stuck_claims_jobs_and_submissions,
    audit_reports_claims_over_the_cap
);

fn stuck(problems: &[String], what: &str) -> usize {
    problems.iter().filter(|p| p.contains(what)).count()
}

fn audit_reports_stuck_claims_jobs_and_submissions(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 100, 10)
        .expect("listing");
    p.stake("m", 100).expect("stake");
    let claimed = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let open = s.seed_job(&buyer.key(), "m", 100).expect("job");
    p.claim(&claimed).expect("claim");
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
    // claim deadline: 60 s; the open job's deadline: 100 s
    s.advance(100 + LIVENESS_GRACE_SECS + 1);
    let a = s.audit_now();
    assert!(!a.ok(), "stuck claim and job not seen");
    assert_eq!(stuck(&a.problems, "stuck: claim"), 1, "{:?}", a.problems);
    assert_eq!(stuck(&a.problems, "stuck: job"), 1, "{:?}", a.problems);
    assert_eq!(a.stuck, 2, "{:?}", a.problems);
    s.reap();
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(buyer.job(&open).expect("job").state, "REFUNDED");
    // a submission left PENDING (its request died and the reaper has not finished it)
    let claim = p.claim(&claimed).expect("claim again");
    let at = s.market.now() - 30 - LIVENESS_GRACE_SECS - 1;
    s.block_on(
        sqlx::query("INSERT INTO submissions (id, job_id, claim_id, provider, proof_hash, body, received_at, status) VALUES ('sstuck', $1, $2, $3, 'h', '{}', $4, 'PENDING')")
            .bind(&claimed)
            .bind(&claim.claim_id)
            .bind(p.key())
            .bind(at)
            .execute(&s.market.db.pool),
    )
    .expect("insert");
    let a = s.audit_now();
    assert_eq!(
        stuck(&a.problems, "stuck: submission sstuck"),
        1,
        "{:?}",
        a.problems
    );
    assert_eq!(a.stuck, 1);
    s.block_on(
        sqlx::query("DELETE FROM submissions WHERE id = 'sstuck'").execute(&s.market.db.pool),
    )
    .expect("delete");
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
}

fn audit_reports_claims_over_the_cap(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 10, 0, 0)
        .expect("listing");
    p.stake("m", 1).expect("stake");
    for _ in 0..3 {
        let j = s.seed_job(&buyer.key(), "m", 3600).expect("job");
        p.claim(&j).expect("claim");
    }
    // the server's cap (4, recorded in the database) holds
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
    // a lower cap later (a server restarted with --max-open-claims 2 while these were open) is no problem:
    // each claim records the cap it was made under (issue 27)
    let opts = AuditOptions {
        max_open_claims: Some(2),
        ..AuditOptions::at(s.market.now())
    };
    let a = s.block_on(audit_with(&s.market.db, opts)).expect("audit");
    assert!(a.ok(), "{:?}", a.problems);
    // three claims made under a cap of 2 would be a bug of the claim path: reported
    s.block_on(sqlx::query("UPDATE claims SET cap = 2").execute(&s.market.db.pool))
        .expect("update");
    let a = s.audit_now();
    assert!(!a.ok());
    assert_eq!(
        stuck(&a.problems, "over the cap of 2"),
        1,
        "{:?}",
        a.problems
    );
}
