#!/usr/bin/env bash
# ONNX's per-operator node test suite: runs every case of the installed `onnx` wheel through the circuit
# (compiler/tests/onnx_node_suite.rs with --include-ignored), rewrites models/conformance/node.txt with the
# cases that pass (each with twice its measured error as its bound), and copies their files into
# models/conformance/node/ so that CI runs them without Python.
#   scripts/conformance-node.sh [FILTER]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/models/.venv
ONNX_BACKEND_TEST_DATA=$(bash "$root/scripts/onnx-wheel.sh")
export ONNX_BACKEND_TEST_DATA
cd "$root"
NODE_SUITE_WRITE=models/conformance/node.txt \
  cargo test --release -q -p zkinfer-compiler --test onnx_node_suite -- --include-ignored "$@" | tail -n 40
"$venv/bin/python" scripts/conformance/node_suite.py
