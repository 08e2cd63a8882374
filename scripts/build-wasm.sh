#!/usr/bin/env bash
# Builds the browser verifier into wasm-verifier/pkg: the .wasm, its JS glue (ES module) and TypeScript types.
# Installs what it needs: the wasm32 target and wasm-bindgen-cli at the exact version of the wasm-bindgen crate.
# Fails if the gzipped .wasm reaches 1 MiB (the page's download budget; vendor/halo2-axiom/VENDORED.md explains
# the 2 MB table that once broke it).
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^wasm-bindgen = "=\(.*\)"/\1/p' wasm-verifier/Cargo.toml)
rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true
if ! command -v wasm-bindgen >/dev/null || [[ "$(wasm-bindgen --version)" != "wasm-bindgen $version" ]]; then
  echo "installing wasm-bindgen-cli $version (one-time, a few minutes)" >&2
  # only the `wasm-bindgen` binary, without the test runner's TLS stack (rustls and ring: C and assembly to
  # compile) and at opt-level 1, which compiles faster and still binds our .wasm in seconds
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 cargo install --quiet wasm-bindgen-cli --version "$version" \
    --no-default-features --bin wasm-bindgen
fi
cargo build --profile wasm-release -p zkinfer-wasm-verifier --target wasm32-unknown-unknown
wasm=${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/zkinfer_wasm_verifier.wasm
rm -rf wasm-verifier/pkg
wasm-bindgen --target web --out-dir wasm-verifier/pkg "$wasm"
raw=$(wc -c <wasm-verifier/pkg/zkinfer_wasm_verifier_bg.wasm)
gz=$(gzip -9 -c wasm-verifier/pkg/zkinfer_wasm_verifier_bg.wasm | wc -c)
echo "wasm-verifier/pkg/zkinfer_wasm_verifier_bg.wasm: $raw bytes raw, $gz bytes gzipped"
max_gz=1048576
if ((gz >= max_gz)); then
  echo "error: the gzipped WASM verifier is $gz bytes, over its budget of $max_gz bytes (1 MiB)." >&2
  echo "       Look for a dependency feature that pulls in large tables or code (cargo tree -e features,no-dev" >&2
  echo "       -i halo2curves-axiom -p zkinfer-wasm-verifier --target wasm32-unknown-unknown)." >&2
  exit 1
fi
