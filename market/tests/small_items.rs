//! Issue 27's smaller server items, on SQLite and PostgreSQL: a job created while its listing is being
//! re-listed is created (it used to fail with 503 after 50 retries of a transaction that could never
//! succeed), and model ids (hex) are compared without regard to case. (The dev clock across restarts and
//! the audit after a lower claim cap: `restarts.rs`.)

use serde_json::json;
use sqlx::Row;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use zkinfer_market::client::JobQuery;
use zkinfer_market::state::{op, IllegalTransition};
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::types::{ClaimStatus, FailurePolicy, JobState, SubmissionStatus};
use zkinfer_market::MarketError;

on_both!(
    create_job_racing_a_relisting_is_not_a_503,
    model_ids_match_in_any_case,
    states_round_trip_and_others_are_refused,
    transitions_outside_the_table_are_refused,
    a_version_2_database_opens_with_its_states_checked,
    money_never_moves_on_a_claim_that_is_not_active
);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris")
}

fn create_job_racing_a_relisting_is_not_a_503(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (owner, buyer) = (s.client(), s.client());
    owner
        .list_model("iris", &fixture(), 10, 0, 0, 60)
        .expect("listing");
    buyer.mint(1_000_000).expect("mint");
    let done = AtomicBool::new(false);
    let (relisted, failures) = std::thread::scope(|sc| {
        let relister = sc.spawn(|| {
            let mut n = 0;
            while !done.load(Ordering::SeqCst) {
                owner
                    .list_model("iris", &fixture(), 10 + n % 7, 0, 0, 60)
                    .expect("re-listing");
                n += 1;
            }
            n
        });
        let mut failures = vec![];
        for i in 0..150 {
            let r = buyer.create_job(
                "iris",
                json!({"input_data": [[4.40625, 3.1875, 1.3125, 0.1875]]}),
                3600,
                FailurePolicy::Reopen,
                &format!("j{i}"),
            );
            if let Err(e) = r {
                failures.push(e);
            }
        }
        done.store(true, Ordering::SeqCst);
        (relister.join().expect("thread"), failures)
    });
    assert!(relisted > 10, "only {relisted} re-listings raced");
    assert!(
        failures.is_empty(),
        "{} of 150 job creations failed, the first: {:?}",
        failures.len(),
        failures.first()
    );
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}

fn model_ids_match_in_any_case(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (owner, buyer) = (s.client(), s.client());
    owner
        .list_model("iris", &fixture(), 10, 0, 0, 60)
        .expect("listing");
    buyer.mint(100).expect("mint");
    let job = buyer
        .create_job(
            "iris",
            json!({"input_data": [[4.40625, 3.1875, 1.3125, 0.1875]]}),
            3600,
            FailurePolicy::Reopen,
            "a",
        )
        .expect("job")
        .job;
    for id in [job.model_id.clone(), job.model_id.to_ascii_uppercase()] {
        let q = JobQuery {
            model_id: Some(id.clone()),
            ..JobQuery::default()
        };
        let found = buyer.jobs_page(&q).expect("jobs");
        assert_eq!(found.len(), 1, "model_id={id}");
    }
}

/// A server with a job in each reachable state (OPEN, CLAIMED, SETTLED, CANCELLED), claims ACTIVE,
/// ABANDONED and SETTLED and a VALID submission: `(server, [open, claimed, settled, cancelled])`.
fn jobs_in_each_state(b: Backend, dir: &Path) -> (TestServer, [String; 4]) {
    let s = TestServer::started(b, dir, TestServer::test_config());
    let (owner, buyer, p) = (s.client(), s.client(), s.client());
    s.seed_listing(&owner.key(), "m", 10, 0, 2)
        .expect("listing");
    buyer.mint(100).expect("mint");
    p.mint(100).expect("mint");
    p.stake("m", 10).expect("stake");
    let job = || s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let (open, claimed, settled, cancelled) = (job(), job(), job(), job());
    p.claim(&claimed).expect("claim");
    let c = p.claim(&settled).expect("claim");
    p.abandon(&settled, &c.claim_id).expect("abandon");
    p.claim(&settled).expect("claim again");
    s.settle_unverified(&settled).expect("settle");
    buyer.cancel(&cancelled).expect("cancel");
    assert!(s.audit().ok());
    (s, [open, claimed, settled, cancelled])
}

