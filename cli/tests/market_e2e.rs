//! The marketplace end to end with real proofs of the bundled models, on SQLite and on PostgreSQL:
//! settlement to the unit, deadlines, claim guards, re-listing, and concurrent claims and submissions
//! (rejected and unreadable proofs: market_proofs.rs). `audit` runs after every scenario.

mod market_common;

use market_common::*;
use zkinfer_market::auth::fresh_nonce;
use zkinfer_market::client::{Client, ClientError};
use zkinfer_market::market::Signer;
use zkinfer_market::testkit::Backend;
use zkinfer_market::types::{ClaimInfo, Created, FailurePolicy, SubmitReq, SubmitResult};
use zkinfer_market::Config;

on_both!(
    settles_a_valid_proof_to_the_unit,
    expired_claim_slashed_and_bounty_paid,
    deadline_edges,
    claim_guards_and_cancellation,
    relisting_keeps_pinned_artifacts,
    concurrent_claims_and_submissions,
);

/// The buyer creates a digits job with `input` (deadline 3600 s, re-opened on failure).
fn create(s: &Scenario, input: serde_json::Value, index: &str) -> Result<Created, ClientError> {
    s.buyer
        .create_job("digits", input, 3600, FailurePolicy::Reopen, index)
}

/// `p` submits a proof of the job's input for its claim `c` (the digits model).
fn submit_proved(s: &Scenario, p: &Client, job: &str, c: &ClaimInfo) -> SubmitResult {
    p.submit(job, &c.claim_id, prove_claim(&models().digits, s, job, c))
        .expect("submit")
}

/// `p` claims `job` and proves it; the claim, and the submission of that proof as the market gets it.
fn claim_and_prove(s: &Scenario, p: &Client, job: &str) -> (ClaimInfo, SubmitReq) {
    let c = p.claim(job).expect("claim");
    let proof = prove_claim(&models().digits, s, job, &c);
    let req = SubmitReq {
        provider: p.key(),
        claim_id: c.claim_id.clone(),
        proof,
    };
    (c, req)
}

fn settles_a_valid_proof_to_the_unit(b: Backend) {
    let s = scenario(b, 2, config());
    let (p, q) = (&s.providers[0], &s.providers[1]);
    let job = s.job("a", 600, FailurePolicy::Reopen);
    assert_eq!(s.avail(&s.buyer), 10_000 - PRICE, "price escrowed at once");
    let claim = p.claim(&job).expect("claim");
    assert_eq!(
        (s.stake(p), p.balances(&p.key()).expect("b").collateral),
        (600 - COLLATERAL, COLLATERAL)
    );
    let proof = prove_claim(&models().digits, &s, &job, &claim);
    // a copier presenting the claimant's proof
    let e = q
        .submit(&job, &claim.claim_id, proof.clone())
        .expect_err("not the claimant");
    assert_eq!(e.status, 403, "{e}");
    let r = p
        .submit(&job, &claim.claim_id, proof.clone())
        .expect("submit");
    assert_eq!(
        (r.status.as_str(), r.job_state.as_str(), r.paid),
        ("VALID", "SETTLED", SHARE),
        "{r:?}"
    );
    assert_eq!(s.avail(p), 1000 - 600 + SHARE);
    assert_eq!(s.stake(p), 600, "collateral back in the stake");
    assert_eq!(s.avail(&s.owner), PRICE * ROYALTY_BPS / 10_000);
    assert_eq!(s.avail(&s.buyer), 10_000 - PRICE);
    // the same proof again: the stored result, nothing paid twice
    let again = p
        .submit(&job, &claim.claim_id, proof.clone())
        .expect("again");
    assert_eq!(
        (
            again.status.as_str(),
            again.submission_id.as_str(),
            again.paid
        ),
        ("VALID", r.submission_id.as_str(), SHARE)
    );
    assert_eq!(s.avail(p), 1000 - 600 + SHARE);
    let e = q
        .submit(&job, &claim.claim_id, proof.clone())
        .expect_err("job settled");
    assert_eq!(e.status, 409, "{e}");
    assert_eq!(p.claim(&job).expect_err("settled").status, 409);
    // outputs released to the buyer only
    let res = s.buyer.job_result(&job).expect("result");
    assert_eq!(res.outputs, Some(outputs_of(&proof)));
    assert_eq!(q.job_result(&job).expect_err("not the buyer").status, 403);
    assert!(s.buyer.job(&job).expect("public").outputs.is_none());
    let a = s.server.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(
        (a.minted, a.burned, a.held.get("treasury").copied()),
        (12_000, 0, Some(PRICE * FEE_BPS / 10_000))
    );
}

