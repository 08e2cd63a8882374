"""``zkinfer.bench``: times proving and verification of a compiled model over several runs, with the keys
loaded once (what a long-lived Python process pays per proof)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from . import _progress
from ._api import Prover, Verifier
from ._proof import PathLike


@dataclass(frozen=True)
class Stats:
    """Seconds of one stage over its runs."""

    runs: int
    min: float
    median: float
    mean: float
    max: float

    @staticmethod
    def of(times: List[float]) -> "Stats":
        return Stats(len(times), min(times), statistics.median(times), statistics.fmean(times), max(times))


@dataclass(frozen=True)
class BenchResult:
    """Per-stage timings (``load`` once; ``witness``, ``prove``, ``total`` and ``verify`` per proof).

    ``prove`` is halo2's proof alone, ``total`` the whole ``Prover.prove`` call as Python sees it (input
    checks, witness, proof, the proof file)."""

    dir: str
    device: str
    k: int
    proof_bytes: int
    stages: Dict[str, Stats]

    def markdown(self) -> str:
        """The timings as a Markdown table (milliseconds)."""
        rows = [
            f"| stage | runs | min ms | median ms | mean ms | max ms |",
            "|---|---|---|---|---|---|",
        ]
        for name, s in self.stages.items():
            rows.append(
                f"| {name} | {s.runs} | {s.min * 1e3:.1f} | {s.median * 1e3:.1f} | {s.mean * 1e3:.1f} | {s.max * 1e3:.1f} |"
            )
        return "\n".join(rows) + "\n"

    def __str__(self) -> str:
        return f"zkinfer bench {self.dir} (k = {self.k}, {self.device}, proof {self.proof_bytes} bytes)\n" + self.markdown()


def bench(
    dir: PathLike,
    inputs: Any,
    *,
    repeat: int = 5,
    device: str = "cpu",
    verify: bool = True,
    progress: Optional[bool] = None,
) -> BenchResult:
    """Proves (and verifies) ``inputs`` ``repeat`` times with the model of ``dir`` and times each stage.

    The keys are loaded once (stage ``load``). Verification here times the check itself and accepts a
    development SRS (as a benchmark of a freshly set-up model must); ``zkinfer.verify`` does not.
    """
    if repeat < 1:
        raise ValueError("repeat must be at least 1")
    t = time.perf_counter()
    prover = Prover(dir, device, progress=False)
    load = time.perf_counter() - t
    verifier = Verifier(dir) if verify else None
    times: Dict[str, List[float]] = {"witness": [], "prove": [], "total": [], "verify": []}
    size = 0
    for _ in _progress.iterate(range(repeat), repeat, "zkinfer bench", progress):
        t = time.perf_counter()
        p = prover.prove(inputs, progress=False)
        times["total"].append(time.perf_counter() - t)
        times["witness"].append(p.witness_seconds or 0.0)
        times["prove"].append(p.proving_seconds or 0.0)
        size = len(p.proof_bytes)
        if verifier is not None:
            v = verifier.verify(p, allow_dev_srs=True)
            times["verify"].append(v.seconds)
    stages = {"load": Stats.of([load])}
    stages.update({k: Stats.of(v) for k, v in times.items() if v})
    return BenchResult(str(dir), device, prover.k, size, stages)
