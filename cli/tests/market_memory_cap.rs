//! Issue 27's hostile-listing suite against the real server process: `zkinfer market serve` with its
//! default limits (`--max-k 19`, `--key-memory-mb 512`) runs under a 1 GiB address-space cap (`prlimit
//! --as`), and signed listings from fresh keys claim every k from 0 to 40 (the iris fixture with k and the
//! headers that repeat it edited, so each passes the structural checks), then six k = 19 listings arrive at
//! once; then again under a 600 MiB cap, where the server lowers its key budget to half the cap. Each gets
//! an answer (2xx, or a typed 4xx/503 that names the problem), the process never exits,
//! panics or fails an allocation, and it still lists and serves afterwards. On SQLite and on PostgreSQL.

// prlimit (util-linux) and the address-space limit are Linux's
#![cfg(target_os = "linux")]
// a test reports a dead server by failing with its log
#![allow(clippy::panic)]

mod market_common;

use market_common::*;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use zkinfer_market::client::Client;
use zkinfer_market::testkit::{artifacts_with_k, Backend};

on_both!(hostile_listings_under_a_1gib_address_space_cap);

/// The address-space caps the server runs under: 1 GiB with its default 512 MiB key budget, and 600 MiB,
/// where it lowers that budget to half the cap by itself.
const CAPS: [u64; 2] = [1 << 30, 600 << 20];

fn spawn_capped(cap: u64, db: &str, port: u16, log: &std::path::Path) -> Child {
    let log = std::fs::File::create(log).expect("server log");
    Command::new("prlimit")
        .arg(format!("--as={cap}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_zkinfer"))
        .args(["market", "serve", "--db", db])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--dev-mint", "--dev-srs"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn `prlimit --as=1GiB -- zkinfer market serve` (prlimit is util-linux's)")
}

/// The listing's HTTP answer: 200 for a listing taken, else the refusal's status, code and message.
fn list(c: &Client, id: &str, dir: &std::path::Path) -> (u16, String) {
    match c.list_model(id, dir, 100, 500, 10, 60) {
        Ok(_) => (200, String::new()),
        Err(e) => (e.status, format!("{}: {}", e.code, e.message)),
    }
}

/// `VmPeak` and `VmHWM` of a live process, in MiB.
fn memory_mib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map_or(0, |kib| kib >> 10)
    };
    (field("VmPeak:"), field("VmHWM:"))
}

fn assert_alive(server: &mut Child, c: &Client, after: &str, log: &std::path::Path) {
    if let Ok(Some(status)) = server.try_wait() {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        panic!("the server exited ({status}) after {after}; its log:\n{text}");
    }
    if let Err(e) = c.info() {
        std::thread::sleep(Duration::from_millis(200));
        let exit = server.try_wait();
        let text = std::fs::read_to_string(log).unwrap_or_default();
        panic!(
            "the server stopped answering after {after} ({e:?}; exit: {exit:?}); its log:\n{text}"
        );
    }
}

fn hostile_listings_under_a_1gib_address_space_cap(b: Backend) {
    for cap in CAPS {
        hostile_listings_under(cap, b);
    }
}

fn hostile_listings_under(cap: u64, b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let db = server_database(b, dir.path());
    let port = free_port();
    let log = dir.path().join("server.log");
    let mut server = spawn_capped(cap, &db, port, &log);
    let url = format!("http://127.0.0.1:{port}");
    wait_up(&url);
    let probe = Client::new(&url, None);

    let mut taken = Vec::new();
    for k in 0..=40u32 {
        let art = artifacts_with_k(dir.path(), &format!("k{k}"), k);
        let owner = Client::new(&url, Some(zkinfer_market::auth::Identity::generate()));
        let (status, why) = list(&owner, &format!("k{k}"), &art);
        assert_alive(&mut server, &probe, &format!("the k = {k} listing"), &log);
        match status {
            200 => taken.push(k),
            400..=499 => assert!(!why.is_empty(), "k = {k}: a refusal without a reason"),
            _ => panic!("k = {k}: status {status} ({why}): neither taken nor refused"),
        }
        if k > 19 {
            assert_eq!(status, 422, "k = {k} is over the default --max-k 19: {why}");
            assert!(why.contains("k = "), "k = {k}: {why}");
        }
    }
    // the fixture's own k is the real listing: taken
    assert!(
        taken.contains(&12),
        "the unedited k = 12 listing: {taken:?}"
    );

    // six of the largest keys the server allows, at once: the 512 MiB key budget holds one at a time, so
    // the others wait or get 503 `busy`; none may take the process past its cap
    let arts: Vec<_> = (0..6)
        .map(|i| artifacts_with_k(dir.path(), &format!("k19-{i}"), 19))
        .collect();
    let answers: Vec<(u16, String)> = std::thread::scope(|sc| {
        let handles: Vec<_> = arts
            .iter()
            .enumerate()
            .map(|(i, art)| {
                let url = url.clone();
                sc.spawn(move || {
                    let owner = Client::new(&url, Some(zkinfer_market::auth::Identity::generate()));
                    list(&owner, &format!("k19-{i}"), art)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("listing thread"))
            .collect()
    });
    assert_alive(&mut server, &probe, "six k = 19 listings at once", &log);
    for (status, why) in &answers {
        assert!(
            *status == 200 || (400..=503).contains(status) && *status != 500,
            "a concurrent k = 19 listing: {status} {why}"
        );
    }
    let listed = probe.models().expect("GET /v1/models");
    assert!(
        listed.iter().any(|m| m.id == "k12"),
        "the real listing is still served"
    );

    let (peak, resident) = memory_mib(server.id());
    println!(
        "taken: k in {taken:?}; concurrent k = 19: {:?}; VmPeak {peak} MiB, VmHWM {resident} MiB under a {} MiB cap",
        answers.iter().map(|a| a.0).collect::<Vec<_>>(),
        cap >> 20
    );
    let _ = server.kill();
    let _ = server.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    for bad in ["panicked", "memory allocation of", "stack overflow"] {
        assert!(!text.contains(bad), "the server's log has {bad:?}:\n{text}");
    }
}
