"""Progress display for long steps: a tqdm bar showing the step and its elapsed time while the native code
runs with the GIL released, when tqdm is installed and the process is attached to a terminal or a
notebook; silent otherwise."""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Iterator, Optional


def _interactive() -> bool:
    if "ipykernel" in sys.modules:  # a Jupyter kernel: tqdm.auto draws a notebook widget
        return True
    stream = sys.stderr
    return bool(stream is not None and hasattr(stream, "isatty") and stream.isatty())


def enabled(progress: Optional[bool]) -> bool:
    """Whether to show progress: ``progress`` if given, else when tqdm is importable and the session is
    interactive."""
    if progress is False:
        return False
    if progress is None and not _interactive():
        return False
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def step(description: str, progress: Optional[bool] = None) -> Iterator[None]:
    """Shows ``description`` and the elapsed time until the block ends."""
    if not enabled(progress):
        yield
        return
    from tqdm.auto import tqdm

    bar = tqdm(total=None, desc=description, bar_format="{desc}: {elapsed}", leave=False)
    done = threading.Event()

    def tick() -> None:
        while not done.wait(0.2):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
        bar.close()


def iterate(it, total: int, description: str, progress: Optional[bool] = None):
    """``it`` wrapped in a tqdm bar when progress is shown."""
    if not enabled(progress):
        return it
    from tqdm.auto import tqdm

    return tqdm(it, total=total, desc=description, leave=False)
