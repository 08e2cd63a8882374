#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what the README tells a new user to run.
# Everything is built optimised: the tests prove real circuits.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "toolchain"
rustup show active-toolchain
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target list --installed | grep -q wasm32-unknown-unknown

step "formatting"
cargo fmt --all -- --check

step "layering: every forbidden crate edge of ARCHITECTURE.md"
bash scripts/check-layering.sh

step "lints: clippy on every crate and target, warnings are errors"
cargo clippy --workspace --all-targets -- -D warnings

step "docs: the verifier and circuits crates document every public item"
RUSTDOCFLAGS='-D warnings' cargo doc --no-deps -p zkinfer-circuits -p zkinfer-verifier -p zkinfer-compiler

step "the verifier builds for wasm32 without threads"
cargo build --release -p zkinfer-verifier --target wasm32-unknown-unknown

step "PostgreSQL for the market tests (Debian's package; a throwaway server on 127.0.0.1)"
if pg_env=$(bash scripts/pg-test.sh); then
  eval "$pg_env"
  echo "ZKINFER_TEST_POSTGRES_URL=$ZKINFER_TEST_POSTGRES_URL"
else
  echo "error: could not start PostgreSQL, which the market's tests need (ZKINFER_TEST_SKIP_POSTGRES=1 skips them, never in CI)" >&2
  [[ "${ZKINFER_TEST_SKIP_POSTGRES:-}" == 1 ]] || exit 1
fi

step "EVM: the pinned solc (npm solc@0.8.19), then every model's Solidity verifier in revm (sizes, gas, tampered statements revert)"
# install-solc.sh fails (and so does this script) without Node.js/npm or with another solc; the exported
# ZKINFER_SOLC also serves the workspace tests below (the escrow contract's rules and attack cases in revm).
solc_env=$(bash scripts/install-solc.sh)
eval "$solc_env"
cargo test --release -p zkinfer-evm --all-targets -- --nocapture

step "tests (unit, MockProver, end-to-end, CLI, unseen models, market; benches run once as tests)"
cargo test --release --workspace --all-targets --exclude zkinfer-evm

step "the browser verifier: 40,000 fuzz cases on the real .wasm in Node, size, and the page in headless Chromium"
if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "warning: could not install chromium" >&2
fi
bash scripts/build-wasm.sh
cargo build --release -p zkinfer-cli --bin zkinfer
if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" ]]; then
  echo "error: no Chromium at /usr/bin/chromium (Debian package 'chromium'; this script installs it when run as root)" >&2
  exit 1
fi
(cd wasm-verifier/test && npm ci --no-audit --no-fund --loglevel=error && npm test)

step "the Python package: wheel (maturin) in a venv, pytest, examples/python"
bash scripts/python-test.sh

step "the CUDA backend builds (nvcc from PyPI wheels; no GPU needed) and its tests pass (the GPU proof skips without a GPU)"
(
  eval "$(bash scripts/cuda-toolchain.sh)"
  cargo build --release -p zkinfer-cli --features cuda
  cargo test --release -p zkinfer-cli --features cuda --test gpu -- --nocapture
)
# leave the default (CPU-only) zkinfer in target/release for the user
cargo build --release -q -p zkinfer-cli --bin zkinfer
step "done"
