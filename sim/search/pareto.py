"""Pareto fronts of a policy search: non-dominated sorting with constraints, the normalised
hypervolume of a front, and the statistics of the Pareto set's re-evaluation (intervals and
the flags of policies whose place on the front is within the noise).

Every function works on values in *minimisation form* (:func:`minimisation_form`: a
maximised objective's sign flipped), shape (points, objectives).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..experiments.outcomes import Direction

__all__ = ["minimisation_form", "dominates", "constrained_ranks", "front_mask", "hypervolume",
           "normalised_hypervolume", "interval", "significantly_worse", "noise_peers"]


def minimisation_form(values: np.ndarray, directions: Sequence[Direction]) -> np.ndarray:
    """``values`` (float64, shape (n, k)) with each maximised column negated."""
    sign = np.array([-1.0 if d is Direction.MAXIMIZE else 1.0 for d in directions])
    return np.asarray(values, dtype=np.float64) * sign[None, :]


def dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether ``a`` dominates ``b`` (minimisation form, shape (k,)): no worse anywhere, better somewhere."""
    return bool(np.all(a <= b) and np.any(a < b))


def _constrained_dominates(va: np.ndarray, ca: float, vb: np.ndarray, cb: float) -> bool:
    """Deb's rule: a feasible point beats an infeasible one; two infeasible ones by their total
    violation; two feasible ones by Pareto dominance."""
    if ca <= 0 < cb:
        return True
    if ca > 0 or cb > 0:
        return ca > 0 and cb > 0 and ca < cb
    return dominates(va, vb)


def constrained_ranks(values: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Non-dominated sorting with constraints (Deb et al. 2002): rank 0 is the front, rank 1
    the front of the rest, and so on.

    Parameters
    ----------
    values : ndarray of float64, shape (n, k)
        Minimisation form. A row with a NaN is ranked last (-1 is never given).
    violation : ndarray of float64, shape (n,)
        Total constraint violation (<= 0: feasible).

    Returns
    -------
    ndarray of int64, shape (n,)
    """
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    viol = np.maximum(np.asarray(violation, dtype=np.float64), 0.0)
    bad = np.isnan(values).any(axis=1) if n else np.zeros(0, bool)
    ranks = np.full(n, -1, dtype=np.int64)
    left = [i for i in range(n) if not bad[i]]
    rank = 0
    while left:
        front = [i for i in left if not any(_constrained_dominates(values[j], viol[j], values[i], viol[i])
                                             for j in left if j != i)]
        ranks[front] = rank
        left = [i for i in left if ranks[i] < 0]
        rank += 1
    ranks[bad] = rank
    return ranks


def front_mask(values: np.ndarray, feasible: np.ndarray) -> np.ndarray:
    """The non-dominated feasible points: feasible, no NaN, dominated by no other such point.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    values = np.asarray(values, dtype=np.float64)
    ok = np.asarray(feasible, dtype=bool) & ~np.isnan(values).any(axis=1)
    idx = np.flatnonzero(ok)
    out = np.zeros(len(values), dtype=bool)
    for i in idx:
        out[i] = not any(dominates(values[j], values[i]) for j in idx if j != i)
    return out


def hypervolume(points: np.ndarray, reference: np.ndarray) -> float:
    """Exact hypervolume dominated by ``points`` and bounded by ``reference`` (minimisation
    form; points not below the reference on every objective add nothing): a sweep in 2-D,
    slicing along the last objective above that.

    Parameters
    ----------
    points : ndarray of float64, shape (n, k), k >= 1
    reference : ndarray of float64, shape (k,)

    Returns
    -------
    float
        0.0 for no point.
    """
    pts = np.asarray(points, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64)
    pts = pts[np.all(pts < ref, axis=1)] if len(pts) else pts.reshape(0, len(ref))
    if not len(pts):
        return 0.0
    if len(ref) == 1:
        return float(ref[0] - pts[:, 0].min())
    if len(ref) == 2:
        order = np.lexsort((pts[:, 1], pts[:, 0]))
        total, best = 0.0, ref[1]
        for x, y in pts[order]:
            if y < best:
                total += (ref[0] - x) * (best - y)
                best = y
        return float(total)
    order = np.argsort(pts[:, -1], kind="stable")
    pts = pts[order]
    total = 0.0
    for i in range(len(pts)):
        top = pts[i + 1, -1] if i + 1 < len(pts) else ref[-1]
        if top > pts[i, -1]:
            total += hypervolume(pts[: i + 1, :-1], ref[:-1]) * (top - pts[i, -1])
    return float(total)


def normalised_hypervolume(front: np.ndarray, low: np.ndarray, high: np.ndarray, margin: float = 0.1) -> float:
    """Hypervolume of ``front`` after scaling each objective from [low, high] to [0, 1],
    with the reference point at 1 + margin, divided by (1 + margin) ** k so it is in [0, 1].

    Parameters
    ----------
    front : ndarray of float64, shape (n, k)
        Minimisation form.
    low, high : ndarray of float64, shape (k,)
        The scale (e.g. the best and worst feasible value of each objective over all
        trials); an objective with high == low is scaled by 1.

    Returns
    -------
    float
        NaN for an empty front.
    """
    front = np.asarray(front, dtype=np.float64)
    if not len(front):
        return math.nan
    low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
    span = np.where(high > low, high - low, 1.0)
    k = front.shape[1]
    ref = np.full(k, 1.0 + margin)
    return hypervolume((front - low) / span, ref) / float(np.prod(ref))


def interval(units: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval of the mean of ``units`` (float64, shape (n,)),
    ignoring NaN; (mean, NaN, NaN) with fewer than two values."""
    from scipy.stats import t

    x = np.asarray(units, dtype=np.float64)
    x = x[~np.isnan(x)]
    if not len(x):
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return m, m - half, m + half


def significantly_worse(b: np.ndarray, a: np.ndarray) -> bool:
    """Whether ``b`` is significantly worse than ``a`` (minimisation form, paired units of
    shape (n,): the same draws and seeds): the 95% interval of mean(b - a) lies above 0."""
    _, lo, _ = interval(np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64))
    return bool(lo > 0)


def noise_peers(units: np.ndarray) -> list[list[int]]:
    """For each policy, the others that are nowhere significantly worse than it: its place on
    the front is not resolved by the noise when the list is not empty.

    Parameters
    ----------
    units : ndarray of float64, shape (policies, n, k)
        Minimisation form; unit ``i`` (a draw x replicate) paired across policies.

    Returns
    -------
    list of list of int
        Indices into the policies axis, ascending.
    """
    units = np.asarray(units, dtype=np.float64)
    p, _, k = units.shape
    out: list[list[int]] = []
    for a in range(p):
        out.append([b for b in range(p) if b != a
                    and not any(significantly_worse(units[b, :, j], units[a, :, j]) for j in range(k))])
    return out
