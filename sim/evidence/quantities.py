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
    "group_send_back_parts",
    "festival_steps",
    "festival_participation",
    "envelopes_per_participant_parts",
    "participant_share_parts",
    "push_day_jump_parts",
    "brand_share_last_year_parts",
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


def group_send_back_parts(result) -> tuple[float, float]:
    """Yuan et al.'s RMB sent back to the group per RMB claimed from it (arXiv 1906.09698),
    pooled by RMB claimed: (summary ``group_send_back_per_rmb`` x RMB claimed, RMB claimed),
    RMB claimed being the price of the group units that found a claimer (``group >= 0`` and
    ``recipient >= 0`` in ``result.gifts``). A run without group claims adds (0, 0)."""
    g = result.gifts
    claimed = float(g["price"].to_numpy()[(g["group"].to_numpy() >= 0) & (g["recipient"].to_numpy() >= 0)].sum())
    per_rmb = float(result.summary["group_send_back_per_rmb"])
    if claimed <= 0 or not math.isfinite(per_rmb):
        return 0.0, 0.0
    return per_rmb * claimed, claimed


def festival_steps(scenario, days: int = 10) -> tuple[int, int] | None:
    """Steps ``[first, stop)`` of the ``days`` days from the eve of the run's first Spring
    Festival (the 2014 reports' "about ten days": New Year's eve to the eighth day), cut to
    the run; None if the run has no Spring Festival."""
    t = scenario.time
    day = spring_festival_in(t.start, t.end)
    if day is None:
        return None
    first = max((day - dt.timedelta(days=1) - t.start).days, 0)
    stop = min(first + days, t.days)
    return first * t.steps_per_day, stop * t.steps_per_day


def festival_participation(result, days: int = 10) -> tuple[int, int] | None:
    """(envelopes claimed, participants) over :func:`festival_steps`: gifts accepted in the
    window (each claimed share of a group red envelope counts as one envelope received, as
    the reports count envelopes received), and the users who sent a gift or had one
    accepted in the window. None without a Spring Festival."""
    steps = festival_steps(result.scenario, days)
    if steps is None:
        return None
    lo, hi = steps
    g = result.gifts
    sent, settled = g["step_sent"].to_numpy(), g["step_settled"].to_numpy()
    accepted = (g["outcome"].astype(str).to_numpy() == "accepted") & (settled >= lo) & (settled < hi)
    senders = g["sender"].to_numpy()[(sent >= lo) & (sent < hi)]
    participants = np.union1d(senders, g["recipient"].to_numpy()[accepted])
    return int(accepted.sum()), int(participants.size)


def envelopes_per_participant_parts(result) -> tuple[float, float]:
    """Red envelopes received per participating user over the ten days from Spring Festival
    eve (2014: more than 40 million envelopes, more than 8 million users): (envelopes
    claimed, participants) of :func:`festival_participation`; (0, 0) without a festival."""
    p = festival_participation(result)
    return (0.0, 0.0) if p is None else (float(p[0]), float(p[1]))


def participant_share_parts(result) -> tuple[float, float]:
    """Participants of :func:`festival_participation` over all users (2014: "a few percent
    of the users of the time"); (0, 0) without a festival."""
    p = festival_participation(result)
    return (0.0, 0.0) if p is None else (float(p[1]), float(result.summary["users"]))


def push_day_jump_parts(result, days_before: int = 7) -> tuple[float, float]:
    """The jump on the day of the run's first dated push campaign (``policy.push.events``;
    2015: the gala "shake" on Spring Festival eve): (gifts sent that day x ``days_before``,
    gifts sent over the ``days_before`` days before), so the pooled ratio is the day over
    the mean day before it. (0, 0) without a push event with ``days_before`` days of run
    before it."""
    sc = result.scenario
    events = sorted(e.date for e in sc.policy.push.events if sc.time.start <= e.date <= sc.time.end)
    if not events or (events[0] - sc.time.start).days < days_before:
        return 0.0, 0.0
    dates = pd.to_datetime(result.series["date"]).dt.date.to_numpy()
    sent = result.series["gifts_sent"].to_numpy()
    before = (dates >= events[0] - dt.timedelta(days=days_before)) & (dates < events[0])
    return float(sent[dates == events[0]].sum()) * days_before, float(sent[before].sum())


def brand_share_last_year_parts(result, days: int = 365) -> tuple[float, float]:
    """Brands' GMV over all GMV in the run's last ``days`` days (whole run if shorter): the
    value of accepted product gifts (``merchant >= 0``) settled then, brands being the kinds
    of segment ``brand`` (:meth:`sim.scenario.schema.MerchantConfig.segment_codes`)."""
    sc, g, m = result.scenario, result.gifts, result.merchants
    spd = sc.time.steps_per_day
    first = max(sc.time.days - days, 0) * spd
    brands = [sc.merchants.kind_names[c] for c in sc.merchants.segment_codes("brand")]
    is_brand = np.zeros(int(m["merchant"].max()) + 1 if len(m) else 0, dtype=bool)
    is_brand[m["merchant"].to_numpy()] = m["kind"].astype(str).isin(brands).to_numpy()
    merchant = g["merchant"].to_numpy()
    keep = ((g["outcome"].astype(str).to_numpy() == "accepted") & (merchant >= 0)
            & (g["step_settled"].to_numpy() >= first))
    price, merchant = g["price"].to_numpy()[keep], merchant[keep]
    return float(price[is_brand[merchant]].sum()), float(price.sum())


def weighted_quantile(values, weights, q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` under ``weights`` (the inverse of the weighted
    CDF: the smallest value whose cumulative weight reaches ``q`` of the total).

    Raises
    ------
    ValueError
        If ``values`` is empty or the lengths differ.
    """
    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    if v.size == 0 or v.shape != w.shape:
        raise ValueError(f"weighted_quantile: {v.size} values and {w.size} weights; allowed: as many, at least one")
    order = np.argsort(v, kind="stable")
    cw = np.cumsum(w[order])
    return float(v[order][min(int(np.searchsorted(cw, q * cw[-1])), len(v) - 1)])
