//! The read-only client commands of `zkinfer market`: jobs, show, balance, history and totals.

use super::{print, Conn};
use anyhow::{anyhow, bail, Result};
use clap::Args;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zkinfer_market::client::{Client, ClientError, JobQuery};
use zkinfer_market::types::{Job, JobState};

/// Exit code of `show --result` when the job is not settled yet (or `--wait` timed out).
pub(super) const NOT_READY: u8 = 3;

/// The server's largest page.
const MAX_PAGE: usize = 500;

/// `zkinfer market jobs [--state S] [--model M] [--mine] [--limit N] [--after ID] [--with-input]`.
#[derive(Debug, Args)]
pub(super) struct JobsArgs {
    #[command(flatten)]
    c: Conn,
    /// OPEN, CLAIMED, SETTLED, REFUNDED or CANCELLED.
    #[arg(long)]
    state: Option<String>,
    /// A listing id.
    #[arg(long)]
    model: Option<String>,
    /// Only jobs of the --key's account (as buyer or as the provider that claimed them).
    #[arg(long)]
    mine: bool,
    /// At most this many jobs (most urgent first: deadline, highest price, id); pages as needed.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    limit: u64,
    /// Start after this job id (the last one of a previous listing).
    #[arg(long)]
    after: Option<String>,
    /// Include each job's input (left out by default).
    #[arg(long)]
    with_input: bool,
}

impl JobsArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let cl = self.c.client()?;
        let party = if self.mine {
            let k = cl.key();
            if k.is_empty() {
                bail!("--mine needs --key");
            }
            Some(k)
        } else {
            None
        };
        let want = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let mut q = JobQuery {
            state: self.state,
            listing_id: self.model,
            party,
            after: self.after,
            include_input: self.with_input,
            ..Default::default()
        };
        let mut out: Vec<Job> = Vec::new();
        loop {
            let page_size = (want - out.len()).min(MAX_PAGE);
            q.limit = Some(page_size as i64);
            let page = cl.jobs_page(&q).map_err(|e| anyhow!(e))?;
            let n = page.len();
            q.after = page.last().map(|j| j.id.clone());
            out.extend(page);
            if n < page_size || out.len() >= want {
                break;
            }
        }
        print(&out)
    }
}

/// `zkinfer market show JOB [--result [--wait [--timeout S]]]`.
#[derive(Debug, Args)]
pub(super) struct ShowArgs {
    #[command(flatten)]
    c: Conn,
    job: String,
    /// The verified outputs (signed by the buyer). Exit 3 with "not ready" while the job is unsettled.
    #[arg(long)]
    result: bool,
    /// With --result: wait until the job is settled, refunded or cancelled.
    #[arg(long, requires = "result")]
    wait: bool,
    /// With --wait: give up (exit 3) after this many seconds.
    #[arg(long, default_value_t = 600, requires = "wait")]
    timeout: u64,
}

impl ShowArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let cl = self.c.client()?;
        if !self.result {
            return print(&cl.job(&self.job)?);
        }
        let t = Instant::now();
        let job = loop {
            let j = cl.job(&self.job)?;
            if j.state.is_terminal() {
                break j;
            }
            if !self.wait || t.elapsed() >= Duration::from_secs(self.timeout) {
                eprintln!(
                    "job {} is not ready: {}{}",
                    j.id,
                    j.state,
                    if self.wait { " (timed out)" } else { "" }
                );
                return Ok(ExitCode::from(NOT_READY));
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        if job.state != JobState::Settled {
            print(&job)?;
            eprintln!("job {} ended {} without a result", job.id, job.state);
            return Ok(ExitCode::from(1));
        }
        print(&cl.job_result(&self.job)?)
    }
}

/// `zkinfer market balance [ACCOUNT|treasury]`.
#[derive(Debug, Args)]
pub(super) struct BalanceArgs {
    #[command(flatten)]
    c: Conn,
    /// An account key (default: the --key's), or `treasury` for the market's totals.
    account: Option<String>,
}

/// A clear message for a failed account lookup.
fn account_error(who: &str, e: ClientError) -> anyhow::Error {
    match e.status {
        404 => anyhow!("no account {who} on this market (it never held money: misspelt?)"),
        400 => anyhow!("{who} is not an account key (64 hex digits): {}", e.message),
        _ => anyhow!(e),
    }
}

impl BalanceArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let cl = self.c.client()?;
        let who = self.account.unwrap_or_else(|| cl.key());
        if who.is_empty() {
            bail!("give an account or --key");
        }
        if who == "treasury" {
            return print(&cl.totals()?);
        }
        print(&cl.balances(&who).map_err(|e| account_error(&who, e))?)
    }
}

/// `zkinfer market history [ACCOUNT] [--after ID] [--limit N]`.
#[derive(Debug, Args)]
pub(super) struct HistoryArgs {
    #[command(flatten)]
    c: Conn,
    /// An account key (default: the --key's).
    account: Option<String>,
    /// Entries after this entry id.
    #[arg(long, default_value_t = 0)]
    after: i64,
    /// At most this many entries (all when not given).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    limit: Option<u64>,
}

impl HistoryArgs {
    pub(super) fn run(self) -> Result<ExitCode> {
        let cl: Client = self.c.client()?;
        let who = self.account.unwrap_or_else(|| cl.key());
        if who.is_empty() {
            bail!("give an account or --key");
        }
        cl.balances(&who).map_err(|e| account_error(&who, e))?;
        let want = self
            .limit
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        let mut out = Vec::new();
        let mut after = self.after;
        loop {
            let page_size = (want - out.len()).min(MAX_PAGE);
            let page = cl
                .entries(&who, after, page_size as i64)
                .map_err(|e| account_error(&who, e))?;
            let n = page.len();
            if let Some(last) = page.last() {
                after = last.id;
            }
            out.extend(page);
            if n < page_size || out.len() >= want {
                break;
            }
        }
        print(&out)
    }
}
