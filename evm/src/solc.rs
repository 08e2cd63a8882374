//! The pinned Solidity compiler (npm `solc@0.8.19`, installed by `scripts/install-solc.sh` into `tools/solc`),
//! driven through its standard-JSON interface.
//!
//! ```no_run
//! use zkinfer_evm::solc::{Solc, Source, Optimizer};
//! let solc = Solc::locate()?;
//! let out = solc.compile(&[Source::solidity("A.sol", "contract A { function f() external pure returns (uint) { return 1; } }")], Optimizer::On { runs: 200 })?;
//! let a = out.contract("A")?;
//! println!("{} bytes deployed, compiled by {}", a.deployed.len(), out.version);
//! # Ok::<(), zkinfer_evm::solc::SolcError>(())
//! ```

use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use thiserror::Error;

/// The environment variable naming the compile command (`node <repo>/tools/solc/compile.js`), as printed by
/// `scripts/install-solc.sh`.
pub const SOLC_ENV: &str = "ZKINFER_SOLC";

/// The compiler version this project pins (the prefix of solc's `0.8.19+commit.7dd6d404` form).
pub const PINNED_VERSION: &str = "0.8.19";

/// Why a compilation failed.
#[derive(Debug, Error)]
pub enum SolcError {
    /// Neither `ZKINFER_SOLC` nor `tools/solc` (with its `node_modules`) is there.
    #[error("no Solidity compiler: run `eval \"$(bash scripts/install-solc.sh)\"` (sets {SOLC_ENV}); looked for {looked}")]
    NotFound {
        /// Where it looked.
        looked: String,
    },
    /// The compile command could not be started or fed.
    #[error("could not run the Solidity compiler `{command}`")]
    Spawn {
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The compiler reported errors (its messages, one per line).
    #[error("solc rejected the source:\n{messages}")]
    Compile {
        /// The compiler's formatted messages.
        messages: String,
    },
    /// The compiler's output is not the standard JSON expected.
    #[error("unexpected solc output: {what}")]
    Output {
        /// What was wrong with it.
        what: String,
    },
    /// The compiled sources have no contract of that name.
    #[error("solc produced no contract '{name}' (it produced: {produced})")]
    NoContract {
        /// The name asked for.
        name: String,
        /// The names it did produce.
        produced: String,
    },
    /// Another compiler than the pinned one answered.
    #[error("solc {found} answered; this project pins {PINNED_VERSION}")]
    Version {
        /// The version found.
        found: String,
    },
}

/// One source file.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its name (`Verifier.sol`).
    pub name: String,
    /// Its text.
    pub content: String,
}

impl Source {
    /// A Solidity source.
    pub fn solidity(name: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            content: content.into(),
        }
    }
}

/// The optimiser setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optimizer {
    /// Off (what the generated verifiers need: on, the code generator runs out of stack slots).
    Off,
    /// On, tuned for this many runs.
    On {
        /// solc's `runs` parameter.
        runs: u32,
    },
}

/// One compiled contract.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The contract's name.
    pub name: String,
    /// The source file it came from.
    pub source: String,
    /// Its ABI.
    pub abi: Value,
    /// The creation code (constructor arguments are appended to it when deploying).
    pub creation: Vec<u8>,
    /// The runtime code the creation code deploys (what EIP-170 limits to 24,576 bytes).
    pub deployed: Vec<u8>,
}

/// The result of one compilation.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The compiler's full version (`0.8.19+commit.7dd6d404`).
    pub version: String,
    /// Every contract produced.
    pub contracts: Vec<Artifact>,
    /// The compiler's warnings (formatted).
    pub warnings: Vec<String>,
}

