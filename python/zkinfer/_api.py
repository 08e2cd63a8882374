"""The pipeline, as the ``zkinfer`` command runs it: ``compile``, ``setup``, ``prove`` (``Prover``),
``verify`` (``Verifier``). Files where the CLI uses files (the model directory), Python objects elsewhere."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from . import _native, _progress
from ._arrays import flatten_inputs, samples_file_data
from ._proof import _MAX_OPENINGS_BYTES, PathLike, Proof, Verified
from .errors import DevelopmentSrsWarning

ModelSource = Union[str, "os.PathLike[str]", bytes, bytearray]


@dataclass(frozen=True)
class CompileResult:
    """What ``compile`` did (what ``zkinfer compile`` prints).

    Attributes:
        dir: the model directory (``settings.json``, ``model.json``).
        k: the circuit has 2^k rows; ``rows`` of them are used.
        lookup_bits, limb_bits, tile, lanes: the circuit's shape: values of ``lookup_bits`` bits, checked
            in two ``limb_bits``-bit limbs through a 2^limb_bits-row table (limb lanes), or, when
            ``limb_bits`` is 0, through lookup tables of 2^lookup_bits entries (affine lanes); the MAC
            tile's inputs x outputs; the lanes.
        public_values: the number of public instances.
        samples: calibration samples the accuracy was measured on (synthetic ones if none were given).
        max_abs_error: the largest |circuit - float| output difference on them; max_abs_output the
            largest float output; argmax_agree how many samples agree on the argmax (``None`` for
            one-element outputs).
        onnx: the ONNX file compiled (``None`` when the model was given as bytes).
        inputs, outputs: who sees the inputs' and the outputs' values: ``"public"``, ``"hashed"`` or
            ``"private"``.
        weights: ``"fixed"`` or ``"committed"`` (see ``compile``).
    """

    dir: str
    k: int
    rows: int
    lookup_bits: int
    limb_bits: int
    tile: Tuple[int, int]
    lanes: int
    public_values: int
    samples: int
    max_abs_error: float
    max_abs_output: float
    argmax_agree: Optional[int]
    onnx: Optional[str] = None
    inputs: str = "public"
    outputs: str = "public"
    weights: str = "fixed"


_VISIBILITIES = ("public", "hashed", "private")


def _visibility(what: str, value: str) -> str:
    if value not in _VISIBILITIES:
        raise ValueError(f"{what}: {value!r} is not one of 'public', 'hashed', 'private'")
    return value


def compile(
    model: ModelSource,
    out_dir: PathLike,
    samples: Any = None,
    target: str = "resources",
    *,
    inputs: str = "public",
    outputs: str = "public",
    weights: str = "fixed",
    progress: Optional[bool] = None,
) -> CompileResult:
    """Compiles an ONNX model into a circuit in ``out_dir`` (``zkinfer compile MODEL --out DIR``).

    Args:
        model: the ONNX file's path, or its bytes.
        out_dir: the model directory to write (created if needed; keys of an earlier compile are removed).
        samples: calibration inputs: an array holding one or more samples (e.g. ``X_train[:64]`` of
            shape ``(64, 64)`` for an input of shape ``(1, 64)``), a list of sample arrays, or for a model
            with several inputs a tuple with one such batch per input. Without samples it calibrates on
            synthetic inputs in [-1, 1] and warns.
        target: ``"resources"`` (fewest rows: lookup tables of 2^10 entries) or ``"accuracy"`` (2^12).
        inputs: who sees the inputs' values (``zkinfer compile --input-visibility``): ``"public"`` (the
            proof states them), ``"hashed"`` (the proof states only a Poseidon commitment to them under a
            secret salt; ``prove`` returns their openings beside the proof) or ``"private"`` (the proof
            states nothing of them).
        outputs: who sees the outputs' values, the same way (``--output-visibility``).
        weights: ``"fixed"`` (the weights are constants of the circuit, committed to by its verifying key)
            or ``"committed"`` (``--weights committed``: the weights and biases of MatMul and Gemm stay
            private to the prover, bound by Poseidon commitments written to ``weights.commitment.json``,
            their openings to ``weights.openings.json``; one verifying key serves every weight set of the
            architecture, and a verifier accepts a proof only under the weights commitment it pins).
        progress: show a progress bar (default: when tqdm is installed and attached to a terminal or
            notebook).

    Raises:
        zkinfer.CompileError: an unsupported op (naming the node and the supported ops), samples that do
            not fit the model's inputs, a model that cannot be quantised.
        ValueError: samples of a non-numeric dtype or holding NaN or infinity; an unknown visibility.
    """
    _visibility("inputs", inputs)
    _visibility("outputs", outputs)
    out = os.fspath(out_dir)
    with tempfile.TemporaryDirectory(prefix="zkinfer-") as tmp:
        if isinstance(model, (bytes, bytearray)):
            path = os.path.join(tmp, "model.onnx")
            with open(path, "wb") as f:
                f.write(bytes(model))
            onnx_path = None
        else:
            path = os.fspath(model)
            onnx_path = path
        files = []
        if samples is None:
            warnings.warn(
                "zkinfer.compile: no samples given: calibrating on synthetic inputs in [-1, 1]; "
                "pass real inputs for real ranges",
                UserWarning,
                stacklevel=2,
            )
        else:
            sample_file = os.path.join(tmp, "samples.json")
            with open(sample_file, "w", encoding="utf-8") as f:
                json.dump(samples_file_data(samples), f)
            files.append(sample_file)
        with _progress.step("zkinfer compile", progress):
            r = _native.compile(path, out, files, target, inputs, outputs, weights)
    return CompileResult(
        dir=out,
        k=r["k"],
        rows=r["rows"],
        lookup_bits=r["lookup_bits"],
        limb_bits=r["limb_bits"],
        tile=(r["tile_inputs"], r["tile_outputs"]),
        lanes=r["lanes"],
        public_values=r["public_values"],
        samples=r["samples"],
        max_abs_error=r["max_abs_error"],
        max_abs_output=r["max_abs_output"],
        argmax_agree=r["argmax_agree"],
        onnx=onnx_path,
        inputs=r["inputs"],
        outputs=r["outputs"],
        weights=r["weights"],
    )


@dataclass(frozen=True)
class SetupResult:
    """What ``setup`` did (what ``zkinfer setup`` prints).

    Attributes:
        k: the circuit's size (2^k rows).
        development_srs: the keys rest on a local development SRS (verifiers refuse its proofs unless
            they pass ``allow_dev_srs=True``).
        ceremony: ``(name, source)`` of the pinned public ceremony the imported SRS is from, or ``None``.
        keygen_seconds: key generation time. vk_bytes: the verifying key's size.
    """

    k: int
    development_srs: bool
    ceremony: Optional[Tuple[str, str]]
    keygen_seconds: float
    vk_bytes: int


def setup(dir: PathLike, srs: Optional[PathLike] = None, *, progress: Optional[bool] = None) -> SetupResult:
    """Generates the proving and verifying keys of a compiled model (``zkinfer setup DIR [--srs FILE]``).

    Writes ``vk.bin``, ``kzg.srs`` and ``verifier_params.bin`` (provers rebuild the proving key from
    ``vk.bin``). Without ``srs`` the keys rest
    on a local development SRS (cached in ``~/.cache/zkinfer/srs``): fine for development, but whoever ran
    setup could know its secret, so verifiers refuse its proofs unless told ``allow_dev_srs=True``; a
    ``DevelopmentSrsWarning`` says so. ``srs`` imports a public ceremony's powers of tau (a snarkjs
    ``.ptau`` file or halo2 KZG params, checked and downsized).

    Raises:
        zkinfer.ArtifactError: the model directory is not compiled (or is unreadable).
        zkinfer.SrsError: the SRS file cannot be imported.
    """
    with _progress.step("zkinfer setup: generating keys", progress):
        r = _native.setup(os.fspath(dir), None if srs is None else os.fspath(srs))
    ceremony = tuple(r["ceremony"]) if r["ceremony"] is not None else None
    if r["development_srs"]:
        warnings.warn(
            "zkinfer.setup: no srs given: using a local development SRS; verifiers refuse its proofs unless "
            "they pass allow_dev_srs=True (whoever ran setup could forge them)",
            DevelopmentSrsWarning,
            stacklevel=2,
        )
    elif ceremony is None:
        warnings.warn(
            "zkinfer.setup: the imported SRS is consistent but is not one of the pinned public ceremonies: "
            "verifiers will refuse its proofs unless they pass allow_dev_srs=True",
            DevelopmentSrsWarning,
            stacklevel=2,
        )
    return SetupResult(
        k=r["k"],
        development_srs=r["development_srs"],
        ceremony=ceremony,  # type: ignore[arg-type]
        keygen_seconds=r["keygen_seconds"],
        vk_bytes=r["vk_bytes"],
    )


class Prover:
    """A model directory loaded for proving: the proving key, the params and the planned model are read
    once, and every ``prove`` call only generates a witness and a proof (with the GIL released).

    >>> prover = zkinfer.Prover("out/digits")
    >>> proofs = [prover.prove(x) for x in X_test[:10]]

    Attributes:
        inputs, outputs: ``(name, shape)`` of each model input and output.
        input_visibility, output_visibility: ``"public"``, ``"hashed"`` or ``"private"`` for each.
        model_id: the model id (settings, vk and SRS) its proofs carry.
    """

    def __init__(
        self,
        dir: PathLike,
        device: str = "cpu",
        *,
        weights: Optional[PathLike] = None,
        progress: Optional[bool] = None,
    ) -> None:
        with _progress.step("zkinfer: loading keys", progress):
            w = None if weights is None else os.fspath(weights)
            self._native = _native.Prover(os.fspath(dir), device, w)
        self.inputs: List[Tuple[str, Tuple[int, ...]]] = [(n, tuple(s)) for n, s in self._native.inputs]
        self.outputs: List[Tuple[str, Tuple[int, ...]]] = [(n, tuple(s)) for n, s in self._native.outputs]
        self.input_visibility: List[str] = list(self._native.input_visibility)
        self.output_visibility: List[str] = list(self._native.output_visibility)

    @property
    def dir(self) -> str:
        return os.fspath(self._native.dir)

    @property
    def device(self) -> str:
        return self._native.device

    @property
    def model_id(self) -> str:
        return self._native.model_id

    @property
    def k(self) -> int:
        return self._native.k

    def prove(
        self,
        inputs: Any = None,
        *,
        bind: Optional[str] = None,
        openings: Any = None,
        progress: Optional[bool] = None,
    ) -> Proof:
        """Proves one inference (``zkinfer prove DIR --input FILE``).

        Args:
            inputs: one array for a one-input model (numpy, a nested list, or a torch tensor), a list of
                arrays (one per input), or a dict from input name to array. Each must have its input's
                shape (or that shape without a leading batch dimension of 1) and a float or integer dtype.
            bind: a binding value, e.g. a market job's: 64 hex digits (the field element's little-endian hex, as
                proof files and the market write it) or 0x and up to 64 digits (the uint256 the escrow prints): the proof then
                verifies only with it.
            openings: instead of ``inputs``, for a model whose inputs are all hashed: the openings of
                inputs someone committed to (an openings file's path or text, its dict, or a ``Proof``
                carrying openings). The proof then proves exactly those commitments, with the values and
                salts of the openings (``zkinfer prove --input OPENINGS``).

        Returns:
            the ``Proof``; ``proof.outputs`` holds the proved outputs as numpy arrays (``None`` for a hashed
            or private output), and for a model with hashed inputs or outputs ``proof.openings`` their
            values and salts (secret: ``proof.save`` writes them beside the proof).

        Raises:
            ValueError: an input of the wrong shape or dtype (naming the input and the expected shape);
                both or neither of ``inputs`` and ``openings``.
            zkinfer.InputError: a value outside the calibrated range (naming the input element or node);
                openings for a model whose inputs are not all hashed, or that do not fit its inputs.
            zkinfer.MalformedFile: openings that cannot be read or do not open their commitments.
        """
        if (inputs is None) == (openings is None):
            raise ValueError("prove: give inputs or openings (of hashed inputs), exactly one of them")
        if openings is not None:
            text, name = _openings_text(openings)
            with _progress.step("zkinfer prove", progress):
                r = self._native.prove_opened(text, bind, name)
        else:
            flat = flatten_inputs(inputs, self.inputs)
            with _progress.step("zkinfer prove", progress):
                r = self._native.prove(flat, bind)
        return Proof(
            r["proof"],
            openings=r["openings"],
            witness_seconds=r["witness_seconds"],
            proving_seconds=r["proving_seconds"],
            _checked=True,
        )

    def __repr__(self) -> str:
        return f"zkinfer.Prover({self.dir!r}, device={self.device!r}, inputs={self.inputs}, outputs={self.outputs})"


_KEY_FILES = ("settings.json", "model.json", "pk.bin", "kzg.srs", "vk.bin")
_provers: Dict[Tuple[str, str], Tuple[Tuple[Any, ...], Prover]] = {}
_provers_lock = threading.Lock()
_MAX_CACHED = 4


def _signature(dir: str) -> Tuple[Any, ...]:
    sig = []
    for name in _KEY_FILES:
        try:
            st = os.stat(os.path.join(dir, name))
            sig.append((st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            sig.append(None)
    return tuple(sig)


def _cached_prover(dir: PathLike, device: str, progress: Optional[bool]) -> Prover:
    path = os.path.realpath(os.fspath(dir))
    sig = _signature(path)
    with _provers_lock:
        hit = _provers.get((path, device))
        if hit is not None and hit[0] == sig:
            return hit[1]
    prover = Prover(path, device, progress=progress)
    with _provers_lock:
        _provers[(path, device)] = (sig, prover)
        while len(_provers) > _MAX_CACHED:
            _provers.pop(next(iter(_provers)))
    return prover


def prove(
    dir: PathLike,
    inputs: Any = None,
    *,
    bind: Optional[str] = None,
    openings: Any = None,
    device: str = "cpu",
    progress: Optional[bool] = None,
) -> Proof:
    """Proves one inference of the model in ``dir`` (``zkinfer prove DIR --input FILE --proof FILE``).

    The model's keys are loaded on the first call and kept (``zkinfer.Prover`` underneath, reloaded when
    the directory's files change), so repeated calls do not read them again. See ``Prover.prove`` for the
    arguments and errors; ``device`` is ``"cpu"`` or ``"cuda"``.
    """
    return _cached_prover(dir, device, progress).prove(
        inputs, bind=bind, openings=openings, progress=progress
    )


def _openings_text(openings: Any) -> Tuple[bytes, str]:
    """An openings file's bytes and its name for messages, from its text or bytes, its dict (as
    ``Proof.openings`` returns it), a ``Proof`` carrying openings, or its path."""
    if isinstance(openings, Proof):
        text = openings.openings_json()
        if text is None:
            raise ValueError("openings: this proof carries no openings (nothing hashed, or read without them)")
        return text.encode("utf-8"), "openings"
    if isinstance(openings, dict):
        return json.dumps(openings).encode("utf-8"), "openings"
    if isinstance(openings, (bytes, bytearray)):
        return bytes(openings), "openings"
    if isinstance(openings, str) and openings.lstrip().startswith("{"):
        return openings.encode("utf-8"), "openings"
    if not isinstance(openings, (str, os.PathLike)):
        raise TypeError(
            f"openings: expected an openings file's path, text, dict or a Proof, not {type(openings).__name__}"
        )
    path = os.fspath(openings)
    with open(path, "rb") as f:
        return f.read(_MAX_OPENINGS_BYTES + 1), path


def _proof_text(proof: Union[Proof, str, bytes, PathLike], max_bytes: int) -> Tuple[bytes, str]:
    """The proof file's bytes and its name for messages; a file is read up to ``max_bytes`` + 1 bytes (the
    native verifier refuses anything longer than its model's largest proof file)."""
    if isinstance(proof, Proof):
        return proof.to_json().encode("utf-8"), "proof"
    if isinstance(proof, (bytes, bytearray)):
        return bytes(proof), "proof"
    if isinstance(proof, str) and proof.lstrip().startswith("{"):
        return proof.encode("utf-8"), "proof"
    path = os.fspath(proof)
    with open(path, "rb") as f:
        return f.read(max_bytes + 1), path


