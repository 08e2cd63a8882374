//! Issue 27's smaller server items, on SQLite and PostgreSQL: a job created while its listing is being
//! re-listed is created (it used to fail with 503 after 50 retries of a transaction that could never
//! succeed), and model ids (hex) are compared without regard to case. (The dev clock across restarts and
//! the audit after a lower claim cap: `restarts.rs`.)

use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use zkinfer_market::client::JobQuery;
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::types::FailurePolicy;

on_both!(
    create_job_racing_a_relisting_is_not_a_503,
    model_ids_match_in_any_case
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
