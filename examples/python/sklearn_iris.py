"""Fit a scikit-learn MLPClassifier on the bundled iris data set, compile it through skl2onnx, prove a few
rows with one Prover (keys loaded once) and verify each proof against the estimator's prediction.

    python examples/python/sklearn_iris.py [OUT_DIR]
"""

import sys
import warnings

import numpy as np
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier

import zkinfer

out = sys.argv[1] if len(sys.argv) > 1 else "out/py-sklearn-iris"
X, y = load_iris(return_X_y=True)
clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3000, random_state=0).fit(X, y)
print(f"trained: accuracy {clf.score(X, y):.3f}")

r = zkinfer.from_sklearn(clf, X, out)  # the circuit's output: the class probabilities
print(f"compiled: k = {r.k}, max |circuit - float| = {r.max_abs_error:.4f} on {r.samples} rows")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", zkinfer.DevelopmentSrsWarning)
    zkinfer.setup(out)

prover = zkinfer.Prover(out)
for row in X[::50]:
    proof = prover.prove(row)
    v = zkinfer.verify(out, proof, allow_dev_srs=True, inputs=row)
    label = clf.classes_[int(np.argmax(v.outputs[0]))]
    print(f"row {np.round(row, 1)}: proved class {label}, sklearn says {clf.predict(row[None])[0]}")
    assert label == clf.predict(row[None])[0]
