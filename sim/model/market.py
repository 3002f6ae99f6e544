"""The market mechanisms of issue 14 on the merchant table: a brand's channel (the
platform's shop or its own mini program), paid traffic budgets and spend.

:class:`MarketState` holds the per-merchant arrays (shape (n_merchants,)); it lives on
:attr:`MerchantTable.market`. Its columns join the merchants table of a run only when a
mechanism is on (:attr:`MarketState.shown`), so default runs keep their outputs.

Channels (domain.md §3: brands weigh a WeChat Shop store, "large but uncontrollable
traffic, revenue shared with the platform as commission", against their own mini
program, "direct customer relationship, all revenue kept"): a merchant in its mini
program pays no commission and gets no organic feed impressions (nor pushes); its
visits come from gifts sent back or on, the chat entry, invitations and paid traffic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.market_config import CHANNELS, MarketConfig, PaidTrafficConfig
from ..scenario.schema import MerchantConfig
from .states import GiftSource

__all__ = ["MarketState", "FEED_SOURCES", "choose_channels", "channel_profits"]

FEED_SOURCES = (GiftSource.IMPRESSION, GiftSource.PUSH)
"""Sources of the gifts a merchant owes to the platform's feed (lost in a mini program)."""

SHOP, MINI_PROGRAM, CHOOSE = (CHANNELS.index(c) for c in ("shop", "mini_program", "choose"))


@dataclass(eq=False)
class MarketState:
    """Per-merchant market state, every array of shape (n_merchants,).

    Attributes
    ----------
    mini_program : ndarray of bool
        In its own mini program (no commission, no organic feed impressions).
    chooser : ndarray of bool
        Of a kind with ``channel = "choose"``: picks its channel at each review.
    shop_commission : ndarray of float64
        The kind's commission, charged while in the shop (share).
    ad_rate : ndarray of int64
        Paid impressions bought per step until the next review.
    paid_impressions : ndarray of int64
        Paid impressions shown so far.
    ad_spend, period_ad_spend : ndarray of float64
        RMB spent on paid impressions, in all and since the last review.
    switches : ndarray of int64
        Channel changes so far.
    shown : bool
        Whether the columns join the run's merchants table (a market mechanism is on).
    """

    mini_program: np.ndarray
    chooser: np.ndarray
    shop_commission: np.ndarray
    ad_rate: np.ndarray
    paid_impressions: np.ndarray
    ad_spend: np.ndarray
    period_ad_spend: np.ndarray
    switches: np.ndarray
    shown: bool

    @classmethod
    def in_shop(cls, commission: np.ndarray) -> MarketState:
        """Every merchant in the platform's shop, no paid traffic (a table built without a
        scenario); ``commission`` (float64, (n_merchants,)) is the shop's."""
        n = commission.shape[0]
        return cls(mini_program=np.zeros(n, dtype=bool), chooser=np.zeros(n, dtype=bool),
                   shop_commission=commission.copy(), ad_rate=np.zeros(n, dtype=np.int64),
                   paid_impressions=np.zeros(n, dtype=np.int64), ad_spend=np.zeros(n),
                   period_ad_spend=np.zeros(n), switches=np.zeros(n, dtype=np.int64), shown=False)

    @classmethod
    def build(cls, cfg: MerchantConfig, kind: np.ndarray, commission: np.ndarray,
              paid: PaidTrafficConfig) -> MarketState:
        """The state at the start: kinds with ``channel = "mini_program"`` in their mini
        program (``commission`` set to 0 for them, in place), every other merchant in the
        shop; no paid impressions. ``kind`` (int8) and ``commission`` (float64) are the
        merchant table's columns."""
        channel = np.array([CHANNELS.index(t.channel) for t in cfg.types()], dtype=np.int8)[kind] if kind.size \
            else np.zeros(0, dtype=np.int8)
        mini = channel == MINI_PROGRAM
        n = kind.shape[0]
        state = cls(mini_program=mini, chooser=channel == CHOOSE, shop_commission=commission.copy(),
                    ad_rate=np.zeros(n, dtype=np.int64), paid_impressions=np.zeros(n, dtype=np.int64),
                    ad_spend=np.zeros(n), period_ad_spend=np.zeros(n), switches=np.zeros(n, dtype=np.int64),
                    shown=bool(paid.enabled or np.any(channel != SHOP)))
        commission[mini] = 0.0
        return state

    @property
    def ad_revenue(self) -> float:
        """The platform's revenue from paid impressions so far, RMB."""
        return float(self.ad_spend.sum())

    def organic(self, active: np.ndarray) -> np.ndarray:
        """Merchants that take part in the organic feed allocation: active and in the shop,
        bool (n_merchants,)."""
        return active & ~self.mini_program

    def set_ad_rates(self, active: np.ndarray, period_revenue: np.ndarray, paid: PaidTrafficConfig,
                     review_steps: int) -> None:
        """The budget rule, at a review: each active merchant buys floor(ad_budget_share *
        period_revenue * 1000 / cpm_rmb / review_steps) impressions a step until the next
        review (0 when paid traffic is off or the revenue is not positive)."""
        if not paid.enabled:
            return
        budget = paid.ad_budget_share * np.maximum(period_revenue, 0.0)
        self.ad_rate = np.where(active, np.floor(budget * 1000.0 / paid.cpm_rmb / review_steps), 0).astype(np.int64)

    def book_impressions(self, bought: np.ndarray, cpm_rmb: float) -> float:
        """Record ``bought`` paid impressions per merchant (int64, (n_merchants,)) at
        ``cpm_rmb``; returns their cost, RMB (= bought.sum() * cpm_rmb / 1000)."""
        cost = bought * (cpm_rmb / 1000.0)
        self.paid_impressions += bought
        self.ad_spend += cost
        self.period_ad_spend += cost
        return float(cost.sum())

    def columns(self) -> dict[str, np.ndarray]:
        """Columns for the merchants table: ``channel`` (``shop`` or ``mini_program`` at the
        end), ``channel_switches``, ``paid_impressions``, ``ad_spend`` (RMB)."""
        return {"channel": np.where(self.mini_program, "mini_program", "shop"),
                "channel_switches": self.switches.copy(), "paid_impressions": self.paid_impressions.copy(),
                "ad_spend": self.ad_spend.copy()}


