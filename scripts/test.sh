#!/usr/bin/env bash
# The whole test suite: what CI runs (.ci/run) and what the README tells a new user to run.
# Everything is built optimised: the tests prove real circuits.
#
# Build time is most of the run (CI: 2 cores). Every cargo command here selects the whole workspace with all
# targets (`--workspace --all-targets`), in the release profile, so that cargo resolves the same features each
# time and compiles each crate once: a `-p CRATE` build resolves features for that crate alone, and every crate
# whose features then differ (serde, halo2, tract, ...) is compiled again. Clippy runs in the release profile too,
# so the build scripts and proc-macros it compiles are the ones the test build uses.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

step "toolchain"
rustup show active-toolchain
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target list --installed | grep -q wasm32-unknown-unknown

step "formatting; the README's tables match bench/results"
cargo fmt --check   # the workspace members (`--all` would also reformat vendor/, a path dependency of the workspace-hack)
python3 bench/readme_tables.py --check

step "layering: every forbidden crate edge of ARCHITECTURE.md"
bash scripts/check-layering.sh

step "the workspace-hack is current (cargo hakari): every build reuses the crates the workspace build compiles"
bash scripts/check-hakari.sh

step "vendored crates: vendor/ is the published crates plus vendor/patches (scripts/vendor.sh --check)"
bash scripts/vendor.sh --check

step "lints: clippy on every crate and target, warnings are errors"
cargo clippy --release --workspace --all-targets -- -D warnings

step "docs: every crate's documentation builds without warnings (circuits, verifier and evm document every public item)"
# the whole workspace, so that the dependencies' check builds are clippy's (a `-p` selection resolves other features)
RUSTDOCFLAGS='-D warnings' cargo doc --release --workspace --no-deps

step "the browser verifier: the verifier crate builds for wasm32 without threads, bindings, size budget"
bash scripts/build-wasm.sh

step "PostgreSQL for the market tests (Debian's package; a throwaway server on 127.0.0.1)"
if pg_env=$(bash scripts/pg-test.sh); then
  eval "$pg_env"
  echo "ZKINFER_TEST_POSTGRES_URL=$ZKINFER_TEST_POSTGRES_URL"
else
  echo "error: could not start PostgreSQL, which the market's tests need (ZKINFER_TEST_SKIP_POSTGRES=1 skips them, never in CI)" >&2
  [[ "${ZKINFER_TEST_SKIP_POSTGRES:-}" == 1 ]] || exit 1
fi

step "the pinned solc (npm solc@0.8.19) for the EVM verifier and escrow tests"
# install-solc.sh fails (and so does this script) without Node.js/npm or with another solc; the exported
# ZKINFER_SOLC serves the tests below: every model's Solidity verifier in revm (sizes, gas, tampered statements
# revert) and the escrow contract's rules and attack cases.
solc_env=$(bash scripts/install-solc.sh)
eval "$solc_env"
eval "$(bash scripts/install-poseidon-js.sh)"  # poseidon-lite and poseidon-solidity: evm/tests/poseidon_parity.rs

step "the onnx wheel's test data for the compiler's no-panic sweep (models/.venv, pinned onnx from PyPI)"
# the version models/requirements.txt pins: later wheels no longer ship the per-operator node cases
ONNX_BACKEND_TEST_DATA=$(bash scripts/onnx-wheel.sh)
export ONNX_BACKEND_TEST_DATA
echo "ONNX_BACKEND_TEST_DATA=$ONNX_BACKEND_TEST_DATA"

step "tests (unit, MockProver, end-to-end, CLI, unseen models, EVM verifiers, escrow, market; benches run once as tests)"
# Plain `cargo test` is hermetic: tests that need PostgreSQL, solc, Node.js or the onnx wheel are
# #[ignore = "needs ..."] there. The services are up now, so they run here (--include-ignored); the GPU test
# is only compiled with the cuda feature (below), and measurements (`measure_*`) run on purpose, not in CI.
# Criterion benches take no libtest flags, so they run in a call of their own.
cargo test --release --workspace --all-targets --no-run
cargo test --release --workspace --no-fail-fast --lib --bins --tests -- --include-ignored --skip measure_
cargo test --release --workspace --benches
# the CLI that the browser and Python tests below use, from that same build
export ZKINFER_BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/zkinfer

step "the browser verifier: 40,000 fuzz cases on the real .wasm in Node, and the page in headless Chromium"
if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian's chromium for the browser test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
    echo "warning: could not install chromium" >&2
fi
if [[ ! -x /usr/bin/chromium && -z "${CHROMIUM:-}" ]]; then
  echo "error: no Chromium at /usr/bin/chromium (Debian package 'chromium'; this script installs it when run as root)" >&2
  exit 1
fi
(cd wasm-verifier/test && npm ci --no-audit --no-fund --loglevel=error && npm test)

step "the Python package: wheel (maturin) in a venv, pytest, examples/python"
bash scripts/python-test.sh

step "the CUDA backend builds (nvcc from PyPI wheels; no GPU needed) and its tests pass (the GPU proof skips without a GPU)"
# One command builds the CUDA binaries (integration tests build their package's binaries) and runs the GPU test;
# only the crates the feature touches are compiled again (the workspace-hack unifies the features it adds).
(
  eval "$(bash scripts/cuda-toolchain.sh)"
  cargo test --release --workspace --features zkinfer-cli/cuda --test gpu -- --nocapture
)
# leave the default (CPU-only) zkinfer in target/release for the user (its artifacts are still there: no rebuild)
cargo test --release --workspace --all-targets --no-run -q
step "done"
