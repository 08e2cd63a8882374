//! Progress display for long steps: a spinner on a terminal, nothing when output is redirected.

use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// A spinner with a message and the elapsed time (hidden unless stderr is a terminal).
pub fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("   {spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(100));
    pb
}
