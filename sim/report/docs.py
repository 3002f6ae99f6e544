"""Remake every generated document in one command.

    python -m sim.report.docs [--workers N] [--set-aside]

In order: the parameter tables of ``docs/model.md`` (:mod:`sim.scenario.reference`), the
evidence table, the calibration's posterior and predictive checks of ``docs/evidence.md``
(:mod:`sim.evidence.report`, read from ``results/calibrate/evidence`` and
``results/calibrate/market``) and the answers of ``docs/scenarios.md``
(:mod:`sim.report.scenarios_doc`, running or resuming each answer batch). The calibrations
themselves are not rerun here (about 40 minutes on 2 cores): ``giftsim calibrate
scenarios/calibrate_evidence.toml --workers 2`` and ``scenarios/calibrate_market.toml``
write the folders this reads, and their posterior medians are the schema's defaults.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main", "DOCS"]

DOCS = (Path("docs") / "model.md", Path("docs") / "evidence.md", Path("docs") / "scenarios.md")
"""The generated documents, in the order they are remade."""


def main(argv: list[str] | None = None) -> int:
    """Remake the documents of :data:`DOCS`; returns the first non-zero exit code of a step
    (the later steps are then not run), else 0."""
    from ..evidence import report as evidence_report
    from ..scenario.reference import update_document
    from . import scenarios_doc

    p = argparse.ArgumentParser(prog="python -m sim.report.docs", description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=None, help="worker processes of the batches (default: all cores)")
    p.add_argument("--set-aside", action="store_true",
                   help="rename a results folder holding another version of a batch and rerun it")
    args = p.parse_args(argv)
    model, evidence, scenarios = DOCS
    print(f"{model}: {'updated' if update_document(model) else 'up to date'}")
    code = evidence_report.main([str(evidence)])
    if code:
        return code
    rest = [str(scenarios)] + (["--workers", str(args.workers)] if args.workers else [])
    return scenarios_doc.main(rest + (["--set-aside"] if args.set_aside else []))


if __name__ == "__main__":
    sys.exit(main())
