"""numpy inputs in, numpy outputs out: checking user inputs against a model's input shapes, flattening them
for the native module, and shaping flat outputs."""

from __future__ import annotations

from typing import Any, List, Mapping, Sequence, Tuple

import numpy as np

Spec = Tuple[str, Tuple[int, ...]]


def _as_array(x: Any, what: str) -> np.ndarray:
    """``x`` as a numpy array: numpy arrays, nested lists, numbers, and tensors with ``.detach()`` (torch)."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        a = np.asarray(x)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{what}: cannot be read as a numeric array: {e}") from None
    return a


def _check_dtype(a: np.ndarray, what: str) -> np.ndarray:
    kind = a.dtype.kind
    if kind not in "fiu":
        raise ValueError(
            f"{what}: dtype {a.dtype} is not a real number type; expected a float or integer array "
            f"(it is converted to float64)"
        )
    a = a.astype(np.float64, copy=False)
    if not np.all(np.isfinite(a)):
        bad = int(np.flatnonzero(~np.isfinite(a.ravel()))[0])
        raise ValueError(f"{what}: element {bad} is {a.ravel()[bad]}, not a finite number")
    return a


def _fits(shape: Tuple[int, ...], expected: Tuple[int, ...]) -> bool:
    """The model's shape, or the same without a leading batch dimension of 1 (what a single sample of a
    batch looks like)."""
    if shape == expected:
        return True
    return len(expected) > 0 and expected[0] == 1 and shape == expected[1:]


def _shape_text(shape: Sequence[int]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def flatten_inputs(inputs: Any, specs: Sequence[Spec]) -> List[List[float]]:
    """Checks ``inputs`` against the model's ``(name, shape)`` specs and flattens each one (row-major).

    ``inputs`` is one array for a one-input model, a sequence of arrays (one per input), or a mapping from
    input name to array. Each array must have its input's shape (or that shape without a leading batch
    dimension of 1), a float or integer dtype, and finite values; otherwise a ``ValueError`` names the input
    and the expected shape.
    """
    n = len(specs)
    if isinstance(inputs, Mapping):
        names = [s[0] for s in specs]
        unknown = sorted(set(inputs) - set(names))
        missing = [nm for nm in names if nm not in inputs]
        if unknown or missing:
            raise ValueError(
                f"inputs: the model's inputs are {names}; "
                + (f"missing {missing}" if missing else "")
                + ("; " if missing and unknown else "")
                + (f"unknown {unknown}" if unknown else "")
            )
        values = [inputs[nm] for nm in names]
    elif isinstance(inputs, (list, tuple)) and (
        n > 1 or (len(inputs) > 0 and all(hasattr(x, "shape") for x in inputs))
    ):
        values = list(inputs)
        if len(values) != n:
            raise ValueError(f"inputs: the model has {n} input(s), {len(values)} were given")
    else:
        if n != 1:
            raise ValueError(
                f"inputs: the model has {n} inputs {[s[0] for s in specs]}: pass a list or a dict of arrays"
            )
        values = [inputs]
    flat = []
    for i, (x, (name, shape)) in enumerate(zip(values, specs)):
        what = f"input {i} ('{name}')"
        a = _as_array(x, what)
        shape = tuple(int(d) for d in shape)
        if not _fits(tuple(a.shape), shape):
            also = f" or {_shape_text(shape[1:])}" if shape and shape[0] == 1 else ""
            raise ValueError(
                f"{what}: expected shape {_shape_text(shape)}{also}, got {_shape_text(a.shape)}"
            )
        flat.append(_check_dtype(a, what).ravel().tolist())
    return flat


def shape_outputs(flat: Sequence[Sequence[float]], specs: Sequence[Spec]) -> List[np.ndarray]:
    """Flat outputs as float64 arrays of the model's output shapes."""
    return [
        np.asarray(v, dtype=np.float64).reshape(tuple(shape)) for v, (_, shape) in zip(flat, specs)
    ]


def shape_ints(flat: Sequence[Sequence[int]], specs: Sequence[Spec]) -> List[np.ndarray]:
    """Flat stored integers as int64 arrays of the model's shapes."""
    return [np.asarray(v, dtype=np.int64).reshape(tuple(shape)) for v, (_, shape) in zip(flat, specs)]


def samples_file_data(samples: Any) -> dict:
    """Calibration samples as EZKL's input format, samples back to back: ``{"input_data": [...]}``.

    ``samples`` is an array (or list of arrays, one per sample) for a one-input model, holding one or more
    samples (e.g. shape ``(N, 64)`` for an input of shape ``(1, 64)``), or a tuple with one such batch per
    input for a model with several inputs.
    """
    if isinstance(samples, tuple):
        batches = list(samples)
    else:
        batches = [samples]
    data = []
    for i, b in enumerate(batches):
        what = f"samples for input {i}"
        if isinstance(b, list) and b and all(hasattr(x, "shape") for x in b):
            parts = [_check_dtype(_as_array(x, what), what).ravel() for x in b]
            a = np.concatenate(parts) if parts else np.zeros(0)
        else:
            a = _check_dtype(_as_array(b, what), what).ravel()
        if a.size == 0:
            raise ValueError(f"{what}: no values")
        data.append(a.tolist())
    return {"input_data": data}