impl Compiled {
    /// The contract called `name`.
    pub fn contract(&self, name: &str) -> Result<&Artifact, SolcError> {
        self.contracts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| SolcError::NoContract {
                name: name.to_string(),
                produced: self
                    .contracts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The compile command: standard JSON in on stdin, standard JSON out on stdout.
#[derive(Debug, Clone)]
pub struct Solc {
    program: String,
    args: Vec<String>,
}

impl Solc {
    /// The compiler of `ZKINFER_SOLC` (a command line, split on whitespace), else `node tools/solc/compile.js`
    /// of the source tree this crate was built from, when its `node_modules` are installed.
    pub fn locate() -> Result<Self, SolcError> {
        if let Ok(cmd) = std::env::var(SOLC_ENV) {
            let mut words = cmd.split_whitespace().map(str::to_string);
            if let Some(program) = words.next() {
                return Ok(Self {
                    program,
                    args: words.collect(),
                });
            }
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tools/solc");
        if dir.join("node_modules/solc/package.json").is_file() {
            return Ok(Self {
                program: "node".into(),
                args: vec![dir.join("compile.js").display().to_string()],
            });
        }
        Err(SolcError::NotFound {
            looked: format!("${SOLC_ENV} (unset) and {}", dir.display()),
        })
    }

    fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Compiles Solidity `sources` for the London-and-later EVM (`paris`, no PUSH0, so the code
    /// runs on every chain that has the BN254 precompiles) and checks the pinned version answered.
    pub fn compile(&self, sources: &[Source], optimizer: Optimizer) -> Result<Compiled, SolcError> {
        let mut src = serde_json::Map::new();
        for s in sources {
            src.insert(s.name.clone(), json!({ "content": s.content }));
        }
        let (enabled, runs) = match optimizer {
            Optimizer::Off => (false, 200),
            Optimizer::On { runs } => (true, runs),
        };
        let input = json!({
            "language": "Solidity",
            "sources": src,
            "settings": {
                "optimizer": { "enabled": enabled, "runs": runs },
                "evmVersion": "paris",
                "outputSelection": { "*": { "*": ["abi", "metadata", "evm.bytecode.object", "evm.deployedBytecode.object"] } }
            }
        });
        let stdout = self.run(&input.to_string())?;
        parse_output(&stdout)
    }

    fn run(&self, input: &str) -> Result<Vec<u8>, SolcError> {
        let spawn = |source| SolcError::Spawn {
            command: self.command_line(),
            source,
        };
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn)?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes()).map_err(spawn)?;
        }
        let out = child.wait_with_output().map_err(spawn)?;
        if !out.status.success() {
            let messages = String::from_utf8_lossy(&out.stderr).trim().to_string();
            return Err(SolcError::Compile {
                messages: if messages.is_empty() {
                    format!("`{}` exited with {}", self.command_line(), out.status)
                } else {
                    messages
                },
            });
        }
        Ok(out.stdout)
    }
}

fn output_err(what: impl Into<String>) -> SolcError {
    SolcError::Output { what: what.into() }
}

fn hex_field(v: &Value, path: &[&str]) -> Result<Vec<u8>, SolcError> {
    let mut cur = v;
    for p in path {
        cur = cur
            .get(*p)
            .ok_or_else(|| output_err(format!("no {}", path.join("."))))?;
    }
    let s = cur
        .as_str()
        .ok_or_else(|| output_err(format!("{} is not a string", path.join("."))))?;
    hex::decode(s).map_err(|e| output_err(format!("{}: {e}", path.join("."))))
}

/// Reads solc's standard-JSON output (errors, contracts, the version from the metadata).
fn parse_output(stdout: &[u8]) -> Result<Compiled, SolcError> {
    let v: Value =
        serde_json::from_slice(stdout).map_err(|e| output_err(format!("not JSON: {e}")))?;
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    for e in v
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let msg = e
            .get("formattedMessage")
            .or_else(|| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("(no message)")
            .to_string();
        if e.get("severity").and_then(Value::as_str) == Some("error") {
            errors.push(msg);
        } else {
            warnings.push(msg);
        }
    }
    if !errors.is_empty() {
        return Err(SolcError::Compile {
            messages: errors.join("\n"),
        });
    }
    let mut contracts = Vec::new();
    let mut version = None;
    let files = v
        .get("contracts")
        .and_then(Value::as_object)
        .ok_or_else(|| output_err("no contracts"))?;
    for (file, named) in files {
        let named = named
            .as_object()
            .ok_or_else(|| output_err(format!("contracts.{file} is not an object")))?;
        for (name, c) in named {
            if version.is_none() {
                version = c
                    .get("metadata")
                    .and_then(Value::as_str)
                    .and_then(|m| serde_json::from_str::<Value>(m).ok())
                    .and_then(|m| m["compiler"]["version"].as_str().map(str::to_string));
            }
            contracts.push(Artifact {
                name: name.clone(),
                source: file.clone(),
                abi: c.get("abi").cloned().unwrap_or_else(|| json!([])),
                creation: hex_field(c, &["evm", "bytecode", "object"])?,
                deployed: hex_field(c, &["evm", "deployedBytecode", "object"])?,
            });
        }
    }
    let version = version.unwrap_or_else(|| "unknown".into());
    if !version.starts_with(PINNED_VERSION) && version != "unknown" {
        return Err(SolcError::Version { found: version });
    }
    Ok(Compiled {
        version,
        contracts,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiler_errors_are_reported_with_their_messages() {
        let out =
            br#"{"errors":[{"severity":"error","formattedMessage":"ParserError: Expected ';'"}]}"#;
        let e = parse_output(out).expect_err("error");
        assert!(e.to_string().contains("Expected ';'"), "{e}");
    }

    #[test]
    fn another_version_is_refused() {
        let out = br#"{"contracts":{"a.sol":{"A":{"abi":[],"metadata":"{\"compiler\":{\"version\":\"0.8.20+commit.a1b79de6\"}}","evm":{"bytecode":{"object":"00"},"deployedBytecode":{"object":"00"}}}}}}"#;
        assert!(matches!(parse_output(out), Err(SolcError::Version { .. })));
    }
}
