"""Summaries of an ABC posterior: weighted quantiles, and per parameter its median, 90%
interval and whether it piles up at a bound of its prior."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..evidence.quantities import weighted_quantile

__all__ = ["weighted_quantile", "posterior_summary", "EDGE_SHARE", "PILE_UP_SHARE"]

EDGE_SHARE = 0.05
"""The outer part of a prior's range (in the prior's own scale: logarithmic for a loguniform
prior) where the posterior's mass is measured."""

PILE_UP_SHARE = 0.25
"""A parameter piles up at a bound when the posterior puts more than this weight in that
bound's outer :data:`EDGE_SHARE` of the range (the prior puts 0.05 there): the best values
may lie beyond the bound."""


def _position(x: np.ndarray, lo: float, hi: float, log: bool) -> np.ndarray:
    """Where ``x`` lies in [lo, hi] (0..1), in the prior's scale."""
    if log and lo > 0:
        return (np.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return (x - lo) / (hi - lo)


def posterior_summary(posterior: pd.DataFrame, parameters: Mapping[str, tuple[float, float]],
                      priors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per parameter: ``parameter``, ``median``, ``lo`` and ``hi`` (weighted 5% and 95%),
    ``low`` and ``high`` (the prior's bounds), ``at_bound`` (``"low"``, ``"high"`` or ``""``:
    see :data:`PILE_UP_SHARE`).

    Parameters
    ----------
    posterior : pandas.DataFrame
        A column per key and ``weight``.
    parameters : mapping of str to (low, high)
    priors : mapping of str to str, optional
        ``"loguniform"`` keys are measured on a log scale.
    """
    w = posterior["weight"].to_numpy(float)
    w = w / w.sum()
    rows = []
    for key, (lo, hi) in parameters.items():
        x = posterior[key].to_numpy(float)
        pos = _position(x, lo, hi, (priors or {}).get(key) == "loguniform")
        low_mass, high_mass = float(w[pos <= EDGE_SHARE].sum()), float(w[pos >= 1 - EDGE_SHARE].sum())
        at = "low" if low_mass > PILE_UP_SHARE else "high" if high_mass > PILE_UP_SHARE else ""
        rows.append({"parameter": key, "median": weighted_quantile(x, w, 0.5), "lo": weighted_quantile(x, w, 0.05),
                     "hi": weighted_quantile(x, w, 0.95), "low": float(lo), "high": float(hi), "at_bound": at})
    return pd.DataFrame(rows)
