//! An HTTP proxy in front of a test server that can make the server look down for chosen requests: the
//! connection is dropped before the request reaches the server (what a client sees of an outage).
//! One request per connection: the proxy asks both sides to close after each exchange.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A proxy on 127.0.0.1 forwarding to one server.
pub struct FaultProxy {
    pub url: String,
    drop_claims: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`http://host:port`); its thread lives as long as the test binary.
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream
            .strip_prefix("http://")
            .expect("http upstream")
            .to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (drop_claims, dropped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (d, n) = (drop_claims.clone(), dropped.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (up, d, n) = (upstream.clone(), d.clone(), n.clone());
                std::thread::spawn(move || {
                    // a failed exchange is the client's transport error, which is what is tested
                    let _ = exchange(client, &up, &d, &n);
                });
            }
        });
        Self {
            url,
            drop_claims,
            dropped,
        }
    }

    /// Drops the next `n` claim requests (`POST /v1/jobs/{id}/claim`) unanswered.
    pub fn drop_next_claims(&self, n: usize) {
        self.drop_claims.store(n, Ordering::SeqCst);
    }

    /// How many requests were dropped so far.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// Reads an HTTP head (up to the blank line): the lines without their line ends.
fn read_head(r: &mut impl BufRead) -> std::io::Result<Vec<String>> {
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            return Ok(lines);
        }
        lines.push(line);
    }
}

/// The head with any `Connection` header replaced by `Connection: close`.
fn closing(head: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in head
        .iter()
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
    {
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    out
}

/// Serves one request of `client`: drops it, or forwards it and the answer.
fn exchange(
    client: TcpStream,
    upstream: &str,
    drop_claims: &AtomicUsize,
    dropped: &AtomicUsize,
) -> std::io::Result<()> {
    let mut from_client = BufReader::new(client.try_clone()?);
    let head = read_head(&mut from_client)?;
    let len = head
        .iter()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    from_client.read_exact(&mut body)?;
    let is_claim = head
        .first()
        .is_some_and(|l| l.starts_with("POST ") && l.contains("/claim "));
    if is_claim
        && drop_claims
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    {
        dropped.fetch_add(1, Ordering::SeqCst);
        return client.shutdown(std::net::Shutdown::Both);
    }
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(&closing(&head))?;
    up.write_all(&body)?;
    let mut from_up = BufReader::new(up);
    let answer = read_head(&mut from_up)?;
    let mut to_client = client;
    to_client.write_all(&closing(&answer))?;
    std::io::copy(&mut from_up, &mut to_client)?;
    to_client.flush()
}
