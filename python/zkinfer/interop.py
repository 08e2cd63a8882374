"""Starting from a framework model: ``from_torch`` (PyTorch, through ``torch.onnx.export``) and
``from_sklearn`` (scikit-learn, through skl2onnx). Both are optional: the libraries are imported only
when these are called, with a clear error naming the package to install when one is missing."""

from __future__ import annotations

import inspect
import os
from typing import Any, Optional

import numpy as np

from ._api import CompileResult, compile
from ._proof import PathLike


def _require(module: str, package: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f"zkinfer.{what} needs the '{package}' package, which is not installed "
            f"(pip install {package}): {e}"
        ) from e


def from_torch(
    module: Any,
    example_input: Any,
    out_dir: PathLike,
    *,
    samples: Any = None,
    target: str = "resources",
    progress: Optional[bool] = None,
    **export_kwargs: Any,
) -> CompileResult:
    """Exports a PyTorch module to ONNX (``out_dir/model.onnx``) and compiles it into ``out_dir``.

    Args:
        module: a ``torch.nn.Module`` (put in eval mode for the export).
        example_input: an input tensor (or a tuple of them) of the shapes the circuit will prove, batch
            dimension included (e.g. ``torch.zeros(1, 64)``).
        samples: calibration inputs (see ``zkinfer.compile``; numpy arrays or tensors); default: the
            example input alone, which calibrates the ranges to that one input.
        export_kwargs: passed to ``torch.onnx.export`` (default here: the TorchScript exporter,
            ``dynamo=False``, where torch has the choice: it is fast and needs no onnxscript).

    Raises:
        ImportError: PyTorch is not installed.
    """
    torch = _require("torch", "torch", "from_torch")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(os.fspath(out_dir), "model.onnx")
    args = example_input if isinstance(example_input, tuple) else (example_input,)
    args = tuple(a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a, dtype=np.float32)) for a in args)
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        export_kwargs.setdefault("dynamo", False)
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(module, args, path, **export_kwargs)
    finally:
        module.train(was_training)
    if samples is None:
        samples = tuple(a.detach().cpu().numpy() for a in args) if len(args) > 1 else args[0].detach().cpu().numpy()
    elif isinstance(samples, tuple):
        samples = tuple(_numpy(s) for s in samples)
    else:
        samples = _numpy(samples)
    return compile(path, out_dir, samples=samples, target=target, progress=progress)


def _numpy(x: Any) -> Any:
    if hasattr(x, "detach") and hasattr(x, "cpu"):
        return x.detach().cpu().numpy()
    return x


def from_sklearn(
    estimator: Any,
    example_X: Any,
    out_dir: PathLike,
    *,
    samples: Any = None,
    target: str = "resources",
    progress: Optional[bool] = None,
    **convert_kwargs: Any,
) -> CompileResult:
    """Converts a fitted scikit-learn estimator to ONNX with skl2onnx (``out_dir/model.onnx``) and compiles
    it into ``out_dir``.

    The circuit proves one row: its input has shape ``(1, n_features)``. Classifiers are converted
    without the ZipMap post-processing, and the circuit's output is the class probabilities (or scores):
    the predicted class is their argmax (class labels are ``estimator.classes_`` in that order).

    Args:
        estimator: a fitted estimator (e.g. ``LogisticRegression``, ``MLPClassifier``, ``LinearRegression``,
            ``MLPRegressor``, or a ``Pipeline`` with a ``StandardScaler``).
        example_X: rows like the ones to prove (its first row fixes the feature count).
        samples: calibration rows (default: ``example_X``).
        convert_kwargs: passed to ``skl2onnx.to_onnx``.

    Raises:
        ImportError: scikit-learn, skl2onnx or onnx is not installed.
    """
    _require("sklearn", "scikit-learn", "from_sklearn")
    skl2onnx = _require("skl2onnx", "skl2onnx", "from_sklearn")
    onnx = _require("onnx", "onnx", "from_sklearn")
    X = np.asarray(example_X, dtype=np.float32)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"example_X: expected rows of shape (n, n_features), got shape {X.shape}")
    is_classifier = hasattr(estimator, "predict_proba") or hasattr(estimator, "classes_")
    if is_classifier:
        options = convert_kwargs.pop("options", None) or {}
        options.setdefault(id(estimator), {"zipmap": False})
        convert_kwargs["options"] = options
    convert_kwargs.setdefault("initial_types", None)
    if convert_kwargs["initial_types"] is None:
        del convert_kwargs["initial_types"]
        from skl2onnx.common.data_types import FloatTensorType

        convert_kwargs["initial_types"] = [("input", FloatTensorType([1, X.shape[1]]))]
    model = skl2onnx.to_onnx(estimator, **convert_kwargs)
    if is_classifier:
        model = _probabilities_only(onnx, model)
    _float_casts_to_identity(onnx, model)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(os.fspath(out_dir), "model.onnx")
    onnx.save(model, path)
    cal = X if samples is None else np.asarray(samples, dtype=np.float64)
    return compile(path, out_dir, samples=cal, target=target, progress=progress)


def _probabilities_only(onnx: Any, model: Any) -> Any:
    """The model with only its float outputs (the probabilities), without the label output (computed by
    an ArgMax and a lookup into the class labels, which the circuit does not need: the label is the
    argmax of the proved probabilities)."""
    outputs = [o for o in model.graph.output if o.type.tensor_type.elem_type == onnx.TensorProto.FLOAT]
    if not outputs or len(outputs) == len(model.graph.output):
        return model
    from onnx.utils import Extractor

    names = [i.name for i in model.graph.input]
    return Extractor(model).extract_model(names, [o.name for o in outputs])


def _float_casts_to_identity(onnx: Any, model: Any) -> None:
    """skl2onnx casts its float input to float (a no-op): such a Cast becomes an Identity, in place."""
    floats = {i.name for i in model.graph.input if i.type.tensor_type.elem_type == onnx.TensorProto.FLOAT}
    for node in model.graph.node:
        to = [a.i for a in node.attribute if a.name == "to"]
        if node.op_type == "Cast" and to == [onnx.TensorProto.FLOAT] and node.input[0] in floats:
            node.op_type = "Identity"
            del node.attribute[:]
