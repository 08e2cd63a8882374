#!/usr/bin/env python3
"""Regenerates zkinfer's bundled models and test fixtures.

Run `bash models/generate.sh` (it makes a virtual environment with models/requirements.txt).
Everything it writes is committed, so tests never train or need Python:

- models/digits_mlp/   the default model: an MLP classifier trained on scikit-learn's bundled 8x8 digits data
                        (1,797 real handwritten digits), exported to ONNX as Mul(1/16) -> MatMul -> Add -> Relu -> Gemm.
- models/iris_mlp/     a second real classifier (scikit-learn's iris data), Gemm(transB) -> Relu -> Gemm.
- models/digits_cnn/   a LeNet-style CNN trained (numpy) on the same digits data: conv, relu, max pool, twice, then Gemm.
- models/testdata/     MLPs and CNNs (LeNet-5 among them) with random weights that the compiler was never written against, each with an input and
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

from gen_user_models import user_models

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
    """A model with an op zkinfer does not support (CumSum), for the error-message test."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("MatMul", ["x", "W"], ["h"], name="dense"),
             helper.make_node("CumSum", ["h", "axis"], ["y"], name="running_total")]
    graph = helper.make_graph(nodes, "unsupported_cumsum", [vi("x", f, [1, 4])], [vi("y", f, [1, 3])],
                              [init("W", np.arange(12, dtype=np.float32).reshape(4, 3) / 10.0),
                               numpy_helper.from_array(np.array(1, dtype=np.int64), "axis")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-tests", ir_version=8)
    save(model, os.path.join(HERE, "testdata", "unsupported_cumsum", "model.onnx"))


def unseen_cnn():
    """Conv -> Relu -> MaxPool -> Flatten -> MatMul -> Add -> Sigmoid with random weights (never seen by the
    compiler's authors), with onnxruntime's output."""
    rng = np.random.default_rng(7)
    r = lambda *s: rng.normal(0, 0.5, size=s).astype(np.float32)  # noqa: E731
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    x = rng.uniform(-1, 1, size=(1, 2, 8, 8)).astype(np.float32)
    unseen("cnn_conv_pool_sigmoid", [
        helper.make_node("Conv", ["x", "K", "kb"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["cr"], name="relu"),
        helper.make_node("MaxPool", ["cr"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("Flatten", ["p"], ["fl"], axis=1, name="flatten"),
        helper.make_node("MatMul", ["fl", "W"], ["m"], name="dense"),
        helper.make_node("Add", ["m", "b"], ["logits"], name="bias"),
        helper.make_node("Sigmoid", ["logits"], ["y"], name="sigmoid"),
    ], [vi("x", f, [1, 2, 8, 8])], [vi("y", f, [1, 5])],
        [init("K", r(4, 2, 3, 3)), init("kb", r(4)), init("W", r(64, 5) * 0.5), init("b", r(5))], {"x": x}, rng)


def conv_forward(x, k, b):
    """3x3 'same' convolution, NCHW, via im2col. Returns output and the columns (for the gradient)."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.stack([xp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=2)  # n,c,9,h,w
    cols = cols.reshape(n, c * 9, h * w)
    out = np.einsum("ok,nkp->nop", k.reshape(k.shape[0], -1), cols) + b[None, :, None]
    return out.reshape(n, k.shape[0], h, w), cols


def digits_cnn():
    """A LeNet-style CNN trained (numpy, Adam) on scikit-learn's 8x8 digits:
    Conv3x3(1->8, pad 1) -> Relu -> MaxPool2 -> Conv3x3(8->16, pad 1) -> Relu -> MaxPool2 -> Flatten -> Gemm(10)."""
    data = load_digits()
    x = (data.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    y = data.target
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, random_state=7, stratify=y)
    rng = np.random.default_rng(3)
    params = {
        "K1": rng.normal(0, np.sqrt(2 / 9), (8, 1, 3, 3)), "b1": np.zeros(8),
        "K2": rng.normal(0, np.sqrt(2 / 72), (16, 8, 3, 3)), "b2": np.zeros(16),
        "W": rng.normal(0, np.sqrt(1 / 64), (64, 10)), "bw": np.zeros(10),
    }
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v2 = {k: np.zeros_like(v) for k, v in params.items()}

    def pool(a):
        n, c, h, w = a.shape
        r = a.reshape(n, c, h // 2, 2, w // 2, 2)
        out = r.max(axis=(3, 5))
        mask = (r == out[:, :, :, None, :, None])
        return out, mask

    def forward(xb):
        c1, cols1 = conv_forward(xb, params["K1"], params["b1"])
        r1 = np.maximum(c1, 0)
        p1, m1 = pool(r1)
        c2, cols2 = conv_forward(p1, params["K2"], params["b2"])
        r2 = np.maximum(c2, 0)
        p2, m2 = pool(r2)
        flat = p2.reshape(len(xb), -1)
        logits = flat @ params["W"] + params["bw"]
        return logits, (cols1, c1, m1, p1, cols2, c2, m2, flat)

    def conv_back(g, cols, k, in_shape):
        n, o, h, w = g.shape
        gk = np.einsum("nop,nkp->ok", g.reshape(n, o, h * w), cols).reshape(k.shape)
        gb = g.sum(axis=(0, 2, 3))
        gcols = np.einsum("ok,nop->nkp", k.reshape(o, -1), g.reshape(n, o, h * w))
        c = in_shape[1]
        gcols = gcols.reshape(n, c, 9, h, w)
        gxp = np.zeros((n, c, h + 2, w + 2))
        for t, (i, j) in enumerate([(i, j) for i in range(3) for j in range(3)]):
            gxp[:, :, i:i + h, j:j + w] += gcols[:, :, t]
        return gk, gb, gxp[:, :, 1:-1, 1:-1]

    def unpool(g, mask):
        n, c, h, w = g.shape
        return (mask * g[:, :, :, None, :, None]).reshape(n, c, h * 2, w * 2)

    lr, step = 3e-3, 0
    for epoch in range(40):
        order = rng.permutation(len(x_tr))
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            xb, yb = x_tr[idx], y_tr[idx]
            logits, (cols1, c1, m1, p1, cols2, c2, m2, flat) = forward(xb)
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            g = p.copy()
            g[np.arange(len(yb)), yb] -= 1
            g /= len(yb)
            grads = {"W": flat.T @ g, "bw": g.sum(axis=0)}
            gp2 = (g @ params["W"].T).reshape(len(xb), 16, 2, 2)
            gc2 = unpool(gp2, m2) * (c2 > 0)
            grads["K2"], grads["b2"], gp1 = conv_back(gc2, cols2, params["K2"], p1.shape)
            gc1 = unpool(gp1, m1) * (c1 > 0)
            grads["K1"], grads["b1"], _ = conv_back(gc1, cols1, params["K1"], xb.shape)
            step += 1
            for k in params:
                m[k] = 0.9 * m[k] + 0.1 * grads[k]
                v2[k] = 0.999 * v2[k] + 0.001 * grads[k] ** 2
                mh, vh = m[k] / (1 - 0.9 ** step), v2[k] / (1 - 0.999 ** step)
                params[k] -= lr * mh / (np.sqrt(vh) + 1e-8)
    acc = float((forward(x_te)[0].argmax(axis=1) == y_te).mean())
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    nodes = [
        helper.make_node("Conv", ["input", "K1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "K2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"),
        helper.make_node("Flatten", ["p2"], ["flat"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["flat", "W", "bw"], ["logits"], name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn", [vi("input", f, [1, 1, 8, 8])], [vi("logits", f, [1, 10])],
        [init(k, v) for k, v in params.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-models", ir_version=8)
    out = os.path.join(HERE, "digits_cnn")
    path = os.path.join(out, "model.onnx")
    save(model, path)
    ort_pred = run_ort(path, {"input": x_te.astype(np.float32)[:1]})[0]
    first = int(np.flatnonzero(forward(x_te)[0].argmax(axis=1) == y_te)[0])
    sample = x_te[first]
    write_json(os.path.join(out, "input.json"), {"input_data": [sample.reshape(-1).tolist()]})
    write_json(os.path.join(out, "calibration.json"), {"input_data": [x_tr[:64].reshape(-1).tolist()]})
    write_json(os.path.join(out, "heldout.json"), {"input_data": [x_te[:200].reshape(-1).tolist()],
                                                  "labels": y_te[:200].tolist()})
    logits = run_ort(path, {"input": sample[None].astype(np.float32)})[0]
    write_json(os.path.join(out, "meta.json"), {
        "description": "LeNet-style CNN (conv 8, pool, conv 16, pool, fc 10) on scikit-learn's 8x8 digits, "
                       "inputs are pixels scaled to 0..1",
        "label": int(y_te[first]), "classes": [str(i) for i in range(10)],
        "test_accuracy_float": round(acc, 4), "onnxruntime_logits": logits[0].tolist()})
    print(f"digits_cnn: test accuracy {acc:.4f} (ort check {ort_pred.shape})")


def lenet5():
    """LeNet-5 (1x32x32, conv5x5->6, tanh... here Relu, avg pool, conv5x5->16, pool, fc120, fc84, fc10) with
    He-initialised random weights: the size benchmark the issue names (about 420k MACs)."""
    rng = np.random.default_rng(5)
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    he = lambda fan, *s: rng.normal(0, np.sqrt(2 / fan), s).astype(np.float32)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["input", "K1", "b1"], ["c1"], kernel_shape=[5, 5], name="conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
        helper.make_node("Conv", ["p1", "K2", "b2"], ["c2"], kernel_shape=[5, 5], name="conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        helper.make_node("MaxPool", ["r2"], ["p2"], kernel_shape=[2, 2], strides=[2, 2], name="pool2"),
        helper.make_node("Flatten", ["p2"], ["flat"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["flat", "W3", "b3"], ["h3"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h3"], ["r3"], name="relu3"),
        helper.make_node("Gemm", ["r3", "W4", "b4"], ["h4"], transB=1, name="fc2"),
        helper.make_node("Relu", ["h4"], ["r4"], name="relu4"),
        helper.make_node("Gemm", ["r4", "W5", "b5"], ["logits"], transB=1, name="fc3"),
    ]
    inits = [init("K1", he(25, 6, 1, 5, 5)), init("b1", np.zeros(6)), init("K2", he(150, 16, 6, 5, 5)),
             init("b2", np.zeros(16)), init("W3", he(400, 120, 400)), init("b3", np.zeros(120)),
             init("W4", he(120, 84, 120)), init("b4", np.zeros(84)), init("W5", he(84, 10, 84)),
             init("b5", np.zeros(10))]
    unseen("lenet5", nodes, [vi("input", f, [1, 1, 32, 32])], [vi("logits", f, [1, 10])], inits,
           {"input": rng.uniform(0, 1, size=(1, 1, 32, 32)).astype(np.float32)}, rng)


def ops_zoo():
    """One small model through every new chip path: Conv with a fused Tanh, MaxPool, Flatten, a product of
    activations, Pad, Softmax, Min and ArgMax (for the MockProver negative tests)."""
    rng = np.random.default_rng(11)
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    x = rng.uniform(-1, 1, size=(1, 1, 4, 4)).astype(np.float32)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)  # noqa: E731
    unseen("ops_zoo", [
        helper.make_node("Conv", ["x", "K", "kb"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Tanh", ["c"], ["ct"], name="tanh"),
        helper.make_node("MaxPool", ["ct"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("Flatten", ["p"], ["fl"], axis=1, name="flatten"),
        helper.make_node("Mul", ["fl", "fl"], ["sq"], name="square"),
        helper.make_node("Pad", ["fl", "pads", "half"], ["pd"], name="pad"),
        helper.make_node("Softmax", ["pd"], ["probs"], axis=-1, name="softmax"),
        helper.make_node("Min", ["sq", "fl"], ["mn"], name="min"),
        helper.make_node("ArgMax", ["fl"], ["am"], axis=1, keepdims=0, name="argmax"),
    ], [vi("x", f, [1, 1, 4, 4])],
        [vi("probs", f, [1, 10]), vi("mn", f, [1, 8]), vi("am", TensorProto.INT64, [1])],
        [init("K", rng.normal(0, 0.6, (2, 1, 3, 3))), init("kb", rng.normal(0, 0.1, 2)),
         i64("pads", [0, 1, 0, 1]), init("half", np.array(0.5))], {"x": x}, rng)


def front_ops():
    """models/testdata/front_ops/: one small model per op family added for PyTorch exports and the issue's
    table (shape folding through tract, Cast, Concat of constants and activations, Resize, Trilu, the
    Gather/Scatter family with constant indices, Celu, trigonometry, norm reductions), each with an input in
    [-1, 1] and onnxruntime's output (expected.json: {name: outputs}); compiler/tests/front_end_ops.rs
    checks the circuit's outputs against them."""
    f = TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    h = helper
    i64 = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.int64), n)  # noqa: E731
    out = os.path.join(HERE, "testdata", "front_ops")
    os.makedirs(out, exist_ok=True)
    expected = {}

    def mk(name, nodes, xshape, yshape, inits=(), opset=17):
        graph = h.make_graph(nodes, name, [vi("x", f, xshape)], [vi("y", f, yshape)], list(inits))
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name="zkinfer-tests",
                             ir_version=8)
        path = os.path.join(out, name + ".onnx")
        save(model, path)
        n = int(np.prod(xshape))
        # away from integer boundaries of 3x (the Cast test truncates 3x)
        x = (np.linspace(-0.9, 0.95, n) + 0.01).astype(np.float32).reshape(xshape)
        expected[name] = {"input": x.reshape(-1).tolist(), "output": run_ort(path, {"x": x})[0].reshape(-1).tolist()}

    mk("celu", [h.make_node("Celu", ["x"], ["y"], alpha=0.7)], [1, 8], [1, 8])
    for op in ["Tan", "Atan"]:
        mk(op.lower(), [h.make_node(op, ["x"], ["y"])], [1, 8], [1, 8])
    for op in ["Asin", "Acos"]:
        mk(op.lower(), [h.make_node("Mul", ["x", "k"], ["xk"]), h.make_node(op, ["xk"], ["y"])], [1, 8], [1, 8],
           [init("k", np.array(0.9))])
    for op in ["ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare"]:
        mk(op.lower(), [h.make_node(op, ["x", "ax"], ["y"], keepdims=0)], [2, 6], [2], [i64("ax", [1])], opset=18)
    mk("trilu", [h.make_node("Trilu", ["x"], ["y"], upper=0)], [1, 4, 4], [1, 4, 4])
    mk("gather_elements", [h.make_node("GatherElements", ["x", "i"], ["y"], axis=1)], [2, 4], [2, 3],
       [i64("i", [[0, 3, 1], [2, 2, 0]])])
    mk("gather_nd", [h.make_node("GatherND", ["x", "i"], ["y"])], [3, 4], [2, 4], [i64("i", [[2], [0]])])
    mk("scatter_nd", [h.make_node("ScatterND", ["x", "i", "u"], ["y"])], [3, 4], [3, 4],
       [i64("i", [[1]]), init("u", [[0.9, 0.8, -0.7, 0.6]])])
    mk("scatter_elements", [h.make_node("Neg", ["x"], ["nx"]),
                            h.make_node("Slice", ["nx", "s0", "s1", "s2"], ["u"]),
                            h.make_node("ScatterElements", ["x", "i", "u"], ["y"], axis=1)], [2, 4], [2, 4],
       [i64("i", [[3, 0], [1, 2]]), i64("s0", [0]), i64("s1", [2]), i64("s2", [1])])
    mk("resize_nearest", [h.make_node("Resize", ["x", "", "s"], ["y"], mode="nearest")], [1, 1, 2, 3],
       [1, 1, 4, 6], [init("s", [1, 1, 2, 2])])
    mk("resize_linear", [h.make_node("Resize", ["x", "", "s"], ["y"], mode="linear")], [1, 1, 2, 3],
       [1, 1, 4, 6], [init("s", [1, 1, 2, 2])])
    mk("resize_align_corners", [h.make_node("Resize", ["x", "", "", "sz"], ["y"], mode="linear",
                                            coordinate_transformation_mode="align_corners")],
       [1, 1, 2, 3], [1, 1, 3, 5], [i64("sz", [1, 1, 3, 5])])
    # a PyTorch-style shape subgraph: Shape -> Gather -> Cast/Range, integer Div, Unsqueeze -> Concat ->
    # Reshape, Equal/Where on constants, then Concat of an activation and a constant
    mk("shape_fold", [
        h.make_node("Shape", ["x"], ["s"]), h.make_node("Gather", ["s", "one"], ["d"], axis=0),
        h.make_node("Cast", ["d"], ["df"], to=TensorProto.FLOAT), h.make_node("Range", ["zero", "df", "onef"], ["r"]),
        h.make_node("Div", ["d", "two"], ["half"]), h.make_node("Unsqueeze", ["half", "ax0"], ["hu"]),
        h.make_node("Concat", ["neg1", "hu"], ["shp"], axis=0), h.make_node("Reshape", ["x", "shp"], ["xr"]),
        h.make_node("Equal", ["r", "r"], ["eq"]), h.make_node("Where", ["eq", "r", "r"], ["rw"]),
        h.make_node("Mul", ["rw", "tenth"], ["rt"]), h.make_node("Reshape", ["rt", "shp"], ["rr"]),
        h.make_node("Add", ["xr", "rr"], ["xa"]), h.make_node("Concat", ["xa", "cst"], ["xc"], axis=1),
        h.make_node("Flatten", ["xc"], ["y"])], [1, 8], [2, 8],
        [i64("one", 1), init("zero", 0.0), init("onef", 1.0), i64("two", 2), i64("ax0", [0]), i64("neg1", [-1]),
         init("tenth", 0.1), init("cst", np.arange(8).reshape(2, 4) / 8)])
    mk("cast_int", [h.make_node("Mul", ["x", "k"], ["xk"]), h.make_node("Cast", ["xk"], ["c"], to=TensorProto.INT32),
                    h.make_node("Cast", ["c"], ["y"], to=TensorProto.FLOAT)], [1, 8], [1, 8], [init("k", 3.0)])
    write_json(os.path.join(out, "expected.json"), expected)


def lookup_ops():
    """models/testdata/lookup_ops/: embedding lookups (Gather of a constant table by integer inputs, negative
    indices included), LRN, Pow with a computed exponent or base, and sequences (SplitToSequence,
    SequenceConstruct/Insert/Erase/At/Length, ConcatFromSequence). Each model has its inputs
    (<name>.input.json, EZKL format, also the calibration sample) and onnxruntime's output (expected.json:
    {name: output}); compiler/tests/lookup_ops.rs checks the circuit's outputs against them."""
    f, i64t = TensorProto.FLOAT, TensorProto.INT64
    vi = helper.make_tensor_value_info
    h = helper
    i64 = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.int64), n)  # noqa: E731
    out = os.path.join(HERE, "testdata", "lookup_ops")
    os.makedirs(out, exist_ok=True)
    expected = {}
    rng = np.random.default_rng(14)

    def mk(name, nodes, ins, yshape, feeds, inits=(), opset=17):
        graph = h.make_graph(nodes, name, [vi(n, t, s) for n, t, s in ins], [vi("y", f, yshape)], list(inits))
        model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name="zkinfer-tests",
                             ir_version=8)
        path = os.path.join(out, name + ".onnx")
        save(model, path)
        write_json(os.path.join(out, name + ".input.json"),
                   {"input_data": [np.asarray(feeds[n]).reshape(-1).astype(float).tolist() for n, _, _ in ins]})
        expected[name] = run_ort(path, feeds)[0].reshape(-1).astype(float).tolist()

    table = rng.uniform(-1, 1, (5, 3)).astype(np.float32)
    mk("embedding", [h.make_node("Gather", ["table", "x"], ["y"])], [("x", i64t, [2, 3])], [2, 3, 3],
       {"x": np.array([[0, 4, -1], [2, -5, 3]], dtype=np.int64)}, [init("table", table)])
    table3 = rng.uniform(-1, 1, (2, 4, 3)).astype(np.float32)
    mk("embedding_axis1", [h.make_node("Gather", ["table", "x"], ["y"], axis=1)], [("x", i64t, [3])], [2, 3, 3],
       {"x": np.array([3, -2, 0], dtype=np.int64)}, [init("table", table3)])
    x4 = rng.uniform(-1.5, 1.5, (1, 5, 2, 2)).astype(np.float32)
    mk("lrn", [h.make_node("LRN", ["x"], ["y"], size=3, alpha=0.5, beta=0.75, bias=1.0)],
       [("x", f, [1, 5, 2, 2])], [1, 5, 2, 2], {"x": x4})
    mk("pow_computed", [h.make_node("Pow", ["x", "e"], ["y"])], [("x", f, [2, 4]), ("e", f, [2, 4])], [2, 4],
       {"x": rng.uniform(0.3, 2.0, (2, 4)).astype(np.float32), "e": rng.uniform(-1, 1.5, (2, 4)).astype(np.float32)})
    mk("pow_const_base", [h.make_node("Pow", ["two", "x"], ["y"])], [("x", f, [2, 4])], [2, 4],
       {"x": rng.uniform(-1, 1, (2, 4)).astype(np.float32)}, [init("two", [2.0, 3.0, 0.5, 1.5])])
    # split, erase the first piece, insert a negated copy of x's first column at position -1, concatenate
    xs = rng.uniform(-1, 1, (2, 4)).astype(np.float32)
    mk("sequence_concat", [
        h.make_node("SplitToSequence", ["x", "sp"], ["s1"], axis=1),
        h.make_node("SequenceErase", ["s1", "zero"], ["s2"]),
        h.make_node("SequenceAt", ["s1", "zero"], ["first"]), h.make_node("Neg", ["first"], ["nf"]),
        h.make_node("SequenceInsert", ["s2", "nf", "neg1"], ["s3"]),
        h.make_node("SequenceConstruct", ["x", "x"], ["pair"]),
        h.make_node("ConcatFromSequence", ["pair"], ["stacked"], axis=-1, new_axis=1),
        h.make_node("ReduceSum", ["stacked", "last"], ["twice"], keepdims=0),
        h.make_node("SequenceInsert", ["s3", "twice"], ["s4"]),
        h.make_node("ConcatFromSequence", ["s4"], ["y"], axis=1)],
        [("x", f, [2, 4])], [2, 8], {"x": xs},
        [i64("sp", [1, 2, 1]), i64("zero", 0), i64("neg1", -1), i64("last", [-1])])
    # pieces of one without the axis, the last one scaled by the sequence's length
    mk("sequence_at_length", [
        h.make_node("SplitToSequence", ["x"], ["s"], axis=1, keepdims=0),
        h.make_node("SequenceAt", ["s", "neg1"], ["last"]), h.make_node("SequenceLength", ["s"], ["n"]),
        h.make_node("Cast", ["n"], ["nf"], to=f), h.make_node("Mul", ["last", "nf"], ["y"])],
        [("x", f, [2, 4])], [2], {"x": xs}, [i64("neg1", -1)])
    # an output that is a constant of the model (the length of a split): the proof states it
    mk("sequence_length", [h.make_node("SplitToSequence", ["x"], ["s"], axis=1),
                           h.make_node("SequenceLength", ["s"], ["n"]), h.make_node("Cast", ["n"], ["y"], to=f)],
       [("x", f, [2, 4])], [], {"x": xs})
    # a position computed from the model's input: reported with the node (no ort run)
    graph = h.make_graph([h.make_node("SplitToSequence", ["x"], ["s"], axis=1, keepdims=0),
                          h.make_node("SequenceAt", ["s", "p"], ["y"])], "sequence_computed_position",
                         [vi("x", f, [2, 4]), vi("p", i64t, [])], [vi("y", f, [2])])
    save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], producer_name="zkinfer-tests", ir_version=8),
         os.path.join(out, "sequence_computed_position.onnx"))
    write_json(os.path.join(out, "expected.json"), expected)


ALL = {"ops_zoo": ops_zoo, "digits_mlp": digits_mlp, "iris_mlp": iris_mlp, "unseen_models": unseen_models,
       "unsupported_model": unsupported_model, "unseen_cnn": unseen_cnn, "digits_cnn": digits_cnn,
       "lenet5": lenet5, "front_ops": front_ops,
       "lookup_ops": lookup_ops, "user_models": user_models}

if __name__ == "__main__":
    import sys
    for name in sys.argv[1:] or list(ALL):
        ALL[name]()
