#!/usr/bin/env python3
"""Public model shapes for the side-by-side runner and the scaling sweep, built with onnx.helper.

Weights are He-initialised random numbers (numpy, fixed seeds), inputs uniform in [0, 1): the shapes are
what matters for proving cost, not what the weights learned. Each model directory gets model.onnx,
input.json (one sample), calibration.json (16 samples back to back, the input first) and expected.json
(onnxruntime's float outputs on input.json).

    python bench/models.py OUT_DIR            the comparison models (mnist_mlp, cnn_small, lenet5)
    python bench/models.py OUT_DIR --sweep W  one MLP of the sweep family 256-W-W-10
"""
import argparse
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
CALIB = 16


def he(rng, shape, fan_in):
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(np.asarray(arr, dtype=np.float32), name)


class Net:
    """A sequential ONNX graph under construction."""

    def __init__(self, name, input_shape, seed):
        self.name, self.rng = name, np.random.default_rng(seed)
        self.input_shape = input_shape
        self.nodes, self.inits, self.cur, self.n = [], [], "input", 0

    def _out(self, op):
        self.n += 1
        return f"{op.lower()}{self.n}"

    def node(self, op, extra_inputs=(), **attrs):
        out = self._out(op)
        self.nodes.append(helper.make_node(op, [self.cur, *extra_inputs], [out], name=out, **attrs))
        self.cur = out
        return self

    def gemm(self, fan_in, fan_out):
        w, b = f"W{self.n + 1}", f"B{self.n + 1}"
        self.inits += [init(w, he(self.rng, (fan_out, fan_in), fan_in)), init(b, 0.01 * self.rng.standard_normal(fan_out))]
        return self.node("Gemm", (w, b), transB=1)

    def conv(self, cin, cout, k, pad=0):
        w, b = f"W{self.n + 1}", f"B{self.n + 1}"
        self.inits += [init(w, he(self.rng, (cout, cin, k, k), cin * k * k)), init(b, 0.01 * self.rng.standard_normal(cout))]
        return self.node("Conv", (w, b), kernel_shape=[k, k], pads=[pad] * 4, strides=[1, 1], dilations=[1, 1])

    def build(self, out_dim):
        inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, self.input_shape)
        self.nodes[-1].output[0] = "output"
        out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, out_dim])
        g = helper.make_graph(self.nodes, self.name, [inp], [out], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="zkinfer-bench")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def mnist_mlp():
    """The classic small MNIST MLP: 784-128-10 (Gemm, Relu, Gemm)."""
    return Net("mnist_mlp", [1, 784], 11).gemm(784, 128).node("Relu").gemm(128, 10).build(10)


def cnn_small():
    """A small MNIST CNN: Conv3x3 -> 4, Relu, AvgPool 2, Flatten, Gemm 10 (1x28x28 input)."""
    n = Net("cnn_small", [1, 1, 28, 28], 12).conv(1, 4, 3).node("Relu")
    n.node("AveragePool", kernel_shape=[2, 2], strides=[2, 2]).node("Flatten", axis=1)
    return n.gemm(4 * 13 * 13, 10).build(10)


def lenet5():
    """LeNet-5 (LeCun et al. 1998) on a 1x32x32 input: Conv5x5->6, Relu, AvgPool, Conv5x5->16, Relu, AvgPool,
    FC120, Relu, FC84, Relu, FC10."""
    n = Net("lenet5", [1, 1, 32, 32], 13).conv(1, 6, 5).node("Relu")
    n.node("AveragePool", kernel_shape=[2, 2], strides=[2, 2])
    n.conv(6, 16, 5).node("Relu").node("AveragePool", kernel_shape=[2, 2], strides=[2, 2]).node("Flatten", axis=1)
    return n.gemm(400, 120).node("Relu").gemm(120, 84).node("Relu").gemm(84, 10).build(10)


def sweep_mlp(width):
    """The sweep family: 256-W-W-10 (Gemm, Relu, Gemm, Relu, Gemm)."""
    n = Net(f"mlp_w{width}", [1, 256], 100 + width).gemm(256, width).node("Relu").gemm(width, width).node("Relu")
    return n.gemm(width, 10).build(10)


def macs(model):
    """Multiply-accumulates of Gemm and Conv nodes (for the charts)."""
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    shapes = onnx.shape_inference.infer_shapes(model)
    dims = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
            for v in list(shapes.graph.value_info) + list(shapes.graph.output)}
    total = 0
    for node in model.graph.node:
        if node.op_type in ("Gemm", "Conv"):
            w = inits[node.input[1]]
            out = dims.get(node.output[0], [1])
            per_out = int(np.prod(w.shape[1:]))
            total += per_out * int(np.prod(out))
    return total


def write(model, out):
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    onnx.save(model, path)
    shape = [d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(7)
    xs = rng.random((CALIB, *shape[1:]), dtype=np.float32)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"input": xs[:1].reshape(shape)})[0]
    dump = lambda name, obj: json.dump(obj, open(os.path.join(out, name), "w"))  # noqa: E731
    dump("input.json", {"input_data": [xs[0].reshape(-1).tolist()]})
    dump("calibration.json", {"input_data": [xs.reshape(-1).tolist()]})
    dump("expected.json", {"outputs": [y.reshape(-1).tolist()], "shapes": [list(y.shape)]})
    params = sum(int(np.prod(i.dims)) for i in model.graph.initializer)
    dump("meta.json", {"name": model.graph.name, "macs": macs(model), "params": params,
                       "ops": sorted({n.op_type for n in model.graph.node})})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--sweep", type=int, help="write the sweep MLP of this width instead")
    a = ap.parse_args()
    if a.sweep:
        write(sweep_mlp(a.sweep), os.path.join(a.out, f"mlp_w{a.sweep}"))
        return
    for f in (mnist_mlp, cnn_small, lenet5):
        m = f()
        write(m, os.path.join(a.out, m.graph.name))


if __name__ == "__main__":
    main()
