#!/usr/bin/env bash
# Installs the pinned JavaScript and Solidity Poseidon (npm poseidon-lite@0.3.0 and poseidon-solidity@0.0.5,
# tools/poseidon-js/package-lock.json) into tools/poseidon-js/node_modules for the parity test
# evm/tests/poseidon_parity.rs, and prints where they are:
#   eval "$(bash scripts/install-poseidon-js.sh)"   # sets ZKINFER_POSEIDON_JS=<repo>/tools/poseidon-js
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tools/poseidon-js
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: Node.js and npm are needed to install poseidon-lite and poseidon-solidity (Debian packages nodejs and npm)" >&2
  exit 1
fi
# the versions package.json pins, installed?
installed() {
  node -e "
    const want = require('$dir/package.json').dependencies;
    for (const [name, version] of Object.entries(want)) {
      if (require('$dir/node_modules/' + name + '/package.json').version !== version) process.exit(1);
    }" 2>/dev/null
}
if ! installed; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  if ! installed; then
    echo "error: tools/poseidon-js/node_modules does not hold the versions tools/poseidon-js/package.json pins" >&2
    exit 1
  fi
fi
if [[ ! -f $dir/node_modules/poseidon-solidity/PoseidonT6.sol ]]; then
  echo "error: poseidon-solidity has no PoseidonT6.sol in $dir/node_modules/poseidon-solidity" >&2
  exit 1
fi
echo "export ZKINFER_POSEIDON_JS=\"$dir\""