def channel_profits(orders_feed: np.ndarray, orders_other: np.ndarray, *, price: np.ndarray,
                    unit_cost_share: np.ndarray, shop_commission: np.ndarray, expectation: np.ndarray,
                    mini_program: np.ndarray, feed_per_shop_merchant: float,
                    mini_cost: float) -> tuple[np.ndarray, np.ndarray]:
    """Expected profit of a review period in the shop and in the mini program, RMB, each
    float64 of the merchants' shape (fixed costs common to both left out).

    In the shop a merchant keeps its orders from other sources and has feed orders: its
    own when it is in the shop, else the shop merchants' mean ``feed_per_shop_merchant``
    times its ``expectation``; each order earns price * (1 - commission - unit cost). In
    its mini program it keeps only the other orders, earning price * (1 - unit cost),
    less ``mini_cost`` (the mini program's cost for the period).
    """
    feed = np.where(mini_program, feed_per_shop_merchant * expectation, orders_feed)
    shop = (orders_other + feed) * price * (1.0 - shop_commission - unit_cost_share)
    mini = orders_other * price * (1.0 - unit_cost_share) - mini_cost
    return shop, mini


def choose_channels(table, ledger, market: MarketConfig, *, step: int, review_steps: int, review_days: int) -> int:
    """At a review, every active ``choose`` merchant takes the channel with the higher
    expected profit (:func:`channel_profits`; a tie keeps the channel) from the orders of
    the review period just ended (gifts sent in the last ``review_steps`` steps, read
    from the ``ledger``). Switching sets the merchant's commission (0 in the mini
    program). Returns the number of merchants that switched.
    """
    st = table.market
    who = st.chooser & table.active
    if not who.any():
        return 0
    sent = ledger.column("step_sent")
    first = int(np.searchsorted(sent, step - review_steps + 1, side="left"))
    m = ledger.column("merchant")[first:].astype(np.int64)
    src = ledger.column("source")[first:]
    ok = m >= 0
    is_feed = np.isin(src, np.array(FEED_SOURCES, dtype=src.dtype))
    n = table.n_merchants
    feed = np.bincount(m[ok & is_feed], minlength=n).astype(np.float64)
    other = np.bincount(m[ok & ~is_feed], minlength=n).astype(np.float64)
    in_shop = table.active & ~st.mini_program
    mean_feed = float(feed[in_shop].sum() / in_shop.sum()) if in_shop.any() else 0.0
    shop, mini = channel_profits(feed, other, price=table.price, unit_cost_share=table.unit_cost_share,
                                 shop_commission=st.shop_commission, expectation=table.expectation,
                                 mini_program=st.mini_program, feed_per_shop_merchant=mean_feed,
                                 mini_cost=market.mini_program_cost_per_week * review_days / 7.0)
    to_mini = who & ~st.mini_program & (mini > shop)
    to_shop = who & st.mini_program & (shop > mini)
    flip = to_mini | to_shop
    st.mini_program = st.mini_program ^ flip
    st.switches += flip
    table.commission[flip] = np.where(st.mini_program[flip], 0.0, st.shop_commission[flip])
    return int(flip.sum())