class Verifier:
    """A model's verifier files (``settings.json``, ``vk.bin``, ``verifier_params.bin``: a few KB, no
    proving key needed), loaded once for many verifications."""

    def __init__(self, dir: PathLike, *, max_k: Optional[int] = None, max_memory_bytes: Optional[int] = None) -> None:
        """Loads the verifier files of ``dir``. ``max_k`` (default and ceiling 26) and ``max_memory_bytes``
        bound what loading may take: larger circuits are refused with ``zkinfer.MalformedFile`` before
        anything is allocated for them."""
        self._native = _native.Verifier(os.fspath(dir), max_k, max_memory_bytes)
        self.inputs: List[Tuple[str, Tuple[int, ...]]] = [(n, tuple(s)) for n, s in self._native.inputs]
        self.outputs: List[Tuple[str, Tuple[int, ...]]] = [(n, tuple(s)) for n, s in self._native.outputs]
        self.input_visibility: List[str] = list(self._native.input_visibility)
        self.output_visibility: List[str] = list(self._native.output_visibility)

    @property
    def model_id(self) -> str:
        """SHA-256 of the settings, the verifying key and the verifier params: compare it with the id the
        model's owner published, or pass that id as ``model_id=``."""
        return self._native.model_id

    def verify(
        self,
        proof: Union[Proof, str, bytes, PathLike],
        *,
        allow_dev_srs: bool = False,
        model_id: Optional[str] = None,
        bind: Optional[str] = None,
        inputs: Any = None,
        openings: Any = None,
        weights_commitment: Any = None,
    ) -> Verified:
        """Verifies a proof; see ``zkinfer.verify``."""
        if inputs is not None and openings is not None:
            raise ValueError("verify: give inputs (values) or openings (of hashed inputs), not both")
        text, name = _proof_text(proof, self._native.max_proof_file_bytes)
        expected = None if inputs is None else flatten_inputs(inputs, self.inputs)
        opened, opened_name = (None, "openings.json") if openings is None else _openings_text(openings)
        t = time.perf_counter()
        pin, pin_name = _weights_commitment_text(weights_commitment)
        r = self._native.verify(
            text, allow_dev_srs, model_id, bind, expected, name, opened, opened_name, pin, pin_name
        )
        took = time.perf_counter() - t
        ins, outs = r["input_visibility"], r["output_visibility"]
        return Verified(
            outputs=_shown(r["outputs"], outs, self.outputs, "float64"),
            inputs=_shown(r["inputs"], ins, self.inputs, "float64"),
            outputs_q=_shown(r["outputs_q"], outs, self.outputs, "int64"),
            inputs_q=_shown(r["inputs_q"], ins, self.inputs, "int64"),
            model_id=r["model_id"],
            srs=r["srs"],
            srs_kind=r["srs_kind"],
            ceremony=r["ceremony"],
            bind=r["bind"],
            commitments=[(str(n), str(k), int(i), str(c)) for n, k, i, c in r["commitments"]],
            input_visibility=list(ins),
            output_visibility=list(outs),
            opened=opened is not None,
            seconds=took,
            weights_commitments=None if r["weights_commitments"] is None else list(r["weights_commitments"]),
        )

    def __repr__(self) -> str:
        return f"zkinfer.Verifier(model_id={self.model_id[:16]}..., inputs={self.inputs}, outputs={self.outputs})"


