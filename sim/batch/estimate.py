"""What a batch will cost, estimated before it runs from one measured run of its first point."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..results import write_run
from ..runner import run
from ..scenario import Scenario, with_overrides

__all__ = ["RunCost", "measure_run_cost", "runs_left"]

SHORT_DAYS = 7
"""The first measured run's horizon (days)."""

FULL_BUDGET_SECONDS = 5.0
"""The full horizon is measured when the short run suggests it takes at most this long;
otherwise it is extrapolated from two short runs."""


@dataclass(frozen=True)
class RunCost:
    """The cost of one run of a scenario, measured or extrapolated.

    Attributes
    ----------
    seconds : float
        Wall time of one run (simulation and writing its folder), seconds.
    bytes : int
        Size of its run folder on disk, bytes.
    days : int
        The scenario's horizon.
    measured_days : tuple of int
        The horizons actually run (the last equal to ``days`` when measured in full).
    """

    seconds: float
    bytes: int
    days: int
    measured_days: tuple[int, ...]

    @property
    def extrapolated(self) -> bool:
        """Whether the full-horizon cost was extrapolated from shorter measured runs."""
        return self.measured_days[-1] != self.days


def _timed_run(scenario: Scenario, days: int, seed: int) -> tuple[float, int]:
    if days != scenario.time.days:
        scenario = with_overrides(scenario, [("time.end", scenario.time.start + dt.timedelta(days=days - 1))],
                                  source="cost estimate")
    with tempfile.TemporaryDirectory(prefix="giftsim-estimate-") as tmp:
        start = time.perf_counter()
        folder = write_run(run(scenario, seed), Path(tmp) / "run")
        seconds = time.perf_counter() - start
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    return seconds, size


def measure_run_cost(scenario: Scenario, seed: int = 0) -> RunCost:
    """Run ``scenario`` for :data:`SHORT_DAYS` days (into a temporary folder, removed
    after), then for three times as long, and so on, while the runs measured so far and
    the next one (about three times the last) fit in :data:`FULL_BUDGET_SECONDS`; the full
    horizon when reached, else time and size extrapolated linearly in days from the last
    two. A long run whose first days are quiet (a staged rollout) is so measured well into
    its busy part: a three-year run is not judged by its first three weeks.

    Returns
    -------
    RunCost

    Raises
    ------
    Exception
        Whatever the run raises (an invalid scenario is refused before: validate first).
    """
    days = scenario.time.days
    d1 = min(days, SHORT_DAYS)
    t1, b1 = _timed_run(scenario, d1, seed)
    measured, spent = [(d1, t1, b1)], t1
    while measured[-1][0] < days:
        d_last, t_last, _ = measured[-1]
        d = min(days, 3 * d_last)
        if len(measured) > 1 and spent + t_last * (d / d_last) > FULL_BUDGET_SECONDS:
            break
        if len(measured) == 1 and d == days and t1 * days / d1 > FULL_BUDGET_SECONDS:
            break  # the first short run already says the full horizon is too long to run
        t, b = _timed_run(scenario, d, seed)
        measured.append((d, t, b))
        spent += t
    horizons = tuple(d for d, _, _ in measured)
    d_n, t_n, b_n = measured[-1]
    if d_n == days:
        return RunCost(t_n, b_n, days, horizons)
    (d_p, t_p, b_p) = measured[-2] if len(measured) > 1 else (0, 0.0, 0)
    per_day_t = max(0.0, (t_n - t_p) / (d_n - d_p))
    per_day_b = max(0.0, (b_n - b_p) / (d_n - d_p))
    return RunCost(t_n + per_day_t * (days - d_n), int(b_n + per_day_b * (days - d_n)), days, horizons)


def runs_left(plan, folder: str | Path) -> np.ndarray:
    """The plan positions of the runs a ``--resume`` in batch folder ``folder`` would run:
    those without a complete folder under ``folder/runs`` (a run id twice in the plan
    counts once), as :func:`sim.batch.run_batch` decides. Every run when ``folder`` holds
    no plan yet (the batch starts afresh there). Reads the folder; changes nothing.

    Parameters
    ----------
    plan : sim.batch.Plan
    folder : path-like
        The batch folder (``--out``, default ``results/<batch name>``).

    Returns
    -------
    ndarray of int64, shape (n_left,)
        Run positions in the plan (point-major), ascending.
    """
    from .runner import _runs_to_do

    folder = Path(folder)
    if not (folder / "plan.json").is_file():
        return np.arange(plan.n_runs, dtype=np.int64)
    return _runs_to_do(plan, folder / "runs")[0]
