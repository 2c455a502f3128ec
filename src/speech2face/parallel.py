"""Map a function over items on several processes, in order, with a progress bar: here, or
on a Dask cluster."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack

from rich.progress import track

from speech2face.errors import InputError


def default_workers() -> int:
    """All the cores this process may use."""
    return len(os.sched_getaffinity(0))


def parallel_map(
    function: Callable,
    items: Sequence,
    workers: int,
    description: str,
    scheduler: str | None = None,
) -> Iterator:
    """Yield `function(item)` for each item in order, computed on `workers` processes.

    With one worker (or one item) everything runs in this process, which keeps tracebacks and
    debuggers simple. With `scheduler`, the items are mapped over a Dask cluster instead:
    `local` starts one of `workers` processes here, and `tcp://HOST:PORT` is the address of a
    running `dask scheduler` (its workers must see the same files at the same paths).
    """
    if scheduler:
        yield from _dask_map(function, items, workers, description, scheduler)
        return
    if workers <= 1 or len(items) <= 1:
        yield from track(map(function, items), total=len(items), description=description)
        return
    chunksize = max(1, min(16, len(items) // (workers * 8)))
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.imap(function, items, chunksize=chunksize)
        yield from track(results, total=len(items), description=description)


def _dask_map(
    function: Callable, items: Sequence, workers: int, description: str, scheduler: str
) -> Iterator:
    from distributed import Client, LocalCluster

    if scheduler != "local" and not scheduler.startswith(("tcp://", "tls://")):
        raise InputError(f"--scheduler {scheduler!r}: expected local or tcp://HOST:PORT")
    with ExitStack() as stack:
        if scheduler == "local":
            scheduler = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
        try:
            client = stack.enter_context(Client(scheduler, timeout=30))
        except (OSError, TimeoutError) as error:
            raise InputError(
                f"--scheduler {scheduler}: no Dask scheduler answers ({error})"
            ) from None
        # pure=False: every item is computed, none is taken from another call's results.
        futures = client.map(function, items, pure=False)
        stack.callback(client.cancel, futures)
        results = (future.result() for future in futures)
        yield from track(results, total=len(items), description=description)
