"""Sub-step 3: recipients open their gift boxes and accept or not; gifts at their
deadline expire and are refunded.

A gift sent in step s can be opened in steps s+1 .. s+E (E = expiry_hours /
step_hours) and expires at the end of step s+E. Opening makes the recipient aware
(parent = sender of the earliest gift opened) and, with ``unlock_on_receive``, shows them
the gift button; each gift opened is a stimulus of ``population.response.gift_weight``
(:mod:`sim.model.response`). A withheld gift (:meth:`sim.model.GiftModel.withhold`) is never
opened: it expires at its deadline and is refunded. The accept decision is made once, on opening: logit P =
accept_intercept + accept_tie * tie + accept_quality * quality (quality 1 for cash).
"""

from __future__ import annotations

import numpy as np

from ...scenario.schema import GiftConfig
from ..states import AwareVia, GiftOutcome
from .carriers import Settled
from .item import Booked
from .world import World

__all__ = ["settle_gifts", "accept", "expire"]


def settle_gifts(world: World, step: int, gifts: GiftConfig, active: np.ndarray) -> Settled:
    """Settle the pending gifts of active recipients in step ``step``.

    Parameters
    ----------
    active : ndarray of bool, shape (n_users,)
        Who is active in the step.

    Returns
    -------
    Settled
        The ids accepted (int64, ascending) and the step's counts and money.
    """
    led, pop = world.ledger, world.population
    pend = led.pending
    if pend.size == 0:
        return Settled(accepted=pend)
    rec = led.column("recipient")[pend]
    opened = active[rec] & ~led.column("seen")[pend] & ~led.column("withheld")[pend]
    ids = pend[opened]
    led.set("seen", ids, True)
    newly_aware = pop.make_aware(rec[opened], led.column("sender")[ids], AwareVia.GIFT, step).size
    world.response.stimulate(rec[opened], world.response.cfg.gift_weight, step)
    if gifts.unlock_on_receive:
        pop.unlocked[rec[opened]] = True
    quality = world.item.quality(led.column("merchant")[ids])
    logit = (gifts.accept_intercept + gifts.accept_tie * led.column("tie")[ids]
             + gifts.accept_quality * quality)
    acc = ids[world.rng.random(ids.size) < 1.0 / (1.0 + np.exp(-logit))]
    booked = accept(world, acc, step, gifts.follow_probability)
    # expiry: still pending at the end of their last step
    pend_now = pend[led.column("outcome")[pend] == GiftOutcome.PENDING]
    exp = pend_now[led.column("deadline")[pend_now] <= step]
    refunded = expire(world, exp, step)
    led.drop_settled()
    return Settled(
        accepted=acc, gifts_accepted=int(acc.size), gifts_returned=booked.returned,
        gifts_expired=int(exp.size), newly_aware=int(newly_aware), units_kept=booked.units_kept,
        cash_rmb=booked.cash_rmb, gmv_rmb=booked.gmv_rmb, returns_rmb=booked.returns_rmb,
        refunded_rmb=refunded, revenue_rmb=booked.revenue_rmb, commission_rmb=booked.commission_rmb,
    )


def accept(world: World, ids: np.ndarray, step: int, follow_probability: float) -> Booked:
    """End gifts ``ids`` (int64) as accepted and book them (:meth:`GiftItem.book_accepted`:
    product gifts ship, some are returned and refunded to their sender)."""
    led = world.ledger
    led.settle(ids, GiftOutcome.ACCEPTED, step)
    if ids.size == 0:
        return Booked()
    price = led.column("price")[ids]
    booked, ret = world.item.book_accepted(led.column("merchant")[ids], price, world.rng, follow_probability)
    led.set("returned", ids[ret], True)
    np.add.at(world.population.budget, led.column("sender")[ids[ret]], price[ret])
    return booked


def expire(world: World, ids: np.ndarray, step: int) -> float:
    """End gifts ``ids`` (int64) as expired: the sender is refunded and reserved units
    are released. Returns the money refunded, RMB."""
    led = world.ledger
    led.settle(ids, GiftOutcome.EXPIRED, step)
    if ids.size == 0:
        return 0.0
    price = led.column("price")[ids]
    np.add.at(world.population.budget, led.column("sender")[ids], price)
    world.item.release(led.column("merchant")[ids])
    return float(price.sum())
