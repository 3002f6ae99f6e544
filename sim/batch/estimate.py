"""What a batch will cost, estimated before it runs from one measured run of its first point."""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..model import make_model
from ..results import write_run
from ..runner import collect, run
from ..scenario import Scenario, with_overrides

__all__ = ["RunCost", "measure_run_cost", "runs_left"]

SHORT_DAYS = 7
"""The first measured run's horizon (days)."""

FULL_BUDGET_SECONDS = 5.0
"""The full horizon is measured when the short run suggests it takes at most this long;
otherwise the run is measured from its start for this long and the rest extrapolated."""


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


def _budgeted_run(scenario: Scenario, seed: int, budget: float) -> tuple[float, int, int]:
    """Run ``scenario`` from its first step until it ends or ``budget`` seconds have passed,
    and write it (partly run, if so) into a temporary folder.

    Returns (seconds, bytes, days done): for a run cut short, the seconds are those spent
    plus the steps left at the mean pace of the last quarter of the steps done (later
    steps cost more than the first ones: the rollout grows, gifts accumulate), plus the
    time it took to write the partial run.
    """
    start = time.perf_counter()
    model = make_model(scenario, seed=seed)
    stamps = []
    while model.running and (not stamps or stamps[-1] - start <= budget):
        model.step()
        stamps.append(time.perf_counter())
    done = model.step_index
    left = model.n_steps - done
    with tempfile.TemporaryDirectory(prefix="giftsim-estimate-") as tmp:
        before = time.perf_counter()
        folder = write_run(collect(model), Path(tmp) / "run")
        write_seconds = time.perf_counter() - before
        size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
    seconds = stamps[-1] - start + write_seconds
    if left:
        tail = max(1, done // 4)
        pace = (stamps[-1] - stamps[-1 - tail]) / tail if done > tail else (stamps[-1] - start) / done
        seconds += pace * left
    return seconds, size, math.ceil(done / model.steps_per_day)


def measure_run_cost(scenario: Scenario, seed: int = 0) -> RunCost:
    """Run ``scenario`` for :data:`SHORT_DAYS` days (into a temporary folder, removed
    after); run its full horizon too when that looks cheap (at most
    :data:`FULL_BUDGET_SECONDS`), else run it from the start for at most
    :data:`FULL_BUDGET_SECONDS` and extrapolate the time from the pace of its last steps,
    the size linearly in days from the two runs.

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
    if d1 == days:
        return RunCost(t1, b1, days, (d1,))
    if t1 * days / d1 <= FULL_BUDGET_SECONDS:
        t, b = _timed_run(scenario, days, seed)
        return RunCost(t, b, days, (d1, days))
    t2, b2, d2 = _budgeted_run(scenario, seed, FULL_BUDGET_SECONDS)
    if d2 >= days:
        return RunCost(t2, b2, days, (d1, days))
    per_day_b = max(0.0, (b2 - b1) / (d2 - d1)) if d2 > d1 else b2 / d2
    return RunCost(t2, int(b2 + per_day_b * (days - d2)), days, (d1, d2))


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
