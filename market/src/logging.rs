//! Structured, timestamped logs (`tracing`): the server logs every request (method, path, status,
//! latency) under target `zkinfer_market::http` and every state change (claim, submit, settle, slash,
//! refund, cancel, mint, listing, stake, expiry) under `zkinfer_market::events`.

/// Installs a subscriber printing timestamped lines to stderr (coloured only on a terminal), filtered
/// by `RUST_LOG` (default `info`).
/// Does nothing when one is already installed (a binary or test that set up its own).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Logs one state change of the market.
#[macro_export]
#[doc(hidden)]
macro_rules! event {
    ($($arg:tt)*) => {
        tracing::info!(target: "zkinfer_market::events", $($arg)*)
    };
}
