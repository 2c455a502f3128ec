"""Map a function over items on several processes, in order, with a progress bar."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence

from rich.progress import track


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0))


def parallel_map(function: Callable, items: Sequence, workers: int, description: str) -> Iterator:
    """Yield `function(item)` for each item in order, computed on `workers` processes.

    With one worker (or one item) everything runs in this process, which keeps tracebacks and
    debuggers simple.
    """
    if workers <= 1 or len(items) <= 1:
        yield from track(map(function, items), total=len(items), description=description)
        return
    chunksize = max(1, min(16, len(items) // (workers * 8)))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.imap(function, items, chunksize=chunksize)
        yield from track(results, total=len(items), description=description)