/// What the database stores is the enums' names: each stored value parses back to the state the market
/// serves; every name of each enum is stored and read back unchanged; any other value is refused by the
/// database itself (the CHECK constraints of migration 3).
fn states_round_trip_and_others_are_refused(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, [open, claimed, settled, cancelled]) = jobs_in_each_state(b, dir.path());
    let pool = &s.market.db.pool;
    let read = |sql: &str, id: &str| -> String {
        s.block_on(
            sqlx::query_scalar::<_, String>(sql)
                .bind(id)
                .fetch_one(pool),
        )
        .expect("read")
    };
    let job_sql = "SELECT state FROM jobs WHERE id = $1";
    let served = s.client();
    for (id, want) in [
        (&open, JobState::Open),
        (&claimed, JobState::Claimed),
        (&settled, JobState::Settled),
        (&cancelled, JobState::Cancelled),
    ] {
        let stored = read(job_sql, id);
        assert_eq!(stored.parse::<JobState>(), Ok(want), "{id}");
        assert_eq!(served.job(id).expect("job").state, want);
    }
    let all = |sql: &str| -> Vec<(String, String)> {
        s.block_on(sqlx::query(sql).fetch_all(pool))
            .expect("rows")
            .iter()
            .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)))
            .collect()
    };
    let claims = all("SELECT id, status FROM claims ORDER BY claimed_at, id");
    let mut statuses: Vec<ClaimStatus> = claims
        .iter()
        .map(|(_, st)| st.parse().expect("a claim status"))
        .collect();
    statuses.sort();
    let mut want = vec![
        ClaimStatus::Active,
        ClaimStatus::Settled,
        ClaimStatus::Abandoned,
    ];
    want.sort();
    assert_eq!(statuses, want);
    let subs = all("SELECT id, status FROM submissions");
    assert_eq!(subs.len(), 1);
    assert_eq!(subs[0].1.parse(), Ok(SubmissionStatus::Valid));

    // every name is stored and read back as written; anything else is refused
    let (claim_id, sub_id) = (claims[0].0.clone(), subs[0].0.clone());
    let tables: [(&str, &str, &String, Vec<&str>); 3] = [
        (
            "jobs",
            "state",
            &open,
            JobState::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "claims",
            "status",
            &claim_id,
            ClaimStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
        (
            "submissions",
            "status",
            &sub_id,
            SubmissionStatus::ALL.iter().map(|s| s.as_str()).collect(),
        ),
    ];
    for (table, col, id, names) in tables {
        let write = |v: &str| {
            s.block_on(
                sqlx::query(&format!("UPDATE {table} SET {col} = $1 WHERE id = $2"))
                    .bind(v)
                    .bind(id.as_str())
                    .execute(pool),
            )
        };
        let get = format!("SELECT {col} FROM {table} WHERE id = $1");
        for name in &names {
            let r = write(name);
            assert!(r.is_ok(), "{table}.{col} = {name}: {r:?}");
            assert_eq!(read(&get, id), *name);
        }
        let last = *names.last().expect("a state");
        for bad in ["", "open", "Open", "UNKNOWN", "SETTLED ", "settled"] {
            assert!(write(bad).is_err(), "{table}.{col} accepted '{bad}'");
            assert_eq!(read(&get, id), last, "{table}.{col} after '{bad}'");
        }
    }
}

