"""What a worker process does with one run: simulate, write the run folder, report back."""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from typing import Any

from ..results import ResultsError, write_run
from ..runner import run
from ..scenario import Scenario

__all__ = ["RunTask", "RunOutcome", "execute"]


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs for one run (picklable)."""

    scenario: Scenario
    seed: int
    run_id: str
    folder: str
    point: int
    replicate: int
    point_name: str
    condition: int = 0
    """Index in ``plan.conditions`` (0 without conditions)."""
    extra: tuple[tuple[str, Any], ...] = ()
    """More (key, value) pairs for the run's ``manifest.json`` (a condition's draw and values)."""


@dataclass(frozen=True)
class RunOutcome:
    """What a worker sends back: the summary (small), never the run's tables."""

    run_id: str
    point: int
    replicate: int
    status: str  # "ok", "failed" (the run raised) or "unwritable" (its folder could not be written)
    summary: dict[str, Any] | None
    wall_seconds: float
    error: str | None = None
    traceback: str | None = None
    condition: int = 0


def execute(task: RunTask) -> RunOutcome:
    """Run one simulation and write its folder atomically; never raises.

    An exception inside the run is returned as a ``failed`` outcome with its traceback; a
    folder that cannot be written (disk full, permissions) as ``unwritable``. A folder
    that already exists (the same scenario and seed, complete) counts as done.
    """
    start = time.perf_counter()
    try:
        result = run(task.scenario, task.seed)
        try:
            write_run(result, task.folder, extra={
                "batch_point": task.point, "batch_replicate": task.replicate,
                "batch_point_name": task.point_name, **dict(task.extra),
            })
        except FileExistsError:
            pass  # the same content id: an identical run is already stored
        return RunOutcome(task.run_id, task.point, task.replicate, "ok", result.summary,
                          time.perf_counter() - start, condition=task.condition)
    except ResultsError as err:  # the disk, not the run: the batch stops (see run_batch)
        return RunOutcome(task.run_id, task.point, task.replicate, "unwritable", None,
                          time.perf_counter() - start, error=str(err), condition=task.condition)
    except Exception as err:  # the batch goes on; the failure is recorded
        return RunOutcome(task.run_id, task.point, task.replicate, "failed", None,
                          time.perf_counter() - start, error=f"{type(err).__name__}: {err}",
                          traceback=traceback.format_exc(), condition=task.condition)

