"""Where the command line sends the log records of ``sim.*`` modules: ``-v``/``--verbose``
and ``--log-file``.

Library modules log through ``logging.getLogger(__name__)`` (every name under ``sim``)
and never add handlers; the application decides where records go. The ``giftsim``
command does it here, for the length of one command:

- stderr, through :class:`rich.logging.RichHandler`: warnings and errors by default,
  ``-v`` adds INFO (resume decisions, plan sizes, progress of long steps), ``-vv`` DEBUG
  (every run);
- ``--log-file PATH``: every record from DEBUG up, as plain text lines
  (``2025-01-01 12:00:00,123 WARNING sim.batch.runner: ...``), appended to PATH.

The options are accepted before or after the command (``giftsim -v batch b.toml`` and
``giftsim batch b.toml -v``).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.logging import RichHandler

from .common import err_console

__all__ = ["add_arguments", "logging_to", "console_level", "LOGGER", "FILE_FORMAT"]

LOGGER = "sim"
"""The logger every giftsim module logs under (``sim.batch.runner``, ``sim.graph.io``...)."""

FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""Line format of ``--log-file``."""


def console_level(verbosity: int) -> int:
    """The stderr level for ``-v`` given ``verbosity`` times: 0 WARNING, 1 INFO, 2+ DEBUG."""
    return logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG


def _add(parser: argparse.ArgumentParser, default_verbose: object, default_file: object) -> None:
    group = parser.add_argument_group("logging")
    group.add_argument("-v", "--verbose", action="count", default=default_verbose,
                       help="log more on stderr: -v adds INFO records (resume decisions, plan sizes), "
                       "-vv DEBUG (every run); default: warnings and errors only")
    group.add_argument("--log-file", metavar="PATH", default=default_file,
                       help="also append every log record (DEBUG and up) to PATH as plain text")


def add_arguments(parser: argparse.ArgumentParser, sub: argparse._SubParsersAction) -> None:
    """Add ``-v/--verbose`` and ``--log-file`` to ``parser`` and to every command of
    ``sub`` (the commands' copies set nothing unless given, so that ``giftsim -v run``
    keeps its ``-v``)."""
    _add(parser, 0, None)
    for command in sub.choices.values():
        _add(command, argparse.SUPPRESS, argparse.SUPPRESS)


@contextlib.contextmanager
def logging_to(verbosity: int = 0, log_file: str | Path | None = None,
               console: Console | None = None) -> Iterator[logging.Logger]:
    """Send the ``sim`` logger's records to stderr (rich) and optionally to a file while
    the body runs; the handlers are removed and the logger's level restored afterwards.

    Parameters
    ----------
    verbosity : int
        Count of ``-v``: see :func:`console_level`.
    log_file : path-like, optional
        File the records (DEBUG and up) are appended to, as lines of :data:`FILE_FORMAT`.
    console : rich.console.Console, optional
        Where the stderr records go (default: :data:`sim.cli.common.err_console`, on
        ``sys.stderr``, 120 columns when it is not a terminal).

    Raises
    ------
    ValueError
        If ``log_file`` cannot be opened for appending (a bad argument: nothing has run).
    """
    logger = logging.getLogger(LOGGER)
    handlers: list[logging.Handler] = []
    level = console_level(verbosity)
    screen = RichHandler(console=console or err_console, level=level, show_path=False,
                         markup=False, rich_tracebacks=False, log_time_format="[%X]")
    handlers.append(screen)
    if log_file is not None:
        try:
            to_file = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        except OSError as err:
            raise ValueError(f"--log-file {log_file}: cannot open it for writing ({err.strerror or err}); "
                             "allowed: a file path in a writable folder") from None
        to_file.setLevel(logging.DEBUG)
        to_file.setFormatter(logging.Formatter(FILE_FORMAT))
        handlers.append(to_file)
    old_level = logger.level
    logger.setLevel(min(h.level for h in handlers))
    for h in handlers:
        logger.addHandler(h)
    try:
        yield logger
    finally:
        for h in handlers:
            logger.removeHandler(h)
            h.close()
        logger.setLevel(old_level)
