"""The built-in traffic-allocation rules (domain.md §2, §5).

* ``equal``: every merchant on the platform gets the same share (WeChat Channels: no
  sales rankings, follower counts hidden, brands and small merchants treated alike).
* ``sales_proportional``: share proportional to (recent orders + smoothing) ** exponent;
  exponent > 1 is a rich-get-richer feed.
* ``head_boost``: head merchants (the top ``head_count`` by followers, plus every
  merchant of a head kind: those in ``head_kinds``, by default the scenario's kinds
  marked ``head = true``) get ``boost`` times the weight of the rest (Douyin bringing
  over Tmall's top merchants and building big sellers).
* ``cold_start``: a merchant in its first ``budget_days`` days gets a fixed budget of
  impressions a day; the rest is split by conversion rate (orders per impression,
  with a Beta prior), so a new business earns traffic only after it shows its value.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, StrictFloat, StrictInt

from .base import AllocationParams, MerchantView, register

__all__ = [
    "BUILTIN_RULES",
    "EqualParams",
    "Equal",
    "SalesProportionalParams",
    "SalesProportional",
    "HeadBoostParams",
    "HeadBoost",
    "ColdStartParams",
    "ColdStart",
]


BUILTIN_RULES = ("equal", "sales_proportional", "head_boost", "cold_start")
"""Names of the rules this module registers."""


class EqualParams(AllocationParams):
    """Parameters of ``equal`` (none besides the rule)."""

    rule: Literal["equal"] = "equal"


@register("equal", EqualParams)
class Equal:
    """Equal split among active merchants."""

    def __init__(self, params: EqualParams) -> None:
        self.params = params

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        """Weight 1 for each active merchant, 0 otherwise: float64 of shape (n_merchants,)."""
        return view.active.astype(np.float64)


class SalesProportionalParams(AllocationParams):
    """Parameters of ``sales_proportional``."""

    rule: Literal["sales_proportional"] = "sales_proportional"
    exponent: StrictFloat = Field(default=1.0, ge=0.0, le=10.0)
    """Power on recent orders: 0 is equal, 1 proportional, > 1 rich get richer."""
    smoothing: StrictFloat = Field(default=1.0, gt=0.0)
    """Pseudo-orders added to each merchant so that a merchant with no sales still shows."""


@register("sales_proportional", SalesProportionalParams)
class SalesProportional:
    """Share proportional to (recent orders + smoothing) ** exponent."""

    def __init__(self, params: SalesProportionalParams) -> None:
        self.params = params

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        """(recent orders + smoothing) ** exponent where active, else 0: float64 of shape (n_merchants,)."""
        p = self.params
        w = (view.recent_orders + p.smoothing) ** p.exponent
        return np.where(view.active, w, 0.0)


class HeadBoostParams(AllocationParams):
    """Parameters of ``head_boost``."""

    rule: Literal["head_boost"] = "head_boost"
    boost: StrictFloat = Field(default=10.0, ge=1.0, le=1e6)
    """Weight multiplier of a head merchant relative to the rest."""
    head_count: StrictInt = Field(default=10, ge=0)
    """Number of active merchants with the most followers that count as head."""
    head_kinds: tuple[str, ...] | None = None
    """Merchant kinds boosted whatever their followers (imported top merchants), by name;
    leave it out for the kinds marked ``head = true`` in ``[merchants.<name>]`` (by
    default ``brand``)."""

    KIND_FIELDS: ClassVar[tuple[str, ...]] = ("head_kinds",)


@register("head_boost", HeadBoostParams)
class HeadBoost:
    """Head merchants get ``boost`` times the weight of the others."""

    def __init__(self, params: HeadBoostParams) -> None:
        self.params = params

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        """``boost`` for head merchants, 1 for the other active ones, 0 where not active:
        float64 of shape (n_merchants,).

        Raises
        ------
        ValueError
            If ``head_kinds`` names a kind not in ``view.kind_names``.
        """
        p = self.params
        names = view.head_kinds if p.head_kinds is None else p.head_kinds
        head = np.isin(view.kind, view.kind_codes(names))
        if p.head_count > 0:
            idx = np.flatnonzero(view.active)
            # most followers first; ties broken by merchant index (stable sort)
            order = idx[np.argsort(-view.followers[idx], kind="stable")]
            head[order[: p.head_count]] = True
        w = np.where(head, p.boost, 1.0)
        return np.where(view.active, w, 0.0)


class ColdStartParams(AllocationParams):
    """Parameters of ``cold_start``."""

    rule: Literal["cold_start"] = "cold_start"
    budget_impressions: StrictFloat = Field(default=20.0, ge=0.0)
    """Impressions a day given to each merchant in its cold-start period."""
    budget_days: StrictFloat = Field(default=14.0, gt=0.0)
    """Length of the cold-start period after joining, in days."""
    prior_conversion: StrictFloat = Field(default=0.002, gt=0.0, le=1.0)
    """Prior mean of orders per impression for a merchant with no record."""
    prior_impressions: StrictFloat = Field(default=500.0, ge=0.0)
    """Weight of that prior, in impressions."""


@register("cold_start", ColdStartParams)
class ColdStart:
    """Fixed budget for new merchants, the rest by posterior-mean conversion rate."""

    def __init__(self, params: ColdStartParams) -> None:
        self.params = params

    def weights(self, view: MerchantView, rng: np.random.Generator) -> np.ndarray:
        """Shares summing to 1 over active merchants (0 if none): float64 of shape (n_merchants,)."""
        p = self.params
        new = view.active & (view.days_on_platform < p.budget_days)
        old = view.active & ~new
        expected = max(view.expected_impressions, 0.0)
        n_new = int(new.sum())
        new_share = 1.0 if expected <= 0 else min(1.0, p.budget_impressions * n_new / expected)
        if not old.any():
            new_share = 1.0 if n_new else 0.0
        conv = (view.total_orders + p.prior_conversion * p.prior_impressions) / (
            view.total_impressions + p.prior_impressions
        )
        w = np.zeros(view.active.shape, dtype=np.float64)
        if n_new:
            w[new] = new_share / n_new
        if old.any():
            c = np.where(old, conv, 0.0)
            w += (1.0 - new_share) * c / c.sum()
        return w
