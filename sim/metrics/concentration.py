"""Concentration of GMV across merchants: HHI, Gini, top-k share and the Lorenz curve.

Without a positive total (no values, or all zero) there are no shares: HHI, Gini and
top-k share are undefined and return NaN (``float("nan")``), never 0, so that a run
without sales does not read as perfectly unconcentrated."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["hhi", "gini", "top_k_share", "lorenz_curve"]


def _checked(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {v.shape}")
    if np.any(v < 0) or not np.all(np.isfinite(v)):
        raise ValueError("values must be finite and >= 0")
    return v


def _shares(values: np.ndarray) -> np.ndarray | None:
    v = _checked(values)
    total = v.sum()
    return None if total <= 0 else v / total


def hhi(values: np.ndarray) -> float:
    """Herfindahl-Hirschman index: sum of squared shares, in [1/n, 1].

    Parameters
    ----------
    values : ndarray of float, shape (n,)
        Non-negative amounts (e.g. GMV per merchant, RMB).

    Returns
    -------
    float
        NaN if the values sum to 0 (all zero, or none): shares are undefined.

    Raises
    ------
    ValueError
        If a value is negative or not finite, or ``values`` is not one-dimensional.
    """
    s = _shares(values)
    return math.nan if s is None else float(np.sum(s * s))


def gini(values: np.ndarray) -> float:
    """Gini coefficient in [0, 1 - 1/n] (0 if all equal and positive; NaN if the values
    sum to 0, all zero or none). Same input and errors as :func:`hhi`.

    Uses G = sum_i (2 i - n - 1) x_(i) / (n sum x) over the ascending order statistics.
    """
    v = np.sort(np.asarray(values, dtype=np.float64))
    if _shares(v) is None:
        return math.nan
    n = v.size
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * v) / (n * v.sum()))


def top_k_share(values: np.ndarray, k: int = 10) -> float:
    """Share of the total held by the ``k`` largest values, in [0, 1] (NaN if the values
    sum to 0, all zero or none). Same input and errors as :func:`hhi`; besides,
    ``ValueError`` if ``k`` < 1."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    s = _shares(values)
    if s is None:
        return math.nan
    return float(np.sort(s)[::-1][:k].sum())


def lorenz_curve(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lorenz curve points (share of merchants, share of the total), both float64 of
    shape (n + 1,), starting at (0, 0) and ending at (1, 1) (the line of equality if the
    values sum to 0). Same input and errors as :func:`hhi`."""
    v = np.sort(_checked(values))
    n = v.size
    x = np.linspace(0.0, 1.0, n + 1)
    total = v.sum()
    y = np.r_[0.0, np.cumsum(v) / total] if total > 0 else x.copy()
    return x, y
