//! What users read: jobs listed most urgent first in a stable order with paging (none hidden past the
//! first page), a filter for one account's jobs, inputs only when asked; accounts that do not exist are
//! 404 and malformed ones 400; the treasury's balance. On SQLite and PostgreSQL.

use zkinfer_market::client::JobQuery;
use zkinfer_market::testkit::{on_both, Backend, TestServer};

on_both!(
    jobs_are_paged_in_a_stable_order,
    accounts_unknown_malformed_and_treasury
);

fn jobs_are_paged_in_a_stable_order(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, other, owner, p) = (s.client(), s.client(), s.client(), s.client());
    buyer.mint(1_000_000).expect("mint");
    other.mint(1_000).expect("mint");
    p.mint(10).expect("mint");
    for (l, price) in [("cheap", 10), ("dear", 20)] {
        s.seed_listing(&owner.key(), l, price, 0, 0)
            .expect("listing");
    }
    p.stake("cheap", 1).expect("stake");
    let mut ids = vec![];
    // 110 jobs, created in the same second, deadlines in a few buckets, two prices
    for i in 0..110 {
        let l = if i % 2 == 0 { "cheap" } else { "dear" };
        ids.push(
            s.seed_job(&buyer.key(), l, 1000 + (i % 3) * 100)
                .expect("job"),
        );
    }
    let mine = s.seed_job(&other.key(), "cheap", 5000).expect("job");
    p.claim(&ids[0]).expect("claim");
    let q = JobQuery {
        state: Some("OPEN".into()),
        limit: Some(25),
        ..JobQuery::default()
    };
    let first = buyer.jobs_page(&q).expect("page");
    assert_eq!(first.len(), 25);
    assert!(
        first.iter().all(|j| j.input.is_empty()),
        "inputs only when asked"
    );
    let all = buyer.all_jobs(&q).expect("all");
    assert_eq!(all.len(), 110, "every open job is reachable by paging");
    let keys: Vec<_> = all
        .iter()
        .map(|j| (j.deadline, -j.price, j.id.clone()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "most urgent first, then dearest, then id");
    assert_eq!(all[..25], first[..]);
    // the old method still returns inputs and stops at its limit
    let old = buyer.jobs("state=OPEN&limit=10").expect("jobs");
    assert_eq!(old.len(), 10);
    // one account's jobs: as buyer, or as a provider that claimed them
    let q = JobQuery {
        party: Some(other.key()),
        ..JobQuery::default()
    };
    let theirs = buyer.jobs_page(&q).expect("page");
    assert_eq!(
        theirs.iter().map(|j| j.id.clone()).collect::<Vec<_>>(),
        vec![mine]
    );
    let q = JobQuery {
        party: Some(p.key()),
        include_input: true,
        ..JobQuery::default()
    };
    let claimed = buyer.jobs_page(&q).expect("page");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].id, ids[0]);
    assert_eq!(claimed[0].input, vec![vec![0.5]], "include_input=true");
    assert_eq!(
        old[0].input,
        vec![vec![0.5]],
        "the old method asks for inputs"
    );
    let e = buyer
        .jobs_page(&JobQuery {
            after: Some("jnothere".into()),
            ..JobQuery::default()
        })
        .expect_err("unknown cursor");
    assert_eq!(e.status, 404, "{e:?}");
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
}

fn accounts_unknown_malformed_and_treasury(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    let e = c.balances(&c.key()).expect_err("unknown");
    assert_eq!(e.status, 404, "{e:?}");
    assert!(e.message.contains("no account"), "{e:?}");
    for bad in ["nothex", "ab", &c.key().to_uppercase()] {
        let e = c.balances(bad).expect_err("malformed");
        assert_eq!(e.status, 400, "{bad}: {e:?}");
    }
    c.mint(5).expect("mint");
    assert_eq!(c.balances(&c.key()).expect("known").available, 5);
    let t = c.balances("treasury").expect("treasury");
    assert_eq!((t.account.as_str(), t.available), ("treasury", 0));
    // a buyer's escrow, a provider's slash history with its reasons, the market's totals
    let (owner, p) = (s.client(), s.client());
    s.seed_listing(&owner.key(), "m", 4, 0, 10)
        .expect("listing");
    let job = s.seed_job(&c.key(), "m", 3600).expect("job");
    assert_eq!(c.balances(&c.key()).expect("b").escrow, 4);
    p.mint(10).expect("mint");
    p.stake("m", 10).expect("stake");
    let claim = p.claim(&job).expect("claim");
    p.abandon(&job, &claim.claim_id).expect("abandon");
    let e = p.entries(&p.key(), 0, 100).expect("entries");
    let reasons: Vec<_> = e.iter().map(|x| x.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "mint",
            "stake",
            "lock collateral",
            "slash timeout: burn",
            "slash timeout: bounty"
        ]
    );
    assert_eq!(e[3].job_id.as_deref(), Some(job.as_str()));
    let page = p.entries(&p.key(), e[1].id, 2).expect("page");
    assert_eq!(page, e[2..4]);
    let t = c.totals().expect("totals");
    assert_eq!((t.minted, t.burned, t.treasury), (15, 5, 0));
    assert_eq!(t.held.values().sum::<i64>(), t.minted - t.burned);
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
}

on_both!(
    a_repeated_submission_counts_once,
    unknown_state_filter_is_400
);

/// Submitting a proof that was already judged VALID again answers the stored result and adds nothing to
/// `/v1/stats` (it used to count a second submission and a second settlement).
fn a_repeated_submission_counts_once(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(100).expect("mint");
    p.mint(10).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 0, 10)
        .expect("listing");
    p.stake("m", 10).expect("stake");
    let job = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let claim = p.claim(&job).expect("claim");
    let proof = serde_json::json!({"version": 2, "model_id": "seeded", "proof": "0102",
        "instances": [], "bind": "00", "inputs_q": [], "outputs_q": [], "inputs": [], "outputs": []});
    s.settle_unverified_as(&job, Some(&proof)).expect("settle");
    let before = p.stats().expect("stats");
    for _ in 0..2 {
        let r = p
            .submit(&job, &claim.claim_id, proof.clone())
            .expect("repeat");
        assert_eq!(
            (r.status.as_str(), r.job_state.as_str()),
            ("VALID", "SETTLED"),
            "{r:?}"
        );
    }
    let after = p.stats().expect("stats");
    assert_eq!(
        (after.submissions, after.settled),
        (before.submissions, before.settled),
        "a repeated submission is counted once"
    );
    let a = s.audit_now();
    assert!(a.ok(), "{:?}", a.problems);
}

fn unknown_state_filter_is_400(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    let e = c.jobs("state=OPNE").expect_err("unknown state");
    assert_eq!(e.status, 400, "{e:?}");
    assert!(c.jobs("state=open").expect("lower case is fine").is_empty());
}
