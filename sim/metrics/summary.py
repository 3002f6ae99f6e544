"""The final summary of a run: adoption, gifts, money, cascades and merchant concentration."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from ..model.states import GiftOutcome
from .cascades import cascade_table, restrict
from .concentration import gini, hhi, top_k_share

__all__ = ["adoption_forest", "summarise", "SUMMARY_KEYS", "UNDEFINED_KEYS", "OUTCOME_RANGE",
           "OutcomeInterval", "clip_interval", "outcome_interval"]

SUMMARY_KEYS: dict[str, str] = {
    "users": "users in the social graph",
    "days": "simulated days",
    "aware_share": "share of users who learned of the gift feature, [0, 1]",
    "adoption_share": "share of users who sent at least one gift, [0, 1]",
    "days_to_half_adoption": "spread speed: days until half of the run's senders had sent their first gift; "
                             "NaN without senders",
    "gifts_sent": "gifts bought and sent",
    "gifts_accepted": "gifts accepted",
    "gifts_expired": "gifts expired and refunded",
    "gifts_pending": "gifts still pending at the end",
    "acceptance_rate": "accepted / (accepted + expired), [0, 1]; NaN without a settled gift",
    "gifts_per_visit": ("gifts sent per product-page visit (conversion); gifts sent back or on need "
                        "no visit, so it can exceed 1; NaN without a visit"),
    "gmv_rmb": "GMV: value of accepted product gifts, RMB",
    "cash_rmb": "value of accepted cash gifts (red envelopes), RMB",
    "refunded_rmb": "value of expired gifts refunded, RMB",
    "returns_rmb": "value of returned gifts refunded, RMB",
    "commission_rmb": "platform commission net of returns, RMB",
    "reproduction_number": "R: senders caused per sender (children who sent / senders); NaN without senders",
    "cascades": "adoption cascades (trees of senders)",
    "single_adopter_share": "share of cascades of one sender who converted nobody, [0, 1]; NaN without cascades",
    "beyond_one_step_share": "share of cascades deeper than one step (depth >= 2), [0, 1]; NaN without cascades",
    "mean_cascade_size": "mean senders per cascade; NaN without cascades",
    "largest_cascade": "senders in the largest cascade (0 without cascades)",
    "max_depth": "deepest cascade, in steps (0 without cascades)",
    "structural_virality_largest": "structural virality of the largest cascade (mean distance between its "
                                   "senders, 0 for a lone sender); NaN without cascades",
    "structural_virality_top10": "mean structural virality of the 10 largest cascades; NaN without cascades",
    "hhi": "HHI of GMV across merchants that were on the platform, [0, 1]; NaN without GMV",
    "gini": "Gini of GMV across merchants that were on the platform, [0, 1]; NaN without GMV",
    "top10_share": "share of GMV of the 10 largest merchants, [0, 1]; NaN without GMV",
    "sme_gmv_share": "share of GMV of small and medium merchants, [0, 1]; NaN without GMV",
    "brand_gmv_share": "share of GMV of brands, [0, 1]; NaN without GMV",
    "active_merchants": "merchants on the platform at the end",
    "merchants_joined": "merchants that joined during the run",
    "merchants_left": "merchants that left during the run",
    "stockouts": "purchases lost to an empty stock",
    "muted_share": "share of users who muted, [0, 1]",
}
"""Summary key -> meaning (units in the text). Every value is a float or int. A rate,
share or mean with nothing to divide (no settled gift, no visit, no sender, no cascade,
no GMV) is undefined and reads NaN (``float("nan")``), never 0; the text says when
(:data:`UNDEFINED_KEYS` lists those keys). Counts and money are always defined.
``summary.json`` writes NaN as ``null``."""

UNDEFINED_KEYS: frozenset[str] = frozenset(k for k, text in SUMMARY_KEYS.items() if "NaN" in text)
"""Summary keys that can be NaN (undefined); every other key is always a number."""

OUTCOME_RANGE: dict[str, tuple[float, float]] = {
    k: (0.0, 1.0) if "[0, 1]" in text else (0.0, float("inf")) for k, text in SUMMARY_KEYS.items()
}
"""The values each summary key can take: shares in [0, 1], everything else >= 0."""


class OutcomeInterval(NamedTuple):
    """Mean and two-sided Student-t interval of an outcome over the runs that define it.

    Attributes
    ----------
    mean : float
        Mean of the defined (non-NaN) values; NaN if none.
    lo, hi : float
        Interval bounds, clipped to the outcome's possible values; NaN with fewer than
        two defined values.
    n : int
        Number of defined values (runs in which the outcome is not NaN).
    """

    mean: float
    lo: float
    hi: float
    n: int


def clip_interval(key: str, lo: float, hi: float,
                  ranges: Mapping[str, tuple[float, float]] = OUTCOME_RANGE) -> tuple[float, float]:
    """An interval's bounds clipped to the values ``key`` can take (a t-interval around a
    share near 0 or 1 can cross what is possible); NaN bounds stay NaN.

    Parameters
    ----------
    key : str
        An outcome; keys missing from ``ranges`` are not clipped.
    lo, hi : float
    ranges : mapping of str to (float, float), default :data:`OUTCOME_RANGE`

    Returns
    -------
    (float, float)
    """
    low, high = ranges.get(key, (-math.inf, math.inf))
    return (lo if math.isnan(lo) else max(lo, low), hi if math.isnan(hi) else min(hi, high))


def outcome_interval(values, key: str, level: float = 0.95,
                     ranges: Mapping[str, tuple[float, float]] = OUTCOME_RANGE) -> OutcomeInterval:
    """Mean and Student-t interval of one outcome over runs, using the runs where it is
    defined (NaN values are left out), bounds clipped by :func:`clip_interval`.

    Parameters
    ----------
    values : array-like of float
        The outcome in each run (NaN: undefined in that run).
    key : str
        The outcome (for its range).
    level : float, default 0.95
    ranges : mapping, default :data:`OUTCOME_RANGE`

    Returns
    -------
    OutcomeInterval
        ``n`` counts the defined values; mean NaN when ``n == 0``, bounds NaN when ``n < 2``.
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    n = int(x.size)
    m = float(x.mean()) if n else math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
    lo, hi = clip_interval(key, m - half, m + half, ranges)
    return OutcomeInterval(m, lo, hi, n)


