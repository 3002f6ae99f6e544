"""Scenario tables of the market mechanisms of issue 14 (all off or neutral by default).

* ``[merchants.market]`` (:class:`MarketConfig`): entry that responds to the visibility
  the gift feature brings (domain.md §1, the "megaphone"), re-entry after leaving, and
  the cost of a brand's own mini program;
* ``[policy.paid_traffic]`` (:class:`PaidTrafficConfig`): merchants buy commercial
  impressions on top of the policy's organic allocation;
* per merchant kind, two keys declared in :class:`~sim.scenario.schema.MerchantTypeConfig`:
  ``per_10k_users`` (a pool that scales with the users) and ``channel`` (the platform
  shop, the brand's own mini program, or a choice between them at each review).

The values of these tables are left out of a scenario's dump where they are the
defaults (:data:`MARKET_KIND_KEYS`, :func:`omit_defaults`), so that scenarios written
before they existed keep their run ids.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

__all__ = ["MarketConfig", "PaidTrafficConfig", "Channel", "CHANNELS", "MARKET_KIND_KEYS",
           "MAX_PER_10K_USERS", "omit_defaults"]

Channel = Literal["shop", "mini_program", "choose"]
CHANNELS: tuple[str, ...] = ("shop", "mini_program", "choose")
"""Where a kind's merchants sell: ``shop`` (the platform's shop: commission, organic feed
allocation; as before), ``mini_program`` (the brand's own mini program: no commission,
no organic feed impressions), ``choose`` (start in the shop; at each review take the
channel with the higher expected profit, :func:`sim.model.market.choose_channels`)."""

MARKET_KIND_KEYS = ("per_10k_users", "channel")
"""Keys of a merchant kind added by the market mechanisms, left out of dumps at their
defaults (scenarios keep their run ids)."""

MAX_PER_10K_USERS = 10_000.0
"""Most merchants per 10,000 users of one kind (one per user); the total over kinds is
bounded by ``MAX_MERCHANTS`` once the number of users is known."""

Share = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[StrictFloat, Field(ge=0.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)


class MarketConfig(_Strict):
    """Entry, re-entry and the mini-program channel (``[merchants.market]``)."""

    visibility_weight: Annotated[StrictFloat, Field(ge=0.0, le=100.0)] = 0.0
    """The "megaphone" (domain.md §1: the gift feature "tells merchants they can sell
    here"): a merchant off the platform expects the platform's recent orders per merchant
    times ``1 + visibility_weight * aware_share``, ``aware_share`` the share of users who
    know the gift feature (at the end of the step before the review). Assumption; range 0-5 (0: entry sees sales only,
    as before; 1: a platform where everyone knows the feature looks twice as good);
    neutral: 0."""
    reentry_after_days: StrictInt | None = Field(default=None, ge=0, le=36_500)
    """Days after leaving from which a merchant may join again, by the same rule as any
    entrant (with a new grace period). Leave the key out (None) for never, as before.
    Assumption; range 30-180 days (a season); neutral: None."""
    mini_program_cost_per_week: NonNeg = 0.0
    """Cost of running a brand's own mini program, RMB per week, on top of the kind's
    ``fixed_cost_per_week`` (development, operation, its own customer service): paid by
    merchants in the ``mini_program`` channel and weighed by ``choose`` merchants.
    Assumption; range 0-2,000 RMB a week; neutral: 0."""


class PaidTrafficConfig(_Strict):
    """Paid traffic (``[policy.paid_traffic]``): merchants buy commercial impressions on top
    of the policy's organic allocation, where the platform allows it.

    At each review every merchant on the platform sets its budget for the next review
    period to ``ad_budget_share`` of the period's revenue (net of commission and returns)
    and buys ``floor(budget * 1000 / cpm_rmb / review_steps)`` impressions a step; the
    step's paid impressions are shown to active, unmuted users at random (each adds
    ``policy.ad_annoyance``), clicked like organic ones (``gifts.click_through`` times the
    merchant's appeal), and cost ``cpm_rmb / 1000`` each, booked in the merchant's profit
    and in the platform's ad revenue (``ad_revenue_rmb``). When the requests exceed
    ``max_per_user`` impressions per active user, every merchant's is scaled down alike.
    """

    enabled: StrictBool = False
    """Whether merchants may buy impressions (off for WeChat's equal allocation, domain.md
    §2; on for a Douyin-style platform)."""
    ad_budget_share: Share = 0.1
    """Share of last review period's revenue a merchant spends on impressions. Assumption;
    range 0.02-0.3."""
    cpm_rmb: Annotated[StrictFloat, Field(gt=0.0, le=10_000.0)] = 40.0
    """Price of 1,000 paid impressions, RMB. WeChat Moments ads launched in 2015 at RMB 40
    per thousand in ordinary cities, 90 in key cities and 140 in Beijing and Shanghai
    (Marbridge Daily, 2015-01-22, from Tencent's deck); agencies quote 50-180. Range
    40-180."""
    max_per_user: Annotated[StrictFloat, Field(ge=0.0, le=1_000.0)] = 0.5
    """Ad load: most paid impressions per active unmuted user per day (shared among a
    day's steps). Assumption: 0.5, as many as the organic commercial impressions of the
    default feed (20 impressions x 2.5% commercial share, domain.md §2), so that paid
    traffic at most doubles commerce's share of the feed; range 0.25-5 (WeChat Moments:
    at most one ad per user per 48 h in 2015; Douyin's ~25% commercial share: 5)."""


def omit_defaults(data: dict, key: str, default: BaseModel) -> None:
    """Drop ``data[key]`` (a dumped table) when it equals the dump of ``default``."""
    if key in data and data[key] == default.model_dump(by_alias=True, mode="json"):
        del data[key]