/// A change of a job's state that the transition table does not list is refused with the typed internal
/// error and changes nothing; one it lists goes through.
fn transitions_outside_the_table_are_refused(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let (s, [open, _claimed, settled, cancelled]) = jobs_in_each_state(b, dir.path());
    let c = s.client();
    for (id, from, to, how) in [
        (&settled, JobState::Settled, JobState::Open, op::CLAIM),
        (
            &cancelled,
            JobState::Cancelled,
            JobState::Refunded,
            op::EXPIRE,
        ),
        (&open, JobState::Open, JobState::Settled, op::SETTLE),
        // a listed change by an operation that does not make it
        (&open, JobState::Open, JobState::Claimed, op::SETTLE),
    ] {
        let version = c.job(id).expect("job").version;
        let r = s.transition_job(id, to, how);
        assert!(
            matches!(r, Err(MarketError::IllegalTransition(_))),
            "{from} -> {to} by {how}: {r:?}"
        );
        if let Err(MarketError::IllegalTransition(t)) = r {
            let want = IllegalTransition {
                what: "job state",
                from: from.as_str(),
                to: to.as_str(),
                op: how,
            };
            assert_eq!(t, want);
            let e = MarketError::IllegalTransition(t);
            assert_eq!(e.status(), 500, "{e}");
        }
        let j = c.job(id).expect("job");
        assert_eq!((j.state, j.version), (from, version), "unchanged");
    }
    s.transition_job(&open, JobState::Cancelled, op::CANCEL)
        .expect("a listed transition");
    assert_eq!(c.job(&open).expect("job").state, JobState::Cancelled);
}

/// A database written by schema version 2 (no CHECK on the states) opens: migration 3 keeps every row
/// and index, and the database then refuses a state that is not an enum's name.
fn a_version_2_database_opens_with_its_states_checked(b: Backend) {
    use zkinfer_market::db::{Db, MIGRATIONS, SCHEMA_VERSION};
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let url = rt
        .block_on(zkinfer_market::testkit::fresh_database(b, dir.path()))
        .expect("database");
    let (id, blob, open_url) = match b {
        Backend::Sqlite => (
            "INTEGER PRIMARY KEY AUTOINCREMENT",
            "BLOB",
            format!("{url}?mode=rwc"),
        ),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA", url.clone()),
    };
    sqlx::any::install_default_drivers();
    rt.block_on(async {
        let pool = sqlx::AnyPool::connect(&open_url).await.expect("connect");
        let mut stmts = vec![
            "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)".to_string(),
        ];
        for &(v, name, sql) in &MIGRATIONS[..2] {
            let sql = sql.replace("{ID}", id).replace("{BLOB}", blob);
            stmts.extend(sql.split(';').map(str::trim).filter(|s| !s.is_empty()).map(String::from));
            stmts.push(format!(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ({v}, '{name}', 0)"
            ));
        }
        stmts.push("INSERT INTO meta (key, value) VALUES ('market_id', 'm-old')".to_string());
        for st in &stmts {
            let r = sqlx::query(st).execute(&pool).await;
            assert!(r.is_ok(), "{st}: {r:?}");
        }
        sqlx::query(
            "INSERT INTO jobs (id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claim_id, claimant, claim_deadline, claims) VALUES ('j1', 'b', 'i', 'l', 'o', 'm', 's', 'v', 'p', 10, 0, 0, 2, 60, '[[0.5]]', 'reopen', $1, 3, 1, 100, 'c1', 'pr', 50, 1)",
        )
        .bind(JobState::Claimed.as_str())
        .execute(&pool)
        .await
        .expect("job");
        sqlx::query(
            "INSERT INTO claims (id, job_id, provider, listing_id, collateral, claimed_at, deadline, status, cap) VALUES ('c1', 'j1', 'pr', 'l', 2, 1, 50, $1, 4)",
        )
        .bind(ClaimStatus::Active.as_str())
        .execute(&pool)
        .await
        .expect("claim");
        sqlx::query(
            "INSERT INTO submissions (id, job_id, claim_id, provider, proof_hash, body, received_at, status) VALUES ('s1', 'j1', 'c1', 'pr', 'h', '{}', 2, $1)",
        )
        .bind(SubmissionStatus::Pending.as_str())
        .execute(&pool)
        .await
        .expect("submission");
        pool.close().await;

        let db = Db::connect(&url).await.expect("a version 2 database opens");
        let v = db
            .scalar_i64("SELECT CAST(MAX(version) AS BIGINT) FROM schema_migrations")
            .await
            .expect("version");
        assert_eq!((v, SCHEMA_VERSION), (4, 4));
        let row = sqlx::query("SELECT j.state AS js, j.version AS jv, j.claim_deadline AS cd, c.status AS cs, c.cap AS cap, s.status AS ss FROM jobs j, claims c, submissions s WHERE j.id = 'j1' AND c.id = 'c1' AND s.id = 's1'")
            .fetch_one(&db.pool)
            .await
            .expect("rows kept");
        assert_eq!(row.get::<String, _>("js"), "CLAIMED");
        assert_eq!(row.get::<i64, _>("jv"), 3);
        assert_eq!(row.get::<i64, _>("cd"), 50);
        assert_eq!(row.get::<String, _>("cs"), "ACTIVE");
        assert_eq!(row.get::<i64, _>("cap"), 4);
        assert_eq!(row.get::<String, _>("ss"), "PENDING");
        for (table, col, id) in [("jobs", "state", "j1"), ("claims", "status", "c1"), ("submissions", "status", "s1")] {
            let r = sqlx::query(&format!("UPDATE {table} SET {col} = $1 WHERE id = $2"))
                .bind("BOGUS")
                .bind(id)
                .execute(&db.pool)
                .await;
            assert!(r.is_err(), "{table}.{col} accepted BOGUS");
        }
        // the unique (buyer, client_index) survives the rebuild
        let dup = sqlx::query(
            "INSERT INTO jobs (id, buyer, client_index, listing_id, owner, model_id, settings_hash, vk_hash, params_hash, price, royalty_bps, fee_bps, collateral, claim_timeout, input, policy, state, version, created_at, deadline, claims) VALUES ('j2', 'b', 'i', 'l', 'o', 'm', 's', 'v', 'p', 10, 0, 0, 2, 60, '[[0.5]]', 'reopen', $1, 0, 1, 100, 0)",
        )
        .bind(JobState::Open.as_str())
        .execute(&db.pool)
        .await;
        assert!(dup.is_err(), "duplicate (buyer, client_index) accepted");
        db.close().await;
    });
}

