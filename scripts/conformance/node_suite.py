"""Copies the ONNX node test cases listed in models/conformance/node.txt from the installed `onnx` wheel into
models/conformance/node/<case>/ (model.onnx and test_data_set_0/), removes cases no longer listed, and writes
models/conformance/node_all.txt (every case of the wheel's node suite, so the others show as ignored).
Run by scripts/conformance-node.sh."""

import os
import shutil
import sys

import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONF = os.path.join(ROOT, "models", "conformance")


def main():
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
    listed = []
    with open(os.path.join(CONF, "node.txt")) as f:
        for line in f:
            line = line.split("#")[0].strip()
            if line:
                listed.append(line.split()[0])
    out = os.path.join(CONF, "node")
    os.makedirs(out, exist_ok=True)
    for old in os.listdir(out):
        if old not in listed:
            shutil.rmtree(os.path.join(out, old))
    for case in listed:
        src, dst = os.path.join(data, case), os.path.join(out, case)
        if os.path.isdir(dst):
            shutil.rmtree(dst)
        os.makedirs(os.path.join(dst, "test_data_set_0"))
        shutil.copy(os.path.join(src, "model.onnx"), dst)
        ds = os.path.join(src, "test_data_set_0")
        for f in sorted(os.listdir(ds)):
            shutil.copy(os.path.join(ds, f), os.path.join(dst, "test_data_set_0"))
    every = sorted(e for e in os.listdir(data) if os.path.isdir(os.path.join(data, e)))
    with open(os.path.join(CONF, "node_all.txt"), "w") as f:
        f.write("\n".join(every) + "\n")
    print(f"{len(listed)} of {len(every)} node cases in the manifest (onnx {onnx.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
