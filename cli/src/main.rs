//! The `zkinfer` command (see [`zkinfer_cli::commands`]). Exit codes: 0 success (and a valid proof),
//! 1 an invalid proof, 2 bad or corrupt input of any kind.

use clap::Parser;
use std::process::ExitCode;
use zkinfer_cli::commands::Cli;

fn main() -> ExitCode {
    match Cli::parse().cmd.run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