fn expired_claim_slashed_and_bounty_paid(b: Backend) {
    let s = scenario(b, 2, config());
    let (p, q) = (&s.providers[0], &s.providers[1]);
    let job = s.job("a", 3600, FailurePolicy::Reopen);
    let c = p.claim(&job).expect("claim");
    s.server.advance(CLAIM_TIMEOUT); // exactly at the deadline: not expired
    assert_eq!(s.server.reap().expired, 0);
    s.server.advance(1);
    assert_eq!(s.server.reap().expired, 1);
    let j = s.buyer.job(&job).expect("job");
    assert_eq!((j.state.as_str(), j.bounty), ("OPEN", COLLATERAL / 2));
    assert_eq!(s.stake(p), 600 - COLLATERAL);
    let e = p
        .submit(&job, &c.claim_id, serde_json::json!({}))
        .expect_err("too late");
    assert!(e.status == 400 || e.status == 409, "{e}");
    let c2 = q.claim(&job).expect("claim");
    let r = submit_proved(&s, q, &job, &c2);
    assert_eq!(
        (r.status.as_str(), r.paid),
        ("VALID", SHARE + COLLATERAL / 2),
        "the bounty goes to the second provider"
    );
    assert_eq!(s.avail(q), 400 + SHARE + COLLATERAL / 2);
    let a = s.server.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.burned, COLLATERAL / 2);
    // the same with the refund policy: the buyer gets the price back, the bounty is burned
    let job = s.job("b", 3600, FailurePolicy::Refund);
    let before = s.avail(&s.buyer);
    p.claim(&job).expect("claim");
    s.server.advance(CLAIM_TIMEOUT + 1);
    let e = q.claim(&job).expect_err("refunded");
    assert_eq!(e.status, 409, "{e}");
    s.server.reap();
    let j = s.buyer.job(&job).expect("job");
    assert_eq!((j.state.as_str(), j.bounty), ("REFUNDED", 0));
    assert_eq!(s.avail(&s.buyer), before + PRICE);
    let a = s.server.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(
        a.burned,
        3 * COLLATERAL / 2,
        "two half collaterals burned, one bounty burned"
    );
}

fn signer(c: &zkinfer_market::client::Client) -> Signer {
    Signer {
        key: c.key(),
        nonce: fresh_nonce(),
        timestamp: zkinfer_market::clock::system_now(),
    }
}

