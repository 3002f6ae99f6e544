"""``giftsim check``: validate scenario and batch files without running them."""

from __future__ import annotations

import argparse

from rich.markup import escape

from ..batch import plan_batch
from ..calibrate import load_calibration
from ..scenario import load_scenario
from .common import ExitCode, console, file_kind

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check", help="validate scenario or batch files without running them",
        description="Validate each FILE (a scenario, a batch file with replicates/scenarios/"
        "variants/sweep/sample, or a calibration file with parameters/targets) and print OK or "
        "its errors.",
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from ..scenario import ScenarioError

    bad = 0
    for f in args.files:
        try:
            kind = file_kind(f)
            if kind == "calibration":
                spec, folder = load_calibration(f)
                load_scenario(folder / spec.base, check_graph=True)
                console.print(f"OK {escape(str(f))}: calibration of {len(spec.parameters)} parameters to "
                              f"{len(spec.targets)} targets")
            elif kind == "batch":
                plan = plan_batch(f)
                console.print(f"OK {escape(str(f))}: batch of {len(plan.points)} points x "
                              f"{plan.spec.replicates} replicates = {len(plan.runs)} runs")
            else:
                sc = load_scenario(f, check_graph=True)
                console.print(f"OK {escape(str(f))}: scenario {escape(repr(sc.name))}, {sc.time.days} days")
        except ScenarioError as err:
            bad += 1
            console.print(str(err), soft_wrap=True, markup=False)
    return int(ExitCode.BAD_INPUT) if bad else 0
