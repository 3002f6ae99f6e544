"""Evaluators: where a design's tasks run, behind one protocol.

An evaluator is a context manager with ``map(function, tasks)``, an iterator of
``function(task)`` for every task, in any order (as runs finish), as in the EMA
Workbench's ``BaseEvaluator``. Entering it acquires what it needs (a process pool, a
Dask client); leaving it releases that. Batches (:func:`sim.batch.run_batch`) and
calibration (:func:`sim.calibrate.calibrate`) take one; :func:`make_evaluator` builds one
from the command line's ``--workers`` / ``--scheduler`` / ``--dask-local``.

Implementations: :class:`SequentialEvaluator` (in this process, in order),
:class:`ProcessPoolEvaluator` (local processes; the guards of :mod:`sim.experiments.pool`)
and :class:`sim.experiments.dask_evaluator.DaskEvaluator` (its own module; Dask is
imported only when it is used). A new backend is one class with ``__enter__``,
``__exit__`` and ``map`` (see docs/extending.md).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol, Self, TypeVar, runtime_checkable

from . import pool as _pool

__all__ = ["Evaluator", "BaseEvaluator", "SequentialEvaluator", "ProcessPoolEvaluator", "make_evaluator",
           "map_ordered", "describe", "preflight"]

T = TypeVar("T")
R = TypeVar("R")


@runtime_checkable
class Evaluator(Protocol):
    """What batches and calibration need of an evaluator.

    ``map(function, tasks)`` yields ``function(task)`` once for every task, in any order;
    ``function`` and the tasks must be picklable for evaluators that use other processes.
    It should keep at most a few tasks in flight per worker (``tasks`` may be a long
    generator). If the caller stops iterating (``close()``, an exception, Ctrl-C), it
    should stop promptly. An exception raised by ``function`` propagates from ``map``.

    Optional attributes read with defaults (see :func:`describe`, :func:`preflight`):
    ``description`` (str, recorded in a batch's manifest) and
    ``preflight(what, kept)`` (refuse to start before anything is planned or written).
    """

    def __enter__(self) -> Any:
        """Acquire what the evaluator needs (a pool, a client); returns the evaluator."""
        ...

    def __exit__(self, *exc: object) -> bool | None:
        """Release what :meth:`__enter__` acquired."""
        ...

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``function(task)`` for every task, in any order."""
        ...


class BaseEvaluator:
    """Defaults for an evaluator: entering returns itself, leaving does nothing, no
    preflight check; subclasses implement :meth:`map`."""

    description = "evaluator"

    def __enter__(self) -> Self:
        """Acquire what the evaluator needs; returns it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Release what :meth:`__enter__` acquired."""
        return None

    def preflight(self, what: str, kept: str) -> None:
        """Refuse to start (raise) before the caller plans or writes anything; by default
        nothing to check.

        Parameters
        ----------
        what : str
            The call, as a message would name it (``"run_batch"``).
        kept : str
            What the message says of the results (``"nothing was run or written"``).
        """

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``function(task)`` for every task, in any order."""
        raise NotImplementedError


class SequentialEvaluator(BaseEvaluator):
    """Every task in this process, one after the other, in order."""

    description = "local (1 workers)"

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``function(task)`` for each task in order."""
        for task in tasks:
            yield function(task)


class ProcessPoolEvaluator(BaseEvaluator):
    """Tasks in a pool of local worker processes (:func:`sim.experiments.pool.process_pool`).

    At most ``2 x workers`` tasks are in flight, so memory stays bounded whatever the
    number of tasks. Workers end when this process dies, even by SIGKILL; starting them
    from a script's unguarded top-level code is refused (:class:`MainGuardError`); if the
    caller stops iterating (Ctrl-C, SIGTERM, ``close()``, a dead worker) the queue is
    dropped and the workers are ended at once, and the evaluator cannot be used again.
    With one worker, tasks run in this process (as :class:`SequentialEvaluator`).

    Parameters
    ----------
    workers : int, optional
        Processes; default :func:`sim.experiments.pool.default_workers`.

    Raises
    ------
    sim.experiments.pool.MainGuardError
        On entering (or :meth:`preflight`) from a script's unguarded top-level code.
    sim.experiments.pool.WorkerLostError
        From :meth:`map`, when a worker process ends without returning its task.
    """

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or _pool.default_workers()
        self.description = f"local ({self.workers} workers)"
        self._pool: ProcessPoolExecutor | None = None
        self._others: set[Any] = set()
        self._broken = False

    def preflight(self, what: str, kept: str) -> None:
        """Refuse a script's unguarded top-level code when there are workers to start
        (see :func:`sim.experiments.pool.require_main_guard`)."""
        if self.workers > 1:
            _pool.require_main_guard(what, kept)

    def __enter__(self) -> Self:
        """Acquire what the evaluator needs; returns it."""
        if self.workers > 1:
            self._others = set(mp.active_children())  # processes not of this pool (a caller's own)
            self._pool = _pool.process_pool(self.workers)
        return self

    def __exit__(self, *exc: object) -> None:
        """Release what :meth:`__enter__` acquired."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown()

    def map(self, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
        """Yield ``function(task)`` for every task as it finishes (see the class)."""
        if self.workers == 1:
            yield from SequentialEvaluator().map(function, tasks)
            return
        if self._pool is None:
            raise RuntimeError("ProcessPoolEvaluator.map: use the evaluator in a with block"
                               + (" (it was stopped)" if self._broken else ""))
        pool = self._pool
        try:
            yield from self._stream(pool, function, iter(tasks))
        except BaseException:  # Ctrl-C, SIGTERM (giftsim batch), the caller stopped, a dead worker
            self._abort(pool)
            raise

    def _stream(self, pool: ProcessPoolExecutor, function: Callable[[T], R], it: Iterator[T]) -> Iterator[R]:
        """Submit up to 2 x workers tasks, then one more as each finishes."""
        inflight: set[Future] = set()
        for task in it:
            inflight.add(pool.submit(function, task))
            if len(inflight) >= 2 * self.workers:
                break
        while inflight:
            done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
            for fut in done:
                try:
                    result = fut.result()
                except BrokenProcessPool:
                    raise _pool.WorkerLostError(
                        "a worker process ended abruptly (killed, out of memory, or it ran the calling "
                        "script's top-level code again: call run_batch under if __name__ == \"__main__\":); "
                        "finished runs are kept; continue with --resume (resume=True)") from None
                yield result
                nxt = next(it, None)
                if nxt is not None:
                    inflight.add(pool.submit(function, nxt))

    def _abort(self, pool: ProcessPoolExecutor) -> None:
        """Stop at once rather than after every queued task: drop the queue and end the
        workers (a batch's run is written to a temporary folder and renamed when complete,
        so nothing half-written is left under a run's name; --resume removes the rest)."""
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in set(mp.active_children()) - self._others:
            proc.terminate()
        self._pool = None
        self._broken = True


def describe(evaluator: Any) -> str:
    """An evaluator's ``description`` (for a manifest), else its class name."""
    return str(getattr(evaluator, "description", None) or type(evaluator).__name__)


def preflight(evaluator: Any, what: str, kept: str) -> None:
    """Call the evaluator's ``preflight(what, kept)`` if it has one (see :class:`Evaluator`)."""
    check = getattr(evaluator, "preflight", None)
    if check is not None:
        check(what, kept)


class _Indexed:
    """``function`` over ``(index, task)`` pairs, returning ``(index, result)`` (picklable)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        self.function = function

    def __call__(self, pair: tuple[int, Any]) -> tuple[int, Any]:
        i, task = pair
        return i, self.function(task)


def map_ordered[T, R](evaluator: Evaluator, function: Callable[[T], R], tasks: Iterable[T]) -> list[R]:
    """``[function(task) for task in tasks]`` evaluated by ``evaluator`` (in any order),
    returned in the tasks' order.

    Raises
    ------
    Exception
        Whatever ``function`` raised for a task (the evaluator's own errors too).
    """
    out: dict[int, R] = dict(evaluator.map(_Indexed(function), enumerate(tasks)))
    return [out[i] for i in range(len(out))]


def make_evaluator(*, workers: int | None = None, scheduler: str | None = None,
                   dask_local: int | None = None) -> Evaluator:
    """The evaluator the command line's flags ask for: ``--workers N`` local processes
    (1: in this process; default all cores), ``--scheduler ADDRESS`` a running Dask
    cluster, ``--dask-local N`` a new Dask LocalCluster of N workers.

    Returns
    -------
    Evaluator
        Not yet entered (nothing is started or connected).

    Raises
    ------
    ValueError
        If more than one of the three is given.
    """
    given = [name for name, v in (("workers", workers), ("scheduler", scheduler), ("dask_local", dask_local))
             if v is not None]
    if len(given) > 1:
        raise ValueError(f"give one executor, not {' and '.join(given)}: workers (--workers) for local "
                         "processes, scheduler (--scheduler) for a running Dask cluster, or dask_local "
                         "(--dask-local) for a new Dask LocalCluster")
    if scheduler is not None or dask_local is not None:
        from .dask_evaluator import DaskEvaluator

        return DaskEvaluator(scheduler=scheduler, local_workers=dask_local)
    return ProcessPoolEvaluator(workers)
