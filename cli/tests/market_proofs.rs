//! Proofs the market must refuse, with real proofs of the bundled models, on SQLite and on PostgreSQL:
//! another input, another model, a tampered output, edited instances, a proof bound to another provider or
//! to a twin job (rejected and slashed); garbage, truncated, trailing, empty and oversized proofs (refused,
//! nothing changes).

mod market_common;

use market_common::*;
use serde_json::Value;
use zkinfer_market::testkit::Backend;
use zkinfer_market::types::FailurePolicy;
use zkinfer_market::Config;

on_both!(
    rejects_proofs_not_bound_to_the_job,
    unreadable_proofs_change_nothing
);

fn expect_invalid(
    s: &Scenario,
    p: &zkinfer_market::client::Client,
    job: &str,
    claim: &str,
    proof: Value,
    why: &str,
) {
    let buyer_before = s.avail(&s.buyer);
    let stake_before = s.stake(p);
    let coll_before = p.balances(&p.key()).expect("b").collateral;
    let r = p.submit(job, claim, proof).expect("judged");
    assert_eq!(r.status, "INVALID", "{why}: {r:?}");
    assert!(
        r.reason.as_deref().unwrap_or("").contains(why),
        "expected '{why}' in {:?}",
        r.reason
    );
    assert_eq!(r.job_state, "OPEN", "reopened");
    assert_eq!(
        s.avail(&s.buyer),
        buyer_before + COLLATERAL / 2,
        "half the collateral to the buyer"
    );
    assert_eq!(
        s.stake(p),
        stake_before,
        "collateral gone, free stake untouched"
    );
    assert_eq!(
        p.balances(&p.key()).expect("b").collateral,
        coll_before - COLLATERAL
    );
    s.assert_audit();
}

/// Adds one to the first integer in a nested list (a proved output, as the file's `outputs_q` holds it).
fn bump_first_integer(v: &mut Value) -> bool {
    match v {
        Value::Number(n) => match n.as_i64() {
            Some(i) => {
                *v = Value::from(i + 1);
                true
            }
            None => false,
        },
        Value::Array(a) => a.iter_mut().any(bump_first_integer),
        _ => false,
    }
}

