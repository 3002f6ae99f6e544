"""``giftsim batch``: scenario points x replicates, in parallel, with a comparison table."""

from __future__ import annotations

import argparse
import math

import numpy as np
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..batch import run_batch
from ..batch.tables import defined_count
from ..experiments import Direction
from ..metrics import RUN_OUTCOMES
from .check_cmd import describe_batch, max_runs_arg
from .common import (
    ExitCode,
    Interrupted,
    caused_by_interrupt,
    console,
    err_console,
    evaluator_from_args,
    expect_kind,
    fmt,
    refuse_out_below_a_file,
    sigterm_as_interrupt,
)
from .signs_display import print_sign_comparisons

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` subcommand to ``sub``."""
    p = sub.add_parser(
        "batch", help="run a batch file: scenario points x replicates, and compare them",
        description="Run every point x replicate of BATCHFILE, write each run under "
        "results/<batch>/runs/<run-id>/, consolidate runs.parquet, timeseries.parquet and "
        "comparison.csv, and print each outcome's mean and 95% interval per point.",
    )
    p.add_argument("batchfile", help="batch TOML file, e.g. scenarios/launch_policies.toml")
    p.add_argument("--out", help="batch folder (default results/<batch name>)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted batch in its folder: finished runs are kept and skipped")
    where = p.add_mutually_exclusive_group()  # one executor: the others' options would be ignored
    where.add_argument("--workers", type=int, default=None,
                       help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="start a Dask LocalCluster with N workers and run there")
    p.add_argument("--quiet", action="store_true", help="log lines instead of a progress bar")
    p.add_argument("--max-runs", type=max_runs_arg, default=None, metavar="N",
                   help="refuse a batch of more than N runs (default: the batch file's max_runs, else 10,000,000)")
    p.set_defaults(func=main)


WIDE_POINTS = 4
"""Up to this many points the comparison prints one column per point; beyond, one row
per point (outcomes as columns, mean and half-width of the 95% interval, or mean and
interval where it was clipped to the outcome's range)."""


SUMMARY_POINTS = 12
"""Up to this many points the comparison prints one row per point; beyond (a sampled
design's hundreds), one row per outcome: its highest and lowest point mean and their
spread, pointing to ``comparison.csv`` for every point."""


UNDEFINED_NOTE = ("(n=k): the outcome is defined in only k of the point's successful runs (e.g. "
                  "acceptance_rate without a settled gift); mean and interval over those k; -: defined in none")
"""Caption of a comparison that has a marked cell."""


CLIPPED_NOTE = ("mean [lo, hi]: the 95% interval was clipped to the outcome's range (e.g. a share to "
                "[0, 1], a count to >= 0), so it is not symmetric about the mean")
"""Caption of a row-wise comparison with a clipped interval."""


def _mean_and_interval(m: float, lo: float, hi: float) -> str:
    """``mean ±half`` when the stored interval is symmetric about the mean, ``mean [lo, hi]``
    when it is not (clipped to the outcome's range: ``hi - mean`` is then no half-width);
    the mean alone without an interval (one run)."""
    if math.isnan(lo) or math.isnan(hi):
        return fmt(m)
    up, down = hi - m, m - lo
    if math.isclose(up, down, rel_tol=1e-9, abs_tol=1e-12 * max(1.0, abs(m))):
        return f"{fmt(m)} \u00b1{fmt(up)}"
    return f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]"


def _one_run_per_point(comp) -> bool:
    """Whether every point of the comparison rests on one successful run (``replicates =
    1``): no point has an interval, and titles must not promise one."""
    return len(comp) > 0 and int(comp["n"].max()) <= 1


ONE_RUN = "one run per point, so no interval"
"""Title words of a comparison where every point has one run (``replicates = 1``)."""


def _marker(row, outcome: str) -> str:
    k = defined_count(row, outcome)
    return f" (n={k})" if 0 < k < int(row["n"]) else ""


def _print_comparison(outcome) -> None:
    comp = outcome.comparison
    outcomes = list(outcome.plan.spec.outcomes)
    if len(comp) > SUMMARY_POINTS:
        _print_comparison_summary(outcome, comp, outcomes)
        return
    if len(comp) > WIDE_POINTS:
        _print_comparison_rows(outcome, comp, outcomes)
        return
    marked = False
    rows = []
    for o in outcomes:
        cells = []
        for _, row in comp.iterrows():
            m, lo, hi = float(row[f"{o}_mean"]), float(row[f"{o}_lo"]), float(row[f"{o}_hi"])
            mark = _marker(row, o)
            marked |= bool(mark)
            interval = "" if math.isnan(lo) or math.isnan(hi) else f" [{fmt(lo)}, {fmt(hi)}]"
            cells.append("-" if math.isnan(m) else f"{fmt(m)}{interval}{mark}")
        rows.append((o, cells))
    what = ONE_RUN if _one_run_per_point(comp) else "mean [95% interval] over replicates"
    table = Table(title=escape(f"{outcome.plan.spec.name}: {what}"),
                  header_style="bold", caption=escape(UNDEFINED_NOTE) if marked else None)
    table.add_column("outcome")
    for _, row in comp.iterrows():
        table.add_column(escape(f"{row['point_name']} (n={int(row['n'])})"), justify="right")
    for o, cells in rows:
        table.add_row(o, *(escape(c) for c in cells))
    console.print(table)


NAME_WIDTH = 40
"""Widest point-name column of the row-wise comparison; longer names (a sampled point's
every key and value) fold onto more lines instead of squeezing the outcome columns."""


def _print_comparison_rows(outcome, comp, outcomes) -> None:
    # as many outcomes as fit the console at about 16 characters each; the rest are in
    # comparison.csv and the report
    name_w = min(NAME_WIDTH, max(len(str(x)) for x in comp["point_name"]))
    fit = max(2, (console.width - name_w - 10) // 17)
    shown, hidden = outcomes[:fit], outcomes[fit:]
    more = f"; {len(hidden)} more outcomes ({', '.join(hidden)})" if hidden else ""
    marked = clipped = False
    rows = []
    for _, row in comp.iterrows():
        cells = []
        for o in shown:
            m, lo, hi = float(row[f"{o}_mean"]), float(row[f"{o}_lo"]), float(row[f"{o}_hi"])
            mark = _marker(row, o)
            marked |= bool(mark)
            cell = "-" if math.isnan(m) else _mean_and_interval(m, lo, hi)
            clipped |= "[" in cell
            cells.append(cell if cell == "-" else cell + mark)
        rows.append((str(row["point_name"]), str(int(row["n"])), cells))
    note = f"{UNDEFINED_NOTE}; " if marked else ""
    note += f"{CLIPPED_NOTE}; " if clipped else ""
    # every text is escaped: "[interval]" or "[lo, hi]" would otherwise be read as rich markup and vanish
    what = (ONE_RUN if _one_run_per_point(comp) else "mean \u00b1 half-width of the 95% interval over replicates"
            + (" (mean [interval] where it was clipped)" if clipped else ""))
    table = Table(title=escape(f"{outcome.plan.spec.name}: {what}"),
                  header_style="bold",
                  caption=escape(f"{note}all outcomes{'' if _one_run_per_point(comp) else ' and intervals'}: "
                                 f"{outcome.folder / 'comparison.csv'}"
                                 f"{more}; figures: giftsim report {outcome.folder}"))
    table.add_column("point", max_width=name_w, overflow="fold")
    table.add_column("n", justify="right")
    for o in shown:
        table.add_column(o, justify="right", min_width=14, overflow="fold")
    for name, n, cells in rows:
        table.add_row(escape(name), n, *(escape(c) for c in cells))
    console.print(table)


def _extremes(comp, o: str) -> tuple[int, int, int] | None:
    """Positions in ``comp`` (a comparison table) of the best and the worst mean of
    outcome ``o`` by its declared direction (:data:`sim.metrics.RUN_OUTCOMES`: the
    highest first for a larger-is-better outcome or one without a direction, the lowest
    first for a smaller-is-better one; the first on a tie), and how many points define it;
    None if none does."""
    means = comp[f"{o}_mean"].to_numpy(dtype=float)
    defined = int((~np.isnan(means)).sum())
    if not defined:
        return None
    hi, lo = int(np.nanargmax(means)), int(np.nanargmin(means))
    return (lo, hi, defined) if _direction(o) is Direction.MINIMIZE else (hi, lo, defined)


def _direction(o: str) -> Direction:
    """The declared direction of outcome ``o`` (INFO if it is not a summary outcome)."""
    return RUN_OUTCOMES[o].direction if o in RUN_OUTCOMES else Direction.INFO


DIRECTION_NOTE = ("best, worst: by the outcome's direction (\u2191 higher is better, \u2193 lower is better; "
                  "\u00b7 neither: the highest, then the lowest)")
"""Caption line of the one-row-per-outcome summary: how best and worst are chosen."""


def _print_comparison_summary(outcome, comp, outcomes) -> None:
    # past SUMMARY_POINTS points a row per point scrolls away and squeezes the outcomes:
    # one row per outcome (its best and worst point mean by direction, their spread), then
    # the points named there (a sampled point's name lists every key: its own table, full
    # width); every point in comparison.csv and the report
    marked = clipped = False
    what = (f"the best and the worst point value of each outcome ({ONE_RUN})" if _one_run_per_point(comp) else
            "the best and the worst point mean of each outcome (mean over replicates \u00b1 half-width of its 95% "
            "interval)")
    table = Table(title=escape(f"{outcome.plan.spec.name}: {len(comp)} points, {what}"),
                  header_style="bold")
    table.add_column("outcome")
    table.add_column("points", justify="right")
    table.add_column("best mean (#point)", justify="right")
    table.add_column("worst mean (#point)", justify="right")
    table.add_column("spread", justify="right")
    named: dict[int, str] = {}
    for o in outcomes:
        label = f"{o} {_direction(o).arrow}"
        ext = _extremes(comp, o)
        if ext is None:
            table.add_row(label, "0", "-", "-", "-")
            continue
        i_best, i_worst, defined = ext
        cells = []
        for i in (i_best, i_worst):
            row = comp.iloc[i]
            cell = _mean_and_interval(float(row[f"{o}_mean"]), float(row[f"{o}_lo"]), float(row[f"{o}_hi"]))
            clipped |= "[" in cell
            mark = _marker(row, o)
            marked |= bool(mark)
            named[int(row["point"])] = str(row["point_name"])
            cells.append(escape(f"{cell}{mark} (#{int(row['point'])})"))
        spread = abs(float(comp.iloc[i_best][f"{o}_mean"]) - float(comp.iloc[i_worst][f"{o}_mean"]))
        table.add_row(label, f"{defined:,}", *cells, fmt(spread))
    note = f"{DIRECTION_NOTE}; spread: highest minus lowest point mean; points: those where the outcome is defined; "
    note += f"{UNDEFINED_NOTE}; " if marked else ""
    note += f"{CLIPPED_NOTE}; " if clipped else ""
    table.caption = escape(note.removesuffix("; "))
    console.print(table)
    points = Table(title="the points named above", header_style="bold")
    points.add_column("#", justify="right")
    points.add_column("point", overflow="fold")
    for i in sorted(named):
        points.add_row(str(i), escape(named[i]))
    console.print(points)
    # a path stays whole on one line (copied from the terminal)
    every = "every point's value" if _one_run_per_point(comp) else "every point's mean and interval"
    console.print(escape(f"{every}: {outcome.folder / 'comparison.csv'}; "
                         f"figures: giftsim report {outcome.folder}"), soft_wrap=True)


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim batch`` with parsed ``args``; returns the exit code."""
    refuse_out_below_a_file(args.out, "batch")  # before planning: the argument is wrong, not the disk
    started = False  # on_start was called: the folder holds the plan and runs have begun

    def note_start(total: int) -> None:
        nonlocal started
        started = True

    with sigterm_as_interrupt() as signals:  # SIGTERM stops the batch as Ctrl-C does
        try:
            return _batch(args, note_start)
        except KeyboardInterrupt:
            pass
        except Exception as err:  # a library may report a Ctrl-C as its own error (see caused_by_interrupt)
            if not (signals or caused_by_interrupt(err)):
                raise
        how = " by SIGTERM" if signals[:1] == ["SIGTERM"] else ""
        raise Interrupted(f"interrupted{how}; finished runs are kept; continue with --resume" if started else
                          f"interrupted{how} while planning, before any run started; nothing was run") from None


def _batch(args: argparse.Namespace, note_start) -> int:
    """The batch with its progress bar (or log lines); ``note_start(total)`` is called
    when the runs begin."""
    expect_kind(args.batchfile, "batch")
    evaluator = evaluator_from_args(args)  # not started yet: run_batch starts it once the folder is accepted
    # the number of runs and an estimate of time and disk at once (refused above the limit), on
    # stderr: standard output holds the batch's own output (a refused batch prints its error alone)
    describe_batch(args.batchfile, args.max_runs, workers=args.workers or args.dask_local, out=err_console,
                   resume_in=(args.out or True) if args.resume else None)
    kwargs = dict(out=args.out, resume=args.resume, evaluator=evaluator, max_runs=args.max_runs)
    failed = 0
    if args.quiet:
        def log(outcome, done, total):
            nonlocal failed
            failed += outcome.status != "ok"
            console.print(f"[{done}/{total}] {outcome.run_id} point {outcome.point} "
                          f"replicate {outcome.replicate}: {outcome.status} ({outcome.wall_seconds:.2f} s)")
        result = run_batch(args.batchfile, on_outcome=log, on_start=note_start, **kwargs)
    else:
        # the bar starts once the plan is made and the folder accepted (on_start): a
        # refused batch prints its error alone
        bar = Progress(TextColumn("[bold]batch[/]"), BarColumn(), MofNCompleteColumn(),
                       TextColumn("runs, {task.fields[failed]} failed"), TimeElapsedColumn(),
                       TextColumn("ETA"), TimeRemainingColumn(), console=console)
        task = None

        def begin(total):
            nonlocal task
            note_start(total)
            bar.start()
            task = bar.add_task("batch", total=total, failed=0)

        def tick(outcome, done, total):
            nonlocal failed
            failed += outcome.status != "ok"
            bar.update(task, completed=done, total=total, failed=failed)

        try:
            result = run_batch(args.batchfile, on_outcome=tick, on_start=begin, **kwargs)
        finally:
            bar.stop()
    if result.skipped:
        console.print(f"resumed: {result.skipped} runs were already complete and kept")
    _print_comparison(result)
    print_sign_comparisons(result.folder)  # a batch with uncertainty or robustness
    console.print(f"wrote {result.folder} ({result.completed} runs now, {result.skipped} kept, "
                  f"{result.failed} failed, {result.wall_seconds:.1f} s)")
    if result.failed:
        err_console.print(f"[bold red]{result.failed} run(s) failed[/] ({result.completed} ok): "
                          f"errors and tracebacks in {result.folder / 'failures.jsonl'}", soft_wrap=True)
        return int(ExitCode.RUNS_FAILED)
    return 0
