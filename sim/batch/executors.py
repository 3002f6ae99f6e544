"""Executors: where runs happen. A local process pool, or a dask.distributed cluster.

Both take picklable :class:`~sim.batch.worker.RunTask` objects and yield
:class:`~sim.batch.worker.RunOutcome` objects as runs finish (in any order). At most
``2 x workers`` runs are in flight, so memory stays bounded whatever the batch size.

Pool workers end when the process that started them dies, even by SIGKILL
(:func:`exit_with_parent`), so a killed batch leaves no process behind; the workers of a
Dask LocalCluster do so by themselves (they watch their nanny, which runs in this process).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING

from .worker import RunOutcome, RunTask, execute

if TYPE_CHECKING:
    from dask.distributed import Client

__all__ = ["run_local", "run_dask", "dask_client", "default_workers", "process_pool", "exit_with_parent",
           "SchedulerError", "WorkerLostError", "MainGuardError", "require_main_guard"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0
"""How often a worker checks that its parent is alive where the kernel cannot tell it."""


class SchedulerError(ValueError):
    """The Dask scheduler given (``--scheduler``) is not an address, or does not answer."""


class WorkerLostError(RuntimeError):
    """A worker process of the local pool ended without returning its run (killed, out of
    memory); the batch stops, keeping its finished runs."""


class MainGuardError(SystemExit):
    """Worker processes would run the calling script again: it starts a process pool (or a
    Dask LocalCluster) from its top-level code, outside ``if __name__ == "__main__":``.

    A :class:`SystemExit` whose code is the message: a script that meets it stops with
    that one message and exit status 1, no traceback (it cannot go on: each worker would
    start the batch again)."""

    def __str__(self) -> str:
        return str(self.code)


def require_main_guard(what: str = "run_batch", kept: str = "nothing was run") -> None:
    """Refuse to start worker processes from a script's unguarded top-level code.

    Worker processes start with the ``spawn`` method, which imports the main script again
    in each worker (so that what it defines and registers, such as an allocation rule, is
    there too). Code at the script's top level outside ``if __name__ == "__main__":``
    then runs again in every worker: the batch would start once per worker. This looks at
    the call stack for the main script's top-level code and, in its source, for an ``if``
    on ``__name__`` around the current line; an interactive session, ``python -c`` and a
    call from inside functions of modules are fine.

    In a worker that imports the script (where the check above did not see the guard),
    it ends that worker quietly (exit status 1): the batch then stops with
    :class:`WorkerLostError`.

    Parameters
    ----------
    what : str
        The call, as the message names it.
    kept : str
        What the message says of the results (``nothing was run``).

    Raises
    ------
    MainGuardError
        Naming the script and line, and saying what to write.
    """
    import ast
    import inspect

    frame = inspect.currentframe()
    line = None
    main = sys.modules.get("__main__")
    while frame is not None:
        if frame.f_code.co_name == "<module>":
            name = frame.f_globals.get("__name__")
            if name == "__mp_main__":  # a spawned worker importing the unguarded script
                raise SystemExit(1)
            if name == "__main__" and frame.f_globals is getattr(main, "__dict__", None):
                line = frame.f_lineno
        frame = frame.f_back
    path = getattr(main, "__file__", None)
    if line is None or path is None:  # not from a script's top level (or no script: nothing re-imported)
        return
    try:
        tree = ast.parse(open(path, "rb").read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return
    body: list[ast.stmt] = tree.body
    while body:
        stmt = next((s for s in body if s.lineno <= line <= (s.end_lineno or s.lineno)), None)
        if stmt is None:
            return
        if isinstance(stmt, ast.If) and any(isinstance(n, ast.Name) and n.id == "__name__"
                                            for n in ast.walk(stmt.test)):
            return  # guarded
        body = [s for field in ("body", "orelse", "finalbody", "handlers") for s in getattr(stmt, field, [])
                if isinstance(s, ast.stmt | ast.excepthandler)]
        body = [t for s in body for t in ([s] if isinstance(s, ast.stmt) else s.body)]
    raise MainGuardError(
        f"{path}, line {line}: {what} starts worker processes, and each would run this script again "
        f"from the top (Python's spawn start method imports it), starting the batch once per worker; put "
        f"the call under if __name__ == \"__main__\": (or use workers=1); {kept}")


def exit_with_parent(parent: int) -> None:
    """Process-pool initializer: end this worker as soon as ``parent`` (the pid of the
    process that started it) dies, however it dies.

    On Linux the kernel sends the worker SIGKILL when its parent ends
    (``prctl(PR_SET_PDEATHSIG)``); everywhere with a POSIX ``getppid`` a daemon thread
    also checks every :data:`PARENT_POLL_SECONDS` whether the worker has been handed to
    another parent (its own died) and exits if so. Elsewhere (Windows) it does nothing.

    (Linux signals the worker when the *thread* that started it ends: use a pool from
    the thread that submits to it, as :func:`run_local` does.)
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no libc or no prctl: the thread remains
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.name != "posix":
        return
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="giftsim-exit-with-parent",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A process pool (``spawn`` start method) whose workers end when this process dies
    (:func:`exit_with_parent`).

    Raises
    ------
    MainGuardError
        If called from a script's top-level code outside ``if __name__ == "__main__":``
        (see :func:`require_main_guard`).
    """
    require_main_guard("a giftsim process pool (workers > 1)")
    return ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=exit_with_parent, initargs=(os.getpid(),))


def default_workers() -> int:
    """All cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_local(tasks: Iterable[RunTask], workers: int | None = None) -> Iterator[RunOutcome]:
    """Run tasks in a local process pool (:func:`process_pool`); 1 worker runs in-process.

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
    others = set(mp.active_children())  # processes not of this pool (a caller's own)
    with process_pool(workers) as pool:
        try:
            inflight = set()
            for task in it:
                inflight.add(pool.submit(execute, task))
                if len(inflight) >= 2 * workers:
                    break
            while inflight:
                done, inflight = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        raise WorkerLostError(
                            "a worker process ended abruptly (killed, out of memory, or it ran the calling "
                            "script's top-level code again: call run_batch under if __name__ == \"__main__\":); "
                            "finished runs are kept; continue with --resume (resume=True)") from None
                    yield outcome
                    nxt = next(it, None)
                    if nxt is not None:
                        inflight.add(pool.submit(execute, nxt))
        except BaseException:  # Ctrl-C, SIGTERM (giftsim batch), the caller stopped, a dead worker
            # stop at once rather than after every queued run: drop the queue and end the
            # workers (a run is written to a temporary folder and renamed when complete, so
            # nothing half-written is left under a run's name; --resume removes the rest)
            pool.shutdown(wait=False, cancel_futures=True)
            for proc in set(mp.active_children()) - others:
                proc.terminate()
            raise


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
        worker processes (default :func:`default_workers`).

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
        from distributed.comm import get_address_host_port

        try:  # before Client(): a client that fails on a malformed address hangs at exit
            get_address_host_port(scheduler)
        except (ValueError, TypeError) as err:
            raise SchedulerError(
                f"--scheduler {scheduler!r}: not a Dask scheduler address ({err}); "
                "give one like tcp://10.0.0.5:8786"
            ) from None
        try:
            client = Client(scheduler)
        except (ValueError, TypeError, OSError) as err:  # refused, unknown host, timed out
            raise SchedulerError(
                f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({err}); "
                "check the address and that the scheduler is running (dask scheduler)"
            ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_dask(tasks: Iterable[RunTask], *, scheduler: str | None = None,
             local_workers: int | None = None, client: Client | None = None) -> Iterator[RunOutcome]:
    """Run tasks on a dask.distributed cluster.

    Parameters
    ----------
    tasks : iterable of RunTask
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). The workers need giftsim
        installed and the scenario's graph file at the same path.
    local_workers : int, optional
        Instead, start a ``LocalCluster`` with this many single-threaded worker processes.
    client : dask.distributed.Client, optional
        A client already connected (:func:`dask_client`); ``scheduler`` is then unused.

    Raises
    ------
    SchedulerError
        If ``scheduler`` is not an address or no scheduler answers there.
    """
    if client is None:
        with dask_client(scheduler, local_workers) as own:
            yield from run_dask(tasks, local_workers=local_workers, client=own)
        return
    from dask.distributed import as_completed

    n = max(1, len(client.scheduler_info().get("workers", {})) or (local_workers or 1))
    it = iter(tasks)
    first = [client.submit(execute, t, pure=False) for t in _take(it, 2 * n)]
    pending = as_completed(first)
    for fut in pending:
        yield fut.result()
        nxt = next(it, None)
        if nxt is not None:
            pending.add(client.submit(execute, nxt, pure=False))


def _take(it: Iterator[RunTask], n: int) -> list[RunTask]:
    out = []
    for _ in range(n):
        nxt = next(it, None)
        if nxt is None:
            break
        out.append(nxt)
    return out
