#!/usr/bin/env bash
# The full ONNX conformance run: every model the `onnx` package ships under
# onnx/backend/test/data/{pytorch-converted,pytorch-operator,simple,light} goes through
# compile -> setup -> prove -> verify, and the results table is written to models/conformance/RESULTS.md.
#   scripts/conformance.sh [--only SUBSTRING] [--max-k K]
# Needs Python 3 (it installs models/requirements.txt into models/.venv) and takes about half an hour on
# 2 cores. CI runs the committed subset instead (cli/tests/conformance_subset.rs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/models/.venv
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$root/models/requirements.txt"
cases=$(mktemp -d)
trap 'rm -rf "$cases"' EXIT
"$venv/bin/python" "$root/scripts/conformance/prepare.py" "$cases"
cd "$root"
cargo build --release -q -p zkinfer-cli --bin zkinfer-conformance
target/release/zkinfer-conformance "$cases" --out models/conformance/RESULTS.md \
  --json models/conformance/results.json "$@"
