#!/usr/bin/env bash
# The workspace-hack crate (workspace-hack/, managed by cargo hakari: https://docs.rs/cargo-hakari) unifies the
# features every workspace build compiles third-party crates with, so that the Python wheel (maturin builds
# python/ alone), the CUDA worker (`--features zkinfer-cli/cuda`) and `cargo test -p <crate>` reuse what
# `cargo test --workspace` compiled instead of compiling halo2, tract and serde again with other features.
# This checks that it is current: its contents are what `cargo hakari generate` writes now, and every member
# depends on it. Installs the pinned cargo-hakari into tools/hakari when none of that version is on PATH.
#
# After changing a dependency or its features:  cargo hakari generate && cargo hakari manage-deps
# (circuits, verifier and wasm-verifier depend on it only off wasm32, so that the browser verifier's build does
# not get the prover's features; manage-deps keeps those lines as they are).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
version=0.9.39
if [[ $(cargo hakari --version 2>/dev/null) != "cargo-hakari $version" ]]; then
  if [[ ! -x tools/hakari/bin/cargo-hakari ]] || [[ $(tools/hakari/bin/cargo-hakari hakari --version) != "cargo-hakari $version" ]]; then
    echo "installing cargo-hakari $version into tools/hakari (once)" >&2
    cargo install --quiet --locked --root tools/hakari cargo-hakari --version "$version" >&2
  fi
  export PATH=$root/tools/hakari/bin:$PATH
fi
if ! cargo hakari generate --diff; then
  echo "error: workspace-hack/Cargo.toml is out of date: run \`cargo hakari generate\` and commit it" >&2
  exit 1
fi
if ! cargo hakari manage-deps --dry-run >/dev/null; then
  cargo hakari manage-deps --dry-run >&2 || true
  echo "error: a workspace member does not depend on the workspace-hack: run \`cargo hakari manage-deps\`" >&2
  exit 1
fi
cargo hakari verify
