"""Robust measures: a policy's values over the uncertainty draws summarised into the one
number the sampler is told, and the constraints' values and violations.

Every measure works on per-draw values (each the mean over the draw's replicates): ``mean``
over draws; ``percentile`` p: the p-th worst percentile (for a maximised outcome the p-th
percentile, for a minimised one the (100 - p)-th); ``regret``: the largest shortfall over
draws from a *reference* policy value per draw, always minimised.

The reference of regret is fixed once: the best value in each draw among generation 0's
trials (:func:`regret_reference`), so a value told to the sampler never changes afterwards
(a policy found later that beats the reference in a draw gets a negative shortfall there).
A report may recompute regret against the best of all trials.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..experiments.outcomes import Direction
from .spec import Constraint, RobustnessMeasure

__all__ = ["draw_means", "run_means", "robust_value", "regret_reference", "constraint_value", "violations",
           "told_direction", "INFEASIBLE"]

INFEASIBLE = 1e12
"""Violation recorded for a constraint whose value is undefined (NaN) in a trial."""


def draw_means(runs: np.ndarray) -> np.ndarray:
    """Per-draw means over replicates, ignoring runs where the outcome is undefined.

    Parameters
    ----------
    runs : ndarray of float64, shape (draws, replicates, ...)

    Returns
    -------
    ndarray of float64, shape (draws, ...)
        NaN where the outcome is undefined in every replicate of the draw.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-NaN draw stays NaN
        return np.nanmean(runs, axis=1)


def run_means(runs: np.ndarray) -> np.ndarray:
    """Each outcome's mean over all runs (draws x replicates) where it is defined.

    Parameters
    ----------
    runs : ndarray of float64, shape (draws, replicates, outcomes)

    Returns
    -------
    ndarray of float64, shape (outcomes,)
        NaN where the outcome is undefined in every run.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(runs, axis=(0, 1))


def told_direction(direction: Direction, measure: RobustnessMeasure) -> Direction:
    """The direction of the robust value: the objective's, or MINIMIZE for regret."""
    return Direction.MINIMIZE if measure.kind == "regret" else direction


def regret_reference(draws: np.ndarray, direction: Direction) -> np.ndarray:
    """The best value in each draw over a set of trials (generation 0's).

    Parameters
    ----------
    draws : ndarray of float64, shape (trials, draws)
    direction : Direction

    Returns
    -------
    ndarray of float64, shape (draws,)
        NaN in a draw where every trial's value is NaN.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        best = np.nanmax(draws, axis=0) if direction is Direction.MAXIMIZE else np.nanmin(draws, axis=0)
    return np.asarray(best, dtype=np.float64)


def robust_value(draws: np.ndarray, direction: Direction, measure: RobustnessMeasure,
                 reference: np.ndarray | None = None) -> np.ndarray:
    """Each trial's robust value over its draws.

    Parameters
    ----------
    draws : ndarray of float64, shape (trials, draws)
        Per-draw means (:func:`draw_means`).
    direction : Direction
        MAXIMIZE or MINIMIZE.
    measure : RobustnessMeasure
    reference : ndarray of float64, shape (draws,), optional
        The regret reference (:func:`regret_reference`); required for regret.

    Returns
    -------
    ndarray of float64, shape (trials,)
        NaN where a draw's value is NaN (the outcome undefined in a whole draw).

    Raises
    ------
    ValueError
        Regret without a reference.
    """
    draws = np.asarray(draws, dtype=np.float64)
    if measure.kind == "mean":
        return draws.mean(axis=1)
    if measure.kind == "percentile":
        q = measure.percentile if direction is Direction.MAXIMIZE else 100.0 - measure.percentile
        return np.percentile(draws, q, axis=1)
    if reference is None:
        raise ValueError("regret needs a reference value per draw (the best of generation 0's trials)")
    sign = 1.0 if direction is Direction.MAXIMIZE else -1.0
    return (sign * (np.asarray(reference)[None, :] - draws)).max(axis=1)


def constraint_value(draws: np.ndarray, constraint: Constraint, measure: RobustnessMeasure) -> np.ndarray:
    """A constraint outcome's value per trial: the mean over draws, or with a percentile
    measure p the p-th worst percentile towards the bound (the (100 - p)-th percentile for a
    ``high`` bound, the p-th for a ``low`` one; both bounds: the side nearer its violation).

    Parameters
    ----------
    draws : ndarray of float64, shape (trials, draws)

    Returns
    -------
    ndarray of float64, shape (trials, 2)
        The value checked against ``low`` (column 0) and against ``high`` (column 1).
    """
    draws = np.asarray(draws, dtype=np.float64)
    if measure.kind == "percentile":
        lo = np.percentile(draws, measure.percentile, axis=1)
        hi = np.percentile(draws, 100.0 - measure.percentile, axis=1)
    else:
        lo = hi = draws.mean(axis=1)
    return np.stack([lo, hi], axis=1)


def violations(draws_by_outcome: dict[str, np.ndarray], constraints: tuple[Constraint, ...],
               measure: RobustnessMeasure) -> np.ndarray:
    """How far each trial is from meeting each bound (<= 0: met).

    Parameters
    ----------
    draws_by_outcome : dict outcome -> ndarray of float64, shape (trials, draws)
    constraints : tuple of Constraint

    Returns
    -------
    ndarray of float64, shape (trials, bounds)
        One column per given bound (``low`` then ``high`` of each constraint, in order):
        ``low - value`` or ``value - high``; :data:`INFEASIBLE` where the value is NaN.
    """
    cols = []
    for c in constraints:
        v = constraint_value(draws_by_outcome[c.outcome], c, measure)
        if c.low is not None:
            cols.append(c.low - v[:, 0])
        if c.high is not None:
            cols.append(v[:, 1] - c.high)
    if not cols:
        n = len(next(iter(draws_by_outcome.values()))) if draws_by_outcome else 0
        return np.zeros((n, 0))
    out = np.stack(cols, axis=1)
    return np.where(np.isnan(out), INFEASIBLE, out)
