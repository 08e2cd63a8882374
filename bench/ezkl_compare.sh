#!/usr/bin/env bash
# Side-by-side prover comparison with EZKL on the same models, inputs and machine (see ezkl_compare.py).
# Usage: bash bench/ezkl_compare.sh [--repeat N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
[[ -x $here/.venv/bin/python ]] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
(cd "$repo" && cargo build --release -q -p zkinfer-prover --bin zkinfer)
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq time >/dev/null 2>&1 || true; }
exec "$here/.venv/bin/python" "$here/ezkl_compare.py" "$@"
