//! `zkinfer-conformance CASES_DIR [--out TABLE.md] [--json RESULTS.json] [--max-k K] [--only SUBSTR]`:
//! runs every prepared case (see `scripts/conformance.sh`) and writes the results table.

use anyhow::{Context, Result};
use std::path::PathBuf;
use zkinfer_cli::conformance::{cases, markdown, run_case, Limits};

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let (mut out, mut json, mut only) = (None, None, None);
    let mut limits = Limits::default();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            "--json" => json = args.next().map(PathBuf::from),
            "--only" => only = args.next(),
            "--max-k" => {
                limits.max_k = args.next().context("--max-k needs a value")?.parse()?;
            }
            _ => root = Some(PathBuf::from(a)),
        }
    }
    let root = root.context(
        "usage: zkinfer-conformance CASES_DIR [--out TABLE.md] [--json F] [--max-k K] [--only S]",
    )?;
    let mut all = cases(&root)?;
    if let Some(o) = &only {
        all.retain(|p| p.to_string_lossy().contains(o.as_str()));
    }
    let scratch = tempfile::tempdir()?;
    let mut results = Vec::new();
    for (i, case) in all.iter().enumerate() {
        let work = scratch.path().join(format!("case{i}"));
        std::fs::create_dir_all(&work)?;
        // a panic inside a dependency (halo2) must not end the run: record it as the case's failure
        let r = std::panic::catch_unwind(|| run_case(case, &work, &limits)).unwrap_or_else(|p| {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            zkinfer_cli::conformance::CaseResult::failed(case, format!("panic: {msg}"))
        });
        println!(
            "[{}/{}] {:<60} {}",
            i + 1,
            all.len(),
            r.name,
            if r.passed {
                "pass".to_string()
            } else {
                format!("FAIL: {}", r.reason)
            }
        );
        let _ = std::fs::remove_dir_all(&work);
        results.push(r);
    }
    let passed = results.iter().filter(|r| r.passed).count();
    let numeric = results.iter().filter(|r| r.numeric).count();
    println!("{passed} of {numeric} numeric models pass");
    let command = "scripts/conformance.sh";
    if let Some(p) = out {
        std::fs::write(&p, markdown(&results, command)).with_context(|| p.display().to_string())?;
    }
    if let Some(p) = json {
        std::fs::write(&p, serde_json::to_string_pretty(&results)?)
            .with_context(|| p.display().to_string())?;
    }
    Ok(())
}
