"""What a policy search is, once its file has been read and checked: the objects the search
engine consumes (:class:`SearchSpec` and its parts). Reading and checking a search file is
:mod:`sim.search.load`'s job; this module holds no file format.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..batch.spec import Uncertainty
from ..experiments.outcomes import Direction
from ..scenario import Scenario

__all__ = ["Lever", "Objective", "Constraint", "RobustnessMeasure", "SearchBudget", "SearchSpec", "SAMPLERS"]

SAMPLERS = ("nsga2", "tpe", "random")
"""Optuna samplers a search may use: NSGA-II (a genetic search, for larger budgets), TPE
(multi-objective tree-structured Parzen estimator, for small budgets) and random search
(a baseline)."""


@dataclass(frozen=True)
class Lever:
    """One policy key the search chooses.

    Attributes
    ----------
    key : str
        Dotted scenario key of a policy (``policy.commercial_share``,
        ``policy.allocation.rule``, ``merchants.max_admissions_per_week``).
    kind : {"range", "choice"}
        A number in ``[low, high]``, or one of ``choices``.
    low, high : float or None
        A range's bounds (low < high); None for a choice.
    integer : bool
        A range of whole numbers.
    log : bool
        A range searched on a log scale (low > 0).
    choices : tuple
        A choice's values (str, bool, int or float), at least two, distinct; empty for a range.
    when : tuple of (str, value)
        The lever applies only to trials where each named lever has that value (e.g. an
        allocation rule's parameter only under that rule); empty: always.
    """

    key: str
    kind: Literal["range", "choice"]
    low: float | None = None
    high: float | None = None
    integer: bool = False
    log: bool = False
    choices: tuple[Any, ...] = ()
    when: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Objective:
    """One run outcome the search maximises or minimises.

    Attributes
    ----------
    outcome : str
        A name of :data:`sim.metrics.RUN_OUTCOMES`.
    direction : Direction
        ``Direction.MAXIMIZE`` or ``Direction.MINIMIZE`` (never INFO).
    """

    outcome: str
    direction: Direction


@dataclass(frozen=True)
class Constraint:
    """A bound a policy must meet on a run outcome's robust value.

    Attributes
    ----------
    outcome : str
        A name of :data:`sim.metrics.RUN_OUTCOMES`.
    low, high : float or None
        ``low <= value <= high``; None: unbounded on that side (not both None).
    """

    outcome: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class RobustnessMeasure:
    """How a policy's values over the uncertainty draws are summarised into one number.

    Attributes
    ----------
    kind : {"mean", "percentile", "regret"}
        ``mean`` over draws; ``percentile``: the value exceeded in (100 - p)% of draws in the
        good direction (the p-th worst percentile: for a maximised outcome the p-th
        percentile, for a minimised one the (100 - p)-th); ``regret``: the largest shortfall
        over draws from the best policy in that draw.
    percentile : float or None
        ``p`` in (0, 100) for ``percentile``; None otherwise.
    """

    kind: Literal["mean", "percentile", "regret"] = "mean"
    percentile: float | None = None


@dataclass(frozen=True)
class SearchBudget:
    """How much the search runs.

    Attributes
    ----------
    sampler : str
        One of :data:`SAMPLERS`.
    population : int
        Trials per generation (>= 1); a generation's trials are asked together and run
        in parallel.
    generations : int
        Generations (>= 1); trials = population x generations.
    replicates : int
        Runs per trial per uncertainty draw (>= 1).
    final_replicates : int
        Runs per draw when the Pareto set is re-evaluated at the end (>= 1).
    """

    sampler: str = "nsga2"
    population: int = 16
    generations: int = 10
    replicates: int = 2
    final_replicates: int = 8


@dataclass(frozen=True)
class SearchSpec:
    """A checked search file.

    Attributes
    ----------
    name : str
        Results go to ``results/<name>/`` unless told otherwise.
    description : str
    path : Path
        The search file (for messages and the manifest).
    scenario : Scenario
        The base scenario the levers are set on.
    seed : int
        Master seed (>= 0): run seeds, uncertainty draws and the sampler's seeds derive from it.
    levers : tuple of Lever
    objectives : tuple of Objective
        At least one.
    constraints : tuple of Constraint
    uncertainty : sim.batch.spec.Uncertainty or None
        Draws from a posterior or a Latin hypercube over ranges; None: the base values only
        (one draw).
    robustness : RobustnessMeasure
    budget : SearchBudget
    base_path : Path or None
        The base scenario file (for the manifest and for opening a policy in the explorer);
        None: the search file's ``base`` key, resolved beside it.
    """

    name: str
    description: str
    path: Path
    scenario: Scenario
    seed: int
    levers: tuple[Lever, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()
    uncertainty: Uncertainty | None = None
    robustness: RobustnessMeasure = RobustnessMeasure()
    budget: SearchBudget = SearchBudget()
    base_path: Path | None = None
