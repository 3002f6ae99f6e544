"""Scale-free model quantities that published figures compare to, pooled over replicates.

Every quantity is a ratio of sums: a function of one run giving ``(numerator,
denominator)``, pooled over a point's replicates as sum(numerators) / sum(denominators),
so that a rare event (a conversion, a cascade beyond one step) is weighed by how often it
could happen in each run rather than averaged as a noisy per-run ratio. A pooled value with
a zero denominator is NaN (nothing to compare); a positive numerator over zero is ``inf``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "Parts",
    "pooled",
    "receive_give_parts",
    "pay_forward_parts",
    "recommendation_parts",
    "aware_at_spring_festival_parts",
    "within_one_step_parts",
    "spring_festival_in",
    "summary_ratio_parts",
]

Parts = Callable[[object], tuple[float, float]]
"""A quantity's parts: a function of a :class:`sim.runner.RunResult` giving (numerator,
denominator), both finite and >= 0."""


def pooled(parts: Iterable[tuple[float, float]]) -> float:
    """sum(numerators) / sum(denominators) over runs' ``(numerator, denominator)``.

    Returns
    -------
    float
        NaN if the denominators sum to 0 and the numerators too; ``inf`` for a positive
        numerator over 0.
    """
    num = den = 0.0
    for n, d in parts:
        num += float(n)
        den += float(d)
    if den > 0:
        return num / den
    return math.inf if num > 0 else math.nan


def receive_give_parts(result) -> tuple[float, float]:
    """Kizilcec et al.'s lift (CHI 2018), pooled over replicates by treated cohort size.

    Numerator: the treated users who gave within the window (treated rate x treated users);
    denominator: the givers the control rate predicts for as many users (control rate x
    treated users); see :func:`sim.metrics.lift.receive_give_lift`. A run without a treated
    cohort (or with an undefined control rate) adds (0, 0).
    """
    s = result.summary
    n = float(s["receive_give_treated_users"])
    treated, control = float(s["receive_give_treated_rate"]), float(s["receive_give_control_rate"])
    if n <= 0 or not (math.isfinite(treated) and math.isfinite(control)):
        return 0.0, 0.0
    return treated * n, control * n


def pay_forward_parts(result) -> tuple[float, float]:
    """Gifts paid forward, over gifts paid forward plus gifts sent back to the giver."""
    s = result.summary
    forward, back = float(s["gifts_paid_forward"]), float(s["gifts_sent_back"])
    return forward, forward + back


def recommendation_parts(result) -> tuple[float, float]:
    """Leskovec et al.'s recommendations per purchase (TWeb 2007): gifts, over gifts after
    which the recipient bought the same merchant's product within a week
    (:func:`sim.validation.plausibility.recommendation_conversions`)."""
    from ..validation.plausibility import recommendation_conversions

    gifts, converted = recommendation_conversions(result)
    return float(gifts), float(converted)


def spring_festival_in(start: dt.date, end: dt.date) -> dt.date | None:
    """The first Spring Festival (lunar 1-1) from ``start`` to ``end``, or None."""
    from ..calendar import lunar_to_solar

    for year in range(start.year, end.year + 1):
        day = lunar_to_solar(year, 1, 1)
        if start <= day <= end:
            return day
    return None


def aware_at_spring_festival_parts(result) -> tuple[float, float]:
    """Users aware of the gift feature at the end of the run's first Spring Festival day,
    over all users (the Spring Festival 2025 reports: most users did not know the feature).
    A run without a Spring Festival adds (0, 0)."""
    sc = result.scenario
    day = spring_festival_in(sc.time.start, sc.time.end)
    if day is None:
        return 0.0, 0.0
    dates = pd.to_datetime(result.series["date"]).dt.date.to_numpy()
    rows = np.flatnonzero(dates == day)
    return float(result.series["aware_users"].to_numpy()[rows[-1]]), float(result.summary["users"])


def within_one_step_parts(result) -> tuple[float, float]:
    """Adoption cascades that end within one step of their seed (depth <= 1), over all
    cascades (Goel, Watts & Goldstein, EC 2012)."""
    depth = result.cascades["depth"].to_numpy()
    return float((depth <= 1).sum()), float(depth.size)


def summary_ratio_parts(numerator: str, denominator: str | Sequence[str] | None = None) -> Parts:
    """Parts from summary keys: ``summary[numerator] * w, w`` with weight ``w`` the sum of
    the ``denominator`` keys (1 when None: a plain mean over runs). A NaN numerator adds (0, 0)."""
    keys = [denominator] if isinstance(denominator, str) else list(denominator or [])

    def parts(result) -> tuple[float, float]:
        value = float(result.summary[numerator])
        weight = float(sum(float(result.summary[k]) for k in keys)) if keys else 1.0
        if not math.isfinite(value) or weight <= 0:
            return 0.0, 0.0
        return value * weight, weight

    return parts
