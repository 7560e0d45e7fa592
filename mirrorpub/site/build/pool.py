"""Work spread over a process pool when it pays: many changed articles to parse or render.

`mapper(workers, jobs, state)` yields a `map(fn, items)` that calls `fn(state, item)`.
With enough jobs it forks a pool whose workers inherit `state` (the renderer, the scan:
nothing is pickled but the items and the small records sent back); with few, it is the
builtin map in this process.
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

PARALLEL_THRESHOLD = 64  # fewer jobs than this render faster in one process
CHUNK_MAX = 32  # jobs handed to a worker at once (an article takes a few milliseconds)

Mapper = Callable[[Callable[[dict[str, Any], Any], Any], Any], Iterator[Any]]

# Set in each forked worker by the pool's initializer, never in the parent process.
_worker_state: dict[str, Any] = {}


@contextlib.contextmanager
def mapper(workers: int, jobs: int, state: dict[str, Any]) -> Iterator[Mapper]:
    """A `map` over a process pool when it pays, else the builtin one. `state["pooled"]`
    tells the jobs which it is."""
    # Forking a process that runs other threads (watch mode, progress bars) can deadlock.
    if workers < 2 or jobs < PARALLEL_THRESHOLD or threading.active_count() > 1:
        local = {**state, "pooled": False}
        yield lambda fn, items: map(functools.partial(fn, local), items)
        return
    import multiprocessing  # only here: a build with little to do never starts a pool

    shared = {**state, "pooled": True}
    with multiprocessing.get_context("fork").Pool(workers, initializer=_hold,
                                                  initargs=(shared,)) as pool:
        # Small chunks: when the work runs out, no worker is left alone with a long one.
        chunk = max(1, min(CHUNK_MAX, jobs // (workers * 8)))
        yield lambda fn, items: pool.imap(functools.partial(_call, fn), items,
                                          chunksize=chunk)


def _hold(state: dict[str, Any]) -> None:
    # A worker inherits the publishing process's signal handlers, which keep a publish
    # going on SIGTERM; but the pool ends its workers with SIGTERM (terminate()), so here
    # it must kill. Ctrl-C reaches the whole process group: it is the parent's to act on.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_state.update(state)


def _call(fn: Callable[[dict[str, Any], Any], Any], item: Any) -> Any:
    return fn(_worker_state, item)
