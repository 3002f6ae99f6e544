"""``giftsim check``: validate scenario, batch, calibration and search files without running them."""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rich.markup import escape

from ..batch import load_batch, make_plan
from ..batch.estimate import RunCost, measure_run_cost, runs_left
from ..batch.executors import default_workers
from ..batch.plan import FULL_CHECK_POINTS, Plan
from ..calibrate import load_calibration
from ..calibrate.abc_spec import calibration_method, load_abc_calibration
from ..graph import check_graph_file
from ..scenario import load_scenario
from ..scenario.text import toml_value
from ..search.load import load_search, search_runs
from ..search.spec import SearchSpec
from .common import ExitCode, console, file_kind

__all__ = ["add_parser", "main", "describe_batch", "plan_summary", "max_runs_arg", "search_summary"]

def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``check`` (validate scenario, batch and calibration files; run nothing) subcommand to ``sub``."""
    p = sub.add_parser(
        "check", help="validate scenario, batch, calibration or search files without running them",
        description="Validate each FILE (a scenario, a batch file with replicates/scenarios/"
        "variants/sweep/sample, a calibration file with parameters/targets, or a policy-search file "
        "with levers/objectives) and print OK or its errors.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--max-runs", type=max_runs_arg, default=None, metavar="N",
                   help="refuse a batch of more than N runs (default: the batch file's max_runs, else 10,000,000)")
    p.set_defaults(func=main)

def max_runs_arg(text: str) -> int:
    """``--max-runs N``: a whole number of runs >= 1 (``10000000``, ``10_000_000`` or ``1e7``).

    Raises
    ------
    argparse.ArgumentTypeError
        Otherwise (argparse prints it naming the flag and exits with code 2).
    """
    try:
        n = int(text)
    except ValueError:
        try:
            d = Decimal(text)
        except InvalidOperation:
            d = None
        if d is None or not d.is_finite() or d != d.to_integral_value():
            raise argparse.ArgumentTypeError(f"{text!r}: is not a whole number; allowed: a whole number of runs "
                                             ">= 1, e.g. 10000000 or 1e7") from None
        n = int(d)
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text}: must be >= 1 (allowed: 1 <= --max-runs)")
    return n

def main(args: argparse.Namespace) -> int:
    """Run ``giftsim check`` with parsed ``args``; returns the exit code."""
    from ..scenario import ScenarioError

    bad = 0
    for f in args.files:
        try:
            kind = file_kind(f)
            if kind == "calibration":
                abc = calibration_method(f) == "abc_smc"
                spec, folder = (load_abc_calibration if abc else load_calibration)(f)
                load_scenario(folder / spec.base, checks=(check_graph_file,))
                how = (f" by ABC-SMC ({spec.budget.population_size} particles a generation, at most "
                       f"{spec.budget.max_generations} generations)" if abc else "")
                console.print(f"OK {escape(str(f))}: calibration of {len(spec.parameters)} parameters to "
                              f"{len(spec.targets)} targets{how}", soft_wrap=True)
            elif kind == "search":
                spec = load_search(f, checks=(check_graph_file,))
                console.print(f"OK {escape(str(f))}: {search_summary(spec)}", soft_wrap=True, markup=False)
            elif kind == "batch":
                plan = describe_batch(f, args.max_runs)
                every = plan.n_points <= FULL_CHECK_POINTS
                (plan.check_all if every else plan.check_margins)()
                if plan.conditions:  # parameter draws and robustness ends, at every point or each variant's first
                    plan.check_conditions(every_point=plan.n_points * len(plan.conditions) <= FULL_CHECK_POINTS)
                how = "" if every else (" (each variant with every swept value or sampled bound checked; every "
                                        "combination is checked by giftsim batch before its first run)")
                conds = f"{len(plan.conditions):,} conditions x " if plan.conditions else ""
                console.print(f"OK {escape(str(f))}: batch of {plan.n_points:,} points x {conds}"
                              f"{plan.spec.replicates:,} replicates = {plan.n_runs:,} runs{how}", soft_wrap=True)
            else:
                sc = load_scenario(f, checks=(check_graph_file,))
                console.print(f"OK {escape(str(f))}: scenario {escape(repr(sc.name))}, {sc.time.days} days")
        except ScenarioError as err:
            bad += 1
            console.print(str(err), soft_wrap=True, markup=False)
    return int(ExitCode.BAD_INPUT) if bad else 0

def search_summary(spec: SearchSpec) -> str:
    """A checked search file in a few lines: its levers, objectives, constraints, uncertainty,
    robustness measure, and its trials and runs (``giftsim check``)."""
    def lever(v) -> str:
        what = (f"[{v.low:g}, {v.high:g}]" + (" integer" if v.integer else "") + (" log" if v.log else "")
                if v.kind == "range" else "one of " + ", ".join(map(toml_value, v.choices)))
        return f"    {v.key} {what}" + "".join(f" when {k} = {toml_value(c)}" for k, c in v.when)

    def bound(c) -> str:
        return " and ".join(x for x in (None if c.low is None else f"{c.outcome} >= {c.low:g}",
                                        None if c.high is None else f"{c.outcome} <= {c.high:g}") if x)

    u, b, r = spec.uncertainty, spec.budget, spec.robustness
    draws = u.draws if u is not None else 1
    source = ("none (the base values)" if u is None else f"{draws} draws from "
              + ("the shipped posterior" if u.posterior == "shipped" else u.posterior if u.posterior
                 else "ranges of " + ", ".join(u.ranges)))
    trials = b.population * b.generations
    runs = search_runs(b.population, b.generations, draws, b.replicates)
    lines = [
        f"policy search on {spec.scenario.name!r}: {len(spec.levers)} levers, {len(spec.objectives)} objectives, "
        f"{len(spec.constraints)} constraint(s)",
        "  levers:", *(lever(v) for v in spec.levers),
        "  objectives: " + ", ".join(f"{o.outcome} {'max' if o.direction.value > 0 else 'min'}"
                                     for o in spec.objectives),
        "  constraints: " + ("; ".join(bound(c) for c in spec.constraints) or "none"),
        f"  uncertainty: {source}; robustness: {r.kind}" + (f" {r.percentile:g}" if r.percentile is not None else ""),
        f"  {b.sampler}: {b.population:,} x {b.generations:,} generations = {trials:,} trials x {draws:,} draws x "
        f"{b.replicates:,} replicates = {runs:,} runs, then {b.final_replicates:,} replicates x {draws:,} draws "
        "for each Pareto policy",
    ]
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.2g} {unit}" if seconds < 10 * size else f"{seconds / size:,.0f} {unit}"
    return f"{seconds:.2g} s"

def _size(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.2g} {unit}" if n < 10 * size else f"{n / size:,.0f} {unit}"
    return f"{n:.0f} B"

def plan_summary(plan: Plan, cost: RunCost | None, workers: int | None = None, runs: int | None = None) -> str:
    """One line: the number of runs (points x replicates) and, given ``cost``, about how
    long they take with 1 worker and with ``workers`` (default all cores), and their size.
    ``runs``: only that many are left to run (a resumed batch): the estimate is for those."""
    conds = f"{len(plan.conditions):,} conditions x " if plan.conditions else ""
    text = f"{plan.n_runs:,} runs ({plan.n_points:,} points x {conds}{plan.spec.replicates:,} replicates)"
    if cost is None:
        return text
    n = plan.n_runs if runs is None else runs
    if runs is not None:
        text += f", {runs:,} left to run"
    workers = workers or default_workers()
    total = cost.seconds * n
    time_text = f"about {_duration(total)} with 1 worker"
    if workers > 1:
        time_text += f", {_duration(total / workers)} with {workers}"
    how = (f"extrapolated from {' and '.join(map(str, cost.measured_days))}-day runs" if cost.extrapolated
           else f"one {cost.days}-day run measured")
    whose = "the first point's" if runs is None else "the first remaining run's"
    return (f"{text}; {time_text}, {_size(cost.bytes * n)} on disk ({_duration(cost.seconds)} and "
            f"{_size(cost.bytes)} a run: {whose}, {how})")

def describe_batch(path, max_runs: int | None = None, workers: int | None = None, out=None, *,
                   resume_in=None) -> Plan:
    """Print a batch file's number of runs at once (refusing it above the limit), then
    about how long and how much disk they take, from one measured run of its first point.
    Returns the plan, its points not yet validated (see :meth:`Plan.check_all`).
    ``out`` is the rich console to print to (default standard output). ``resume_in``
    (``True`` for the default ``results/<batch name>``, or a folder) estimates only the
    runs a ``--resume`` there would run, from one of them; none left: nothing is measured.

    Raises
    ------
    ScenarioError
        If the batch file is invalid, has more runs than the limit, or its first point is
        invalid.
    """
    spec, folder = load_batch(path)
    plan = make_plan(spec, folder, source=str(path), max_runs=max_runs, check="none")
    out = out or console
    out.print(f"{escape(str(path))}: {plan_summary(plan, None)} ...", highlight=False)
    left = None
    if resume_in is not None and resume_in is not False:
        where = Path("results") / spec.name if resume_in is True else Path(resume_in)
        left = runs_left(plan, where)
        if not len(left):
            out.print(f"{escape(str(path))}: every run is complete in {escape(str(where))}; nothing left to run",
                      highlight=False, soft_wrap=True)
            return plan
        if len(left) == plan.n_runs:  # nothing done there yet: the whole batch, as without --resume
            left = None
    first = plan.runs[0 if left is None else int(left[0])]
    cost = measure_run_cost(plan.run_scenario(first.point, first.condition), seed=first.seed)
    summary = plan_summary(plan, cost, workers, runs=None if left is None else len(left))
    out.print(f"{escape(str(path))}: {summary}", highlight=False, soft_wrap=True)
    return plan
