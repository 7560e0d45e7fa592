"""The cyclic garbage collector kept off what a build reads and makes (SPEC §14).

A publish at 100,000 articles holds millions of containers: the build cache's records,
every file's entry, the copies' indexes. None of them is ever part of a reference cycle,
yet each full collection walks them all, and the objects a publish makes trigger one
every so often: a new-article publish made sixteen, 2.1 s of its 7.9 s (benchmarks/
README.md). `settled()` takes every object alive at that moment out of the collector's
sight (gc.freeze) while a `kept()` block runs; when the outermost block ends they are
handed back (gc.unfreeze), so a process that lives on (watch) frees what a publish left
behind at its next full collection, as it would have without this. The CLI's build and
publish run in one_command(), which also makes collections rarer.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0  # kept() blocks running, in any thread


@contextlib.contextmanager
def kept(*, thaw: bool = True) -> Iterator[None]:
    """A build or a publish: what settled() froze within it is thawed when the outermost
    block ends (`thaw=False`: never, one_command())."""
    global _depth
    with _lock:
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and thaw:
                gc.unfreeze()


@contextlib.contextmanager
def one_command() -> Iterator[None]:
    """The process is this one build or publish, and ends with it (the CLI's): full
    collections made rarer still (a gen-0 pass per 100,000 allocations, not 700), and
    what settled() froze never thawed, which would cost a last full collection of it
    all on the way out (0.9 s at 100,000 articles)."""
    gc.set_threshold(100_000, 50, 100)
    with kept(thaw=False):
        yield


def settled() -> None:
    """Everything alive now lives on until kept() ends (call after reading or making much):
    no full collection walks it again meanwhile. Outside kept(), nothing."""
    with _lock:
        if _depth:
            gc.freeze()