fn deadline_edges(b: Backend) {
    let s = scenario(b, 2, config());
    let (p, q) = (&s.providers[0], &s.providers[1]);
    let m = &s.server.market;
    // one second after the claim deadline: refused, and the claim really expires (the job is OPEN again at
    // once, not rolled back for the reaper); received exactly at the deadline (another job): in time
    let job = s.job("late", 3600, FailurePolicy::Reopen);
    let (c, req) = claim_and_prove(&s, p, &job);
    let late = s
        .server
        .block_on(m.submit(&signer(p), &job, &req, c.deadline + 1));
    assert_eq!(late.expect_err("late").status(), 409);
    let j = s.owner.job(&job).expect("job");
    assert_eq!(
        j.state, "OPEN",
        "the expired claim is settled at once: {j:?}"
    );
    let job = s.job("exact", 3600, FailurePolicy::Reopen);
    let (c, req) = claim_and_prove(&s, p, &job);
    let r = s
        .server
        .block_on(m.submit(&signer(p), &job, &req, c.deadline))
        .expect("in time");
    assert_eq!(r.status, "VALID", "{r:?}");
    // verification finishing after the deadline, the reaper running meanwhile: still settles
    let job = s.job("slow", 3600, FailurePolicy::Reopen);
    let (_, req) = claim_and_prove(&s, q, &job);
    // the delay is injected through a second market over the same database and clock
    let m2 = s
        .server
        .block_on(zkinfer_market::Market::open(
            &s.server.db_url,
            Config {
                settle_delay_ms: 1500,
                ..config()
            },
            m.clock.clone(),
        ))
        .expect("open");
    let sig = signer(q);
    let now = m.now();
    std::thread::scope(|sc| {
        let h = sc.spawn(|| s.server.block_on(m2.submit(&sig, &job, &req, now)));
        std::thread::sleep(std::time::Duration::from_millis(700));
        s.server.advance(CLAIM_TIMEOUT + 5);
        assert_eq!(
            s.server.reap().expired,
            0,
            "a claim whose submission is being verified does not expire"
        );
        let r = h.join().expect("join").expect("submit");
        assert_eq!((r.status.as_str(), r.paid), ("VALID", SHARE), "{r:?}");
    });
    // an open job expiring while the reaper and a claim race: refunded exactly once
    let job = s.job("race", 30, FailurePolicy::Reopen);
    let before = s.avail(&s.buyer);
    s.server.advance(31);
    std::thread::scope(|sc| {
        let a = sc.spawn(|| s.server.reap());
        let b2 = sc.spawn(|| s.server.reap());
        let c = sc.spawn(|| p.claim(&job));
        a.join().expect("j");
        b2.join().expect("j");
        assert_eq!(c.join().expect("j").expect_err("expired").status, 409);
    });
    assert_eq!(s.buyer.job(&job).expect("job").state, "REFUNDED");
    assert_eq!(s.avail(&s.buyer), before + PRICE, "refunded once");
    // too close to the job deadline to claim
    let job = s.job("close", 30, FailurePolicy::Reopen);
    s.server.advance(26);
    let e = p.claim(&job).expect_err("too close");
    assert_eq!(e.status, 409, "{e}");
    assert!(e.message.contains("too close"), "{e}");
    let e = s
        .buyer
        .create_job(
            "digits",
            input_json("digits_mlp"),
            2,
            FailurePolicy::Reopen,
            "short",
        )
        .expect_err("short");
    assert_eq!(e.status, 422, "{e}");
    s.assert_audit();
}

