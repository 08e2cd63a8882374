"""``Proof`` (a proof file, byte for byte what ``zkinfer prove`` writes) and ``Verified`` (what a valid
proof proves)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _native
from .errors import MalformedFile

# The most bytes an openings file read without its model may have (the native parser's bound too).
_MAX_OPENINGS_BYTES = 256 << 20

PathLike = Union[str, "os.PathLike[str]"]


def openings_path(proof_path: PathLike) -> str:
    """Where the openings of a proof saved at ``proof_path`` go, as ``zkinfer prove`` writes them:
    ``x.json`` -> ``x.openings.json`` (the proof file's name without its extension, then
    ``.openings.json``)."""
    path = os.fspath(proof_path)
    head, tail = os.path.split(path)
    stem = os.path.splitext(tail)[0] or "proof"
    return os.path.join(head, f"{stem}.openings.json")


_openings_path = openings_path  # for methods whose parameter shadows the name


def _write_secret(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` readable by its owner only (0600 where the OS has POSIX modes)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def _optional(values: Any, dtype: Any) -> Optional[np.ndarray]:
    """A tensor of a proof file: ``None`` where the file has ``null`` (a hashed or private tensor)."""
    return None if values is None else np.asarray(values, dtype=dtype)


class Proof:
    """A proof of one inference: the proof file ``zkinfer prove`` writes (``proof.json``, version 2).

    ``to_json()`` returns the file's text exactly (a proof made in Python and saved is byte-identical in
    format to one made by the CLI, and either verifies with the other). The attributes are read from the
    file and are informational: ``verify`` rebuilds the statement from the integers and checks them.

    For a model compiled with hashed or private inputs or outputs, the proof file holds ``null`` for each
    hidden tensor (``outputs`` etc. have ``None`` there) and ``commitments`` lists the hashed tensors'
    commitments. A proof made by ``prove`` then also carries ``openings``: the values and salts that open
    those commitments, which are as secret as the values themselves (see ``save``).

    Attributes:
        outputs: the proved outputs, one float64 array per model output, in the output's shape (``None``
            for a hashed or private output).
        witness_seconds, proving_seconds: how long proving took (``None`` for a proof read from a file).
    """

    def __init__(
        self,
        text: str,
        *,
        openings: Optional[str] = None,
        witness_seconds: Optional[float] = None,
        proving_seconds: Optional[float] = None,
        _checked: bool = False,
    ) -> None:
        if not _checked:
            _native.parse_proof(text.encode("utf-8"))
            if openings is not None:
                _native.parse_openings(openings.encode("utf-8"))
        self._text = text
        self._data = json.loads(text)
        self._openings = openings
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
    def load(cls, path: PathLike, openings: Optional[PathLike] = None) -> "Proof":
        """Reads a proof file (e.g. one ``zkinfer prove --proof`` wrote) and, where the proof commits to
        hashed tensors, the openings file ``openings`` (default: the one beside it, ``x.openings.json`` for
        ``x.json``, when it exists and opens exactly this proof's commitments; an explicit ``openings`` that
        does not is refused with ``ValueError``).

        Raises:
            zkinfer.MalformedFile: the proof file (or the openings file) cannot be read.
        """
        with open(path, "rb") as f:
            raw = f.read()
        _native.parse_proof(raw, os.fspath(path))
        proof = cls(raw.decode("utf-8"), _checked=True)
        if not proof.commitments:
            return proof
        explicit = openings is not None
        where = os.fspath(openings) if openings is not None else openings_path(path)
        if not explicit and not os.path.exists(where):
            return proof
        with open(where, "rb") as f:
            raw_openings = f.read(_MAX_OPENINGS_BYTES + 1)
        if len(raw_openings) > _MAX_OPENINGS_BYTES:
            raise MalformedFile(f"{where}: larger than the {_MAX_OPENINGS_BYTES} bytes an openings file may have")
        _native.parse_openings(raw_openings, where)
        text = raw_openings.decode("utf-8")
        if _commitments_of(text) != proof.commitments:
            if explicit:
                raise ValueError(f"{where}: these openings open other commitments than the proof's")
            return proof  # a stale file of another proof
        proof._openings = text
        return proof

    def to_json(self) -> str:
        """The proof file's text, exactly as ``zkinfer prove`` writes it."""
        return self._text

    def save(self, path: PathLike, openings_path: Optional[PathLike] = None) -> Optional[str]:
        """Writes the proof file (what ``zkinfer verify --proof`` reads) and, when the proof carries
        openings, the openings file beside it, as ``zkinfer prove`` does: ``x.openings.json`` for
        ``x.json`` (or ``openings_path``). The openings file holds the hashed tensors' values and salts:
        whoever reads it learns the values the proof hides, so it is written readable by its owner only
        (mode 0600); share it only with whoever may see them. Returns the openings file's path, or ``None``
        when nothing is hashed."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self._text)
        if self._openings is None:
            return None
        where = os.fspath(openings_path) if openings_path is not None else _openings_path(path)
        _write_secret(where, self._openings)
        return where

    @property
    def commitments(self) -> List[str]:
        """The commitments of the hashed inputs, then of the hashed outputs (0x big-endian hex), as the
        proof's public instances hold them; empty when nothing is hashed."""
        return [str(c) for c in self._data.get("commitments") or []]

    @property
    def openings(self) -> Optional[Dict[str, Any]]:
        """The openings of the hashed tensors (the openings file ``zkinfer prove`` writes, as a dict:
        ``{"version", "model_id", "openings": [{"tensor", "kind", "index", "commitment", "values",
        "salt"}]}``), or ``None`` when nothing is hashed or the proof was read without them. Secret: they
        reveal the values the proof hides. Pass them to ``verify(..., openings=)`` to check the proof is
        about those inputs."""
        return None if self._openings is None else json.loads(self._openings)

    def openings_json(self) -> Optional[str]:
        """The openings file's text exactly as ``zkinfer prove`` writes it (``None`` without openings)."""
        return self._openings

    @property
    def model_id(self) -> str:
        """The model id the proof claims (settings, vk and SRS); ``verify`` checks it."""
        return str(self._data["model_id"])

    @property
    def bind(self) -> str:
        """The binding value (64 hex digits; zero for an unbound proof)."""
        return str(self._data["bind"])

    @property
    def outputs(self) -> List[Optional[np.ndarray]]:
        """The proved outputs, one float64 array per model output, in its shape; ``None`` for a hashed or
        private output (the proof file does not hold its values)."""
        return [_optional(o, np.float64) for o in self._data["outputs"]]

    @property
    def outputs_q(self) -> List[Optional[np.ndarray]]:
        """The outputs' stored fixed-point integers (what the public instances encode); ``None`` for a
        hashed or private output."""
        return [_optional(o, np.int64) for o in self._data["outputs_q"]]

    @property
    def inputs(self) -> List[Optional[np.ndarray]]:
        """The inputs the proof is about, as rounded onto the model's fixed-point grid; ``None`` for a
        hashed or private input."""
        return [_optional(o, np.float64) for o in self._data["inputs"]]

    @property
    def inputs_q(self) -> List[Optional[np.ndarray]]:
        """The inputs' stored fixed-point integers; ``None`` for a hashed or private input."""
        return [_optional(o, np.int64) for o in self._data["inputs_q"]]

    @property
    def proof_bytes(self) -> bytes:
        """The halo2 proof (KZG, SHPLONK, BN254)."""
        return bytes.fromhex(str(self._data["proof"]).removeprefix("0x"))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Proof) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)

    def __repr__(self) -> str:
        shapes = [None if o is None else tuple(o.shape) for o in self.outputs]
        hashed = f", {len(self.commitments)} commitment(s)" if self.commitments else ""
        return f"Proof(model_id={self.model_id[:16]}..., outputs={shapes}{hashed}, {len(self.proof_bytes)} bytes)"


