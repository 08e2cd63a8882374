#!/usr/bin/env bash
# The crate layering of ARCHITECTURE.md, checked edge by edge: each crate and the crates it must never link
# (normal dependencies, transitively). Exit 1 naming the first forbidden edge found. The workspace-hack crate
# (cargo hakari: it only unifies the features the workspace builds third-party crates with, so that every build
# reuses the same compiled crates) is pruned: its edges are no code's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

ours='zkinfer-(circuits|compiler|verifier|prover|cli|market|market-types|market-client|wasm-verifier|python|evm|escrow)'
fail=0
# forbid CRATE REGEX WHY: CRATE's normal dependency tree must contain no package matching REGEX.
forbid() {
  local crate=$1 pattern=$2 why=$3 found
  # the first line is the crate itself
  found=$(cargo tree -p "$crate" -e normal --prune zkinfer-workspace-hack --prefix none --format '{p}' | tail -n +2 | grep -E "^($pattern) v" | sort -u || true)
  if [[ -n "$found" ]]; then
    echo "forbidden edge: $crate -> $(echo "$found" | head -n 3 | tr '\n' ' ')($why)" >&2
    fail=1
  else
    echo "ok: $crate links none of: $pattern"
  fi
}

forbid zkinfer-circuits "tract-[a-z-]+|$ours" "circuits is the bottom of the stack"
forbid zkinfer-compiler "zkinfer-(verifier|prover|cli|market|market-types|market-client|wasm-verifier|evm)" "the compiler knows only circuits"
forbid zkinfer-verifier "tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|market-types|market-client|wasm-verifier|evm)|snark-verifier|revm" "the verifier never learns how proofs are made"
forbid zkinfer-wasm-verifier "tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|market-types|market-client|evm)|snark-verifier|revm" "the browser verifier is the verifier alone"
forbid zkinfer-prover "axum|sqlx|clap|tokio|indicatif|ureq|zkinfer-(cli|market|market-types|market-client|wasm-verifier)" "the proving library has no CLI, runtime or market"
forbid zkinfer-market-types "tokio|axum|sqlx|ureq|tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|market-client|wasm-verifier)" "the market's wire types do no IO"
forbid zkinfer-market-client "tokio|axum|sqlx|tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|wasm-verifier)" "a client needs no server or database"
forbid zkinfer-python "axum|sqlx|clap|tokio|ureq|zkinfer-(cli|market|market-types|market-client|wasm-verifier)" "the Python binding links the libraries, never the CLI or the market"
# nothing links the Python binding (a cdylib for Python only)
for crate in zkinfer-circuits zkinfer-compiler zkinfer-verifier zkinfer-prover zkinfer-cli zkinfer-market zkinfer-market-types zkinfer-market-client zkinfer-wasm-verifier; do
  if cargo tree -p "$crate" -e normal,dev --prefix none --format '{p}' | tail -n +2 | grep -qE '^zkinfer-python v'; then
    echo "forbidden edge: $crate -> zkinfer-python (nothing links the Python binding)" >&2
    fail=1
  fi
done
forbid zkinfer-market "tract-[a-z-]+|zkinfer-(compiler|prover|cli|wasm-verifier|evm)|snark-verifier|revm" "the market verifies; it never proves or compiles"
forbid zkinfer-escrow "tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|market-types|market-client|wasm-verifier)" "the escrow links only evm, verifier and circuits"
forbid zkinfer-evm "tract-[a-z-]+|zkinfer-(compiler|prover|cli|market|market-types|market-client|wasm-verifier)" "the EVM crate reads only the verifier's artifacts"
# anyhow is for binaries: no library crate may depend on it directly (tract uses it internally, so only
# direct dependencies are checked).
for crate in zkinfer-circuits zkinfer-compiler zkinfer-verifier zkinfer-prover zkinfer-market-types zkinfer-market-client zkinfer-market zkinfer-wasm-verifier zkinfer-python zkinfer-evm zkinfer-escrow; do
  if cargo tree -p "$crate" -e normal --prefix none --depth 1 --format '{p}' | grep -qE '^anyhow v'; then
    echo "forbidden edge: $crate -> anyhow (libraries return thiserror enums)" >&2
    fail=1
  fi
done
exit "$fail"