/// A CLAIMED job whose claim row is not ACTIVE (records that disagree, say after a bad manual edit): ending
/// the claim, by abandon or by the reaper's timeout, is refused as an internal error and the transaction
/// that would have slashed the collateral rolls back: no entry is written for it and every balance stays,
/// and the reaper still applies the other jobs' expiries.
fn money_never_moves_on_a_claim_that_is_not_active(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let (buyer, owner, p) = (s.client(), s.client(), s.client());
    buyer.mint(1000).expect("mint");
    p.mint(100).expect("mint");
    s.seed_listing(&owner.key(), "m", 100, 0, 40)
        .expect("listing");
    p.stake("m", 100).expect("stake");
    let job = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    let c = p.claim(&job).expect("claim");
    // an honest job whose claim times out at the same time
    let honest = s.client();
    honest.mint(100).expect("mint");
    honest.stake("m", 100).expect("stake");
    let other = s.seed_job(&buyer.key(), "m", 3600).expect("job");
    honest.claim(&other).expect("claim");
    s.block_on(async {
        sqlx::query("UPDATE claims SET status = $1 WHERE id = $2")
            .bind(ClaimStatus::Released.as_str())
            .bind(&c.claim_id)
            .execute(&s.market.db.pool)
            .await
    })
    .expect("edit the claim behind the job's back");
    let (entries, before) = (s.entries(), p.balances(&p.key()).expect("balances"));
    let e = p.abandon(&job, &c.claim_id).expect_err("refused");
    assert_eq!(e.status, 500, "{e:?}");
    assert!(e.message.contains("is not ACTIVE"), "{e:?}");
    assert_eq!(s.entries(), entries, "the refused abandon moved nothing");
    s.advance(61);
    let reaped = s.reap();
    assert_eq!(
        reaped.expired, 1,
        "the honest job's expiry is applied all the same"
    );
    assert_eq!(buyer.job(&other).expect("job").state, "OPEN");
    let honest_after = honest.balances(&honest.key()).expect("balances");
    assert_eq!(honest_after.collateral, 0, "the late claim was slashed");
    let moved_for_other = s.entries() - entries;
    assert!(moved_for_other > 0);
    let after = p.balances(&p.key()).expect("balances");
    assert_eq!(
        (after.collateral, after.stakes.get("m")),
        (before.collateral, before.stakes.get("m")),
        "the collateral stays where it was"
    );
    assert_eq!(buyer.job(&job).expect("job").state, "CLAIMED");
}
