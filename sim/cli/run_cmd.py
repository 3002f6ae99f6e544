"""``giftsim run``: one simulation of a scenario, with a progress bar and a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..graph import GraphConfigError
from ..metrics import RUN_OUTCOMES
from ..results import run_id, safe_name, write_run
from ..runner import check_seed, run
from ..scenario import ScenarioError, load_scenario
from .common import console, expect_kind, fmt

__all__ = ["add_parser", "main", "free_folder", "shown_outcomes"]

SHOWN = RUN_OUTCOMES.view("run")
"""The outcomes the summary table always shows."""

SHOWN_WHEN_ON = ("cash_rmb", *(k for k in RUN_OUTCOMES if k.startswith("first_gifts_") and k not in SHOWN),
                 "gifts_sent_back", "gifts_paid_forward", "group_gifts", "group_claims", "group_send_back_per_rmb",
                 "ad_revenue_rmb", "mini_program_merchants")
"""Outcomes the summary table adds when the run gives them a value other than 0 or undefined:
the mechanisms it used (cash gifts, every trigger of first gifts, reciprocity and pay-forward,
groups, paid traffic, mini programs), so that the first gifts shown add up to the senders."""


def shown_outcomes(summary) -> tuple[str, ...]:
    """The summary keys ``giftsim run`` prints for ``summary``: :data:`SHOWN`, then those of
    :data:`SHOWN_WHEN_ON` with a value other than 0 and NaN."""
    extra = tuple(k for k in SHOWN_WHEN_ON if k in summary and summary[k] == summary[k] and summary[k] != 0)
    return SHOWN + extra


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand to ``sub``."""
    p = sub.add_parser(
        "run", help="run one simulation of a scenario file",
        description="Run one simulation of SCENARIO and write its outputs to "
        "results/<scenario>/<run-id>/ (series, gifts, users, merchants, cascades, summary, manifest).",
    )
    p.add_argument("scenario", help="scenario TOML file, e.g. scenarios/wechat_gift_launch.toml")
    p.add_argument("--seed", type=int, default=0, help="random seed, >= 0 (default 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a scenario key, e.g. --set policy.commercial_share=0.05 (repeatable)")
    p.add_argument("--out", help="folder to hold the run folder (default results/<scenario name>)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary table")
    p.set_defaults(func=main)


def free_folder(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-2``, ``-3``... if taken: never overwrite a run."""
    folder = parent / name
    k = 2
    while folder.exists():
        folder = parent / f"{name}-{k}"
        k += 1
    return folder


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim run`` with parsed ``args``; returns the exit code."""
    expect_kind(args.scenario, "scenario")
    check_seed(args.seed, "--seed")
    scenario = load_scenario(args.scenario, args.overrides)
    parent = Path(args.out) if args.out else Path("results") / safe_name(scenario.name)
    file = next((p for p in (parent, *parent.parents) if p.exists() and not p.is_dir()), None)
    if file is not None:  # mkdir would fail with "cannot write results" (exit 4): the argument is wrong
        what = "is a file" if file == parent else f"{file} is a file"
        raise ValueError(f"--out {parent}: {what}, not a folder; give a folder to hold the run folder "
                         "(it is created if missing)")
    for folder in (parent, parent.parent):  # a batch folder, or its runs/ folder
        if (folder / "plan.json").is_file():
            raise ValueError(f"--out {parent}: is inside the batch folder {folder} (it has a plan.json); "
                             "a single run goes in a folder of its own, e.g. --out results/<name>")
    rid = run_id(scenario, args.seed)
    try:
        if args.quiet:
            result = run(scenario, args.seed)
        else:
            with Progress(TextColumn(f"[bold]{escape(scenario.name)}[/] seed {args.seed}"), BarColumn(),
                          MofNCompleteColumn(), TextColumn("steps"), TimeRemainingColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("run", total=scenario.time.n_steps)
                result = run(scenario, args.seed, on_step=lambda done, total: bar.update(task, completed=done))
    except ScenarioError as err:  # found only with the graph built (its size, say): name the file
        raise ScenarioError(f"{args.scenario}: {err}") from None
    except GraphConfigError as err:
        raise ScenarioError(f"{args.scenario}: graph: {err}") from None
    folder = free_folder(parent, rid)
    if folder.name != rid:
        console.print(f"note: {parent / rid} already holds this scenario and seed; writing to {folder}")
    write_run(result, folder, extra={"scenario_file": str(args.scenario), "overrides": list(args.overrides)})
    if not args.quiet:
        table = Table(title=f"{escape(scenario.name)}, seed {args.seed}: {result.wall_seconds:.2f} s",
                      show_header=True, header_style="bold")
        table.add_column("outcome")
        table.add_column("value", justify="right")
        table.add_column("meaning", style="dim")
        for k in shown_outcomes(result.summary):
            table.add_row(k, fmt(result.summary[k]), RUN_OUTCOMES[k].text())
        console.print(table)
        console.print("graph: " + "; ".join(result.graph_report))
    console.print(f"wrote {folder}")
    return 0
