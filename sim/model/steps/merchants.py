"""Sub-step 7: merchants restock; at each periodic review, merchants on the platform may
leave (:meth:`Merchant.review`), then merchants off it join while entry pays
(:func:`~sim.model.merchants.admit_entrants`)."""

from __future__ import annotations

import numpy as np
from mesa.agentset import AgentSet

from ...scenario.schema import MerchantConfig
from ..merchants import Merchant, MerchantTable, admit_entrants
from .carriers import MerchantMoves

__all__ = ["update_merchants", "is_review_step", "admission_room"]


def is_review_step(step: int, review_steps: int) -> bool:
    """Whether step ``step`` ends a review period (every ``review_steps`` steps)."""
    return (step + 1) % review_steps == 0


def admission_room(cfg: MerchantConfig) -> int | None:
    """Admissions allowed at one review: ``max_admissions_per_week`` scaled to the review
    period (rounded down), None without a cap."""
    cap = cfg.max_admissions_per_week
    return None if cap is None else int(cap * cfg.review_days / 7)


def update_merchants(table: MerchantTable, agents: list[Merchant], agent_set: AgentSet, cfg: MerchantConfig, *,
                     step: int, review_steps: int, period_sales: float) -> MerchantMoves:
    """Merchants at their reorder point restock (each its own row); at a review step
    every agent reviews (exit) and entrants are admitted, the period's ``period_sales``
    (units accepted and not returned since the last review) shared among them.

    Returns
    -------
    MerchantMoves
        The merchants that joined and left in the step.
    """
    before = table.active.copy()
    for i in np.flatnonzero(table.below_reorder_point()):
        agents[i].restock()
    if is_review_step(step, review_steps):
        agent_set.do("review")
        admit_entrants(agents, table, period_sales=period_sales, room=admission_room(cfg), step=step)
    return MerchantMoves(joined=int((table.active & ~before).sum()), left=int((~table.active & before).sum()))
