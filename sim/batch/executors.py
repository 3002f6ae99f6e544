"""Where a batch's runs happen: the evaluators of :mod:`sim.experiments` under the names
batches used before (kept so that scripts importing them still work).

:func:`run_local` and :func:`run_dask` take picklable :class:`~sim.batch.worker.RunTask`
objects and yield :class:`~sim.batch.worker.RunOutcome` objects as runs finish (in any
order), through :class:`sim.experiments.ProcessPoolEvaluator` and
:class:`sim.experiments.dask_evaluator.DaskEvaluator`; the guards (workers end with their
parent, a script's unguarded top-level code is refused, a fast stop on Ctrl-C) are theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..experiments.dask_evaluator import DaskEvaluator, SchedulerError, dask_client
from ..experiments.evaluators import ProcessPoolEvaluator
from ..experiments.pool import (
    PARENT_POLL_SECONDS,
    MainGuardError,
    WorkerLostError,
    default_workers,
    exit_with_parent,
    process_pool,
    require_main_guard,
)
from .worker import RunOutcome, RunTask, execute

if TYPE_CHECKING:
    from dask.distributed import Client

__all__ = ["run_local", "run_dask", "dask_client", "default_workers", "process_pool", "exit_with_parent",
           "SchedulerError", "WorkerLostError", "MainGuardError", "require_main_guard", "PARENT_POLL_SECONDS"]


def run_local(tasks: Iterable[RunTask], workers: int | None = None) -> Iterator[RunOutcome]:
    """Run tasks in a local process pool (:class:`sim.experiments.ProcessPoolEvaluator`);
    1 worker runs in-process.

    Parameters
    ----------
    tasks : iterable of RunTask
    workers : int, optional
        Processes; default :func:`default_workers`.
    """
    with ProcessPoolEvaluator(workers) as ev:
        yield from ev.map(execute, tasks)


def run_dask(tasks: Iterable[RunTask], *, scheduler: str | None = None,
             local_workers: int | None = None, client: Client | None = None) -> Iterator[RunOutcome]:
    """Run tasks on a dask.distributed cluster (:class:`sim.experiments.dask_evaluator.DaskEvaluator`).

    Parameters
    ----------
    tasks : iterable of RunTask
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``).
    local_workers : int, optional
        Instead, start a ``LocalCluster`` with this many single-threaded worker processes.
    client : dask.distributed.Client, optional
        A client already connected; ``scheduler`` is then unused.

    Raises
    ------
    SchedulerError
        If ``scheduler`` is not an address or no scheduler answers there.
    """
    with DaskEvaluator(scheduler, local_workers, client) as ev:
        yield from ev.map(execute, tasks)
