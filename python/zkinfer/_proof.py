"""``Proof`` (a proof file, byte for byte what ``zkinfer prove`` writes) and ``Verified`` (what a valid
proof proves)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from . import _native

PathLike = Union[str, "os.PathLike[str]"]


class Proof:
    """A proof of one inference: the proof file ``zkinfer prove`` writes (``proof.json``, version 2).

    ``to_json()`` returns the file's text exactly (a proof made in Python and saved is byte-identical in
    format to one made by the CLI, and either verifies with the other). The attributes are read from the
    file and are informational: ``verify`` rebuilds the statement from the integers and checks them.

    Attributes:
        outputs: the proved outputs, one float64 array per model output, in the output's shape.
        witness_seconds, proving_seconds: how long proving took (``None`` for a proof read from a file).
    """

    def __init__(
        self,
        text: str,
        *,
        witness_seconds: Optional[float] = None,
        proving_seconds: Optional[float] = None,
        _checked: bool = False,
    ) -> None:
        if not _checked:
            _native.parse_proof(text.encode("utf-8"))
        self._text = text
        self._data = json.loads(text)
        self.witness_seconds = witness_seconds
        self.proving_seconds = proving_seconds

    @classmethod
    def from_json(cls, text: Union[str, bytes, bytearray]) -> "Proof":
        """Reads a proof file's text; raises ``zkinfer.MalformedFile`` if it is not one."""
        if isinstance(text, (bytes, bytearray)):
            raw = bytes(text)
            _native.parse_proof(raw)
            return cls(raw.decode("utf-8"), _checked=True)
        return cls(text)

    @classmethod
    def load(cls, path: PathLike) -> "Proof":
        """Reads a proof file (e.g. one ``zkinfer prove --proof`` wrote)."""
        with open(path, "rb") as f:
            raw = f.read()
        _native.parse_proof(raw, os.fspath(path))
        return cls(raw.decode("utf-8"), _checked=True)

    def to_json(self) -> str:
        """The proof file's text, exactly as ``zkinfer prove`` writes it."""
        return self._text

    def save(self, path: PathLike) -> None:
        """Writes the proof file (what ``zkinfer verify --proof`` reads)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self._text)

    @property
    def model_id(self) -> str:
        """The model id the proof claims (settings, vk and SRS); ``verify`` checks it."""
        return str(self._data["model_id"])

    @property
    def bind(self) -> str:
        """The binding value (64 hex digits; zero for an unbound proof)."""
        return str(self._data["bind"])

    @property
    def outputs(self) -> List[np.ndarray]:
        """The proved outputs, one float64 array per model output, in its shape."""
        return [np.asarray(o, dtype=np.float64) for o in self._data["outputs"]]

    @property
    def outputs_q(self) -> List[np.ndarray]:
        """The outputs' stored fixed-point integers (what the public instances encode)."""
        return [np.asarray(o, dtype=np.int64) for o in self._data["outputs_q"]]

    @property
    def inputs(self) -> List[np.ndarray]:
        """The inputs the proof is about, as rounded onto the model's fixed-point grid."""
        return [np.asarray(o, dtype=np.float64) for o in self._data["inputs"]]

    @property
    def inputs_q(self) -> List[np.ndarray]:
        """The inputs' stored fixed-point integers."""
        return [np.asarray(o, dtype=np.int64) for o in self._data["inputs_q"]]

    @property
    def proof_bytes(self) -> bytes:
        """The halo2 proof (KZG, SHPLONK, BN254)."""
        return bytes.fromhex(str(self._data["proof"]).removeprefix("0x"))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Proof) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __repr__(self) -> str:
        shapes = [tuple(o.shape) for o in self.outputs]
        return f"Proof(model_id={self.model_id[:16]}..., outputs={shapes}, {len(self.proof_bytes)} bytes)"


@dataclass(frozen=True)
class Verified:
    """A valid proof: what it proves, with the values derived from the proved integers.

    Attributes:
        outputs: the verified outputs, one float64 array per model output, in its shape.
        inputs: the inputs the proof is about (on the model's fixed-point grid).
        outputs_q, inputs_q: their stored integers (the public instances).
        model_id: the model id (settings, vk and SRS) the verdict pins.
        srs: the SRS the verdict rests on, in words (a pinned ceremony, or a development SRS).
        srs_kind: ``"ceremony"`` or ``"development"``.
        ceremony: the ceremony's name, or ``None``.
        bind: the binding value (64 hex digits).
        seconds: how long the check took.
    """

    outputs: List[np.ndarray]
    inputs: List[np.ndarray]
    outputs_q: List[np.ndarray]
    inputs_q: List[np.ndarray]
    model_id: str
    srs: str
    srs_kind: str
    ceremony: Optional[str]
    bind: str
    seconds: float = field(default=0.0, compare=False)

    def __repr__(self) -> str:
        shapes: List[Tuple[int, ...]] = [tuple(o.shape) for o in self.outputs]
        return f"Verified(model_id={self.model_id[:16]}..., outputs={shapes}, srs={self.srs_kind})"
