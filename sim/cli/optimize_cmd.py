"""``giftsim optimize``: a multi-objective robust policy search (:mod:`sim.search`), with
progress per generation and the Pareto policies at the end."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from .common import (
    Interrupted,
    caused_by_interrupt,
    console,
    evaluator_from_args,
    fmt,
    refuse_out_below_a_file,
    sigterm_as_interrupt,
)

__all__ = ["add_parser", "main", "run_search", "pareto_policies_table"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``optimize`` subcommand to ``sub``."""
    p = sub.add_parser(
        "optimize", help="search policies: levers for several objectives at once, robust across uncertain behaviour",
        description="Search the levers of SEARCHFILE (policy keys) for the policies on the Pareto front of its "
        "objectives, meeting its constraints, each judged over its uncertainty draws x replicates (Optuna, "
        "ask/tell); write results/<name>/ (search.json, study.db, trials.parquet, draws.parquet, "
        "pareto.parquet, generations.parquet) and print the Pareto policies.",
    )
    p.add_argument("searchfile", help="search TOML file, e.g. scenarios/policy_search.toml")
    p.add_argument("--out", help="search folder (default results/<search name>)")
    p.add_argument("--resume", action="store_true",
                   help="continue a stopped search in its folder (told trials are kept), or extend a finished one")
    where = p.add_mutually_exclusive_group()  # one executor
    where.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run on an existing dask.distributed scheduler, e.g. tcp://10.0.0.5:8786")
    where.add_argument("--dask-local", type=int, metavar="N",
                       help="start a Dask LocalCluster with N workers and run there")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """``giftsim optimize`` with parsed ``args``; returns the exit code."""
    from ..search.load import load_search

    refuse_out_below_a_file(args.out, "search")
    spec = load_search(args.searchfile)
    evaluator = evaluator_from_args(args)
    folder = Path(args.out) if args.out else Path("results") / spec.name
    return run_search(spec, folder, evaluator, resume=args.resume)


def run_search(spec, folder: Path, evaluator, *, resume: bool = False, simulate=None) -> int:
    """Run (or resume) ``spec``'s search into ``folder`` with progress lines, then print the
    Pareto policies and where the files are; returns 0.

    Raises
    ------
    Interrupted
        On Ctrl-C or SIGTERM, saying which trials were kept (exit 130).
    sim.search.engine.SearchExistsError
        A folder that is not this search's to start or resume (exit 2).
    """
    from ..search.engine import SearchInterrupted, optimize

    with console.status(f"{spec.name}: starting...") as status:
        def progress(message: str) -> None:
            if message.startswith("resuming") or " done: " in message:
                console.print(escape(f"{spec.name}: {message}"), soft_wrap=True)
            status.update(escape(f"{spec.name}: {message}..."))

        try:
            with sigterm_as_interrupt():
                res = optimize(spec, folder, evaluator, resume=resume, progress=progress, simulate=simulate)
        except SearchInterrupted as err:
            raise Interrupted(str(err)) from err
        except KeyboardInterrupt as err:
            raise Interrupted(f"interrupted; the told trials are kept in {folder}/study.db: run the same command "
                              "with --resume to continue") from err
        except Exception as err:
            if caused_by_interrupt(err):
                raise Interrupted(f"interrupted; the told trials are kept in {folder}/study.db: run the same "
                                  "command with --resume to continue") from err
            raise
    if res.feasible:
        console.print(pareto_policies_table(res))
    else:
        bounds = ", ".join(f"{c.outcome} {_bound(c)}" for c in spec.constraints)
        console.print(f"no policy met the constraints ({escape(bounds)}) in {len(res.trials)} trials: the "
                      "constraints were never met, so pareto.parquet is empty; loosen them or widen the levers",
                      soft_wrap=True)
    console.print(f"wrote {escape(str(folder))} (search.json, study.db, trials.parquet, draws.parquet, "
                  "pareto.parquet, generations.parquet)", soft_wrap=True)
    return 0


def _bound(c) -> str:
    parts = ([f">= {fmt(c.low)}"] if c.low is not None else []) + ([f"<= {fmt(c.high)}"] if c.high is not None else [])
    return " and ".join(parts)


def _cell(value: object) -> str:
    return fmt(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def pareto_policies_table(res) -> Table:
    """The Pareto policies: trial, the levers that apply, each objective's re-evaluated value
    [95% interval], and the flags (dominated on re-evaluation, within noise of which trials)."""
    spec, p = res.spec, res.pareto
    fin = spec.budget.final_replicates
    draws = spec.uncertainty.draws if spec.uncertainty is not None else 1
    t = Table(title=escape(f"{spec.name}: {len(p)} Pareto policies of {len(res.trials)} trials, re-evaluated over "
                           f"{draws} draws x {fin} replicates ({spec.robustness.kind}; [95% interval of the mean])"),
              header_style="bold")
    t.add_column("trial", justify="right")
    t.add_column("levers", min_width=26, overflow="fold")
    for o in spec.objectives:
        t.add_column(escape(f"{o.outcome} {o.direction.arrow}"), justify="right", no_wrap=True)
    t.add_column("flags", min_width=12, overflow="fold")
    first = spec.objectives[0].outcome
    for _, r in p.sort_values(f"reevaluated:{first}", kind="stable").iterrows():
        levers = json.loads(r["overrides"])
        lever_text = "\n".join(f"{k.removeprefix('policy.')} = {_cell(v)}" for k, v in levers.items())
        cells = []
        for o in spec.objectives:
            m, lo, hi = (float(r[f"{w}:{o.outcome}"]) for w in ("reevaluated", "low", "high"))
            cells.append(fmt(m) + ("" if math.isnan(lo) else f"\n[{fmt(lo)}, {fmt(hi)}]"))
        flags = []
        if bool(r["dominated_on_reevaluation"]):
            flags.append("dominated on re-evaluation")
        if bool(r["within_noise"]):
            flags.append(f"within noise of {r['noise_peers']}")
        t.add_row(str(int(r["trial"])), escape(lever_text), *(escape(c) for c in cells), escape("; ".join(flags)))
    return t
