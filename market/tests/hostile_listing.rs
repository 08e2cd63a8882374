//! Issue 27, defect 1 on the server: a signed listing from a fresh key whose artifacts claim a huge k, or
//! whose files are oversized, gets a typed 4xx before its key is parsed: no allocation proportional to 2^k
//! (k = 26 took 38 GB and the OOM killer), no panic (k = 27 panicked inside halo2), and the server keeps
//! serving. The artifacts are the verifier's iris fixture with k (and the headers that repeat it) edited to
//! match, so they pass every structural check.

use std::path::Path;
use zkinfer_market::client::Client;
use zkinfer_market::testkit::{
    artifacts_with_k as with_k, iris_artifacts as fixture, on_both, Backend, TestServer,
};
use zkinfer_market::Config;

on_both!(
    huge_k_is_refused_before_the_key_is_parsed,
    oversized_files_are_refused,
    a_key_over_the_memory_budget_is_refused
);

fn list(c: &Client, id: &str, dir: &Path) -> Result<(), (u16, String, String)> {
    c.list_model(id, dir, 100, 500, 10, 60)
        .map(|_| ())
        .map_err(|e| (e.status, e.code, e.message))
}

/// The server is alive, lists nothing it refused, still accepts a good listing, and its books balance.
fn still_serving(s: &TestServer, c: &Client) {
    assert!(c.models().expect("models").is_empty());
    list(c, "iris", &fixture()).expect("a good listing after the hostile ones");
    let a = s.audit();
    assert!(a.ok(), "{:?}", a.problems);
}

fn huge_k_is_refused_before_the_key_is_parsed(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    // k = 27 panicked inside halo2 (the connection died), k = 26 allocated 38 GB
    for k in [27, 26, 40, 20] {
        let art = with_k(dir.path(), &format!("k{k}"), k);
        let (status, code, msg) = list(&c, &format!("k{k}"), &art).expect_err("refused");
        assert_eq!(
            (status, code.as_str()),
            (422, "unprocessable"),
            "k = {k}: {msg}"
        );
        assert!(msg.contains("k = "), "k = {k}: {msg}");
    }
    still_serving(&s, &c);

    // a server that allows every k the settings format does: k = 27 needs a domain of 2^29 > 2^28
    let dir2 = tempfile::tempdir().expect("tmp");
    let config = Config {
        max_k: 27,
        key_memory: 1 << 40,
        ..TestServer::test_config()
    };
    let s = TestServer::started(b, dir2.path(), config);
    let c = s.client();
    let art = with_k(dir2.path(), "k27", 27);
    let (status, _, msg) = list(&c, "k27", &art).expect_err("refused");
    assert_eq!(status, 422, "{msg}");
    assert!(msg.contains("2^29"), "{msg}");
    still_serving(&s, &c);
}

fn oversized_files_are_refused(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    let c = s.client();
    for (file, size) in [
        ("settings.json", 65 << 10),
        ("vk.bin", 600 << 10),
        ("verifier_params.bin", 2 << 10),
    ] {
        let art = dir.path().join(file);
        std::fs::create_dir_all(&art).expect("mkdir");
        for f in ["settings.json", "vk.bin", "verifier_params.bin"] {
            std::fs::copy(fixture().join(f), art.join(f)).expect("copy");
        }
        let mut bytes = std::fs::read(art.join(file)).expect("read");
        bytes.resize(size, b' ');
        std::fs::write(art.join(file), &bytes).expect("write");
        let (status, code, msg) = list(&c, "big", &art).expect_err("refused");
        assert_eq!((status, code.as_str()), (413, "too_large"), "{file}: {msg}");
        assert!(msg.contains(file), "{file}: {msg}");
    }
    still_serving(&s, &c);
}

fn a_key_over_the_memory_budget_is_refused(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let config = Config {
        max_k: 27,
        key_memory: 64 << 20,
        ..TestServer::test_config()
    };
    let s = TestServer::started(b, dir.path(), config);
    let c = s.client();
    // k = 17: 576 · 2^17 bytes + 4 MiB = 76 MiB > 64 MiB
    let art = with_k(dir.path(), "k17", 17);
    let (status, _, msg) = list(&c, "k17", &art).expect_err("refused");
    assert_eq!(status, 422, "{msg}");
    assert!(msg.contains("key memory budget"), "{msg}");
    still_serving(&s, &c);
    assert!(s.market.keys.reserved() <= 64 << 20);
}
