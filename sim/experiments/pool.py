"""Local worker processes that are safe to start: they end with their parent, refuse a
script's unguarded top-level code, and are counted from the cores this process may use.

Used by :class:`sim.experiments.ProcessPoolEvaluator` (and anything else that needs a
process pool). Pool workers end when the process that started them dies, even by SIGKILL
(:func:`exit_with_parent`), so a killed batch leaves no process behind.
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
from concurrent.futures import ProcessPoolExecutor

__all__ = ["default_workers", "process_pool", "exit_with_parent", "WorkerLostError", "MainGuardError",
           "require_main_guard", "PARENT_POLL_SECONDS"]

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 1.0
"""How often a worker checks that its parent is alive where the kernel cannot tell it."""


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
        """The message."""
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
    the thread that submits to it, as :class:`sim.experiments.ProcessPoolEvaluator` does.)
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
    """Exit this process as soon as its parent is no longer ``parent``."""
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
