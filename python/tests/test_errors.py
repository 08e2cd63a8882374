"""Wrong inputs are ValueErrors naming the expected shape; a tampered proof is InvalidProof with its
reason; an unreadable file is MalformedFile (a different exception); the CLI's SRS policy applies."""

from __future__ import annotations

import json

import numpy as np
import pytest

import zkinfer


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((1, 63)), r"expected shape \(1, 64\) or \(64,\), got \(1, 63\)"),
        (np.zeros((2, 64)), r"expected shape \(1, 64\)"),
        (np.zeros((8, 8)), r"input 0 \('input'\): expected shape \(1, 64\)"),
        (np.zeros((1, 64), dtype=np.complex128), r"dtype complex128 is not a real number type"),
        (np.array([["a"] * 64]), r"is not a real number type"),
        (np.zeros((1, 64), dtype=bool), r"dtype bool is not a real number type"),
        (np.full((1, 64), np.nan), r"element 0 is nan, not a finite number"),
        ([np.zeros((1, 64)), np.zeros((1, 64))], r"the model has 1 input\(s\), 2 were given"),
        ({"pixels": np.zeros((1, 64))}, r"unknown \['pixels'\]"),
    ],
)
def test_wrong_shape_or_dtype_is_a_value_error(digits, bad, message):
    with pytest.raises(ValueError, match=message):
        zkinfer.prove(digits, bad)


def test_value_outside_the_calibrated_range(digits):
    with pytest.raises(zkinfer.InputError) as e:
        zkinfer.prove(digits, np.full((1, 64), 1e6))
    assert isinstance(e.value, ValueError)


def _edited(proof: zkinfer.Proof, edit) -> str:
    data = json.loads(proof.to_json())
    edit(data)
    return json.dumps(data, indent=2)


def test_tampered_proofs_are_invalid_with_their_reason(digits, digits_input):
    proof = zkinfer.prove(digits, digits_input)

    def flip_proof_byte(d):
        b = bytearray.fromhex(d["proof"])
        b[100] ^= 1
        d["proof"] = b.hex()

    def edit_instance(d):
        d["instances"][70] = d["instances"][71]

    def edit_float(d):
        d["outputs"][0][0][3] += 1.0

    for edit, code, words in [
        (flip_proof_byte, "proof_fails", "does not verify"),
        (edit_instance, "instance_mismatch", "public instance"),
        (edit_float, "edited_value", "edited after proving"),
    ]:
        with pytest.raises(zkinfer.InvalidProof) as e:
            zkinfer.verify(digits, _edited(proof, edit), allow_dev_srs=True)
        assert e.value.code == code
        assert words in e.value.reason
        assert not isinstance(e.value, zkinfer.MalformedFile)


def test_development_srs_needs_an_opt_in(digits, digits_input):
    proof = zkinfer.prove(digits, digits_input)
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(digits, proof)
    assert e.value.code == "development_params"
    assert "not from a pinned public ceremony" in e.value.reason


def test_malformed_files_are_not_invalid_proofs(digits, digits_input, tmp_path):
    for text in ["not json", "{}", '{"version": 1}', '{"version": 2}']:
        with pytest.raises(zkinfer.MalformedFile):
            zkinfer.Proof.from_json(text)
        with pytest.raises(zkinfer.MalformedFile):
            zkinfer.verify(digits, text.encode(), allow_dev_srs=True)
    proof = zkinfer.prove(digits, digits_input)
    bad = _edited(proof, lambda d: d["outputs_q"][0][0].__setitem__(0, "x"))
    with pytest.raises(zkinfer.MalformedFile):
        zkinfer.verify(digits, bad, allow_dev_srs=True)
    with pytest.raises(zkinfer.ArtifactError):
        zkinfer.verify(tmp_path, proof, allow_dev_srs=True)
    with pytest.raises(zkinfer.ArtifactError, match="missing"):
        zkinfer.Prover(tmp_path)
    (tmp_path / "settings.json").write_text("{")
    with pytest.raises(zkinfer.MalformedFile):
        zkinfer.Prover(tmp_path)


def test_compile_errors(tmp_path):
    with pytest.raises(zkinfer.CompileError):
        zkinfer.compile(b"not an onnx model", tmp_path, samples=np.zeros(4))
    with pytest.raises(ValueError, match="target"):
        zkinfer.compile(b"x", tmp_path, samples=np.zeros(4), target="speed")
