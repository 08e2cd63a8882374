"""Other weight sets of the bundled models' architectures, for the committed-weights tests
(cli/tests/committed_weights.rs): the initializers a `compile --weights committed` commits (the weights and
biases of MatMul, Gemm and Conv) are perturbed, every other constant is kept.

    python/.venv/bin/python models/testdata/committed/make.py

iris_mlp_b.onnx / digits_mlp_b.onnx / digits_cnn_b.onnx: each committed weight scaled by (1 + 0.1 u),
u uniform in [-1, 1] (seed 7), so the outputs move but stay in the ranges calibrated for the original.
iris_mlp_large.onnx: iris_mlp with its second layer's weights scaled by 16, outside the encodings compile
fixed for them (a weight set that must be refused, naming the tensor).
"""
import os

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(HERE, "..", "..")

COMMITTED = {
    "iris_mlp": ["W1T", "b1", "W2", "b2"],
    "digits_mlp": ["W1", "b1", "W2T", "b2"],
    "digits_cnn": ["K1", "b1", "K2", "b2", "W", "bw"],
}


def rewrite(name, out, scale):
    m = onnx.load(os.path.join(MODELS, name, "model.onnx"))
    for init in m.graph.initializer:
        f = scale(init.name)
        if f is None:
            continue
        a = numpy_helper.to_array(init)
        init.CopyFrom(numpy_helper.from_array((a * f(a.shape)).astype(np.float32), init.name))
    onnx.save(m, os.path.join(HERE, out))


def main():
    rng = np.random.default_rng(7)
    for name, tensors in COMMITTED.items():
        rewrite(
            name,
            f"{name}_b.onnx",
            lambda t: (lambda shape: 1.0 + 0.1 * rng.uniform(-1.0, 1.0, shape)) if t in tensors else None,
        )
    rewrite("iris_mlp", "iris_mlp_large.onnx", lambda t: (lambda shape: 16.0) if t == "W2" else None)


if __name__ == "__main__":
    main()
