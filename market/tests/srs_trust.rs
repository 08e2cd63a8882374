//! Issue 13 on the market: listings whose verifier params are not a pinned public ceremony's are refused
//! unless the server runs in development mode (`--dev-srs`), and degenerate params are refused always. The
//! artifacts are the verifier's committed fixture (the iris model, set up with a development SRS).

use std::path::{Path, PathBuf};
use zkinfer_market::testkit::{on_both, Backend, TestServer};
use zkinfer_market::Config;

on_both!(
    development_params_need_a_development_server,
    degenerate_params_are_refused_even_in_development
);

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../verifier/tests/fixtures/iris")
}

fn production() -> Config {
    Config {
        dev_srs: false,
        ..TestServer::test_config()
    }
}

fn development_params_need_a_development_server(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), production());
    let owner = s.client();
    let e = owner
        .list_model("iris", &fixture(), 100, 500, 10, 60)
        .expect_err("a development SRS is refused");
    let msg = e.to_string();
    assert!(msg.contains("pinned public ceremon"), "{msg}");
    assert!(s.client().models().expect("models").is_empty());

    let dir2 = tempfile::tempdir().expect("tmp");
    let dev = TestServer::started(b, dir2.path(), TestServer::test_config());
    let l = dev
        .client()
        .list_model("iris", &fixture(), 100, 500, 10, 60)
        .expect("a development server accepts it");
    assert_eq!(l.id, "iris");
}

fn degenerate_params_are_refused_even_in_development(b: Backend) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = TestServer::started(b, dir.path(), TestServer::test_config());
    // s·g2 = g2 (s = 1): the secret is known to everyone
    let art = dir.path().join("art");
    std::fs::create_dir_all(&art).expect("mkdir");
    for f in ["settings.json", "vk.bin"] {
        std::fs::copy(fixture().join(f), art.join(f)).expect("copy");
    }
    let mut p = std::fs::read(fixture().join("verifier_params.bin")).expect("params");
    let n = p.len();
    let g2: Vec<u8> = p[n - 128..n - 64].to_vec();
    p[n - 64..].copy_from_slice(&g2);
    std::fs::write(art.join("verifier_params.bin"), &p).expect("write");
    let e = s
        .client()
        .list_model("iris", &art, 100, 500, 10, 60)
        .expect_err("s = 1 is refused");
    assert!(e.to_string().contains("s = 1"), "{e}");
}