def _commitments_of(openings_text: str) -> List[str]:
    """The commitments an openings file's text opens, in its order (hashed inputs, then outputs)."""
    data = json.loads(openings_text)
    return [str(o["commitment"]) for o in data.get("openings") or []]


@dataclass(frozen=True)
class Verified:
    """A valid proof: what it proves, with the values derived from the proved integers.

    Attributes:
        outputs: the verified outputs, one float64 array per model output, in its shape (``None`` for a
            hashed or private output: the proof does not reveal it).
        inputs: the inputs the proof is about (on the model's fixed-point grid; ``None`` for a hashed or
            private input).
        outputs_q, inputs_q: their stored integers (the public instances; ``None`` where hidden).
        model_id: the model id (settings, vk and SRS) the verdict pins.
        srs: the SRS the verdict rests on, in words (a pinned ceremony, or a development SRS).
        srs_kind: ``"ceremony"`` or ``"development"``.
        ceremony: the ceremony's name, or ``None``.
        bind: the binding value (64 hex digits).
        commitments: each hashed tensor's commitment, ``(name, "input" | "output", index, 0x hex)``
            (hashed inputs, then hashed outputs); empty when nothing is hashed.
        input_visibility, output_visibility: what the proof states of each input and output:
            ``"public"`` (its values), ``"hashed"`` (a commitment) or ``"private"`` (nothing).
        opened: the hashed inputs were checked against openings (``verify(..., openings=)``).
        seconds: how long the check took.
        weights_commitments: for a model with committed weights, the commitment of each weight tensor the
            proof was checked against (the pinned ``weights.commitment.json``); ``None`` for fixed weights.
    """

    outputs: List[Optional[np.ndarray]]
    inputs: List[Optional[np.ndarray]]
    outputs_q: List[Optional[np.ndarray]]
    inputs_q: List[Optional[np.ndarray]]
    model_id: str
    srs: str
    srs_kind: str
    ceremony: Optional[str]
    bind: str
    commitments: List[Tuple[str, str, int, str]] = field(default_factory=list)
    input_visibility: List[str] = field(default_factory=list)
    output_visibility: List[str] = field(default_factory=list)
    opened: bool = False
    seconds: float = field(default=0.0, compare=False)
    weights_commitments: Optional[List[str]] = None

    def __repr__(self) -> str:
        shapes = [None if o is None else tuple(o.shape) for o in self.outputs]
        hashed = f", {len(self.commitments)} commitment(s)" if self.commitments else ""
        return f"Verified(model_id={self.model_id[:16]}..., outputs={shapes}{hashed}, srs={self.srs_kind})"
