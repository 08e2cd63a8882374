//! Retries of the provider's requests while the server cannot answer (down, restarting, its database
//! failing): a transient failure is retried with exponential backoff and never taken as the server's
//! answer, so an outage neither loses a proof nor makes the loop give up a job for good.

use std::collections::HashMap;
use std::time::{Duration, Instant};
use zkinfer_market::client::{Client, ClientError};
use zkinfer_market::types::{ClaimInfo, SubmitResult};

/// Whether a failed request may succeed when sent again: no answer, a server error (5xx) or "too many
/// requests" (429). Every other status is the server's answer.
pub(super) fn is_transient(e: &ClientError) -> bool {
    e.is_transport() || e.status >= 500 || e.status == 429
}

/// Submits, retrying the same proof (idempotent on the server) while the server cannot be reached.
pub fn submit_with_retries(
    client: &Client,
    job: &str,
    claim: &str,
    proof: serde_json::Value,
) -> Result<SubmitResult, ClientError> {
    with_backoff(40, Duration::from_secs(2), || {
        client.submit(job, claim, proof.clone())
    })
}

/// Claims a job, retrying a few times (about 1.4 s in all) while the server cannot answer; the last
/// transient failure is returned when it still cannot, and the loop tries the job again later.
pub(super) fn claim_with_retries(client: &Client, job: &str) -> Result<ClaimInfo, ClientError> {
    with_backoff(4, Duration::from_millis(800), || client.claim(job))
}

/// Runs `f` up to `tries` times, waiting 200 ms, then twice as long each time up to `max_delay`, after
/// each transient failure.
fn with_backoff<T>(
    tries: usize,
    max_delay: Duration,
    mut f: impl FnMut() -> Result<T, ClientError>,
) -> Result<T, ClientError> {
    let mut delay = Duration::from_millis(200);
    let mut last = None;
    for i in 0..tries {
        match f() {
            Err(e) if is_transient(&e) => {
                last = Some(e);
                if i + 1 < tries {
                    std::thread::sleep(delay);
                    delay = (delay * 2).min(max_delay);
                }
            }
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| ClientError {
        status: 0,
        code: "transport".into(),
        message: "no attempt made".into(),
        body: serde_json::Value::Null,
    }))
}

/// When each job whose claim failed transiently may be tried again: 2 s after the first failure,
/// doubling per failure up to a minute. A job is never given up for a failure of the server.
#[derive(Debug, Default)]
pub(super) struct RetryLater {
    jobs: HashMap<String, (u32, Instant)>,
}

impl RetryLater {
    /// Records a transient failure of `job`; returns the wait before the next try.
    pub(super) fn failed(&mut self, job: &str) -> Duration {
        let e = self
            .jobs
            .entry(job.to_string())
            .or_insert((0, Instant::now()));
        e.0 = e.0.saturating_add(1);
        let wait = Duration::from_secs(2)
            .saturating_mul(1 << e.0.saturating_sub(1).min(5))
            .min(Duration::from_secs(60));
        e.1 = Instant::now() + wait;
        wait
    }

    /// Whether `job` may be tried now.
    pub(super) fn ready(&self, job: &str) -> bool {
        self.jobs
            .get(job)
            .is_none_or(|(_, at)| Instant::now() >= *at)
    }

    /// Forgets `job` (claimed, or the server answered).
    pub(super) fn forget(&mut self, job: &str) {
        self.jobs.remove(job);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn err(status: u16) -> ClientError {
        ClientError {
            status,
            code: String::new(),
            message: String::new(),
            body: serde_json::Value::Null,
        }
    }

    #[test]
    fn transient_failures_are_retried_answers_are_not() {
        let n = Cell::new(0);
        let r = with_backoff(4, Duration::from_millis(1), || {
            n.set(n.get() + 1);
            if n.get() < 3 {
                Err(err(503))
            } else {
                Ok(n.get())
            }
        });
        assert_eq!(r.ok(), Some(3));
        let n = Cell::new(0);
        let r: Result<(), _> = with_backoff(4, Duration::from_millis(1), || {
            n.set(n.get() + 1);
            Err(err(409))
        });
        assert_eq!((r.map_err(|e| e.status), n.get()), (Err(409), 1));
        assert!(is_transient(&err(0)) && is_transient(&err(429)) && !is_transient(&err(402)));
    }

    #[test]
    fn a_failed_job_waits_longer_each_time_but_is_never_dropped() {
        let mut r = RetryLater::default();
        assert!(r.ready("j"));
        assert_eq!(r.failed("j"), Duration::from_secs(2));
        assert!(!r.ready("j"));
        assert_eq!(r.failed("j"), Duration::from_secs(4));
        for _ in 0..10 {
            r.failed("j");
        }
        assert_eq!(r.failed("j"), Duration::from_secs(60));
        r.forget("j");
        assert!(r.ready("j"));
    }
}
