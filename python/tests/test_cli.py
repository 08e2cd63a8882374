"""Proofs move between the CLI and Python: a CLI proof verifies from Python, a Python proof verifies with
`zkinfer verify`, and both are the same file format (Proof.to_json() is the file's text)."""

from __future__ import annotations

import json
import subprocess

import numpy as np

import zkinfer
from conftest import MODELS


def run(*args, check=True):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, check=check)


def test_cli_proof_verified_from_python(cli, digits, digits_input, tmp_path):
    path = tmp_path / "cli-proof.json"
    run(cli, "prove", digits, "--input", MODELS / "digits_mlp" / "input.json", "--proof", path)
    proof = zkinfer.Proof.load(path)
    assert proof.to_json() == path.read_text()
    v = zkinfer.verify(digits, path, allow_dev_srs=True, inputs=digits_input)
    np.testing.assert_array_equal(v.outputs[0], proof.outputs[0])
    # the same inference proved from Python has the same outputs and model id
    mine = zkinfer.prove(digits, digits_input)
    np.testing.assert_array_equal(mine.outputs[0], proof.outputs[0])
    assert mine.model_id == proof.model_id
    assert list(json.loads(mine.to_json())) == list(json.loads(path.read_text()))


def test_python_proof_verified_by_the_cli(cli, digits, digits_input, tmp_path):
    proof = zkinfer.prove(digits, digits_input)
    path = tmp_path / "py-proof.json"
    proof.save(path)
    ok = run(cli, "verify", digits, "--proof", path, "--allow-dev-srs", "--input", MODELS / "digits_mlp" / "input.json")
    assert "valid" in ok.stdout
    # the CLI applies the same SRS policy: without the opt-in the verdict is INVALID (exit 1)
    refused = run(cli, "verify", digits, "--proof", path, check=False)
    assert refused.returncode == 1 and "INVALID" in refused.stdout
    data = json.loads(proof.to_json())
    data["outputs_q"][0][0][0] += 1
    path.write_text(json.dumps(data))
    tampered = run(cli, "verify", digits, "--proof", path, "--allow-dev-srs", check=False)
    assert tampered.returncode == 1 and "INVALID" in tampered.stdout


def test_cli_model_directory_from_python(cli, tmp_path, digits_input):
    """A model compiled and set up by the CLI proves and verifies from Python."""
    d = tmp_path / "cli-digits"
    run(cli, "compile", MODELS / "digits_mlp" / "model.onnx", "--out", d, "--sample", MODELS / "digits_mlp" / "calibration.json")
    run(cli, "setup", d)
    proof = zkinfer.prove(d, digits_input)
    zkinfer.verify(d, proof, allow_dev_srs=True)
