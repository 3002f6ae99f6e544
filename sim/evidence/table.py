"""The evidence table: each figure of :data:`sim.evidence.targets.EVIDENCE` against the
model's value, pooled over replicates of the figure's shipped scenario.

Each scenario runs once per seed (seeds ``0 .. replicates - 1``) for all its figures; a
figure's value is the pooled ratio of sums (:func:`sim.evidence.quantities.pooled`) and
its range the smallest and largest per-replicate values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from . import quantities as q
from .targets import EVIDENCE, Evidence

__all__ = ["SCENARIOS_DIR", "TABLE_COLUMNS", "evidence_table", "figure_names", "table_from_results"]

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The shipped scenarios the figures apply to (``Evidence.scenario`` names a file here)."""

TABLE_COLUMNS = ("name", "figure", "quantity", "scenario", "replicates", "value", "low", "high",
                 "band_low", "band_high", "target", "inside", "source")
"""Columns of :func:`evidence_table`: ``value`` the pooled model value; ``low``/``high`` the
smallest and largest per-replicate values (NaN where a replicate's quantity is undefined
are skipped); ``band_low``/``band_high`` the band; ``target`` the published point value (NaN
for a band only); ``inside`` whether ``value`` lies in the band."""


def figure_names(names: Sequence[str] | None = None) -> list[str]:
    """The figures of :data:`EVIDENCE`, all of them or ``names`` after checking each.

    Raises
    ------
    ValueError
        For a name that is not a figure; the message lists the figures.
    """
    if names is None:
        return list(EVIDENCE)
    out = list(names)
    for n in out:
        if n not in EVIDENCE:
            raise ValueError(f"unknown evidence figure {n!r}; allowed: {', '.join(EVIDENCE)}")
    return out


def table_from_results(results: dict[str, Sequence], names: Sequence[str] | None = None) -> pd.DataFrame:
    """The evidence table of ``names`` (default: all) from runs already made.

    Parameters
    ----------
    results : dict of str to sequence of RunResult
        Replicates by scenario file name (``Evidence.scenario``); every named figure's
        scenario must be present (KeyError otherwise).

    Returns
    -------
    pandas.DataFrame
        One row per figure, columns :data:`TABLE_COLUMNS`.
    """
    rows = []
    for name in figure_names(names):
        ev: Evidence = EVIDENCE[name]
        runs = results[ev.scenario]
        parts = [ev.parts(r) for r in runs]
        value = q.pooled(parts)
        per_run = pd.Series([q.pooled([p]) for p in parts], dtype=float)
        rows.append({"name": name, "figure": ev.figure, "quantity": ev.quantity, "scenario": ev.scenario,
                     "replicates": len(runs), "value": value, "low": per_run.min(), "high": per_run.max(),
                     "band_low": ev.band[0], "band_high": ev.band[1],
                     "target": float("nan") if ev.value is None else ev.value,
                     "inside": ev.inside(value), "source": ev.source})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def evidence_table(replicates: int = 4, names: Sequence[str] | None = None, *,
                   scenarios_dir: Path = SCENARIOS_DIR,
                   progress: Callable[[str, int], None] | None = None) -> pd.DataFrame:
    """Run each named figure's scenario ``replicates`` times (seeds 0 ..
    ``replicates - 1``) and return :func:`table_from_results`.

    Parameters
    ----------
    replicates : int
        Runs per scenario, >= 1.
    names : sequence of str, optional
        Figures to compute (default: all of :data:`EVIDENCE`).
    progress : callable, optional
        Called with (scenario file name, seed) before each run.

    Raises
    ------
    ValueError
        If ``replicates`` < 1 or a name is not a figure.
    """
    from ..runner import run

    if isinstance(replicates, bool) or not isinstance(replicates, int) or replicates < 1:
        raise ValueError(f"replicates must be an integer >= 1, got {replicates!r}")
    chosen = figure_names(names)
    results: dict[str, list] = {}
    for scenario in dict.fromkeys(EVIDENCE[n].scenario for n in chosen):
        results[scenario] = []
        for seed in range(replicates):
            if progress is not None:
                progress(scenario, seed)
            results[scenario].append(run(scenarios_dir / scenario, seed=seed))
    return table_from_results(results, chosen)
