"""Part of sub-step 4: paid traffic (``policy.paid_traffic``). Merchants' bought
impressions (:attr:`sim.model.market.MarketState.ad_rate`, set at each review by the
budget rule) are shown on top of the organic allocation to active, unmuted users drawn
at random, annoy them as ads do, and are clicked like organic impressions.

Drawn after every other channel of the step (so that with paid traffic off, or nothing
bought, the generator's draws are those of a run without it): the users shown each
impression, then one uniform per impression for its click.
"""

from __future__ import annotations

import numpy as np

from ...scenario.schema import Scenario
from ..states import GiftSource
from .carriers import Visits
from .world import Now, World

__all__ = ["paid_visits", "bought_impressions"]


def bought_impressions(ad_rate: np.ndarray, active: np.ndarray, cap: int) -> np.ndarray:
    """Paid impressions shown this step per merchant, int64 (n_merchants,): the ``ad_rate``
    of active merchants; when their sum exceeds ``cap``, the cap is shared in proportion
    to them (largest remainders; ties to the lower index), so the total is ``cap``."""
    want = np.where(active, ad_rate, 0).astype(np.int64)
    total = int(want.sum())
    if total <= cap:
        return want
    exact = want * (cap / total)
    got = np.floor(exact).astype(np.int64)
    short = cap - int(got.sum())
    if short > 0:
        got[np.argsort(-(exact - got), kind="stable")[:short]] += 1
    return got


def paid_visits(world: World, now: Now, sc: Scenario, users: np.ndarray) -> tuple[Visits | None, int, float]:
    """The step's paid impressions among ``users`` (active and unmuted, int64 (k,)).

    At most ``max_per_user * len(users)`` impressions (times the step's length in days
    with sub-daily steps), split among merchants by :func:`bought_impressions`; each
    costs ``cpm_rmb / 1000`` (booked by :meth:`MarketState.book_impressions`), goes to a
    user drawn uniformly from ``users`` (who gains ``policy.ad_annoyance``) and is clicked
    with probability ``gifts.click_through * appeal``.

    Returns
    -------
    visits : Visits or None
        Source ``IMPRESSION``; None when nothing was shown or clicked.
    shown : int
        Paid impressions shown.
    cost : float
        Their cost, RMB.
    """
    paid, mt, rng = sc.policy.paid_traffic, world.merchants, world.rng
    market = mt.market
    if not (paid.enabled and users.size and market.ad_rate.any()):
        return None, 0, 0.0
    cap = int(paid.max_per_user * now.step_days * users.size)
    bought = bought_impressions(market.ad_rate, mt.active, cap)
    shown = int(bought.sum())
    if not shown:
        return None, 0, 0.0
    cost = market.book_impressions(bought, paid.cpm_rmb)
    mt.impressions += bought
    viewer = users[rng.integers(0, users.size, size=shown)]
    np.add.at(world.population.annoyance, viewer, sc.policy.ad_annoyance)
    merchant = np.repeat(np.arange(mt.n_merchants), bought)
    clicked = rng.random(shown) < np.clip(sc.gifts.click_through * mt.appeal[merchant], 0.0, 1.0)
    if not clicked.any():
        return None, shown, cost
    return Visits.of(viewer[clicked], merchant[clicked], GiftSource.IMPRESSION), shown, cost
