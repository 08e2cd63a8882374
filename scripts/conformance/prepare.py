"""Converts the ONNX backend test models shipped in the `onnx` wheel into zkinfer conformance cases.

For every model under onnx/backend/test/data/{pytorch-converted,pytorch-operator,simple,light}, writes
OUT/<suite>__<name>/ with model.onnx, input.json (EZKL input format, from test_data_set_0/input_*.pb),
expected.json (reference outputs from output_*.pb) and meta.json (op types, whether it is numeric).
"""

import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SUITES = ["pytorch-converted", "pytorch-operator", "simple", "light"]
NUMERIC = {
    onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16, onnx.TensorProto.INT8,
    onnx.TensorProto.INT16, onnx.TensorProto.INT32, onnx.TensorProto.INT64, onnx.TensorProto.UINT8,
    onnx.TensorProto.BOOL,
}


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def case_numeric(model):
    inits = {i.name for i in model.graph.initializer}
    for v in list(model.graph.input) + list(model.graph.output):
        if v.name in inits:
            continue
        t = v.type
        if not t.HasField("tensor_type") or t.tensor_type.elem_type not in NUMERIC:
            return False
    return True


def write_case(out, suite, name, model_path, inputs, outputs):
    model = onnx.load(model_path)
    d = os.path.join(out, f"{suite}__{name}")
    os.makedirs(d, exist_ok=True)
    shutil.copy(model_path, os.path.join(d, "model.onnx"))
    ops = sorted({n.op_type for n in model.graph.node})
    meta = {"suite": suite, "name": name, "ops": ops, "numeric": case_numeric(model)}
    if inputs is not None and meta["numeric"]:
        flat = [np.asarray(a, dtype=np.float64).reshape(-1).tolist() for a in inputs]
        with open(os.path.join(d, "input.json"), "w") as f:
            json.dump({"input_data": flat}, f)
    if outputs is not None and meta["numeric"]:
        # NaN (sqrt of a negative, say) is not JSON: null
        exp = [{"shape": list(np.shape(a)),
                "data": [None if np.isnan(v) else v for v in np.asarray(a, dtype=np.float64).reshape(-1).tolist()]}
               for a in outputs]
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump({"outputs": exp}, f)
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f)


def main():
    out = sys.argv[1]
    data = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data")
    os.makedirs(out, exist_ok=True)
    count = 0
    for suite in SUITES:
        root = os.path.join(data, suite)
        for entry in sorted(os.listdir(root)):
            p = os.path.join(root, entry)
            if os.path.isdir(p):
                ds = os.path.join(p, "test_data_set_0")
                n_in = len([f for f in os.listdir(ds) if f.startswith("input_")])
                n_out = len([f for f in os.listdir(ds) if f.startswith("output_")])
                try:
                    inputs = [load_pb(os.path.join(ds, f"input_{i}.pb")) for i in range(n_in)]
                    outputs = [load_pb(os.path.join(ds, f"output_{i}.pb")) for i in range(n_out)]
                except Exception:  # non-tensor (sequence, string) data
                    inputs, outputs = None, None
                write_case(out, suite, entry, os.path.join(p, "model.onnx"), inputs, outputs)
                count += 1
            elif entry.endswith(".onnx"):
                name = entry[: -len(".onnx")]
                outp = os.path.join(root, f"{name}_output_0.pb")
                outputs = [load_pb(outp)] if os.path.exists(outp) else None
                write_case(out, suite, name, p, None, outputs)
                count += 1
    print(f"{count} cases in {out}")


if __name__ == "__main__":
    main()
