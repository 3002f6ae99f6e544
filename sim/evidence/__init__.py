"""Published evidence as data: the figures of ``../shared/evidence.md`` that giftsim can
express, each with its source, band, the scale-free model quantity it compares to and the
scenario it applies to; and the calibrated posterior of the behaviour parameters fitted to
them (``posterior.parquet``, made by ``giftsim calibrate scenarios/calibrate_evidence.toml``).

Modules: :mod:`~sim.evidence.targets` (the figures), :mod:`~sim.evidence.quantities` (the
model quantities, ratios of sums), :mod:`~sim.evidence.table` (the figures against runs of
their scenarios, as ``giftsim validate`` prints them), :mod:`~sim.evidence.plots` and
:mod:`~sim.evidence.report` (``docs/evidence.md``: ``python -m sim.evidence.report docs/evidence.md``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["POSTERIOR_FILE", "POSTERIOR_COLUMNS"]

POSTERIOR_FILE = Path(__file__).with_name("posterior.parquet")
"""The shipped posterior sample of the calibrated behaviour parameters (Parquet: one column per
dotted scenario key, ``weight`` (importance weights summing to 1) and ``generation``); a batch's
``uncertainty = "posterior"`` draws from it."""

POSTERIOR_COLUMNS = ("weight", "generation", "distance")
"""Columns of a posterior file that are not scenario keys: the importance weight, the
generation and each particle's ABC distance (as ``giftsim calibrate`` writes them)."""
