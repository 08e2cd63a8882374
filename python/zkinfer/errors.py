"""The exceptions zkinfer raises.

``ZkinferError`` is the base of all of them::

    ZkinferError
    ├── CompileError      the ONNX model or the calibration samples cannot be compiled
    ├── ArtifactError     a model directory's file is missing, unreadable or of another model
    │   └── MalformedFile a file is there but malformed (bad JSON, bad magic, unknown version, corrupt key)
    ├── SrsError          an SRS file given to ``setup`` cannot be imported
    ├── InputError        an input does not fit the model (also a ``ValueError``)
    ├── ProvingError      proving failed (device unavailable, halo2 error)
    └── InvalidProof      a readable proof that does not prove the statement: ``.reason`` and ``.code``

A wrong shape or dtype of a numpy input is a plain ``ValueError`` raised before anything is proved
(``InputError`` is also a ``ValueError``, so ``except ValueError`` catches both).
"""

from __future__ import annotations


class ZkinferError(Exception):
    """Base class of every zkinfer error."""


class CompileError(ZkinferError):
    """The ONNX model or the calibration samples cannot be compiled (an unsupported op names its node)."""


class ArtifactError(ZkinferError):
    """A file of a model directory is missing or unreadable, or the files belong to different models."""


class MalformedFile(ArtifactError):
    """A file exists but cannot be read as what it should be: a proof file that is not JSON or lacks a
    field, an unsupported format version, a corrupt key. Not a verdict: nothing was proved wrong."""


class SrsError(ZkinferError):
    """An SRS file given to ``setup(dir, srs=...)`` cannot be imported (unreadable, malformed, too small or
    inconsistent)."""


class InputError(ZkinferError, ValueError):
    """An input does not fit the model: wrong count or size, or a value outside the calibrated range
    (the message names the input element or the node)."""


class ProvingError(ZkinferError):
    """Proving failed: the device is unavailable, or halo2 failed."""


class InvalidProof(ZkinferError):
    """The proof was read but does not prove the statement: ``zkinfer verify``'s INVALID.

    Attributes:
        reason: why, in words (e.g. "the proof does not verify against this model's verifying key").
        code: a stable name for the reason, as the browser verifier reports it: ``untrusted_params``,
            ``development_params``, ``model_mismatch``, ``settings_mismatch``, ``instance_mismatch``,
            ``input_mismatch``, ``binding_mismatch``, ``edited_value``, ``trailing_bytes``,
            ``proof_fails`` or ``weights_mismatch`` (a model with committed weights, which this binding refuses).
    """

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(f"invalid proof: {reason}")
        self.reason = reason
        self.code = code

    def __reduce__(self):  # keep reason and code through pickling (multiprocessing)
        return (type(self), (self.reason, self.code))


class DevelopmentSrsWarning(UserWarning):
    """Keys were made with a development SRS (or an SRS of no pinned ceremony): verifiers refuse its proofs
    unless they pass ``allow_dev_srs=True``."""


__all__ = [
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