fn claim_guards_and_cancellation(b: Backend) {
    let s = scenario(
        b,
        8,
        Config {
            max_open_claims: 2,
            ..config()
        },
    );
    let job = s.job("a", 3600, FailurePolicy::Reopen);
    // eight providers claim at once: one wins, the losers' stakes are untouched
    let results: Vec<_> = std::thread::scope(|sc| {
        let hs: Vec<_> = s
            .providers
            .iter()
            .map(|p| sc.spawn(|| p.claim(&job)))
            .collect();
        hs.into_iter().map(|h| h.join().expect("join")).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.status == 409));
    let winner = results.iter().position(|r| r.is_ok()).expect("winner");
    for (i, p) in s.providers.iter().enumerate() {
        assert_eq!(s.stake(p), if i == winner { 600 - COLLATERAL } else { 600 });
    }
    let (w, c) = (
        &s.providers[winner],
        results[winner].as_ref().expect("ok").clone(),
    );
    // cancel while claimed; unstake with an open claim
    assert_eq!(s.buyer.cancel(&job).expect_err("claimed").status, 409);
    assert_eq!(
        w.unstake("digits", 100).expect_err("open claim").status,
        409
    );
    // over the cap
    let (j2, j3) = (
        s.job("b", 3600, FailurePolicy::Reopen),
        s.job("c", 3600, FailurePolicy::Reopen),
    );
    w.claim(&j2).expect("second claim");
    let e = w.claim(&j3).expect_err("cap");
    assert!(e.status == 409 && e.message.contains("cap"), "{e}");
    // not enough free stake; no stake at all
    let poor = s.server.client();
    poor.mint(1000).expect("mint");
    poor.stake("digits", COLLATERAL - 1).expect("stake");
    assert_eq!(poor.claim(&j3).expect_err("poor").status, 402);
    let stranger = s.server.client();
    assert_eq!(stranger.claim(&j3).expect_err("unregistered").status, 403);
    // repeated claim and abandon: each slashed, the bounty grows
    w.abandon(&job, &c.claim_id).expect("abandon");
    w.abandon(
        &j2,
        &w.jobs("state=CLAIMED")
            .expect("jobs")
            .iter()
            .find(|j| j.id == j2)
            .and_then(|j| j.claim_id.clone())
            .expect("claim"),
    )
    .expect("abandon");
    let other = &s.providers[(winner + 1) % 8];
    for _ in 0..2 {
        let c = other.claim(&job).expect("claim");
        other.abandon(&job, &c.claim_id).expect("abandon");
    }
    assert_eq!(s.stake(other), 600 - 2 * COLLATERAL);
    let j = s.buyer.job(&job).expect("job");
    assert_eq!(
        (j.state.as_str(), j.bounty, j.claims),
        ("OPEN", 3 * COLLATERAL / 2, 3)
    );
    let c = other.claim(&job).expect("claim");
    let r = submit_proved(&s, other, &job, &c);
    assert_eq!(
        (r.status.as_str(), r.paid),
        ("VALID", SHARE + 3 * COLLATERAL / 2)
    );
    // unstake after the claims ended: unbonding, available after the delay
    let bal = w.unstake("digits", 100).expect("unstake");
    assert_eq!(bal.unbonding, 100);
    s.server.advance(100);
    assert_eq!(s.server.reap().released, 1);
    assert_eq!(s.avail(w), 400 + 100);
    // claims of finished jobs
    assert_eq!(w.claim(&job).expect_err("settled").status, 409);
    let j4 = s.job("d", 3600, FailurePolicy::Reopen);
    let before = s.avail(&s.buyer);
    s.buyer.cancel(&j4).expect("cancel open");
    assert_eq!(s.avail(&s.buyer), before + PRICE);
    assert_eq!(w.claim(&j4).expect_err("cancelled").status, 409);
    assert_eq!(s.buyer.cancel(&j4).expect_err("twice").status, 409);
    assert_eq!(
        s.providers[0]
            .cancel(&j3)
            .expect_err("not the buyer")
            .status,
        403
    );
    // input outside the calibrated range; wrong shape
    let e = create(
        &s,
        serde_json::json!({"input_data": [vec![1e6; 64]]}),
        "big",
    )
    .expect_err("range");
    assert!(
        e.status == 422 && e.message.contains("outside the range"),
        "{e}"
    );
    let e =
        create(&s, serde_json::json!({"input_data": [[1.0, 2.0]]}), "shape").expect_err("shape");
    assert_eq!(e.status, 422, "{e}");
    // duplicate create: the same job, escrowed once; the index with another input: refused
    let before = s.avail(&s.buyer);
    let a = create(&s, input_json("digits_mlp"), "dup").expect("create");
    let b2 = create(&s, input_json("digits_mlp"), "dup").expect("again");
    assert!(a.created && !b2.created && a.job.id == b2.job.id);
    assert_eq!(s.avail(&s.buyer), before - PRICE);
    let e = create(&s, shifted(&input_json("digits_mlp"), 0.0).clone(), "dup");
    assert!(e.is_ok(), "same input again is the same job");
    let rev = serde_json::json!({"input_data": reversed(&a.job.input)});
    assert_eq!(create(&s, rev, "dup").expect_err("other input").status, 409);
    // not enough money
    let broke = s.server.client();
    assert_eq!(
        broke
            .create_job(
                "digits",
                input_json("digits_mlp"),
                3600,
                FailurePolicy::Reopen,
                "x"
            )
            .expect_err("broke")
            .status,
        402
    );
    s.assert_audit();
}

