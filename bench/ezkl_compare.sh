#!/usr/bin/env bash
# Side-by-side prover comparison with EZKL on the same models, inputs and machine (see ezkl_compare.py).
# Usage: bash bench/ezkl_compare.sh [--repeat N] [--models a,b] [--sweep | --all] [--widths 32,128,...] [--redraw]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ -x $here/.venv/bin/python ]] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
# the build is not measured: let other work on the machine keep priority
(cd "$repo" && nice -n 10 cargo build --release -q -p zkinfer-cli --bin zkinfer)
exec "$here/.venv/bin/python" "$here/ezkl_compare.py" "$@"
