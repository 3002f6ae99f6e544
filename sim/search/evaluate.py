"""A policy's runs: its lever values on the base scenario, under each uncertainty draw, times
replicates, as single-run tasks for an evaluator.

Run (draw d, replicate r) has the seed ``run_seed(seed, d, r)`` in every trial (common random
numbers: two policies are compared on the same draws and the same random streams). A worker
returns only the objective and constraint outcomes of its run, never a run folder.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..batch.uncertainty import Draws, draws_of
from ..experiments.evaluators import Evaluator, map_ordered
from ..experiments.seeds import run_seed
from ..scenario import Scenario, is_integer_field, schema_field, with_overrides
from .spec import Lever, SearchSpec

__all__ = ["Simulate", "RunTask", "run_summary", "execute", "applies", "search_draws", "draw_overrides",
           "trial_tasks", "evaluate_trials", "outcome_names"]

Simulate = Callable[[Scenario, int], Mapping[str, Any]]
"""A run: ``simulate(scenario, seed)`` -> the run's outcomes by name (giftsim's run summary by
default, :func:`run_summary`); it must be picklable (a module-level function) for evaluators
that use other processes."""


def run_summary(scenario: Scenario, seed: int) -> dict[str, Any]:
    """The run summary of giftsim (:data:`sim.metrics.RUN_OUTCOMES`) of one run of ``scenario``."""
    from ..runner import run

    return run(scenario, seed).summary


@dataclass(frozen=True)
class RunTask:
    """One run of one trial (picklable).

    Attributes
    ----------
    trial, draw, replicate : int
        Where the run belongs: the Optuna trial number, the uncertainty draw, the replicate.
    base : Scenario
    overrides : tuple of (str, value)
        The trial's lever values then the draw's values, as dotted keys.
    seed : int
        ``run_seed(search seed, draw, replicate)``.
    outcomes : tuple of str
        The outcomes to return, in order.
    simulate : Simulate or None
        None: :func:`run_summary`.
    """

    trial: int
    draw: int
    replicate: int
    base: Scenario
    overrides: tuple[tuple[str, Any], ...]
    seed: int
    outcomes: tuple[str, ...]
    simulate: Simulate | None = None


def _number(value: Any) -> float:
    """An outcome value as float64 (None and non-numbers: NaN, undefined in that run)."""
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, int | float) else math.nan


def execute(task: RunTask) -> tuple[tuple[float, ...], float]:
    """Run one task.

    Returns
    -------
    values : tuple of float
        ``task.outcomes``' values in this run (NaN where undefined).
    seconds : float
        Wall time of the run, including setting the scenario's keys.

    Raises
    ------
    ScenarioError
        If the lever and draw values do not make a valid scenario.
    """
    start = time.perf_counter()
    scenario = with_overrides(task.base, task.overrides, source="search") if task.overrides else task.base
    summary = (task.simulate or run_summary)(scenario, task.seed)
    return tuple(_number(summary.get(o)) for o in task.outcomes), time.perf_counter() - start


def applies(lever: Lever, values: Mapping[str, Any]) -> bool:
    """Whether ``lever`` applies given the values already chosen (each of its ``when``
    levers has that value; a lever that did not apply has none)."""
    return all(k in values and values[k] == v for k, v in lever.when)


def outcome_names(spec: SearchSpec) -> tuple[str, ...]:
    """The outcomes a trial's runs return: the objectives', then the constraints' not
    already among them, in order."""
    out = [o.outcome for o in spec.objectives]
    out += [c.outcome for c in spec.constraints if c.outcome not in out]
    return tuple(dict.fromkeys(out))


def search_draws(spec: SearchSpec) -> Draws | None:
    """The search's uncertainty draws (posterior rows or a Latin hypercube, from the search
    seed's uncertainty stream, as a batch's), or None without uncertainty (one draw: the
    base values).

    Raises
    ------
    ScenarioError
        A missing or malformed posterior file (naming the file).
    """
    u = spec.uncertainty
    if u is None:
        return None
    raw = spec.scenario.model_dump(mode="python", by_alias=True)
    ranges = dict(u.ranges or {})
    integer = {k for k in ranges if (f := schema_field(k, raw)) is not None and is_integer_field(f)}
    return draws_of(u, spec.seed, Path(spec.path).parent, str(spec.path), integer)


def draw_overrides(spec: SearchSpec, draws: Draws | None) -> list[tuple[tuple[str, Any], ...]]:
    """Each draw's dotted keys and values (one empty tuple without draws); integer keys
    rounded to int."""
    if draws is None:
        return [()]
    raw = spec.scenario.model_dump(mode="python", by_alias=True)
    integer = [(f := schema_field(k, raw)) is not None and is_integer_field(f) for k in draws.keys]
    return [tuple((k, int(round(x)) if i else float(x)) for k, x, i in zip(draws.keys, row, integer))
            for row in draws.values]


def trial_tasks(spec: SearchSpec, trial: int, levers: Mapping[str, Any], draws: Sequence[tuple],
                replicates: Sequence[int], simulate: Simulate | None = None) -> list[RunTask]:
    """The runs of one trial: every draw x every replicate index, draw-major.

    Parameters
    ----------
    levers : mapping
        The trial's lever values (only the levers that apply).
    draws : sequence of override tuples
        :func:`draw_overrides`.
    replicates : sequence of int
        Replicate indices (``range(R)`` in the search, fresh ones after it when re-evaluating).
    """
    pairs = tuple((lev.key, levers[lev.key]) for lev in spec.levers if lev.key in levers)
    outcomes = outcome_names(spec)
    return [RunTask(trial, d, r, spec.scenario, pairs + tuple(over), run_seed(spec.seed, d, r), outcomes, simulate)
            for d, over in enumerate(draws) for r in replicates]


def evaluate_trials(evaluator: Evaluator, tasks: list[RunTask], n_draws: int,
                    n_replicates: int) -> tuple[dict[int, np.ndarray], dict[int, float]]:
    """Run ``tasks`` (several trials' :func:`trial_tasks`, concatenated) through the evaluator.

    Returns
    -------
    values : dict trial -> ndarray of float64, shape (n_draws, n_replicates, outcomes)
        Each run's outcome values (replicate axis from the tasks' lowest replicate index),
        whatever order the runs finished in.
    seconds : dict trial -> float
        Wall time of the trial's runs, summed.
    """
    results = map_ordered(evaluator, execute, tasks)
    n_out = len(tasks[0].outcomes) if tasks else 0
    first = min((t.replicate for t in tasks), default=0)
    values: dict[int, np.ndarray] = {}
    seconds: dict[int, float] = {}
    for task, (vals, secs) in zip(tasks, results, strict=True):
        arr = values.setdefault(task.trial, np.full((n_draws, n_replicates, n_out), np.nan))
        arr[task.draw, task.replicate - first] = vals
        seconds[task.trial] = seconds.get(task.trial, 0.0) + secs
    return values, seconds
