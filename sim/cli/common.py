"""Shared pieces of the command line: exit codes, error printing, number formatting."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from enum import IntEnum
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from ..experiments import Evaluator

__all__ = ["ExitCode", "console", "err_console", "fail", "fmt", "file_kind", "expect_kind", "Interrupted",
           "sigterm_as_interrupt", "caused_by_interrupt", "evaluator_from_args", "refuse_out_below_a_file"]

# piped output (logs, CI) gets 120 columns rather than rich's 80, so tables stay readable
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)


class ExitCode(IntEnum):
    """Exit codes of ``giftsim`` (documented in the README)."""

    OK = 0
    INTERNAL = 1  # a bug: please report it with the traceback
    BAD_INPUT = 2  # invalid arguments, scenario, batch or graph file; unreachable scheduler; busy batch folder
    RUNS_FAILED = 3  # a batch finished but some runs raised (see failures.jsonl)
    CANNOT_WRITE = 4  # the results folder cannot be written
    INTERRUPTED = 130  # Ctrl-C / SIGINT (and SIGTERM of a batch)


class Interrupted(KeyboardInterrupt):
    """A Ctrl-C (SIGINT) or SIGTERM, with the message ``giftsim`` prints (exit 130):
    ``interrupted; finished runs are kept; continue with --resume``."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[list[str]]:
    """While the body runs, SIGTERM raises KeyboardInterrupt in the main thread, as Ctrl-C
    does, so that a batch stopped by ``kill`` (or a job scheduler) stops its workers,
    keeps its finished runs and says so, instead of dying at once with exit 143.

    The list it yields records each signal received, ``"SIGINT"`` (Ctrl-C, which still
    raises KeyboardInterrupt as before) or ``"SIGTERM"``: a command that sees another
    exception after a signal knows it was interrupted, even when a library caught the
    KeyboardInterrupt and raised its own error instead (pydantic reports one raised in a
    serializer as ``PydanticSerializationError``). A second SIGTERM while the first is
    handled is ignored. Outside the main thread, or when SIGINT is ignored, that signal's
    handling is left as it is."""
    got: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield got
        return

    def on_term(signum, frame):
        if "SIGTERM" not in got:
            got.append("SIGTERM")
            raise KeyboardInterrupt

    previous_int = signal.getsignal(signal.SIGINT)

    def on_int(signum, frame):
        got.append("SIGINT")
        previous_int(signum, frame)  # Python's own handler: raises KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    if callable(previous_int):
        signal.signal(signal.SIGINT, on_int)
    try:
        yield got
    finally:
        signal.signal(signal.SIGTERM, previous)
        if callable(previous_int):
            signal.signal(signal.SIGINT, previous_int)


def caused_by_interrupt(err: BaseException) -> bool:
    """Whether ``err`` is a KeyboardInterrupt, or was raised from one or while one was
    handled (its ``__cause__`` / ``__context__`` chain holds one): a library that wraps a
    Ctrl-C in its own error (pydantic: ``Error calling function ...: KeyboardInterrupt``)
    must still end the command as an interrupt (exit 130), not as bad input."""
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__cause__ if e.__cause__ is not None else e.__context__
    return False


def fail(message: str, code: ExitCode) -> int:
    """Print ``message`` to stderr as an error and return ``code``.

    The message is printed as it is: its square brackets (``b.toml [count=0]``,
    ``occasions[0]``) are text, not rich markup."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    return int(code)


def fmt(value: object) -> str:
    """A number for tables: integers with separators, floats with 4 significant digits."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.4g}"
    return str(value)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def file_kind(path) -> str:
    """``scenario``, ``batch``, ``calibration`` or ``search``, from the top-level keys of a TOML file
    (:func:`sim.scenario.kind_of`).

    Raises
    ------
    sim.scenario.ScenarioError
        If the file cannot be read as TOML.
    """
    from pathlib import Path

    from ..scenario import kind_of, read_toml

    return kind_of(read_toml(Path(path)))


def expect_kind(path, kind: str) -> None:
    """Refuse a file of another kind with a message saying which command takes it.

    Raises
    ------
    sim.scenario.ScenarioError
    """
    from ..scenario import wrong_kind

    found = file_kind(path)
    if found != kind:
        raise wrong_kind(path, found, kind)


def refuse_out_below_a_file(out: str | None, what: str) -> None:
    """Refuse ``--out`` naming a file, or a path below one, before any work: creating the
    folder would fail with "Not a directory" (exit 4, "cannot write results") though it is
    the argument that is wrong. ``what`` names what the folder holds (``batch``).

    Raises
    ------
    ValueError
        ``--out PATH: is a file, not a folder; ...`` or ``--out PATH: FILE is a file, ...``
        (exit 2).
    """
    from pathlib import Path

    from ..results import file_in_the_way

    if out is None:
        return
    file = file_in_the_way(out)
    if file is not None:
        where = "is a file" if file == Path(out) else f"{file} is a file"
        raise ValueError(f"--out {out}: {where}, not a folder; give a folder for the {what} "
                         "(it is created if missing)")


def evaluator_from_args(args) -> Evaluator:
    """The evaluator the command line's ``--workers`` / ``--scheduler`` / ``--dask-local``
    ask for (:func:`sim.experiments.make_evaluator`; a command without a flag leaves it
    out), not yet entered.

    Raises
    ------
    ValueError
        If ``--workers`` or ``--dask-local`` is below 1 (naming the flag), or more than one
        is given.
    """
    from ..experiments import make_evaluator

    workers, scheduler, dask_local = (getattr(args, k, None) for k in ("workers", "scheduler", "dask_local"))
    for flag, v in (("--workers", workers), ("--dask-local", dask_local)):
        if v is not None and v < 1:
            raise ValueError(f"{flag} must be >= 1, got {v}")
    return make_evaluator(workers=workers, scheduler=scheduler, dask_local=dask_local)
