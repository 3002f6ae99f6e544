"""The Dask evaluator: tasks on a dask.distributed cluster (a running scheduler, or a
LocalCluster started for the evaluation). Dask is imported only when this is used.

The workers of a Dask LocalCluster end with this process by themselves (they watch their
nanny, which runs in this process).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from .evaluators import BaseEvaluator
from .pool import default_workers, require_main_guard

if TYPE_CHECKING:
    from dask.distributed import Client

__all__ = ["DaskEvaluator", "SchedulerError", "dask_client"]


class SchedulerError(ValueError):
    """The Dask scheduler given (``--scheduler``) is not an address, or does not answer."""


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, local_workers: int | None = None) -> Iterator[Client]:
    """A dask.distributed client, connected before the ``with`` body starts, closed after.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). The wait for it is Dask's
        ``distributed.comm.timeouts.connect`` (default 30 s; environment variable
        ``DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT``).
    local_workers : int, optional
        Without ``scheduler``: start a ``LocalCluster`` with this many single-threaded
        worker processes (default :func:`sim.experiments.pool.default_workers`).

    Raises
    ------
    SchedulerError
        If ``scheduler`` is not an address or no scheduler answers there.
    """
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=local_workers or default_workers(), threads_per_worker=1,
                               processes=True, dashboard_address=None)
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    else:
        client = _connect(scheduler)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _connect(scheduler: str) -> Client:
    """A client of the scheduler at ``scheduler``; :class:`SchedulerError` naming it if
    it is not an address or does not answer."""
    from dask.distributed import Client
    from distributed.comm import get_address_host_port

    try:  # before Client(): a client that fails on a malformed address hangs at exit
        get_address_host_port(scheduler)
    except (ValueError, TypeError) as err:
        raise SchedulerError(
            f"--scheduler {scheduler!r}: not a Dask scheduler address ({err}); "
            "give one like tcp://10.0.0.5:8786"
        ) from None
    try:
        return Client(scheduler)
    except (ValueError, TypeError, OSError) as err:  # refused, unknown host, timed out
        raise SchedulerError(
            f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({err}); "
            "check the address and that the scheduler is running (dask scheduler)"
        ) from None


class DaskEvaluator(BaseEvaluator):
    """Tasks on a dask.distributed cluster; at most ``2 x workers`` in flight.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). The workers need giftsim
        installed and the scenario's graph file at the same path.
    local_workers : int, optional
        Without ``scheduler``: start a ``LocalCluster`` with this many single-threaded
        worker processes on entering.
    client : dask.distributed.Client, optional
        A client already connected: used as is (not closed on leaving).

    Raises
    ------
    SchedulerError
        On entering, if ``scheduler`` is not an address or no scheduler answers there.
    """

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None,
                 client: Client | None = None) -> None:
        self.scheduler = scheduler
        self.local_workers = local_workers
        self.client = client
        self.description = "dask " + (scheduler or f"LocalCluster({local_workers})")
        self._stack = contextlib.ExitStack()
        self._owned = False

    def preflight(self, what: str, kept: str) -> None:
        """A LocalCluster starts worker processes: refuse a script's unguarded top-level code."""
        if self.scheduler is None and self.client is None:
            require_main_guard(what, kept)

    def __enter__(self) -> Self:
        """Connect to the scheduler (or start the LocalCluster) unless given a client."""
        if self.client is None:
            self.client = self._stack.enter_context(dask_client(self.scheduler, self.local_workers))
            self._owned = True
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the client (and cluster) this evaluator started; a given client stays open."""
        self._stack.close()
        if self._owned:
            self.client, self._owned = None, False

    def map(self, function: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[Any]:
        """Yield ``function(task)`` for every task as it finishes."""
        if self.client is None:
            raise RuntimeError("DaskEvaluator.map: use the evaluator in a with block")
        from dask.distributed import as_completed

        client = self.client
        n = max(1, len(client.scheduler_info().get("workers", {})) or (self.local_workers or 1))
        it = iter(tasks)
        first = []
        for task in it:
            first.append(client.submit(function, task, pure=False))
            if len(first) >= 2 * n:
                break
        pending = as_completed(first)
        for fut in pending:
            yield fut.result()
            nxt = next(it, None)
            if nxt is not None:
                pending.add(client.submit(function, nxt, pure=False))
