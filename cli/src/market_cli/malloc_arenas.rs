//! The server's malloc arenas. glibc gives each thread that allocates an arena of its own, reserving 64 MiB
//! of address space for each (up to eight per core). Under an address-space limit (`ulimit -v`,
//! `prlimit --as`) those reservations, not the verifying keys the server budgets for, ran it out of memory:
//! with a 700 MiB limit the server aborted on an allocation while loading the k = 17 listing, with about
//! 90 MiB of keys loaded. `zkinfer market serve` therefore runs with `MALLOC_ARENA_MAX=2`: its work is HTTP,
//! the database and key loads on a bounded pool, which two arenas serve. glibc reads the variable when the
//! process starts, so the server re-executes itself once with it set (the same process id); a value the
//! operator set is kept.

use anyhow::{Context, Result};

/// The variable glibc reads, and the value the server runs with.
const VAR: &str = "MALLOC_ARENA_MAX";
const ARENAS: &str = "2";

/// Returns when this process already runs with `MALLOC_ARENA_MAX` set (or not on glibc); otherwise
/// replaces it with the same command with the variable set, and returns only if that fails.
pub(super) fn with_two_arenas() -> Result<()> {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) || std::env::var_os(VAR).is_some() {
        return Ok(());
    }
    exec_with_var()
}

#[cfg(unix)]
fn exec_with_var() -> Result<()> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().context("the path of this executable")?;
    let err = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(VAR, ARENAS)
        .exec();
    Err(err).context("re-executing the server with MALLOC_ARENA_MAX=2")
}

#[cfg(not(unix))]
fn exec_with_var() -> Result<()> {
    Ok(())
}
