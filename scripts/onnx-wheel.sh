#!/usr/bin/env bash
# The onnx wheel whose backend test data the compiler's no-panic sweep and node-suite survey read, in
# models/.venv: the version pinned in models/requirements.txt. onnx 1.19 and later no longer ship the
# per-operator `node` cases, so any other version installed there is replaced.
#   bash scripts/onnx-wheel.sh        prints the data folder
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/models/.venv
pin=$(grep '^onnx==' "$root/models/requirements.txt")
want=${pin#onnx==}
have() { "$venv/bin/python" -c 'import onnx; print(onnx.__version__)' 2>/dev/null || true; }
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
if [[ $(have) != "$want" ]]; then
  "$venv/bin/pip" install -q --disable-pip-version-check "$pin" >&2
fi
data=$("$venv/bin/python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "backend/test/data"))')
if [[ $(have) != "$want" || ! -d $data/node ]]; then
  echo "error: $venv has onnx $(have), not $want with its node test data ($data/node)" >&2
  exit 1
fi
echo "$data"
