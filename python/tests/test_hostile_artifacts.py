"""Hostile verifier files (issue 27): k from 0 to 40 with the key's and params' headers edited to match,
files over their caps and non-canonical points get ``zkinfer.MalformedFile`` (or an invalid verdict),
never a crash; ``max_k`` and ``max_memory_bytes`` refuse a load before anything is allocated for it.
Uses the verifier's committed fixture (the iris MLP, k = 12, development SRS)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

import zkinfer

FIXTURE = Path(__file__).resolve().parents[2] / "verifier" / "tests" / "fixtures" / "iris"
HARD_MAX_K = 26


def _model_dir(tmp_path: Path, k: int | None = None, edit=None) -> Path:
    d = tmp_path / f"model-{k}"
    shutil.copytree(FIXTURE, d)
    settings = json.loads((d / "settings.json").read_text())
    vk = bytearray((d / "vk.bin").read_bytes())
    params = bytearray((d / "verifier_params.bin").read_bytes())
    if k is not None:
        settings["k"] = k
        text = json.dumps(settings, indent=2).encode()
        (d / "settings.json").write_bytes(text)
        vk[12:44] = hashlib.sha256(text).digest()
        vk[45:49] = k.to_bytes(4, "little")
        params[12:16] = k.to_bytes(4, "little")
    if edit is not None:
        edit(vk, params)
    (d / "vk.bin").write_bytes(bytes(vk))
    (d / "verifier_params.bin").write_bytes(bytes(params))
    return d


def test_the_fixture_verifies_and_reports_its_cost(tmp_path):
    v = zkinfer.Verifier(_model_dir(tmp_path))
    assert v._native.k == 12
    assert 0 < v._native.load_memory_bytes < 64 << 20
    assert v._native.max_proof_file_bytes > (FIXTURE / "proof.json").stat().st_size
    r = v.verify(FIXTURE / "proof.json", allow_dev_srs=True)
    assert r.model_id == v.model_id


@pytest.mark.parametrize("k", range(0, 41))
def test_k_from_0_to_40_is_refused_or_judged(tmp_path, k):
    d = _model_dir(tmp_path, None if k == 12 else k)  # the fixture's own k: its own files
    # a small budget, so that no k loads more than a few dozen MiB
    try:
        v = zkinfer.Verifier(d, max_memory_bytes=48 << 20)
    except zkinfer.MalformedFile as e:
        if k > HARD_MAX_K and k <= 27:
            assert "above the largest k" in str(e)
        return
    assert 12 <= k <= 15, f"k = {k} loaded over the budget"
    if k == 12:
        v.verify(FIXTURE / "proof.json", allow_dev_srs=True)
    else:
        with pytest.raises((zkinfer.InvalidProof, zkinfer.MalformedFile)):
            v.verify(FIXTURE / "proof.json", allow_dev_srs=True)


def test_max_k_refuses_before_loading(tmp_path):
    with pytest.raises(zkinfer.MalformedFile, match=r"k = 12 is above the largest k this verifier loads \(11\)"):
        zkinfer.Verifier(_model_dir(tmp_path), max_k=11)
    with pytest.raises(zkinfer.MalformedFile, match="over the budget"):
        zkinfer.Verifier(_model_dir(tmp_path / "b"), max_memory_bytes=1 << 20)


def test_oversized_files_are_refused_unread(tmp_path):
    for name in ["settings.json", "vk.bin", "verifier_params.bin"]:
        d = _model_dir(tmp_path / name)
        with open(d / name, "r+b") as f:
            f.truncate(1 << 40)  # sparse: 1 TiB, never read
        with pytest.raises(zkinfer.MalformedFile, match="over the limit"):
            zkinfer.Verifier(d)
    v = zkinfer.Verifier(_model_dir(tmp_path / "proof"))
    big = tmp_path / "proof.json"
    with open(big, "wb") as f:
        f.write((FIXTURE / "proof.json").read_bytes())
        f.truncate(1 << 40)
    with pytest.raises(zkinfer.MalformedFile, match="over the limit"):
        v.verify(big, allow_dev_srs=True)


def test_a_key_point_with_the_infinity_flag_set_is_refused(tmp_path):
    def flag(vk, _params):
        vk[44 + 10 + 31] |= 0x80

    with pytest.raises(zkinfer.MalformedFile, match="canonical"):
        zkinfer.Verifier(_model_dir(tmp_path, edit=flag))
