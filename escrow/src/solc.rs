//! Compiles Solidity with the project's pinned compiler: the command in `ZKINFER_SOLC` (set by
//! `scripts/install-solc.sh`: solcjs 0.8.19 from npm) reads standard JSON on stdin and writes it on stdout.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::error::EscrowError;

/// One compiled contract: creation code, runtime code and ABI.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Creation (init) code.
    pub bytecode: Vec<u8>,
    /// Deployed (runtime) code.
    pub deployed_bytecode: Vec<u8>,
    /// The ABI, as solc writes it.
    pub abi: Value,
}

/// Compiles `sources` (file name, Solidity source) with the optimiser at `runs` (or off for `None`), and
/// returns every contract by `file:Contract`.
pub fn compile(
    sources: &[(&str, &str)],
    optimizer_runs: Option<u32>,
) -> Result<BTreeMap<String, Compiled>, EscrowError> {
    let command = std::env::var("ZKINFER_SOLC").map_err(|_| EscrowError::SolcNotSet)?;
    let mut parts = command.split_whitespace();
    let program = parts.next().ok_or(EscrowError::SolcNotSet)?;
    let srcs: serde_json::Map<String, Value> = sources
        .iter()
        .map(|(name, content)| (name.to_string(), json!({ "content": content })))
        .collect();
    let input = json!({
        "language": "Solidity",
        "sources": srcs,
        "settings": {
            "optimizer": { "enabled": optimizer_runs.is_some(), "runs": optimizer_runs.unwrap_or(200) },
            "outputSelection": { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } }
        }
    });
    let spawn_err = |source| EscrowError::SolcSpawn {
        command: command.clone(),
        source,
    };
    let mut child = Command::new(program)
        .args(parts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input.to_string().as_bytes())
            .map_err(spawn_err)?;
    }
    let out = child.wait_with_output().map_err(spawn_err)?;
    if !out.status.success() {
        return Err(EscrowError::SolcFailed {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let output: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| EscrowError::SolcOutput {
            what: format!("not JSON: {e}"),
        })?;
    parse_output(&output)
}

fn parse_output(output: &Value) -> Result<BTreeMap<String, Compiled>, EscrowError> {
    let missing = |what: &str| EscrowError::SolcOutput {
        what: what.to_string(),
    };
    let files = output
        .get("contracts")
        .and_then(Value::as_object)
        .ok_or_else(|| missing("no `contracts`"))?;
    let mut all = BTreeMap::new();
    for (file, contracts) in files {
        let contracts = contracts
            .as_object()
            .ok_or_else(|| missing("a file's contracts are not an object"))?;
        for (name, c) in contracts {
            let code = |path: &str| -> Result<Vec<u8>, EscrowError> {
                let hex_str = c
                    .pointer(path)
                    .and_then(Value::as_str)
                    .ok_or_else(|| missing(&format!("{file}:{name} has no {path}")))?;
                hex::decode(hex_str).map_err(|e| EscrowError::SolcOutput {
                    what: format!("{file}:{name} {path} is not hex: {e}"),
                })
            };
            all.insert(
                format!("{file}:{name}"),
                Compiled {
                    bytecode: code("/evm/bytecode/object")?,
                    deployed_bytecode: code("/evm/deployedBytecode/object")?,
                    abi: c.get("abi").cloned().unwrap_or(Value::Null),
                },
            );
        }
    }
    Ok(all)
}
