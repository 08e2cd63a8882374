//! Fault test: `zkinfer market serve` is killed with SIGKILL while submissions are between verification
//! and settlement, then restarted on the same database. Nothing committed is lost, the pending
//! submissions are settled (by the restarted server's reaper or the providers' retries), nobody is paid
//! twice, and `zkinfer market audit` passes. On SQLite and on PostgreSQL.

mod market_common;

use market_common::*;
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use zkinfer_market::client::Client;
use zkinfer_market::testkit::Backend;
use zkinfer_market::types::FailurePolicy;

on_both!(sigkill_between_verify_and_settle);

const SHARE: i64 = PRICE - PRICE * ROYALTY_BPS / 10_000; // this server charges no fee

fn spawn(db: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args([
            "market",
            "serve",
            "--db",
            db,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .args([
            "--dev-mint",
            "--dev-srs",
            "--fee-bps",
            "0",
            "--reaper-ms",
            "200",
            "--min-claim-window",
            "5",
        ])
        .args(["--settle-delay-ms", "2000", "--max-open-claims", "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zkinfer market serve")
}

fn sigkill_between_verify_and_settle(b: Backend) {
    const JOBS: usize = 9;
    let dir = tempfile::tempdir().expect("tmp");
    let db = server_database(b, dir.path());
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let mut server = spawn(&db, port);
    wait_up(&url);
    let m = models();
    let owner = Client::new(&url, Some(zkinfer_market::auth::Identity::generate()));
    owner
        .list_model("digits", &m.digits, PRICE, ROYALTY_BPS, COLLATERAL, 3600)
        .expect("list");
    let buyer = Client::new(&url, Some(zkinfer_market::auth::Identity::generate()));
    buyer.mint(100_000).expect("mint");
    let providers: Vec<Client> = (0..3)
        .map(|_| {
            let p = Client::new(&url, Some(zkinfer_market::auth::Identity::generate()));
            p.mint(5000).expect("mint");
            p.stake("digits", 3000).expect("stake");
            p
        })
        .collect();
    let mut work: Vec<Vec<(String, String, serde_json::Value)>> = vec![vec![]; providers.len()];
    for i in 0..JOBS {
        let job = buyer
            .create_job(
                "digits",
                input_json("digits_mlp"),
                3600,
                FailurePolicy::Reopen,
                &format!("f{i}"),
            )
            .expect("create")
            .job;
        let p = &providers[i % providers.len()];
        let c = p.claim(&job.id).expect("claim");
        work[i % providers.len()].push((
            job.id.clone(),
            c.claim_id.clone(),
            prove(&m.digits, &job.input, &c.bind),
        ));
    }
    let restarted_log = std::thread::scope(|sc| {
        let hs: Vec<_> = providers
            .iter()
            .zip(&work)
            .map(|(p, w)| {
                sc.spawn(move || {
                    w.iter()
                        .map(|(job, claim, proof)| {
                            zkinfer_cli::market_worker::submit_with_retries(
                                p,
                                job,
                                claim,
                                proof.clone(),
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        // three submissions are recorded and verified, and sleeping before settlement: kill now
        std::thread::sleep(Duration::from_millis(1000));
        server.kill().expect("SIGKILL");
        let _ = server.wait();
        std::thread::sleep(Duration::from_millis(300));
        server = spawn(&db, port);
        wait_up(&url);
        for (h, w) in hs.into_iter().zip(&work) {
            let results = h.join().expect("join");
            assert_eq!(results.len(), w.len());
            for r in results {
                let r = r.expect("submitted");
                assert_eq!((r.status.as_str(), r.paid), ("VALID", SHARE), "{r:?}");
            }
        }
        server.kill().expect("stop");
        let _ = server.wait();
        let mut log = String::new();
        if let Some(mut e) = server.stderr.take() {
            let _ = e.read_to_string(&mut log);
        }
        log
    });
    println!("restarted server: {restarted_log}");
    assert!(
        restarted_log.contains("resumed"),
        "the restarted server resumed the pending submissions: {restarted_log}"
    );
    // nothing paid twice, every job settled
    let mut server = spawn(&db, port);
    wait_up(&url);
    for (p, w) in providers.iter().zip(&work) {
        let bal = p.balances(&p.key()).expect("balances");
        assert_eq!(
            bal.available,
            2000 + w.len() as i64 * SHARE,
            "paid exactly once per job"
        );
        assert_eq!(bal.stakes.get("digits"), Some(&3000));
    }
    for w in &work {
        for (job, _, _) in w {
            assert_eq!(buyer.job(job).expect("job").state, "SETTLED");
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let out = Command::new(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["market", "audit", "--db", &db])
        .output()
        .expect("audit");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "audit failed: {text}");
    assert!(text.contains("audit passed"), "{text}");
}