def adoption_forest(parent: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """The cascade forest of senders: each sender's parent is who made them aware.

    Parameters
    ----------
    parent : ndarray of int32, shape (n_users,)
        Awareness parent (-1 for roots and unaware users).
    senders : ndarray of bool, shape (n_users,)

    Returns
    -------
    ndarray of int64, shape (n_users,)
        Parent within the forest (-1 root, -2 not a sender). A sender's awareness
        parent always sent a gift (or an invitation with one), so the set is closed.
    """
    return restrict(parent, senders)


def _half_adoption_days(first_send_step: np.ndarray, steps_per_day: int) -> float:
    """Days from the start until half of the senders had sent (NaN without senders)."""
    if first_send_step.size == 0:
        return float("nan")
    k = int(np.ceil(first_send_step.size / 2)) - 1
    return float((np.partition(first_send_step, k)[k] + 1) / steps_per_day)


def _div(a: float, b: float) -> float:
    """a / b as a float; NaN when there is nothing to divide by (b == 0)."""
    return float(a / b) if b else math.nan


def summarise(model) -> tuple[dict[str, float], pd.DataFrame]:
    """The summary of a finished (or partly run) model, and its cascade table.

    Returns
    -------
    summary : dict of str to float or int
        Keys and meanings in :data:`SUMMARY_KEYS`; the keys of :data:`UNDEFINED_KEYS`
        are NaN when undefined (e.g. ``acceptance_rate`` without a settled gift).
    cascades : pandas.DataFrame
        :func:`sim.metrics.cascades.cascade_table` of the adoption forest.
    """
    pop, mt, led = model.population, model.merchant_table, model.ledger
    rec = model.recorder.columns
    n = pop.n_users
    outcome = led.column("outcome")
    senders = pop.senders
    forest = adoption_forest(pop.parent, senders)
    casc = cascade_table(forest)
    n_senders = int(senders.sum())
    caused = int((forest >= 0).sum())
    ever = mt.joined_step >= 0
    gmv = mt.gmv[ever]
    kinds = mt.kind[ever]
    segment = model.config.merchants.segment_codes  # kind codes of a summary segment (sme, brand)
    total_gmv = float(gmv.sum())
    done = model.step_index
    top = casc.head(10)
    summary = {
        "users": n,
        "days": done / model.steps_per_day,
        "aware_share": _div(pop.aware.sum(), n),
        "adoption_share": _div(n_senders, n),
        "days_to_half_adoption": _half_adoption_days(pop.first_send_step[senders], model.steps_per_day),
        "gifts_sent": len(led),
        "gifts_accepted": int((outcome == GiftOutcome.ACCEPTED).sum()),
        "gifts_expired": int((outcome == GiftOutcome.EXPIRED).sum()),
        "gifts_pending": int((outcome == GiftOutcome.PENDING).sum()),
        "acceptance_rate": _div((outcome == GiftOutcome.ACCEPTED).sum(),
                                (outcome != GiftOutcome.PENDING).sum()),
        "gifts_per_visit": _div(len(led), rec["product_visits"][:done].sum()),
        "gmv_rmb": model.totals["gmv"],
        "cash_rmb": model.totals["cash"],
        "refunded_rmb": model.totals["refunded"],
        "returns_rmb": model.totals["returns"],
        "commission_rmb": model.totals["commission"],
        "reproduction_number": _div(caused, n_senders),
        "cascades": int(len(casc)),
        "single_adopter_share": _div((casc["size"] == 1).sum(), len(casc)),
        "beyond_one_step_share": _div((casc["depth"] >= 2).sum(), len(casc)),
        "mean_cascade_size": _div(casc["size"].sum(), len(casc)),
        "largest_cascade": int(casc["size"].iloc[0]) if len(casc) else 0,
        "max_depth": int(casc["depth"].max()) if len(casc) else 0,
        "structural_virality_largest": float(casc["structural_virality"].iloc[0]) if len(casc) else math.nan,
        "structural_virality_top10": float(top["structural_virality"].mean()) if len(top) else math.nan,
        "hhi": hhi(gmv),
        "gini": gini(gmv),
        "top10_share": top_k_share(gmv, 10),
        "sme_gmv_share": _div(gmv[np.isin(kinds, segment("sme"))].sum(), total_gmv),
        "brand_gmv_share": _div(gmv[np.isin(kinds, segment("brand"))].sum(), total_gmv),
        "active_merchants": int(mt.active.sum()),
        "merchants_joined": int(rec["merchants_joined"][:done].sum()),
        "merchants_left": int(rec["merchants_left"][:done].sum()),
        "stockouts": int(mt.stockouts.sum()),
        "muted_share": _div(pop.muted.sum(), n),
    }
    return summary, casc
