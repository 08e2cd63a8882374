"""Shared fixtures: the bundled digits classifier compiled and set up once per session, and the CLI binary."""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest

import zkinfer

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "models"


def _input_data(path: Path) -> np.ndarray:
    return np.asarray(json.loads(path.read_text())["input_data"][0], dtype=np.float64)


@pytest.fixture(scope="session")
def digits(tmp_path_factory) -> Path:
    """models/digits_mlp compiled (calibrated on its calibration file) and set up with a development SRS."""
    d = tmp_path_factory.mktemp("digits")
    cal = _input_data(MODELS / "digits_mlp" / "calibration.json").reshape(-1, 64)
    zkinfer.compile(MODELS / "digits_mlp" / "model.onnx", d, samples=cal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zkinfer.DevelopmentSrsWarning)
        zkinfer.setup(d)
    return d


@pytest.fixture(scope="session")
def digits_input() -> np.ndarray:
    """The bundled input of the digits model, shape (1, 64)."""
    return _input_data(MODELS / "digits_mlp" / "input.json").reshape(1, 64)


@pytest.fixture(scope="session")
def cli() -> str:
    """The zkinfer CLI: $ZKINFER_BIN, or target/release/zkinfer of this checkout (or of $CARGO_TARGET_DIR).
    A missing binary fails the tests that need it: scripts/python-test.sh builds it first."""
    candidates = [os.environ.get("ZKINFER_BIN")]
    if os.environ.get("CARGO_TARGET_DIR"):
        candidates.append(os.path.join(os.environ["CARGO_TARGET_DIR"], "release", "zkinfer"))
    candidates.append(str(REPO / "target" / "release" / "zkinfer"))
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    found = shutil.which("zkinfer")
    if found:
        return found
    pytest.fail(
        "the zkinfer CLI is missing (looked at $ZKINFER_BIN, $CARGO_TARGET_DIR/release/zkinfer, "
        "target/release/zkinfer): cargo build --release -p zkinfer-cli --bin zkinfer"
    )
