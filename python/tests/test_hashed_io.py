"""Hashed and private inputs and outputs from Python, as the CLI runs them (cli/tests/hashed_io.rs): a model
compiled with ``inputs="hashed"`` proves without stating its input values (the proof holds a commitment, the
``Proof`` carries the opening), verifies with the commitment listed, and verifies against openings only for
the committed values; a private output is ``None`` wherever values are shown."""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

import zkinfer
from conftest import MODELS

IRIS = MODELS / "iris_mlp"


def _iris_input() -> np.ndarray:
    return np.asarray(json.loads((IRIS / "input.json").read_text())["input_data"][0], dtype=np.float64)


def _compiled(d: Path, inputs: str, outputs: str) -> Path:
    cal = np.asarray(json.loads((IRIS / "calibration.json").read_text())["input_data"][0]).reshape(-1, 4)
    r = zkinfer.compile(IRIS / "model.onnx", d, samples=cal, inputs=inputs, outputs=outputs)
    assert (r.inputs, r.outputs) == (inputs, outputs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zkinfer.DevelopmentSrsWarning)
        zkinfer.setup(d)
    return d


@pytest.fixture(scope="module")
def iris_hashed(tmp_path_factory) -> Path:
    """models/iris_mlp with its input hashed, its output public."""
    return _compiled(tmp_path_factory.mktemp("iris-hashed"), "hashed", "public")


@pytest.fixture(scope="module")
def iris_private_out(tmp_path_factory) -> Path:
    """models/iris_mlp with a public input and a private output."""
    return _compiled(tmp_path_factory.mktemp("iris-private"), "public", "private")


def test_a_hashed_input_is_proved_without_its_values(iris_hashed):
    x = _iris_input()
    prover = zkinfer.Prover(iris_hashed)
    assert prover.input_visibility == ["hashed"] and prover.output_visibility == ["public"]
    proof = prover.prove(x)
    assert proof.inputs == [None] and proof.inputs_q == [None]
    assert proof.outputs[0].shape == (1, 3)
    [commitment] = proof.commitments
    assert commitment.startswith("0x")
    # the openings: the input's stored values and salt, opening the proof's commitment
    [o] = proof.openings["openings"]
    assert (o["kind"], o["index"], o["commitment"]) == ("input", 0, commitment)
    assert len(o["values"]) == 4
    assert proof.openings["model_id"] == proof.model_id
    # the proof file states no values of the input
    data = json.loads(proof.to_json())
    assert data["inputs"] == [None] and data["inputs_q"] == [None]
    # the proof alone verifies and names the commitment; the input is not shown
    v = zkinfer.verify(iris_hashed, proof, allow_dev_srs=True)
    assert v.inputs == [None] and v.inputs_q == [None]
    assert v.input_visibility == ["hashed"] and v.output_visibility == ["public"]
    assert v.commitments == [(prover.inputs[0][0], "input", 0, commitment)]
    np.testing.assert_array_equal(v.outputs[0], proof.outputs[0])
    assert not v.opened and "1 commitment" in repr(v)


def test_openings_check_the_hashed_input(iris_hashed):
    x = _iris_input()
    proof = zkinfer.prove(iris_hashed, x)
    # the openings in every form: the Proof, its dict, its text, a file
    for form in (proof, proof.openings, proof.openings_json(), proof.openings_json().encode()):
        assert zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, openings=form).opened
    # another proof of the same input has another salt, so another commitment: its openings do not open this
    # proof's commitment
    other = zkinfer.prove(iris_hashed, x)
    assert other.commitments != proof.commitments
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, openings=other.openings)
    assert e.value.code == "input_mismatch"
    # values for a hashed input are refused (the proof states no values to compare), not a crash
    with pytest.raises(zkinfer.InvalidProof):
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, inputs=x)
    with pytest.raises(ValueError, match="not both"):
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, inputs=x, openings=proof.openings)
    # an edited opening no longer opens its commitment: a malformed openings file
    edited = proof.openings
    edited["openings"][0]["values"][0] += 1
    with pytest.raises(zkinfer.MalformedFile, match="do not open"):
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, openings=edited)


