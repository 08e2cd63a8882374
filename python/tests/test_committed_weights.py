"""Committed weights from Python, as the CLI runs them (cli/tests/committed_weights.rs): a model compiled with
``weights="committed"`` proves with its private weights under one verifying key; a second weight set of the
same architecture (``commit_weights``) proves under the same key; each proof verifies only against the
weights commitment it was made with, and never without one."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pytest

import zkinfer
from conftest import MODELS

IRIS = MODELS / "iris_mlp"
OTHER = MODELS / "testdata" / "committed" / "iris_mlp_b.onnx"
LARGE = MODELS / "testdata" / "committed" / "iris_mlp_large.onnx"


def _iris_input() -> np.ndarray:
    return np.asarray(json.loads((IRIS / "input.json").read_text())["input_data"][0], dtype=np.float64)


@pytest.fixture(scope="module")
def iris_committed(tmp_path_factory) -> Path:
    """models/iris_mlp with its weights committed."""
    d = tmp_path_factory.mktemp("iris-committed")
    cal = np.asarray(json.loads((IRIS / "calibration.json").read_text())["input_data"][0]).reshape(-1, 4)
    r = zkinfer.compile(IRIS / "model.onnx", d, samples=cal, weights="committed")
    assert r.weights == "committed"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zkinfer.DevelopmentSrsWarning)
        zkinfer.setup(d)
    return d


def test_two_weight_sets_one_key_each_only_under_its_commitment(iris_committed, tmp_path):
    x = _iris_input()
    prover = zkinfer.Prover(iris_committed)
    # the caller's inputs are the data inputs only: the weights are the prover's
    assert [n for n, _ in prover.inputs] == [n for n, _ in zkinfer.Verifier(iris_committed).inputs]
    assert len(prover.inputs) == 1
    proof = prover.prove(x)
    own = json.loads((iris_committed / "weights.commitment.json").read_text())
    v = zkinfer.verify(iris_committed, proof, allow_dev_srs=True)  # the directory's commitment is pinned
    assert v.weights_commitments == [c["commitment"] for c in own["commitments"]]
    np.testing.assert_array_equal(v.outputs[0], proof.outputs[0])

    # another weight set of the architecture: same verifying key, its own commitment
    prefix = tmp_path / "b"
    commitments = zkinfer.commit_weights(OTHER, iris_committed, prefix)
    assert [n for n, _ in commitments] == [c["tensor"] for c in own["commitments"]]
    if os.name == "posix":
        assert os.stat(f"{prefix}.openings.json").st_mode & 0o077 == 0
    other = zkinfer.Prover(iris_committed, weights=f"{prefix}.openings.json").prove(x)
    assert not np.array_equal(other.outputs[0], proof.outputs[0])
    pin_b = Path(f"{prefix}.commitment.json")
    for form in (pin_b, pin_b.read_text(), json.loads(pin_b.read_text())):
        zkinfer.verify(iris_committed, other, allow_dev_srs=True, weights_commitment=form)
    # each proof only under its own weights
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(iris_committed, other, allow_dev_srs=True)
    assert e.value.code == "weights_mismatch"
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(iris_committed, proof, allow_dev_srs=True, weights_commitment=pin_b)
    assert e.value.code == "weights_mismatch"


def test_no_pin_no_verdict_and_weights_that_do_not_fit_are_refused(iris_committed, tmp_path):
    proof = zkinfer.prove(iris_committed, _iris_input())
    # a verifier holding only settings, vk and params: nothing pins the weights, so no proof verifies
    bare = tmp_path / "verifier-only"
    bare.mkdir()
    for f in ("settings.json", "vk.bin", "verifier_params.bin"):
        (bare / f).write_bytes((iris_committed / f).read_bytes())
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(bare, proof, allow_dev_srs=True)
    assert e.value.code == "weights_mismatch"
    zkinfer.verify(
        bare, proof, allow_dev_srs=True, weights_commitment=iris_committed / "weights.commitment.json"
    )
    # a weight set outside the encodings compiled for the architecture: refused, naming the tensor
    with pytest.raises(zkinfer.CompileError):
        zkinfer.commit_weights(LARGE, iris_committed, tmp_path / "large")
