"""What a gift is: a merchant's product or cash (a red envelope). The one place where
the two differ; the model picks one at the start of a run (``gifts.item``).

A product gift has a merchant (>= 0), a price, stock and a quality; a cash gift has
merchant -1, an amount drawn from ``gifts.cash_amount``, no stock, is always "as
described" (quality 1), and is sent only from the chat entry (product pages have no
button for it), which exists from the first step.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ...scenario.schema import GiftConfig
from .. import fast_random
from ..merchants import DemandWindow, MerchantTable
from ..states import GiftSource

__all__ = ["GiftItem", "Products", "Cash", "make_item", "Booked"]


@dataclass(frozen=True)
class Booked:
    """Money and counts of the gifts accepted in a step (RMB; ``units_kept`` product
    units accepted and not returned)."""

    returned: int = 0
    units_kept: int = 0
    cash_rmb: float = 0.0
    gmv_rmb: float = 0.0
    returns_rmb: float = 0.0
    revenue_rmb: float = 0.0
    commission_rmb: float = 0.0


class GiftItem:
    """The interface of :class:`Products` and :class:`Cash` (arrays of shape (k,))."""

    cash: bool = False

    def chat_from_step(self, gifts: GiftConfig, start: dt.date, steps_per_day: int) -> int | None:
        """First step with the chat menu's gift entry, None for never."""
        raise NotImplementedError

    def chat_open(self) -> bool:
        """Whether the chat entry can lead anywhere now."""
        raise NotImplementedError

    def chat_merchants(self, n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The merchants (int64, (n,)) of ``n`` chat-entry visits, by the policy's ``shares``."""
        raise NotImplementedError

    def sends_from(self, source: np.ndarray, merchant: np.ndarray) -> np.ndarray:
        """Which visits (by :class:`GiftSource`, int8, and merchant, int64, -1 for none) can
        lead to a gift, bool."""
        raise NotImplementedError

    def gift_suitability(self, merchant: np.ndarray) -> np.ndarray:
        """Multiplier of the chance to gift on a visit to each merchant's page, float64."""
        raise NotImplementedError


class Products(GiftItem):
    """Gifts are merchants' products, over the run's :class:`MerchantTable`."""

    cash = False

    def __init__(self, merchants: MerchantTable) -> None:
        self.mt = merchants

    def quality(self, merchant: np.ndarray) -> np.ndarray:
        """Quality [0, 1] of each gift's product, float64."""
        return self.mt.quality[merchant]

    def chat_from_step(self, gifts: GiftConfig, start: dt.date, steps_per_day: int) -> int | None:
        """From ``gifts.chat_entry_from`` (None: never)."""
        frm = gifts.chat_entry_from
        return None if frm is None else (frm - start).days * steps_per_day

    def chat_open(self) -> bool:
        """Only while some merchant is on the platform."""
        return bool(self.mt.active.any())

    def chat_merchants(self, n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw of ``rng.choice`` over the merchants with probabilities ``shares``
        (:func:`sim.model.fast_random.choice`: the same draws, faster)."""
        return fast_random.choice(rng, self.mt.n_merchants, n, shares)

    def sends_from(self, source: np.ndarray, merchant: np.ndarray) -> np.ndarray:
        """Every visit can."""
        return np.ones(source.shape[0], dtype=bool)

    def gift_suitability(self, merchant: np.ndarray) -> np.ndarray:
        """The product category's ``gift_suitability`` (1 for a merchant without category)."""
        return self.mt.gift_suitability[merchant]

    def sold(self, merchant: np.ndarray) -> np.ndarray:
        """Whether each product is still on sale (its merchant is active), bool."""
        return self.mt.active[merchant]

    def price(self, merchant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The products' prices, RMB, float64 (no draw)."""
        return self.mt.price[merchant].astype(np.float64)

    def in_stock(self, merchant: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Which buyers get a unit: buyers reach each merchant's available stock in
        ``order`` (a permutation of the buyers), the rest are lost sales; bool (k,)."""
        om = merchant[order]
        by_m = np.argsort(om, kind="stable")
        sm = om[by_m]
        starts = np.flatnonzero(np.r_[True, sm[1:] != sm[:-1]]) if sm.size else np.empty(0, np.int64)
        rank = np.arange(sm.size) - np.repeat(starts, np.diff(np.r_[starts, sm.size]))
        out = np.empty(merchant.size, dtype=bool)
        out[order[by_m]] = rank < self.mt.available[sm]
        return out

    def book_lost(self, merchant: np.ndarray, demand: DemandWindow, t: int) -> None:
        """Count lost sales (stockouts and unmet demand)."""
        np.add.at(self.mt.stockouts, merchant, 1)
        np.add.at(demand.demand_row(t), merchant, 1)

    def book_sent(self, merchant: np.ndarray, demand: DemandWindow, t: int) -> None:
        """Reserve a unit per gift sent and count the orders."""
        np.add.at(self.mt.reserved, merchant, 1)
        np.add.at(self.mt.orders, merchant, 1)
        np.add.at(demand.orders_row(t), merchant, 1)
        np.add.at(demand.demand_row(t), merchant, 1)

    def book_accepted(self, merchant: np.ndarray, price: np.ndarray, rng: np.random.Generator,
                      follow_probability: float) -> tuple[Booked, np.ndarray]:
        """Ship accepted gifts: stock leaves, money moves, some are returned (one draw per
        gift), some recipients follow the merchant (one draw per gift).

        Returns
        -------
        (Booked, ndarray of bool)
            The step's money and counts, and which gifts were returned.
        """
        mt, m = self.mt, merchant
        np.subtract.at(mt.reserved, m, 1)
        np.subtract.at(mt.stock, m, 1)
        np.add.at(mt.accepted, m, 1)
        np.add.at(mt.gmv, m, price)
        np.add.at(mt.period_cogs, m, price * mt.unit_cost_share[m])
        ret = rng.random(m.size) < mt.return_prob[m]
        kept = ~ret
        net = price * (1.0 - mt.commission[m])
        np.add.at(mt.revenue, m[kept], net[kept])
        np.add.at(mt.period_revenue, m[kept], net[kept])
        np.add.at(mt.returned, m[ret], 1)
        follow = rng.random(m.size) < follow_probability
        np.add.at(mt.followers, m[follow], 1)
        return Booked(returned=int(ret.sum()), units_kept=int(kept.sum()), gmv_rmb=float(price.sum()),
                      returns_rmb=float(price[ret].sum()), revenue_rmb=float(net[kept].sum()),
                      commission_rmb=float((price - net)[kept].sum())), ret

    def release(self, merchant: np.ndarray) -> None:
        """Units reserved for gifts that expired go back to available stock."""
        np.subtract.at(self.mt.reserved, merchant, 1)


class Cash(Products):
    """Gifts are cash (red envelopes): merchant -1, amounts from ``gifts.cash_amount``
    clipped to [0.01, ``price_cap``] RMB, no stock, no merchant."""

    cash = True

    def __init__(self, merchants: MerchantTable, gifts: GiftConfig) -> None:
        super().__init__(merchants)
        self.amount = gifts.cash_amount
        self.price_cap = gifts.price_cap

    def quality(self, merchant: np.ndarray) -> np.ndarray:
        """Cash is always as described: 1.0."""
        return np.ones(merchant.shape[0])

    def chat_from_step(self, gifts: GiftConfig, start: dt.date, steps_per_day: int) -> int | None:
        """From the first step: the chat entry is how cash is sent."""
        return 0

    def chat_open(self) -> bool:
        """Always."""
        return True

    def chat_merchants(self, n: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """-1 for every visit (no draw)."""
        return np.full(n, -1, dtype=np.int64)

    def sends_from(self, source: np.ndarray, merchant: np.ndarray) -> np.ndarray:
        """Only the chat entry sends cash: opened by the user, or by a dated push campaign
        (a push visit with no merchant, the 2015 gala "shake"); a push to a product page
        does not."""
        return (source == GiftSource.CHAT) | ((source == GiftSource.PUSH) & (merchant < 0))

    def gift_suitability(self, merchant: np.ndarray) -> np.ndarray:
        """Cash has no product category: 1.0."""
        return np.ones(merchant.shape[0])

    def sold(self, merchant: np.ndarray) -> np.ndarray:
        """Cash is always available."""
        return np.ones(merchant.shape[0], dtype=bool)

    def price(self, merchant: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One amount per gift from ``gifts.cash_amount`` (no draw for none)."""
        if merchant.size == 0:
            return np.zeros(0)
        return np.clip(self.amount.sample(rng, int(merchant.size)), 0.01, self.price_cap)

    def in_stock(self, merchant: np.ndarray, order: np.ndarray) -> np.ndarray:
        """Cash needs no stock."""
        return np.ones(merchant.shape[0], dtype=bool)

    def book_lost(self, merchant: np.ndarray, demand: DemandWindow, t: int) -> None:
        """Nothing is lost."""

    def book_sent(self, merchant: np.ndarray, demand: DemandWindow, t: int) -> None:
        """No merchant to book."""

    def book_accepted(self, merchant: np.ndarray, price: np.ndarray, rng: np.random.Generator,
                      follow_probability: float) -> tuple[Booked, np.ndarray]:
        """The money goes to the recipient; nobody ships, nobody returns (no draw)."""
        return Booked(cash_rmb=float(price.sum())), np.zeros(merchant.shape[0], dtype=bool)

    def release(self, merchant: np.ndarray) -> None:
        """Nothing was reserved."""


def make_item(gifts: GiftConfig, merchants: MerchantTable) -> GiftItem:
    """:class:`Cash` when ``gifts.item == "cash"``, else :class:`Products`."""
    return Cash(merchants, gifts) if gifts.item == "cash" else Products(merchants)