def test_save_writes_the_openings_beside_the_proof(iris_hashed, tmp_path):
    proof = zkinfer.prove(iris_hashed, _iris_input())
    path = tmp_path / "x.json"
    written = proof.save(path)
    assert written == str(tmp_path / "x.openings.json")
    assert Path(written).read_text() == proof.openings_json()
    if os.name == "posix":
        assert os.stat(written).st_mode & 0o077 == 0  # secret: the owner's only
    # loading reads them back (they open the proof's commitments)
    loaded = zkinfer.Proof.load(path)
    assert loaded == proof and loaded.openings == proof.openings
    zkinfer.verify(iris_hashed, path, allow_dev_srs=True, openings=written)
    # a stale openings file of another proof is not attached (and refused when named)
    other = zkinfer.prove(iris_hashed, _iris_input())
    Path(written).write_text(other.openings_json())
    assert zkinfer.Proof.load(path).openings is None
    with pytest.raises(ValueError, match="other commitments"):
        zkinfer.Proof.load(path, openings=written)


def test_prove_from_openings_proves_the_same_commitment(iris_hashed):
    proof = zkinfer.prove(iris_hashed, _iris_input())
    again = zkinfer.Prover(iris_hashed).prove(openings=proof.openings)
    assert again.commitments == proof.commitments
    np.testing.assert_array_equal(again.outputs[0], proof.outputs[0])
    zkinfer.verify(iris_hashed, again, allow_dev_srs=True, openings=proof)
    with pytest.raises(ValueError, match="exactly one"):
        zkinfer.prove(iris_hashed, _iris_input(), openings=proof.openings)


def test_openings_are_bounded_by_the_model(iris_hashed, tmp_path):
    proof = zkinfer.prove(iris_hashed, _iris_input())
    # an opening of another element count than the model's hashed input: refused before anything is proved
    wrong = proof.openings
    wrong["openings"][0]["values"].append(0)
    with pytest.raises(zkinfer.MalformedFile):
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, openings=wrong)
    with pytest.raises(zkinfer.MalformedFile):
        zkinfer.Prover(iris_hashed).prove(openings=wrong)
    # a text larger than the model's openings can take: refused by its size
    padded = proof.openings_json() + " " * 100_000
    with pytest.raises(zkinfer.MalformedFile, match="larger than"):
        zkinfer.verify(iris_hashed, proof, allow_dev_srs=True, openings=padded)
    # a file beside a proof larger than any openings file: refused without reading it whole
    path = tmp_path / "x.json"
    proof.save(path)
    with open(tmp_path / "x.openings.json", "wb") as f:
        f.truncate((256 << 20) + 1)
    with pytest.raises(zkinfer.MalformedFile, match="larger than"):
        zkinfer.Proof.load(path)


def test_a_private_output_is_none(iris_private_out):
    x = _iris_input()
    proof = zkinfer.prove(iris_private_out, x)
    assert proof.outputs == [None] and proof.outputs_q == [None]
    assert proof.openings is None and proof.commitments == []
    assert "None" in repr(proof)
    v = zkinfer.verify(iris_private_out, proof, allow_dev_srs=True, inputs=x)
    assert v.outputs == [None] and v.outputs_q == [None] and v.commitments == []
    assert v.inputs[0].shape == (1, 4)
    assert v.output_visibility == ["private"]
    with pytest.raises(ValueError, match="no hashed input"):
        zkinfer.verify(iris_private_out, proof, allow_dev_srs=True, openings={"openings": []})


def test_unknown_visibility_is_refused(tmp_path):
    with pytest.raises(ValueError, match="hashed"):
        zkinfer.compile(IRIS / "model.onnx", tmp_path, samples=_iris_input(), inputs="secret")


def test_python_hashed_proof_verified_by_the_cli(cli, iris_hashed, tmp_path):
    proof = zkinfer.prove(iris_hashed, _iris_input())
    path = tmp_path / "proof.json"
    openings = proof.save(path)
    run = lambda *a: subprocess.run([str(x) for x in a], capture_output=True, text=True)  # noqa: E731
    ok = run(cli, "verify", iris_hashed, "--proof", path, "--allow-dev-srs", "--input", openings)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert f"hashed, commitment {proof.commitments[0]}" in ok.stdout and "opened by --input" in ok.stdout
