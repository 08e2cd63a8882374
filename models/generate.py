#!/usr/bin/env python3
"""Regenerates zkinfer's bundled models and test fixtures.

Run `bash models/generate.sh` (it makes a virtual environment with models/requirements.txt).
Everything it writes is committed, so tests never train or need Python:

- models/digits_mlp/   the default model: an MLP classifier trained on scikit-learn's bundled 8x8 digits data
                        (1,797 real handwritten digits), exported to ONNX as Mul(1/16) -> MatMul -> Add -> Relu -> Gemm.
- models/iris_mlp/     a second real classifier (scikit-learn's iris data), Gemm(transB) -> Relu -> Gemm.
- models/testdata/     MLPs with random weights that the compiler was never written against, each with an input and
                        onnxruntime's output (expected.json), used by the "unseen models" tests.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits, load_iris
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 13


def save(model, path):
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")


def run_ort(path, feeds):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


def digits_mlp():
    data = load_digits()
    x, y = data.data.astype(np.float32), data.target
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=7, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(32,), activation="relu", max_iter=600, random_state=1)
    clf.fit(x_tr / 16.0, y_tr)
    acc = clf.score(x_te / 16.0, y_te)
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    nodes = [
        helper.make_node("Mul", ["input", "inv16"], ["scaled"], name="scale_pixels"),
        helper.make_node("MatMul", ["scaled", "W1"], ["h_pre"], name="fc1_matmul"),
        helper.make_node("Add", ["h_pre", "b1"], ["h_biased"], name="fc1_bias"),
        helper.make_node("Relu", ["h_biased"], ["h"], name="fc1_relu"),
        helper.make_node("Gemm", ["h", "W2T", "b2"], ["logits"], name="fc2_gemm", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        [init("inv16", np.array([1.0 / 16.0])), init("W1", w1), init("b1", b1), init("W2T", w2.T), init("b2", b2)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-models", ir_version=8)
    out = os.path.join(HERE, "digits_mlp")
    path = os.path.join(out, "model.onnx")
    save(model, path)
    # the demo input: the first held-out image the float model classifies correctly
    first = int(np.flatnonzero(clf.predict(x_te / 16.0) == y_te)[0])
    sample = x_te[first]
    write_json(os.path.join(out, "input.json"), {"input_data": [sample.tolist()]})
    # calibration samples: 64 training images, a batch in one file
    write_json(os.path.join(out, "calibration.json"), {"input_data": [x_tr[:64].reshape(-1).tolist()]})
    # held-out images with labels, for the accuracy report
    write_json(os.path.join(out, "heldout.json"), {"input_data": [x_te[:100].reshape(-1).tolist()],
                                                  "labels": y_te[:100].tolist()})
    logits = run_ort(path, {"input": sample[None, :]})[0]
    write_json(os.path.join(out, "meta.json"), {
        "description": "MLP 64-32-10 on scikit-learn's 8x8 digits (1,797 images), inputs are raw pixels 0..16",
        "label": int(y_te[first]), "classes": [str(i) for i in range(10)],
        "test_accuracy_float": round(float(acc), 4), "onnxruntime_logits": logits[0].tolist()})
    print(f"digits_mlp: test accuracy {acc:.4f}")


def iris_mlp():
    data = load_iris()
    x, y = data.data.astype(np.float32), data.target
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.3, random_state=3, stratify=y)
    clf = MLPClassifier(hidden_layer_sizes=(8,), activation="relu", max_iter=2000, random_state=0)
    clf.fit(x_tr, y_tr)
    acc = clf.score(x_te, y_te)
    w1, w2 = clf.coefs_
    b1, b2 = clf.intercepts_
    nodes = [
        helper.make_node("Gemm", ["input", "W1T", "b1"], ["h_pre"], name="fc1", transB=1),
        helper.make_node("Relu", ["h_pre"], ["h"], name="relu1"),
        helper.make_node("Gemm", ["h", "W2", "b2"], ["logits"], name="fc2"),
    ]
    graph = helper.make_graph(
        nodes, "iris_mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 3])],
        [init("W1T", w1.T), init("b1", b1), init("W2", w2), init("b2", b2)],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-models", ir_version=8)
    out = os.path.join(HERE, "iris_mlp")
    path = os.path.join(out, "model.onnx")
    save(model, path)
    write_json(os.path.join(out, "input.json"), {"input_data": [x_te[0].tolist()]})
    write_json(os.path.join(out, "calibration.json"), {"input_data": [x_tr.reshape(-1).tolist()]})
    write_json(os.path.join(out, "heldout.json"), {"input_data": [x_te.reshape(-1).tolist()], "labels": y_te.tolist()})
    write_json(os.path.join(out, "meta.json"), {
        "description": "MLP 4-8-3 on scikit-learn's iris data (150 flowers)", "label": int(y_te[0]),
        "classes": list(data.target_names), "test_accuracy_float": round(float(acc), 4)})
    print(f"iris_mlp: test accuracy {acc:.4f}")


def unseen(name, nodes, inputs, outputs, inits, feeds, rng):
    graph = helper.make_graph(nodes, name, inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-tests", ir_version=8)
    out = os.path.join(HERE, "testdata", name)
    path = os.path.join(out, "model.onnx")
    save(model, path)
    results = run_ort(path, feeds)
    (inp,) = feeds.values()
    write_json(os.path.join(out, "input.json"), {"input_data": [inp.reshape(-1).tolist()]})
    calib = rng.uniform(-1.0, 1.0, size=(16,) + inp.shape[1:]).astype(np.float32)
    calib[0] = inp[0]
    write_json(os.path.join(out, "calibration.json"), {"input_data": [calib.reshape(-1).tolist()]})
    write_json(os.path.join(out, "expected.json"), {"outputs": [r.reshape(-1).tolist() for r in results],
                                                    "shapes": [list(r.shape) for r in results]})


def unseen_models():
    rng = np.random.default_rng(2026)
    r = lambda *s: rng.normal(0, 0.4, size=s).astype(np.float32)  # noqa: E731
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info

    # 1. a plain MatMul/Add/Relu stack, 3 layers
    x = rng.uniform(-1, 1, size=(1, 20)).astype(np.float32)
    unseen("mlp_matmul_stack", [
        helper.make_node("MatMul", ["x", "W1"], ["a1"]), helper.make_node("Add", ["a1", "b1"], ["a2"]),
        helper.make_node("Relu", ["a2"], ["a3"]),
        helper.make_node("MatMul", ["a3", "W2"], ["a4"]), helper.make_node("Add", ["b2", "a4"], ["a5"]),
        helper.make_node("Relu", ["a5"], ["a6"]),
        helper.make_node("MatMul", ["a6", "W3"], ["a7"]), helper.make_node("Add", ["a7", "b3"], ["y"]),
    ], [vi("x", f, [1, 20])], [vi("y", f, [1, 5])],
        [init("W1", r(20, 24)), init("b1", r(24)), init("W2", r(24, 16)), init("b2", r(16)),
         init("W3", r(16, 5)), init("b3", r(5))], {"x": x}, rng)

    # 2. Flatten -> Gemm(transB) -> Relu -> Gemm(transB, alpha, beta)
    x = rng.uniform(-1, 1, size=(1, 2, 3, 4)).astype(np.float32)
    unseen("mlp_flatten_gemm", [
        helper.make_node("Flatten", ["x"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "W1", "b1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Gemm", ["hr", "W2", "b2"], ["y"], transB=1, alpha=0.5, beta=2.0),
    ], [vi("x", f, [1, 2, 3, 4])], [vi("y", f, [1, 6])],
        [init("W1", r(16, 24)), init("b1", r(16)), init("W2", r(6, 16)), init("b2", r(6))], {"x": x}, rng)

    # 3. shape ops, Sub/Mul by constants, Constant, Identity, a residual Add between activations
    x = rng.uniform(-1, 1, size=(1, 12)).astype(np.float32)
    unseen("mlp_shape_ops", [
        helper.make_node("Constant", [], ["shift"], value=numpy_helper.from_array(r(12), "shift")),
        helper.make_node("Sub", ["x", "shift"], ["xs"]),
        helper.make_node("Mul", ["xs", "gain"], ["xg"]),
        helper.make_node("Reshape", ["xg", "shape34"], ["x34"]),
        helper.make_node("Unsqueeze", ["x34", "axes0"], ["x134"]),
        helper.make_node("Flatten", ["x134"], ["xf"], axis=1),
        helper.make_node("Gemm", ["xf", "W1", "b1"], ["h"]),
        helper.make_node("Relu", ["h"], ["hr"]),
        helper.make_node("Identity", ["hr"], ["hi"]),
        helper.make_node("MatMul", ["hi", "W2"], ["g"]),
        helper.make_node("Add", ["g", "hi"], ["res"]),
        helper.make_node("Unsqueeze", ["res", "axes0"], ["res3"]),
        helper.make_node("Squeeze", ["res3", "axes0"], ["res2"]),
        helper.make_node("Sub", ["res2", "b2"], ["y"]),
    ], [vi("x", f, [1, 12])], [vi("y", f, [1, 10])],
        [init("gain", np.array(1.5)), numpy_helper.from_array(np.array([3, 4], dtype=np.int64), "shape34"),
         numpy_helper.from_array(np.array([0], dtype=np.int64), "axes0"),
         init("W1", r(12, 10)), init("b1", r(10)), init("W2", r(10, 10)), init("b2", r(10))], {"x": x}, rng)


def unsupported_model():
    """A model with an op the foundation does not support (Softmax), for the error-message test."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="dense"),
             helper.make_node("Softmax", ["h"], ["y"], name="probabilities", axis=-1)]
    graph = helper.make_graph(nodes, "unsupported_softmax", [vi("x", f, [1, 4])], [vi("y", f, [1, 3])],
                              [init("W", np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-tests", ir_version=8)
    save(model, os.path.join(HERE, "testdata", "unsupported_softmax", "model.onnx"))


if __name__ == "__main__":
    digits_mlp()
    iris_mlp()
    unseen_models()
    unsupported_model()
