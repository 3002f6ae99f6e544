"""``giftsim report``: the HTML report (and PNGs) of a finished batch folder, or of a policy search folder."""

from __future__ import annotations

import argparse

from .common import console
from .signs_display import print_sign_comparisons

__all__ = ["add_parser", "main"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` (the HTML report of a finished batch) subcommand to ``sub``."""
    p = sub.add_parser(
        "report", help="write the HTML report of a finished batch (outcomes, curves, concentration, sensitivity)",
        description="Write a self-contained HTML report of the batch in FOLDER (results/<batch>): "
        "outcome means with 95% intervals per point, adoption and GMV curves with 95% bands, "
        "merchant concentration (HHI, Lorenz curves) and, for Sobol or Morris batches, sensitivity "
        "indices. The figures are embedded and also written as PNG files beside the page.",
    )
    p.add_argument("folder", help="a batch folder, e.g. results/policy_sweep, or a search folder "
                   "(giftsim optimize's results: Pareto front, Pareto policies, convergence)")
    p.add_argument("--out", help="folder for report.html and the PNGs (default FOLDER/report)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run ``giftsim report`` with parsed ``args``; returns the exit code."""
    from pathlib import Path

    from ..report import write_report

    folder = Path(args.folder)
    if (folder / "search.json").is_file():  # a policy search (read_search names what is wrong)
        from .search_display import report_search

        return report_search(folder, out=args.out)
    if (folder / "calibration.json").is_file() and not (folder / "plan.json").exists():
        plots = sorted((folder / "plots").glob("*.png")) if (folder / "plots").is_dir() else []
        where = (f"its plots are {', '.join(str(p) for p in plots)}" if plots
                 else "giftsim calibrate printed its fit, and calibration.json holds it")
        raise ValueError(f"{folder}: a calibration folder, not a batch folder: giftsim report reads batches; {where}")
    with console.status("writing report"):
        outcome = write_report(args.folder, out=args.out)
    print_sign_comparisons(args.folder)  # a batch with uncertainty or robustness
    console.print(f"wrote {outcome.html} and {len(outcome.figures)} PNG figures beside it "
                  f"({outcome.seconds:.1f} s)", soft_wrap=True)
    return 0
