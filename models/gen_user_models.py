"""models/testdata/user_models/: one small model per class of model that users brought and that used to fail
(issue 32), each with its input (<name>.input.json, EZKL format, booleans written as true/false), calibration
samples (<name>.calibration.json) and onnxruntime's output (expected.json: {name: {"outputs": [...]}}).
compiler/tests/user_models.rs checks the circuit's outputs against them, prover/tests/user_models.rs proves
and verifies them. Run through models/generate.sh (generate.py's "user_models" set).

- lstm_bidirectional, gru_reverse: recurrent nets with an explicit `direction` attribute (the LSTM used to
  panic on it).
- bool_mask_input: a float input and a boolean mask input; bool_only_input: a model whose only input is
  boolean.
- causal_attention: nanoGPT's masked_fill(tril == 0, -inf) then softmax: a `Where` with a constant condition
  and a -inf side; where_const_sides: constant conditions choosing between two activations and between an
  activation and constants; one_hot: OneHot of integer indices; top_k: TopK with a constant K;
  integer_div: an integer Div (truncated); stale_value_info: a model tract refuses (a wrong intermediate shape); mask_not_softmax: a -inf mask used by an Add, refused with the node's name.
- calibration on the edge: softmax_residual: 1.0000001 - sum(softmax(x)), about 1e-7 in floats, calibrated to
  that, while the fixed-point sum of the rounded probabilities misses 1 by a few of their steps (used to be
  "outside the calibrated range"); log_zero_masked: Log of a tree-like leaf value that is exactly 0 on some
  paths (Relu(x - 0.5)), selected away by a Where (used to be "Log(0) is outside the calibrated output
  range"); gemm_large_weights: a Gemm with weights near 1e12 (used to be "a weight does not fit 62 bits at
  scale 2^0"); gemm_large_features: a Gemm of 1e6-scale features by 1e6-scale weights (outputs near 1e12,
  used to be "outside the calibrated range": the output's scale was kept at or above the input's less b).
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "testdata", "user_models")
F, B = TensorProto.FLOAT, TensorProto.BOOL


def _init(name, arr, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(arr, dtype=dtype), name)


def _json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
        f.write("\n")


def _flat(a):
    a = np.asarray(a)
    return a.reshape(-1).tolist() if a.dtype == np.bool_ else a.reshape(-1).astype(float).tolist()


def _batch(samples, names):
    """Samples (dicts of arrays) as one EZKL input file: each input's samples back to back."""
    return {"input_data": [sum((_flat(s[n]) for s in samples), []) for n in names]}


