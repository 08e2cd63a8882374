#!/usr/bin/env bash
# Installs the pinned Solidity compiler (npm solc@0.8.19, solcjs: the compiler is inside the package, so it then
# works offline) into tools/solc/node_modules, and prints the command that compiles standard JSON:
#   eval "$(bash scripts/install-solc.sh)"   # sets ZKINFER_SOLC="node <repo>/tools/solc/compile.js"
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/tools/solc
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "error: Node.js and npm are needed to install solc (Debian packages nodejs and npm)" >&2
  exit 1
fi
if ! node -e "process.exit(require('$dir/node_modules/solc/package.json').version === '0.8.19' ? 0 : 1)" 2>/dev/null; then
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
version=$(node -e "console.log(require('$dir/node_modules/solc').version())")
case $version in
  0.8.19+*) ;;
  *) echo "error: tools/solc has solc $version, expected 0.8.19" >&2; exit 1 ;;
esac
echo "export ZKINFER_SOLC=\"node $dir/compile.js\""
