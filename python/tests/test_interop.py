"""from_torch and from_sklearn: export, compile, prove, verify; a clear ImportError without the library."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import zkinfer


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def test_from_torch(tmp_path):
    import torch
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    X = np.random.default_rng(0).uniform(-1, 1, (64, 4)).astype(np.float32)
    r = zkinfer.from_torch(net, torch.zeros(1, 4), tmp_path, samples=torch.from_numpy(X))
    assert (tmp_path / "model.onnx").exists() and r.samples == 64
    zkinfer.setup(tmp_path)
    proof = zkinfer.prove(tmp_path, torch.from_numpy(X[:1]))
    with torch.no_grad():
        ref = net(torch.from_numpy(X[:1])).numpy()
    np.testing.assert_allclose(proof.outputs[0], ref, atol=0.05)
    zkinfer.verify(tmp_path, proof, allow_dev_srs=True)


def test_from_sklearn(tmp_path):
    from sklearn.datasets import load_iris
    from sklearn.neural_network import MLPClassifier

    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3000, random_state=0).fit(X, y)
    zkinfer.from_sklearn(clf, X, tmp_path)
    zkinfer.setup(tmp_path)
    prover = zkinfer.Prover(tmp_path)
    assert prover.inputs == [("input", (1, 4))]
    rows = X[::15]
    for row, label in zip(rows, clf.predict(rows)):
        proof = prover.prove(row)
        v = zkinfer.verify(tmp_path, proof, allow_dev_srs=True)
        assert clf.classes_[int(np.argmax(v.outputs[0]))] == label
        np.testing.assert_allclose(v.outputs[0][0], clf.predict_proba(row[None])[0], atol=0.05)


def test_missing_library_is_a_clear_import_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"needs the 'torch' package.*pip install torch"):
        zkinfer.from_torch(object(), None, tmp_path)
    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match=r"pip install skl2onnx"):
        zkinfer.from_sklearn(object(), np.zeros((1, 4)), tmp_path)