def user_models():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(32)
    expected = {}
    vi = helper.make_tensor_value_info

    def mk(name, nodes, ins, outs, inits, make_sample, opset=17, calib=8, value_info=()):
        graph = helper.make_graph(nodes, name, [vi(n, t, s) for n, t, s in ins],
                                  [vi(n, F, s) for n, s in outs], inits, value_info=list(value_info))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                                  producer_name="zkinfer-tests", ir_version=8)
        onnx.checker.check_model(model)
        path = os.path.join(OUT, name + ".onnx")
        onnx.save(model, path)
        samples = [make_sample() for _ in range(calib)]
        names = [n for n, _, _ in ins]
        _json(os.path.join(OUT, name + ".input.json"), _batch(samples[:1], names))
        _json(os.path.join(OUT, name + ".calibration.json"), _batch(samples, names))
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        got = sess.run(None, samples[0])
        expected[name] = {"outputs": [_flat(o) for o in got], "shapes": [list(o.shape) for o in got]}

    u = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)  # noqa: E731
    w = lambda *s: rng.normal(0, 0.5, s).astype(np.float32)  # noqa: E731

    # bidirectional LSTM: seq 4, batch 1, 3 features, hidden 5
    h = 5
    mk("lstm_bidirectional",
       [helper.make_node("LSTM", ["x", "W", "R", "B"], ["y", "y_h"], hidden_size=h, direction="bidirectional")],
       [("x", F, [4, 1, 3])], [("y", [4, 2, 1, h])],
       [_init("W", w(2, 4 * h, 3)), _init("R", w(2, 4 * h, h)), _init("B", w(2, 8 * h) * 0.2)],
       lambda: {"x": u(4, 1, 3)})
    mk("gru_reverse",
       [helper.make_node("GRU", ["x", "W", "R", "B"], ["y", "y_h"], hidden_size=4, direction="reverse",
                         linear_before_reset=1)],
       [("x", F, [3, 1, 2])], [("y_h", [1, 1, 4])],
       [_init("W", w(1, 12, 2)), _init("R", w(1, 12, 4)), _init("B", w(1, 24) * 0.2)],
       lambda: {"x": u(3, 1, 2)})

    # a boolean mask input beside a float input
    mk("bool_mask_input",
       [helper.make_node("Not", ["m"], ["nm"]), helper.make_node("Mul", ["x", "two"], ["x2"]),
        helper.make_node("Where", ["nm", "x2", "x"], ["y"])],
       [("x", F, [1, 6]), ("m", B, [1, 6])], [("y", [1, 6])], [_init("two", 2.0)],
       lambda: {"x": u(1, 6), "m": rng.uniform(size=(1, 6)) < 0.5})
    # a model whose only input is boolean
    mk("bool_only_input",
       [helper.make_node("Cast", ["b"], ["c"], to=F), helper.make_node("MatMul", ["c", "W"], ["p"]),
        helper.make_node("Add", ["p", "bias"], ["y"])],
       [("b", B, [1, 8])], [("y", [1, 3])], [_init("W", w(8, 3)), _init("bias", w(3))],
       lambda: {"b": rng.uniform(size=(1, 8)) < 0.5})

    # nanoGPT's causal self-attention: att.masked_fill(tril == 0, -inf).softmax(-1) @ v
    t, d = 4, 8
    mk("causal_attention",
       [helper.make_node("MatMul", ["x", "Wq"], ["q"]), helper.make_node("MatMul", ["x", "Wk"], ["k"]),
        helper.make_node("MatMul", ["x", "Wv"], ["v"]), helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
        helper.make_node("MatMul", ["q", "kt"], ["qk"]), helper.make_node("Mul", ["qk", "scale"], ["att"]),
        helper.make_node("Equal", ["tril", "zero"], ["masked"]),
        helper.make_node("Where", ["masked", "ninf", "att"], ["att_masked"]),
        helper.make_node("Softmax", ["att_masked"], ["p"], axis=-1), helper.make_node("MatMul", ["p", "v"], ["y"])],
       [("x", F, [1, t, d])], [("y", [1, t, d])],
       [_init("Wq", w(d, d)), _init("Wk", w(d, d)), _init("Wv", w(d, d)), _init("scale", 1 / np.sqrt(d)),
        _init("tril", np.tril(np.ones((t, t)))), _init("zero", 0.0), _init("ninf", -np.inf)],
       lambda: {"x": u(1, t, d)})
    # constant conditions choosing between two activations, and between an activation and constants
    mk("where_const_sides",
       [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Neg", ["x"], ["n"]),
        helper.make_node("Where", ["c1", "r", "n"], ["y1"]),
        helper.make_node("Where", ["c2", "x", "k"], ["y2"]), helper.make_node("Add", ["y1", "y2"], ["y"])],
       [("x", F, [2, 6])], [("y", [2, 6])],
       [_init("c1", [[True, False, True, False, True, False]], np.bool_),
        _init("c2", [[True], [False]], np.bool_), _init("k", [0.5, -0.25, 0.75, 0.0, 1.0, -1.0])],
       lambda: {"x": u(2, 6)})

    # OneHot of integer indices (negative ones included) with a constant depth, on a new middle axis
    mk("one_hot",
       [helper.make_node("OneHot", ["i", "depth", "values"], ["o"], axis=1),
        helper.make_node("Mul", ["o", "w"], ["y"])],
       [("i", TensorProto.INT64, [2, 3])], [("y", [2, 4, 3])],
       [_init("depth", [4], np.int64), _init("values", [-0.5, 2.0]), _init("w", w(4, 1))],
       lambda: {"i": rng.integers(-4, 4, size=(2, 3)).astype(np.int64)})
    # TopK with a constant K: values and indices (as floats)
    mk("top_k",
       [helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=-1),
        helper.make_node("Cast", ["i"], ["fi"], to=F)],
       [("x", F, [2, 6])], [("v", [2, 3]), ("fi", [2, 3])], [_init("k", [3], np.int64)],
       lambda: {"x": u(2, 6)})
    # an integer Div (truncates toward zero), then a float layer
    mk("integer_div",
       [helper.make_node("Div", ["i", "three"], ["q"]), helper.make_node("Cast", ["q"], ["qf"], to=F),
        helper.make_node("Mul", ["qf", "half"], ["y"])],
       [("i", TensorProto.INT64, [1, 6])], [("y", [1, 6])],
       [_init("three", [3], np.int64), _init("half", 0.5)],
       lambda: {"i": rng.integers(-20, 20, size=(1, 6)).astype(np.int64)})
    # a stale value_info (an exporter's wrong intermediate shape): tract refuses to analyse the model, so the
    # float reference is the lowered IR; onnxruntime ignores value_info that shape inference contradicts
    mk("stale_value_info",
       [helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["y"])],
       [("x", F, [1, 4])], [("y", [1, 3])], [_init("W", w(4, 3))],
       lambda: {"x": u(1, 4)}, value_info=[vi("h", F, [1, 5])])
    # calibration on the edge (see the docstring): rounding of in-range values, Log of an exact zero that the
    # model selects away, weights and features far from 1
    mk("softmax_residual",
       [helper.make_node("Softmax", ["x"], ["p"], axis=-1),
        helper.make_node("ReduceSum", ["p", "axes"], ["s"], keepdims=1), helper.make_node("Sub", ["c", "s"], ["r"])],
       [("x", F, [2, 8])], [("p", [2, 8]), ("r", [2, 1])],
       [_init("axes", [-1], np.int64), _init("c", 1.0000001)],
       lambda: {"x": rng.uniform(-3, 3, (2, 8)).astype(np.float32)})
    mk("log_zero_masked",
       [helper.make_node("Sub", ["x", "half"], ["d"]), helper.make_node("Relu", ["d"], ["leaf"]),
        helper.make_node("Log", ["leaf"], ["l"]), helper.make_node("Greater", ["leaf", "zero"], ["m"]),
        helper.make_node("Where", ["m", "l", "k"], ["y"])],
       [("x", F, [1, 8])], [("y", [1, 8])], [_init("half", 0.5), _init("zero", 0.0), _init("k", -1.0)],
       # away from the threshold, so that a positive leaf stays positive in fixed point
       lambda: {"x": np.where(rng.uniform(size=(1, 8)) < 0.5, rng.uniform(0, 0.4, (1, 8)),
                              rng.uniform(0.6, 1.5, (1, 8))).astype(np.float32)})
    mk("gemm_large_weights",
       [helper.make_node("Gemm", ["x", "W", "B"], ["y"])], [("x", F, [1, 4])], [("y", [1, 3])],
       [_init("W", rng.normal(0, 1, (4, 3)) * 1e12), _init("B", rng.normal(0, 1, 3) * 1e12)],
       lambda: {"x": u(1, 4)})
    mk("gemm_large_features",
       [helper.make_node("Gemm", ["x", "W", "B"], ["y"])], [("x", F, [1, 4])], [("y", [1, 3])],
       [_init("W", rng.normal(0, 1, (4, 3)) * 1e6), _init("B", rng.normal(0, 1, 3) * 1e6)],
       lambda: {"x": u(1, 4) * 1e6})
    # refused by name: a -inf mask consumed by something other than a Softmax (no fixed-point value is -inf)
    graph = helper.make_graph(
        [helper.make_node("Where", ["c", "ninf", "x"], ["m"]), helper.make_node("Add", ["m", "x"], ["y"])],
        "mask_not_softmax", [vi("x", F, [1, 4])], [vi("y", F, [1, 4])],
        [_init("c", [[False, True, False, True]], np.bool_), _init("ninf", -np.inf)])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="zkinfer-tests",
                                ir_version=8), os.path.join(OUT, "mask_not_softmax.onnx"))
    _json(os.path.join(OUT, "expected.json"), expected)


if __name__ == "__main__":
    user_models()