def _shown(flat: List[List[Any]], visibility: List[str], specs: List[Tuple[str, Tuple[int, ...]]], dtype: str) -> List[Any]:
    """Each public tensor's values as an array of its shape; ``None`` for a hashed or private one (the
    verifier gives no values for it)."""
    return [
        np.asarray(v, dtype=dtype).reshape(shape) if vis == "public" else None
        for v, vis, (_, shape) in zip(flat, visibility, specs)
    ]


def commit_weights(model: PathLike, dir: PathLike, prefix: PathLike) -> List[Tuple[str, str]]:
    """Commits to another weight set of a model compiled with ``weights="committed"``
    (``zkinfer commit-weights MODEL --model-dir DIR --out PREFIX``): ``model`` is an ONNX file of the same
    architecture with other weights. Writes ``PREFIX.openings.json`` (private: the stored weights and salts,
    mode 0600; prove with ``Prover(dir, weights=...)``) and ``PREFIX.commitment.json`` (public: what
    verifiers pin with ``verify(..., weights_commitment=...)``); returns ``(tensor, 0x commitment)`` for each
    weight tensor.

    Raises:
        zkinfer.CompileError: another architecture, a weight outside the encodings compiled for it, or a
            model whose weights are fixed.
    """
    return [
        (str(n), str(c))
        for n, c in _native.commit_weights(os.fspath(model), os.fspath(dir), os.fspath(prefix))
    ]


