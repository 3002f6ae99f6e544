"""The ``giftsim`` command line: ``run``, ``batch``, ``report``, ``check``, ``viz``, ``validate``,
``calibrate``, ``schema``, ``discover``, ``optimize``.

Exit codes: 0 success; 2 bad input (arguments, scenario, batch or graph file, a Dask
scheduler that cannot be reached, a batch folder in use or holding something else; one
clear message, no traceback); 3 a batch finished with failed runs, or a validation check failed; 4 results cannot be
written; 130 interrupted (Ctrl-C, or SIGTERM in a batch); 1 an internal error (a bug: the traceback is printed).
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from . import (
    batch_cmd,
    calibrate_cmd,
    check_cmd,
    discover_cmd,
    logging_setup,
    optimize_cmd,
    report_cmd,
    run_cmd,
    schema_cmd,
    validate_cmd,
    viz_cmd,
)
from .common import ExitCode, Interrupted, caused_by_interrupt, fail

__all__ = ["main", "build_parser", "ExitCode"]


def build_parser() -> argparse.ArgumentParser:
    """The ``giftsim`` argument parser: global options (-v, --log-file) and every subcommand."""
    parser = argparse.ArgumentParser(
        prog="giftsim",
        description="Agent-based simulator of social gift virality: gift cascades, merchants "
        "and traffic-allocation policies on real social graphs.",
        epilog="Exit codes: 0 ok, 1 internal error (a bug), 2 bad input, 3 failed runs in a batch "
        "(or a failed validation check), 4 cannot write results, 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"giftsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for mod in (run_cmd, batch_cmd, report_cmd, check_cmd, viz_cmd, validate_cmd, calibrate_cmd, schema_cmd,
                optimize_cmd, discover_cmd):
        mod.add_parser(sub)
    logging_setup.add_arguments(parser, sub)  # -v/--verbose, --log-file, before or after the command
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``giftsim`` console script; returns the exit code."""
    from ..batch import BatchExistsError
    from ..graph import GraphConfigError, GraphFileError
    from ..results import ResultsError
    from ..scenario import ScenarioError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        try:
            with logging_setup.logging_to(args.verbose, args.log_file):
                return int(args.func(args))
        except Exception as err:  # a Ctrl-C a library wrapped in its own error is still an interrupt
            if caused_by_interrupt(err):
                raise KeyboardInterrupt from err
            raise
    except (ScenarioError, GraphFileError, GraphConfigError, BatchExistsError) as err:
        return fail(str(err), ExitCode.BAD_INPUT)
    except ValueError as err:
        return fail(str(err), ExitCode.BAD_INPUT)
    except ResultsError as err:
        return fail(str(err), ExitCode.CANNOT_WRITE)
    except OSError as err:
        return fail(f"cannot write results: {err}", ExitCode.CANNOT_WRITE)
    except KeyboardInterrupt as err:  # a command may say what was kept (Interrupted)
        what = "nothing was written" if args.command in ("run", "calibrate") else "stopped"
        message = str(err) if isinstance(err, Interrupted) and str(err) else f"interrupted; {what}"
        return fail(message, ExitCode.INTERRUPTED)


if __name__ == "__main__":
    sys.exit(main())
