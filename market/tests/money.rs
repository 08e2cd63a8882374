//! Money at the bounds (issue 17, defect 1): terms and amounts outside the bounds of `limits` are 4xx,
//! and random listings, jobs, slashes and settlements at and inside the bounds pay exact amounts with
//! money conserved (the audit), on SQLite and PostgreSQL.

use rand::{Rng, SeedableRng};
use zkinfer_market::limits::{split_price, MAX_AMOUNT};
use zkinfer_market::testkit::{on_both, Backend, TestServer};

on_both!(
    out_of_bounds_amounts_are_4xx,
    settlements_at_the_bounds_are_exact
);

/// Amounts over the bounds answer 4xx with a clear message, never 500, and change nothing.
fn out_of_bounds_amounts_are_4xx(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    for amount in [MAX_AMOUNT + 1, i64::MAX, -1, 0, i64::MIN] {
        let e = c.mint(amount).expect_err("out of bounds");
        assert_eq!(e.status, 422, "{amount}: {e:?}");
        assert!(e.message.contains("amount"), "{e:?}");
    }
    c.mint(MAX_AMOUNT).expect("mint at the bound");
    for (price, royalty, collateral) in [
        (MAX_AMOUNT + 1, 0, 0),
        (i64::MAX, 9_900, 0),
        (100, 9_901, 0),
        (100, i64::MAX, 0),
        (100, -1, 0),
        (100, 0, i64::MAX),
        (100, 0, -1),
    ] {
        let req = serde_json::json!({"owner": c.key(), "listing_id": "m", "settings": "00",
            "vk": "00", "params": "00", "price": price, "royalty_bps": royalty,
            "collateral": collateral, "claim_timeout": 60});
        let e = c
            .post::<_, serde_json::Value>("/v1/models", &req)
            .expect_err("out of bounds");
        assert_eq!(e.status, 422, "{price} {royalty} {collateral}: {e:?}");
    }
    let e = c.stake("m", i64::MAX).expect_err("stake");
    assert!((400..500).contains(&e.status), "{e:?}");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
    assert_eq!(a.minted, MAX_AMOUNT);
}

fn pick(rng: &mut rand::rngs::StdRng, edges: &[i64], lo: i64, hi: i64) -> i64 {
    if rng.gen_bool(0.6) {
        edges[rng.gen_range(0..edges.len())]
    } else {
        rng.gen_range(lo..=hi)
    }
}

/// Random terms at and inside the bounds (price up to 10^15 with royalty up to 9 900 bps, the issue's
/// overflow), some jobs slashed once before they settle (a bounty): every party gets exactly its share.
fn settlements_at_the_bounds_are_exact(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = TestServer::test_config();
    let fee_bps = config.fee_bps;
    let s = TestServer::started(b, dir.path(), config);
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x17);
    let (mut minted, mut burned, mut treasury) = (0i64, 0i64, 0i64);
    for i in 0..12 {
        let price = pick(&mut rng, &[1, MAX_AMOUNT, MAX_AMOUNT - 1], 1, MAX_AMOUNT);
        let royalty = pick(&mut rng, &[0, 10_000 - fee_bps, 1], 0, 10_000 - fee_bps);
        let collateral = pick(&mut rng, &[0, 1, MAX_AMOUNT], 0, MAX_AMOUNT);
        let slash_first = i == 0 || rng.gen_bool(0.5);
        let (buyer, owner, p) = (s.client(), s.client(), s.client());
        let listing = format!("l{i}");
        s.seed_listing(&owner.key(), &listing, price, royalty, collateral)
            .expect("listing");
        buyer.mint(price).expect("mint");
        let stake = if collateral == 0 { 1 } else { collateral };
        for _ in 0..2 {
            p.mint(stake).expect("mint");
            p.stake(&listing, stake).expect("stake");
        }
        minted += price + 2 * stake;
        let job = s.seed_job(&buyer.key(), &listing, 3600).expect("job");
        let mut bounty = 0;
        if slash_first {
            let c = p.claim(&job).expect("claim");
            p.abandon(&job, &c.claim_id).expect("abandon");
            burned += collateral / 2;
            bounty = collateral - collateral / 2;
        }
        p.claim(&job).expect("claim");
        s.settle_unverified(&job).expect("settle");
        let split = split_price(price, royalty, fee_bps).expect("split");
        treasury += split.fee;
        let j = buyer.job(&job).expect("job");
        assert_eq!((j.state.as_str(), j.bounty), ("SETTLED", 0), "{i}");
        // an owner paid nothing has no account (404)
        let royalty_paid = match owner.balances(&owner.key()) {
            Err(e) if e.status == 404 && split.royalty == 0 => 0,
            r => r.expect("owner balances").available,
        };
        assert_eq!(royalty_paid, split.royalty, "{i}");
        let pb = p.balances(&p.key()).expect("b");
        assert_eq!(
            pb.available,
            split.provider + bounty,
            "{i}: {price} {royalty}"
        );
        let left = 2 * stake - if slash_first { collateral } else { 0 };
        assert_eq!((pb.collateral, pb.stakes[&listing]), (0, left), "{i}");
        let a = s.audit();
        assert!(a.ok(), "{i}: {:?}", a.problems);
        assert_eq!((a.minted, a.burned), (minted, burned), "{i}");
        assert_eq!(
            a.held.get("treasury").copied().unwrap_or(0),
            treasury,
            "{i}"
        );
    }
}