def verify(
    dir: PathLike,
    proof: Union[Proof, str, bytes, PathLike],
    *,
    allow_dev_srs: bool = False,
    model_id: Optional[str] = None,
    bind: Optional[str] = None,
    inputs: Any = None,
    openings: Any = None,
    weights_commitment: Any = None,
) -> Verified:
    """Verifies a proof with the model directory's verifier files (``zkinfer verify DIR --proof FILE``).

    Needs only ``settings.json``, ``vk.bin`` and ``verifier_params.bin``. The verdict rests on the SRS of
    ``verifier_params.bin``: a pinned public ceremony's is accepted; a development SRS (``setup`` without
    ``srs``) only with ``allow_dev_srs=True`` (its secret may be known to whoever ran setup, who could then
    forge any output: never for verdicts others rely on), as ``zkinfer verify --allow-dev-srs``.

    Args:
        proof: a ``Proof``, a proof file's text or bytes, or its path.
        allow_dev_srs: accept a development SRS.
        model_id: the model id the model's owner published: pins the settings, vk and SRS to it.
        bind: the binding value the proof must carry (64 little-endian hex digits, or 0x and a big-endian
            uint256); without it the proof must be unbound.
        inputs: also check that the proof is about these inputs (same forms as ``prove``); for public
            inputs.
        openings: for a model with hashed inputs: also check that the proof's input commitments are
            opened by these openings (``zkinfer verify --input OPENINGS``): an openings file's path or
            text, its dict (``Proof.openings``), or a ``Proof`` carrying them. A mismatch raises
            ``InvalidProof`` with code ``input_mismatch``.
        weights_commitment: for a model compiled with committed weights: the weights commitment the
            model's owner published (``weights.commitment.json``: its path, text or dict; default: that
            file in ``dir``). The proof must commit to exactly those weights; a proof under other weights,
            or with no commitment to pin, raises ``InvalidProof`` with code ``weights_mismatch``.

    Returns:
        ``Verified``: the verified outputs (numpy arrays derived from the proved integers; ``None`` for a
        hashed or private output), the model id, the SRS the verdict rests on, and the ``commitments`` of
        the hashed tensors.

    Raises:
        zkinfer.InvalidProof: the proof does not prove the statement; ``.reason`` says why and ``.code``
            names it (e.g. ``proof_fails``, ``development_params``, ``instance_mismatch``).
        zkinfer.MalformedFile: the proof file (or an artifact) cannot be read: not JSON, a field missing,
            an unsupported version.
        zkinfer.ArtifactError: the verifier files are missing or do not belong together.
        ValueError: both ``inputs`` and ``openings``; ``openings`` for a model without hashed inputs.
    """
    return Verifier(dir).verify(
        proof,
        allow_dev_srs=allow_dev_srs,
        model_id=model_id,
        bind=bind,
        inputs=inputs,
        openings=openings,
        weights_commitment=weights_commitment,
    )


def _weights_commitment_text(pin: Any) -> Tuple[Optional[bytes], str]:
    """A weights commitment file's bytes and its name for messages, from its path, text, bytes or dict;
    ``None`` for none given (the verifier directory's file is used)."""
    if pin is None:
        return None, "weights.commitment.json"
    if isinstance(pin, dict):
        return json.dumps(pin).encode("utf-8"), "weights_commitment"
    if isinstance(pin, (bytes, bytearray)):
        return bytes(pin), "weights_commitment"
    if isinstance(pin, str) and pin.lstrip().startswith("{"):
        return pin.encode("utf-8"), "weights_commitment"
    if not isinstance(pin, (str, os.PathLike)):
        raise ValueError(
            f"weights_commitment: expected a weights.commitment.json path, text or dict, not {type(pin).__name__}"
        )
    path = os.fspath(pin)
    with open(path, "rb") as f:
        return f.read(_MAX_OPENINGS_BYTES + 1), path
