"""Type stubs of the native module ``zkinfer._native`` (Rust, PyO3). Use the ``zkinfer`` package's API;
these are its building blocks. Every long call releases the GIL."""

from os import PathLike
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

_Path = Union[str, PathLike[str]]
_Spec = Tuple[str, List[int]]

__version__: str

def commit_weights(model: _Path, dir: _Path, prefix: _Path) -> List[Tuple[str, str]]:
    """Writes PREFIX.openings.json and PREFIX.commitment.json of another weight set of a committed-weights
    model; returns (tensor, 0x commitment) per weight tensor. Raises ``zkinfer.CompileError``."""

def compile(
    model: _Path,
    out_dir: _Path,
    samples: Sequence[_Path],
    target_name: str = "resources",
    inputs: str = "public",
    outputs: str = "public",
    weights: str = "fixed",
) -> Dict[str, Any]:
    """Compiles an ONNX file into ``out_dir`` calibrating on sample files, every input and output with the
    visibility given (public, hashed or private), the weights fixed or committed; returns k, rows, layout,
    accuracy figures, the visibilities and the weights mode. Raises ``zkinfer.CompileError``."""

def setup(dir: _Path, srs: Optional[_Path] = None) -> Dict[str, Any]:
    """Makes the keys of a compiled model; returns k, development_srs, ceremony, keygen_seconds, vk_bytes."""

def parse_proof(text: bytes, name: str = "proof.json") -> None:
    """Raises ``zkinfer.MalformedFile`` unless ``text`` is a proof file this build reads."""

def parse_openings(text: bytes, name: str = "openings.json") -> None:
    """Raises ``zkinfer.MalformedFile`` unless ``text`` is an openings file whose openings open their
    commitments."""

class Prover:
    """A model directory's proving key, params and planned model, loaded once."""

    def __init__(self, dir: _Path, device: str = "cpu", weights: Optional[_Path] = None) -> None: ...
    @property
    def dir(self) -> str: ...
    @property
    def device(self) -> str: ...
    @property
    def model_id(self) -> str: ...
    @property
    def k(self) -> int: ...
    @property
    def inputs(self) -> List[_Spec]: ...
    @property
    def outputs(self) -> List[_Spec]: ...
    @property
    def input_visibility(self) -> List[str]: ...
    @property
    def output_visibility(self) -> List[str]: ...
    def prove(self, inputs: List[List[float]], bind: Optional[str] = None) -> Dict[str, Any]:
        """Proves flat row-major inputs; returns proof (the proof file's JSON), openings (the openings
        file's JSON, or None when nothing is hashed), outputs (flat), witness_seconds, proving_seconds,
        proof_bytes, backend."""
    def prove_opened(self, openings: bytes, bind: Optional[str] = None, name: str = "openings.json") -> Dict[str, Any]:
        """Proves the hashed inputs of an openings file under their salts (every input hashed); returns
        what ``prove`` returns."""

class Verifier:
    """A model's verifier artifacts (settings.json, vk.bin, verifier_params.bin), loaded once."""

    def __init__(self, dir: _Path, max_k: Optional[int] = None, max_memory_bytes: Optional[int] = None) -> None:
        """Raises ``zkinfer.MalformedFile`` for a k over ``max_k`` (at most 26), a load over
        ``max_memory_bytes`` or a file over its size cap, before anything is allocated by them."""
    @property
    def model_id(self) -> str: ...
    @property
    def k(self) -> int: ...
    @property
    def load_memory_bytes(self) -> int: ...
    @property
    def max_proof_file_bytes(self) -> int: ...
    @property
    def inputs(self) -> List[_Spec]: ...
    @property
    def outputs(self) -> List[_Spec]: ...
    @property
    def input_visibility(self) -> List[str]: ...
    @property
    def output_visibility(self) -> List[str]: ...
    def verify(
        self,
        proof: bytes,
        allow_dev_srs: bool = False,
        model_id: Optional[str] = None,
        bind: Optional[str] = None,
        inputs: Optional[List[List[float]]] = None,
        name: str = "proof.json",
        openings: Optional[bytes] = None,
        openings_name: str = "openings.json",
        weights_commitment: Optional[bytes] = None,
        weights_name: str = "weights.commitment.json",
    ) -> Dict[str, Any]:
        """Judges a proof file (checking the hashed inputs against ``openings`` when given, and a committed-
        weights model's weight commitments against ``weights_commitment`` or the directory's file); returns
        model_id, srs, inputs, outputs (empty lists for hidden tensors), commitments ((name, kind, index,
        hex) per hashed tensor), input_visibility, output_visibility, ...; raises ``zkinfer.InvalidProof``
        or ``zkinfer.MalformedFile``."""
