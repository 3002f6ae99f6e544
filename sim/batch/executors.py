"""Executors: where runs happen. A local process pool, or a dask.distributed cluster.

Both take picklable :class:`~sim.batch.worker.RunTask` objects and yield
:class:`~sim.batch.worker.RunOutcome` objects as runs finish (in any order). At most
``2 x workers`` runs are in flight, so memory stays bounded whatever the batch size.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

from .worker import RunOutcome, RunTask, execute

__all__ = ["run_local", "run_dask", "default_workers"]


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_local(tasks: Iterable[RunTask], workers: int | None = None) -> Iterator[RunOutcome]:
    """Run tasks in a local process pool (``spawn`` start method); 1 worker runs in-process.

    Parameters
    ----------
    tasks : iterable of RunTask
    workers : int, optional
        Processes; default :func:`default_workers`.
    """
    workers = workers or default_workers()
    if workers == 1:
        for task in tasks:
            yield execute(task)
        return
    it = iter(tasks)
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        inflight = set()
        for task in it:
            inflight.add(pool.submit(execute, task))
            if len(inflight) >= 2 * workers:
                break
        while inflight:
            done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                yield fut.result()
                nxt = next(it, None)
                if nxt is not None:
                    inflight.add(pool.submit(execute, nxt))


def run_dask(tasks: Iterable[RunTask], *, scheduler: str | None = None,
             local_workers: int | None = None) -> Iterator[RunOutcome]:
    """Run tasks on a dask.distributed cluster.

    Parameters
    ----------
    tasks : iterable of RunTask
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). The workers need giftsim
        installed and the scenario's graph file at the same path.
    local_workers : int, optional
        Instead, start a ``LocalCluster`` with this many single-threaded worker processes.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=local_workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})) or (local_workers or 1))
        it = iter(tasks)
        first = [client.submit(execute, t, pure=False) for t in _take(it, 2 * n)]
        pending = as_completed(first)
        for fut in pending:
            yield fut.result()
            nxt = next(it, None)
            if nxt is not None:
                pending.add(client.submit(execute, nxt, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _take(it: Iterator[RunTask], n: int) -> list[RunTask]:
    out = []
    for _ in range(n):
        nxt = next(it, None)
        if nxt is None:
            break
        out.append(nxt)
    return out
