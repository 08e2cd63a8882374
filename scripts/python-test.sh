#!/usr/bin/env bash
# The Python package (python/): a venv in python/.venv (gitignored) with pinned packages
# (python/requirements/), the abi3 wheel built by maturin in the workspace's target directory with its release
# profile (so it reuses the crates that `cargo build --release` compiled), then the pytest suite
# (python/tests) and the examples (examples/python). Fails, never skips, when anything is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
venv=$root/python/.venv
PYTHON=${PYTHON:-python3}

step() { printf '\n-- %s\n' "$*"; }
timed() { local t0=$SECONDS; "$@"; echo "   [$((SECONDS - t0)) s] $*" | cut -c1-160; }

step "python venv ($venv) and pinned packages"
"$PYTHON" -c 'import sys; assert sys.version_info >= (3, 9), "zkinfer needs CPython >= 3.9"'
[[ -x $venv/bin/python ]] || timed "$PYTHON" -m venv "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
timed "${pip[@]}" -r python/requirements/test.txt
timed "${pip[@]}" --no-deps -r python/requirements/torch.txt
timed "${pip[@]}" -r python/requirements/torch-libs.txt

step "the zkinfer CLI (the tests move proofs between it and Python)"
# scripts/test.sh sets ZKINFER_BIN to the CLI its workspace build made; a `-p zkinfer-cli` build there would
# resolve other features and compile many crates again
if [[ -z ${ZKINFER_BIN:-} ]]; then
  timed cargo build --release -q -p zkinfer-cli --bin zkinfer
  export ZKINFER_BIN=$target/release/zkinfer
fi
[[ -x $ZKINFER_BIN ]] || { echo "error: no zkinfer CLI at $ZKINFER_BIN" >&2; exit 1; }

step "the wheel (maturin, release profile, target dir $target)"
rm -rf "$target/wheels/zkinfer-"*.whl
timed "$venv/bin/maturin" build --release --quiet -m python/Cargo.toml -i "$venv/bin/python" -o "$target/wheels"
timed "${pip[@]}" --force-reinstall --no-deps "$target"/wheels/zkinfer-*-abi3-*.whl
"$venv/bin/python" -c 'import zkinfer, sys; print("zkinfer", zkinfer.__version__, "on Python", sys.version.split()[0])'

step "pytest python/tests"
# pytest (not `python -m pytest`, which would put the working directory, and with it the source tree's
# python/zkinfer without its native module, first on sys.path), from the repository root
timed "$venv/bin/pytest" -q -p no:cacheprovider python/tests

step "examples/python"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
timed "$venv/bin/python" examples/python/torch_digits.py "$out/torch"
timed "$venv/bin/python" examples/python/sklearn_iris.py "$out/sklearn"
mkdir "$out/verifier-only"
cp "$out"/torch/{settings.json,vk.bin,verifier_params.bin} "$out/verifier-only/"
timed "$venv/bin/python" examples/python/verify_only.py "$out/verifier-only" "$out/torch/proof.json" --allow-dev-srs
# without the opt-in, a development SRS's proof is refused (exit 1), as `zkinfer verify` does
if "$venv/bin/python" examples/python/verify_only.py "$out/verifier-only" "$out/torch/proof.json"; then
  echo "error: verify_only.py accepted a development SRS without --allow-dev-srs" >&2
  exit 1
fi
echo "python: all passed"
