"""compile -> setup -> prove -> verify from Python, inputs in every accepted form, the keys loaded once."""

from __future__ import annotations

import numpy as np
import pytest

import zkinfer
from zkinfer import _api


def test_round_trip(digits, digits_input):
    proof = zkinfer.prove(digits, digits_input)
    assert isinstance(proof, zkinfer.Proof)
    [out] = proof.outputs
    assert out.shape == (1, 10) and out.dtype == np.float64
    v = zkinfer.verify(digits, proof, allow_dev_srs=True)
    assert isinstance(v, zkinfer.Verified)
    np.testing.assert_array_equal(v.outputs[0], out)
    assert v.srs_kind == "development" and v.ceremony is None
    assert v.model_id == proof.model_id == zkinfer.Verifier(digits).model_id
    # the proved logits agree with the float model (onnxruntime) on the class, and closely in value
    import onnxruntime

    from conftest import MODELS

    sess = onnxruntime.InferenceSession(str(MODELS / "digits_mlp" / "model.onnx"))
    [ref] = sess.run(None, {sess.get_inputs()[0].name: digits_input.astype(np.float32)})
    assert int(np.argmax(out)) == int(np.argmax(ref))
    np.testing.assert_allclose(out, ref, atol=0.5)
    np.testing.assert_array_equal(v.inputs[0], proof.inputs[0])
    assert v.inputs[0].shape == (1, 64)


def test_inputs_in_every_form(digits, digits_input):
    prover = zkinfer.Prover(digits)
    ref = prover.prove(digits_input).outputs[0]
    for form in (
        digits_input.ravel(),  # without the batch dimension
        digits_input.astype(np.float32),
        digits_input.astype(np.int64),  # pixel values are integers
        digits_input.tolist(),
        [digits_input],
        {"input": digits_input},
    ):
        np.testing.assert_array_equal(prover.prove(form).outputs[0], ref)


def test_prove_reuses_loaded_keys(digits, digits_input):
    zkinfer.prove(digits, digits_input)
    first = _api._cached_prover(digits, "cpu", False)
    zkinfer.prove(digits, digits_input)
    assert _api._cached_prover(digits, "cpu", False) is first


def test_verify_checks_the_expected_input(digits, digits_input):
    proof = zkinfer.prove(digits, digits_input)
    zkinfer.verify(digits, proof, allow_dev_srs=True, inputs=digits_input)
    other = digits_input.copy()
    other[0, 10] += 4.0
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(digits, proof, allow_dev_srs=True, inputs=other)
    assert e.value.code == "input_mismatch"


def test_model_id_and_binding(digits, digits_input):
    bind = "0" * 62 + "2a"
    proof = zkinfer.prove(digits, digits_input, bind=bind)
    zkinfer.verify(digits, proof, allow_dev_srs=True, bind=bind, model_id=proof.model_id)
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(digits, proof, allow_dev_srs=True)
    assert e.value.code == "binding_mismatch"
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(digits, proof, allow_dev_srs=True, bind=bind, model_id="00" * 32)
    assert e.value.code == "model_mismatch"
    # the same value as the uint256 the escrow's events print (0x, big-endian), as `zkinfer verify --bind`
    zkinfer.verify(digits, proof, allow_dev_srs=True, bind="0x2a" + "0" * 62)
    with pytest.raises(zkinfer.InvalidProof) as e:
        zkinfer.verify(digits, proof, allow_dev_srs=True, bind="0x" + bind)
    assert e.value.code == "binding_mismatch"
    with pytest.raises(ValueError, match="64 hex digits"):
        zkinfer.prove(digits, digits_input, bind="xyz")
    with pytest.raises(ValueError, match="not below r"):
        zkinfer.prove(digits, digits_input, bind="0x" + "f" * 64)


def test_compile_from_bytes_and_bench(tmp_path, digits, digits_input):
    from conftest import MODELS

    r = zkinfer.compile((MODELS / "iris_mlp" / "model.onnx").read_bytes(), tmp_path, samples=np.random.default_rng(0).uniform(0, 8, (32, 4)))
    assert r.k > 0 and r.samples == 32 and r.onnx is None
    # an MLP gets limb lanes: values of 2t + 1 bits through a 2^t-row table
    assert r.limb_bits > 0 and r.lookup_bits == 2 * r.limb_bits + 1
    b = zkinfer.bench(digits, digits_input, repeat=2)
    assert set(b.stages) == {"load", "witness", "prove", "total", "verify"}
    assert b.stages["prove"].runs == 2 and b.stages["prove"].min > 0
    assert "| prove |" in b.markdown()
