"""Sub-step 7: merchants restock; at each periodic review, merchants on the platform may
leave (:meth:`Merchant.review`), ``choose`` merchants pick their channel
(:func:`~sim.model.market.choose_channels`), merchants set their paid-traffic budgets,
then merchants off the platform join (or come back) while entry pays
(:func:`~sim.model.merchants.admit_entrants`), with the visibility the gift feature
brings (:func:`visibility_factor`)."""

from __future__ import annotations

import numpy as np

from ...scenario.market_config import PaidTrafficConfig
from ...scenario.schema import MerchantConfig
from ..market import choose_channels
from ..merchants import (
    DemandWindow,
    Merchant,
    MerchantTable,
    ProfitHistory,
    admit_entrants,
    overrides,
    restock_merchants,
    review_merchants,
)
from .carriers import MerchantMoves

__all__ = ["update_merchants", "is_review_step", "admission_room", "visibility_factor", "reentry_steps"]


def is_review_step(step: int, review_steps: int) -> bool:
    """Whether step ``step`` ends a review period (every ``review_steps`` steps)."""
    return (step + 1) % review_steps == 0


def admission_room(cfg: MerchantConfig) -> int | None:
    """Admissions allowed at one review: ``max_admissions_per_week`` scaled to the review
    period (rounded down), None without a cap."""
    cap = cfg.max_admissions_per_week
    return None if cap is None else int(cap * cfg.review_days / 7)


def visibility_factor(cfg: MerchantConfig, aware_share: float) -> float:
    """The "megaphone": 1 + ``market.visibility_weight`` * ``aware_share`` (the share of
    users who know the gift feature), the factor of the orders an entrant expects."""
    return 1.0 + cfg.market.visibility_weight * aware_share


def reentry_steps(cfg: MerchantConfig, steps_per_day: int) -> int | None:
    """``market.reentry_after_days`` in steps (None: never)."""
    days = cfg.market.reentry_after_days
    return None if days is None else days * steps_per_day


def update_merchants(table: MerchantTable, agents: list[Merchant], cfg: MerchantConfig, *, step: int,
                     review_steps: int, period_sales: float, demand: DemandWindow, history: ProfitHistory,
                     paid: PaidTrafficConfig | None = None, ledger=None, aware_share: float = 0.0,
                     steps_per_day: int = 1) -> MerchantMoves:
    """Merchants at their reorder point restock (each its own row); at a review step
    every agent reviews (exit), ``choose`` merchants pick their channel (from the
    ``ledger``'s gifts of the period), budgets for paid traffic (``paid``) are set from
    the period's revenue, and entrants are admitted, the period's ``period_sales`` (units
    accepted and not returned since the last review) times :func:`visibility_factor`
    shared among them.

    Restocking (from the ``demand`` window) and reviews (into the profit ``history``) run
    over arrays (:func:`~sim.model.merchants.restock_merchants`,
    :func:`~sim.model.merchants.review_merchants`: the same results as each agent's
    :meth:`Merchant.restock` and :meth:`Merchant.review`, without a Python call per
    merchant), unless the agents' class (a user's subclass) replaces the method: then
    each merchant's own method runs (restock: those at their reorder point, in index
    order; review: every merchant, in index order).

    Returns
    -------
    MerchantMoves
        The merchants that joined and left in the step.
    """
    before = table.active.copy()
    cls = type(agents[0]) if agents else Merchant
    low = np.flatnonzero(table.below_reorder_point())
    if low.size and overrides(cls, "restock"):
        for i in low.tolist():
            agents[i].restock()
    elif low.size:
        restock_merchants(agents, table, low, recent_demand=demand.recent_demand, window=demand.steps,
                          review_steps=review_steps, step=step)
    if is_review_step(step, review_steps):
        market, paid_on = table.market, paid is not None and paid.enabled
        revenue = table.period_revenue.copy() if paid_on else None
        if overrides(cls, "review"):
            for agent in agents:
                agent.review()
        else:
            review_merchants(table, history, np.arange(table.n_merchants),
                             mini_cost=cfg.market.mini_program_cost_per_week, review_days=cfg.review_days, step=step)
        if ledger is not None:
            choose_channels(table, ledger, cfg.market, step=step, review_steps=review_steps,
                            review_days=cfg.review_days)
        if paid_on:
            market.period_ad_spend[:] = 0.0
            market.set_ad_rates(table.active, revenue, paid, review_steps)
        admit_entrants(agents, table, period_sales=period_sales * visibility_factor(cfg, aware_share),
                       room=admission_room(cfg), step=step, reentry_steps=reentry_steps(cfg, steps_per_day))
    return MerchantMoves(joined=int((table.active & ~before).sum()), left=int((~table.active & before).sum()))
