//! The server shuts down cleanly when asked (SIGTERM in `api::serve`; a future here): it stops
//! listening, finishes, and closes its database.

use std::time::Duration;
use zkinfer_market::client::Client;
use zkinfer_market::{api, clock::Clock, Market};

#[test]
fn server_stops_gracefully_on_shutdown() {
    let dir = tempfile::tempdir().expect("tmp");
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let db = format!("sqlite://{}", dir.path().join("m.db").display());
    let market = rt
        .block_on(Market::open(&db, Default::default(), Clock::new()))
        .expect("open");
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(api::serve_until(market.clone(), listener, async {
        let _ = rx.await;
    }));
    let c = Client::new(&url, None);
    let info = std::thread::spawn(move || c.info())
        .join()
        .expect("thread")
        .expect("info");
    assert_eq!(info.market_id, market.market_id);
    tx.send(()).expect("signal");
    let stopped =
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(10), server).await });
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "{stopped:?}");
    assert!(market.db.pool.is_closed(), "the database is closed");
    let c = Client::new(&url, None);
    assert!(c.info().expect_err("stopped").is_transport());
}
