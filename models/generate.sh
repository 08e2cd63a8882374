#!/usr/bin/env bash
# Regenerates the bundled models and test fixtures (see models/generate.py). Needs Python 3 and PyPI.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[[ -x $here/.venv/bin/python ]] || python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
"$here/.venv/bin/python" "$here/generate.py" "$@"
# PyTorch exports (attention block, GPT-style decoder, LSTM, GRU); with arguments, only generate.py's named sets
if [[ $# -eq 0 ]]; then "$here/.venv/bin/python" "$here/gen_torch.py"; fi
# larger CNNs for the scale tests (CIFAR ResNet, MobileNetV2 block): models/testdata/scale/
[[ $# -gt 0 ]] || "$here/.venv/bin/python" "$here/gen_scale.py"
# a residual MLP that splits into segments at --max-k 10, for the split-model CLI tests: models/testdata/segments/
[[ $# -gt 0 ]] || "$here/.venv/bin/python" "$here/gen_segments.py"
# tree ensembles (scikit-learn -> skl2onnx), with onnxruntime outputs: models/trees/
[[ $# -gt 0 ]] || "$here/.venv/bin/python" "$here/gen_trees.py"
# tree ensembles (scikit-learn, XGBoost, LightGBM) converted by hummingbird-ml (tree_trav, perf_tree_trav) and a
# PyTorch gather by a computed index, with onnxruntime outputs: models/hummingbird/
[[ $# -gt 0 ]] || "$here/.venv/bin/python" "$here/gen_hummingbird.py"
