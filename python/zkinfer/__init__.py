"""zkinfer: verifiable ML inference.

Compile an ONNX model (or a PyTorch module, or a scikit-learn estimator) into a halo2 circuit, prove an
inference on numpy inputs, and verify the proof, with the same files and the same checks as the ``zkinfer``
command (its proof files verify here, and proofs made here verify with it)::

    import zkinfer
    zkinfer.compile("model.onnx", "out/model", samples=X_train[:64])
    zkinfer.setup("out/model")
    proof = zkinfer.prove("out/model", X_test[0])
    verified = zkinfer.verify("out/model", proof, allow_dev_srs=True)
    print(verified.outputs[0])

Errors are the classes of ``zkinfer.errors`` (all ``zkinfer.ZkinferError``); an invalid proof raises
``zkinfer.InvalidProof`` with its ``reason`` and ``code``.
"""

from __future__ import annotations

from . import errors
from ._api import CompileResult, Prover, SetupResult, Verifier, commit_weights, compile, prove, setup, verify
from ._bench import BenchResult, Stats, bench
from ._native import __version__
from ._proof import Proof, Verified
from .errors import (
    ArtifactError,
    CompileError,
    DevelopmentSrsWarning,
    InputError,
    InvalidProof,
    MalformedFile,
    ProvingError,
    SrsError,
    ZkinferError,
)
from .interop import from_sklearn, from_torch

__all__ = [
    "__version__",
    "compile",
    "commit_weights",
    "setup",
    "prove",
    "verify",
    "bench",
    "from_torch",
    "from_sklearn",
    "Prover",
    "Verifier",
    "Proof",
    "Verified",
    "CompileResult",
    "SetupResult",
    "BenchResult",
    "Stats",
    "errors",
    "ZkinferError",
    "CompileError",
    "ArtifactError",
    "MalformedFile",
    "SrsError",
    "InputError",
    "ProvingError",
    "InvalidProof",
    "DevelopmentSrsWarning",
]