fn rejects_proofs_not_bound_to_the_job(b: Backend) {
    let s = scenario(b, 3, config());
    let m = models();
    let (p, q) = (&s.providers[0], &s.providers[1]);
    for x in &s.providers {
        x.mint(2000).expect("mint");
        x.stake("digits", 1200).expect("stake");
    }
    let job = s.job("a", 3600, FailurePolicy::Reopen);
    let input = s.buyer.job(&job).expect("job").input;
    // another input, bound correctly
    let c = p.claim(&job).expect("claim");
    expect_invalid(
        &s,
        p,
        &job,
        &c.claim_id,
        prove(&m.digits, &reversed(&input), &c.bind),
        "another input",
    );
    // another model
    let c = q.claim(&job).expect("claim");
    let iris: Vec<Vec<f64>> =
        serde_json::from_value(input_json("iris_mlp")["input_data"].clone()).expect("iris");
    expect_invalid(
        &s,
        q,
        &job,
        &c.claim_id,
        prove(&m.iris, &iris, &c.bind),
        "model",
    );
    // a tampered output, with instances edited to match: the proof no longer verifies
    let c = p.claim(&job).expect("claim");
    let mut proof = prove(&m.digits, &input, &c.bind);
    let art = zkinfer_verifier::VerifierArtifacts::load_dir(&m.digits).expect("art");
    let mut outs = outputs_of(&proof);
    let unit = 2f64.powi(-art.settings.outputs[0].encoding.scale);
    outs[0][0] += unit;
    let bind = zkinfer_circuits::field::fr_from_hex(&c.bind).expect("bind");
    let inst = zkinfer_verifier::instances::instances(&art.settings, &input, &outs, bind)
        .expect("instances");
    proof["outputs"] = serde_json::to_value(&outs).expect("o");
    assert!(
        bump_first_integer(&mut proof["outputs_q"]),
        "outputs_q holds integers"
    );
    proof["instances"] = serde_json::to_value(zkinfer_verifier::instances_hex(&inst)).expect("i");
    expect_invalid(&s, p, &job, &c.claim_id, proof, "does not verify");
    // a tampered output alone: the file's instances no longer match what it claims
    let c = q.claim(&job).expect("claim");
    let mut proof = prove(&m.digits, &input, &c.bind);
    let good = proof.clone();
    let mut outs = outputs_of(&proof);
    outs[0][0] += unit;
    proof["outputs"] = serde_json::to_value(&outs).expect("o");
    expect_invalid(&s, q, &job, &c.claim_id, proof, "edited after proving");
    // a proof with one embedded instance edited (a claim about another input)
    let r = &s.providers[2];
    let c = r.claim(&job).expect("claim");
    let mut proof = prove(&m.digits, &input, &c.bind);
    proof["instances"][0] = Value::from(zkinfer_circuits::field::fr_to_hex(
        &zkinfer_circuits::field::fr_from_i128(1),
    ));
    expect_invalid(
        &s,
        r,
        &job,
        &c.claim_id,
        proof,
        "input 0 ('input') element 0) differs",
    );
    // a proof bound to provider q (made for q's earlier claim) presented by r
    let c = r.claim(&job).expect("claim");
    expect_invalid(&s, r, &job, &c.claim_id, good, "binding");
    // two jobs with the same model and input: one's proof submitted for the other
    let (j1, j2) = (
        s.job("twin-1", 3600, FailurePolicy::Reopen),
        s.job("twin-2", 3600, FailurePolicy::Reopen),
    );
    let (c1, c2) = (q.claim(&j1).expect("claim"), q.claim(&j2).expect("claim"));
    let proof1 = prove(&m.digits, &input, &c1.bind);
    expect_invalid(&s, q, &j2, &c2.claim_id, proof1.clone(), "binding");
    // ...the proof is still good for its own job
    let ok = q.submit(&j1, &c1.claim_id, proof1).expect("submit");
    assert_eq!(ok.status, "VALID", "{ok:?}");
    // finally the real thing settles the first job, with no bounty (invalid slashes go to the buyer and burn)
    let c = p.claim(&job).expect("claim");
    let r = p
        .submit(&job, &c.claim_id, prove(&m.digits, &input, &c.bind))
        .expect("submit");
    assert_eq!((r.status.as_str(), r.paid), ("VALID", SHARE));
    let a = s.server.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.burned, 7 * (COLLATERAL - COLLATERAL / 2));
}

fn unreadable_proofs_change_nothing(b: Backend) {
    let config = Config {
        max_body: 256 * 1024,
        max_proof_bytes: 16 * 1024,
        ..config()
    };
    let s = scenario(b, 1, config);
    let p = &s.providers[0];
    let job = s.job("a", 3600, FailurePolicy::Reopen);
    let c = p.claim(&job).expect("claim");
    let good = prove_claim(&models().digits, &s, &job, &c);
    let entries = s.server.entries();
    let hexp = good["proof"].as_str().expect("hex").to_string();
    let with = |proof: &str| {
        let mut v = good.clone();
        v["proof"] = Value::from(proof);
        v
    };
    let cases: Vec<(Value, u16)> = vec![
        (with("not hex at all"), 400),
        (with(""), 400),
        (with(&hexp[..hexp.len() / 2]), 400), // truncated: unreadable
        (with(&format!("{hexp}00")), 400),    // trailing byte
        (with(&"ab".repeat(20 * 1024)), 413), // over the proof limit
        (Value::from("garbage"), 400),
        (serde_json::json!({"version": 1}), 400),
        (serde_json::json!({}), 400),
    ];
    for (proof, want) in cases {
        match p.submit(&job, &c.claim_id, proof) {
            Ok(r) => assert_eq!((r.status.as_str(), want), ("MALFORMED", 400), "{r:?}"),
            Err(e) => assert_eq!(e.status, want, "{e}"),
        }
    }
    // a body over the server's limit
    let path = format!("/v1/jobs/{job}/submit");
    let (st, body) =
        zkinfer_market::testkit::post_oversized(&s.server.url, &path, 300 * 1024).expect("send");
    assert_eq!(st, 413, "{body}");
    assert_eq!(s.server.entries(), entries, "the ledger is unchanged");
    assert_eq!(
        s.buyer.job(&job).expect("job").state,
        "CLAIMED",
        "the claim stands"
    );
    let r = p.submit(&job, &c.claim_id, good).expect("valid");
    assert_eq!(r.status, "VALID");
    s.assert_audit();
}