fn relisting_keeps_pinned_artifacts(b: Backend) {
    let s = scenario(b, 1, config());
    let m = models();
    let p = &s.providers[0];
    let job = s.job("a", 3600, FailurePolicy::Reopen);
    let before = s.owner.models().expect("models")[0].clone();
    // the owner re-lists "digits" with another model's verifying key
    let after = s
        .owner
        .list_model(
            "digits",
            &m.iris,
            PRICE,
            ROYALTY_BPS,
            COLLATERAL,
            CLAIM_TIMEOUT,
        )
        .expect("relist");
    assert_ne!(before.vk_hash, after.vk_hash);
    assert_eq!(after.revision, 2);
    let e = p
        .list_model("digits", &m.iris, 1, 0, 0, 10)
        .expect_err("not the owner");
    assert_eq!(e.status, 403);
    // the existing job keeps its pinned digits key
    let c = p.claim(&job).expect("claim");
    let r = submit_proved(&s, p, &job, &c);
    assert_eq!(r.status, "VALID", "{r:?}");
    // new jobs use the new artifacts
    let e = create(&s, input_json("digits_mlp"), "new").expect_err("digits input");
    assert_eq!(e.status, 422);
    let j = create(&s, input_json("iris_mlp"), "new").expect("iris input");
    assert_eq!(j.job.model_id, after.model_id);
    s.assert_audit();
}

fn concurrent_claims_and_submissions(b: Backend) {
    const JOBS: usize = 8;
    let s = scenario(
        b,
        4,
        Config {
            max_open_claims: JOBS as i64,
            ..config()
        },
    );
    let jobs: Vec<String> = (0..JOBS)
        .map(|i| s.job(&format!("load-{i}"), 3600, FailurePolicy::Reopen))
        .collect();
    let digits = &models().digits;
    // every provider races for every job; a winner proves and submits the proof twice at once
    let won: Vec<usize> = std::thread::scope(|sc| {
        let hs: Vec<_> = s
            .providers
            .iter()
            .map(|p| {
                let jobs = &jobs;
                let s = &s;
                sc.spawn(move || {
                    let mut n = 0;
                    for job in jobs {
                        let Ok(c) = p.claim(job) else { continue };
                        n += 1;
                        let proof = prove_claim(digits, s, job, &c);
                        let (r1, r2) = std::thread::scope(|sc2| {
                            let a = sc2.spawn(|| p.submit(job, &c.claim_id, proof.clone()));
                            let b = sc2.spawn(|| p.submit(job, &c.claim_id, proof.clone()));
                            (a.join().expect("j"), b.join().expect("j"))
                        });
                        let ok = [r1, r2]
                            .into_iter()
                            .filter(
                                |r| matches!(r, Ok(r) if r.status == "VALID" && r.paid == SHARE),
                            )
                            .count();
                        assert!(
                            ok >= 1,
                            "at least one of two identical submissions reports the settlement"
                        );
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("join")).collect()
    });
    assert_eq!(
        won.iter().sum::<usize>(),
        JOBS,
        "exactly one claim per job: {won:?}"
    );
    let mut earned = 0;
    for (p, n) in s.providers.iter().zip(&won) {
        assert_eq!(s.avail(p), 400 + *n as i64 * SHARE, "paid once per job");
        earned += s.avail(p) - 400;
    }
    assert_eq!(earned, JOBS as i64 * SHARE);
    for j in &jobs {
        let j = s.buyer.job(j).expect("job");
        assert_eq!((j.state.as_str(), j.claims), ("SETTLED", 1));
    }
    s.assert_audit();
}
