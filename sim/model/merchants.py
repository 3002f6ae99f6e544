"""Merchants: Mesa agents over a table of per-merchant arrays.

The hot state (stock, sales, impressions) lives in :class:`MerchantTable` arrays so that
policies and the gift step read and update it in bulk; each :class:`Merchant` agent owns
one row and makes that merchant's decisions: receive deliveries, restock, and at each
review decide to leave, or, off the platform, whether to join (domain.md §3:
"Merchants have limited stock and react to demand: they join when demand shows,
restock, or leave"). Exit (:meth:`Merchant.review`) and entry (:func:`admit_entrants`)
live here, side by side; :class:`DemandWindow` keeps the recent orders and demand that
restocking and the traffic policy read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, fields

import mesa
import numpy as np

from ..scenario.categories_config import CategoriesConfig
from ..scenario.market_config import PaidTrafficConfig
from ..scenario.schema import MerchantConfig
from .categories import draw_kind_products
from .market import MarketState

__all__ = ["MerchantTable", "Merchant", "overrides", "DemandWindow", "ProfitHistory", "Profits", "admit_entrants",
           "restock_merchants", "review_merchants", "period_fixed_costs"]


@dataclass(eq=False)
class MerchantTable:
    """Per-merchant traits and state; every array has shape (n_merchants,).

    Traits: ``kind`` (int8 code, the position in ``MerchantConfig.kind_names``), ``price`` (RMB), ``quality`` [0, 1],
    ``appeal`` (click multiplier), ``commission`` and ``unit_cost_share`` (shares),
    ``fixed_cost_per_week`` (RMB), ``reorder_point``, ``restock_quantity`` (units),
    ``lead_steps``, ``return_prob`` (per delivered gift), ``expectation``; ``category``
    (int8 code, the position in ``CategoriesConfig.names``, -1 for none) and
    ``gift_suitability`` (multiplier of the chance to gift on a visit, 1 for none).

    State: ``active`` (on the platform), ``left`` (left for good), ``joined_step`` and
    ``left_step`` (int32, -1), ``followers``, ``stock`` (units in the warehouse),
    ``reserved`` (units promised to pending gifts), ``incoming`` (units ordered, not
    arrived); cumulative counts ``orders``, ``accepted``, ``returned``, ``stockouts``,
    ``impressions`` and money ``gmv``, ``revenue`` (net of commission and returns, RMB);
    ``period_revenue`` and ``period_cogs`` since the last review.

    ``market``: the channel and paid-traffic state (:class:`sim.model.market.MarketState`).
    """

    kind: np.ndarray
    price: np.ndarray
    quality: np.ndarray
    appeal: np.ndarray
    commission: np.ndarray
    unit_cost_share: np.ndarray
    fixed_cost_per_week: np.ndarray
    reorder_point: np.ndarray
    restock_quantity: np.ndarray
    lead_steps: np.ndarray
    return_prob: np.ndarray
    expectation: np.ndarray
    active: np.ndarray
    left: np.ndarray
    joined_step: np.ndarray
    left_step: np.ndarray
    followers: np.ndarray
    stock: np.ndarray
    reserved: np.ndarray
    incoming: np.ndarray
    orders: np.ndarray
    accepted: np.ndarray
    returned: np.ndarray
    stockouts: np.ndarray
    impressions: np.ndarray
    gmv: np.ndarray
    revenue: np.ndarray
    period_revenue: np.ndarray
    period_cogs: np.ndarray
    category: np.ndarray | None = None
    gift_suitability: np.ndarray | None = None
    market: MarketState | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # a table built by hand: no categories (-1), suitability 1, every merchant in the shop
        n = self.kind.shape[0]
        if self.category is None:
            self.category = np.full(n, -1, dtype=np.int8)
        if self.gift_suitability is None:
            self.gift_suitability = np.ones(n)
        if self.market is None:  # every merchant in the shop, no paid traffic
            self.market = MarketState.in_shop(self.commission)

    @classmethod
    def draw(cls, cfg: MerchantConfig, *, price_cap: float, steps_per_day: int,
             rng: np.random.Generator, n_users: int | None = None,
             paid: PaidTrafficConfig | None = None, categories: CategoriesConfig | None = None) -> MerchantTable:
        """Draw the merchant pool from the scenario (kinds in ``cfg.kind_names`` order).

        Prices are clipped to [0.01, price_cap] RMB. Of each type, round(count *
        joined_at_start) merchants, chosen at random, start on the platform; the count is
        the kind's ``pool_size(n_users)`` (``per_10k_users`` when given). ``paid``: the
        policy's paid traffic (default: off), for :attr:`market`. A kind with
        ``categories`` weights takes its merchants' categories, prices and return rates
        from ``categories`` (:func:`~sim.model.categories.draw_kind_products`).
        """
        cols: dict[str, list[np.ndarray]] = {}

        def add(name: str, values: np.ndarray) -> None:
            cols.setdefault(name, []).append(values)

        for kind, t in enumerate(cfg.types()):
            n = t.pool_size(n_users)
            quality = t.quality.sample(rng, n)
            add("kind", np.full(n, kind, dtype=np.int8))
            products = draw_kind_products(t, categories, n, rng)
            add("price", np.clip(products.price, 0.01, price_cap))
            add("category", products.category)
            add("gift_suitability", products.gift_suitability)
            add("quality", quality)
            add("appeal", t.appeal.sample(rng, n))
            add("followers", np.floor(t.followers.sample(rng, n)))
            add("commission", np.full(n, t.commission))
            add("unit_cost_share", np.full(n, t.unit_cost_share))
            add("fixed_cost_per_week", np.full(n, t.fixed_cost_per_week))
            add("reorder_point", np.full(n, t.reorder_point, dtype=np.int64))
            add("restock_quantity", np.full(n, t.restock_quantity, dtype=np.int64))
            add("lead_steps", np.full(n, t.lead_days * steps_per_day, dtype=np.int64))
            add("return_prob", products.return_rate * (1.0 - quality))
            add("expectation", np.full(n, t.expectation))
            start = np.zeros(n, dtype=bool)
            start[rng.permutation(n)[: int(round(n * t.joined_at_start))]] = True
            add("active", start)
            add("stock", np.full(n, t.initial_stock, dtype=np.int64))
        data = {k: np.concatenate(v) for k, v in cols.items()}
        m = data["kind"].shape[0]
        data["left"] = np.zeros(m, dtype=bool)
        data["joined_step"] = np.where(data["active"], 0, -1).astype(np.int32)
        data["left_step"] = np.full(m, -1, dtype=np.int32)
        for name in ("reserved", "incoming"):
            data[name] = np.zeros(m, dtype=np.int64)
        for name in ("orders", "accepted", "returned", "stockouts", "impressions", "gmv",
                     "revenue", "period_revenue", "period_cogs"):
            data[name] = np.zeros(m, dtype=np.float64)
        table = cls(**data)
        table.market = MarketState.build(cfg, table.kind, table.commission, paid or PaidTrafficConfig())
        return table

    @property
    def n_merchants(self) -> int:
        """Number of merchants (rows)."""
        return int(self.kind.shape[0])

    @property
    def available(self) -> np.ndarray:
        """Units that can still be sold (stock not promised to pending gifts), int64."""
        return self.stock - self.reserved

    def below_reorder_point(self) -> np.ndarray:
        """The restock trigger: active merchants whose available plus incoming units are at
        or below their reorder point, bool (n_merchants,)."""
        return self.active & (self.stock - self.reserved + self.incoming <= self.reorder_point)

    def as_columns(self) -> dict[str, np.ndarray]:
        """Copies of every column, plus ``merchant`` ids (and the market's columns when a
        market mechanism is on)."""
        out = {"merchant": np.arange(self.n_merchants, dtype=np.int32)}
        out.update({f.name: getattr(self, f.name).copy() for f in fields(self) if f.name != "market"})
        if self.market is not None and self.market.shown:
            out.update(self.market.columns())
        return out


class Merchant(mesa.Agent):
    """One merchant: a row of the model's :class:`MerchantTable` and its decisions.

    A user's own merchant is a subclass given to the model, ``GiftModel(...,
    merchant_class=MyMerchant)``; every merchant is then one, and the engine calls these
    methods, per merchant (never per user), where the base class's decisions run over arrays:

    * :meth:`restock`: each step, for each merchant on the platform at its reorder point
      (available plus incoming units at or below ``reorder_point``);
    * :meth:`review`: at each periodic review (every ``merchants.review_days``), for
      every merchant, in index order: the exit decision;
    * :meth:`expected_profit`: at each review, for each merchant off the platform that may
      join: it joins when this is positive (:func:`admit_entrants`).

    An override reads and writes the merchant's row of the table (``self.table.price[self.index]``,
    ``stock``, ``active``, ...; :class:`MerchantTable` lists the columns), may call the base
    method (``super().restock()``) and :meth:`leave`; a random draw uses ``self.model.rng``
    (the run's dynamics generator). Only a method the subclass replaces runs per merchant;
    the others keep the array path (the same results, :mod:`sim.model.steps.merchants`).

    Parameters
    ----------
    model : GiftModel
    index : int
        Row in ``model.merchant_table``.
    """

    def __init__(self, model, index: int) -> None:
        super().__init__(model)
        self.index = index
        self.deliveries: deque[tuple[int, int]] = deque()  # (arrival step, units)

    @property
    def table(self) -> MerchantTable:
        """The model's merchant table."""
        return self.model.merchant_table

    @property
    def kind(self) -> str:
        """Name of the merchant's kind (``brand``, ``sme``, ... as in the scenario)."""
        return self.model.gift_scenario.merchants.kind_names[int(self.table.kind[self.index])]

    @property
    def active(self) -> bool:
        """Whether the merchant is on the platform."""
        return bool(self.table.active[self.index])

    def receive_deliveries(self) -> None:
        """Put restock orders that have arrived by this step into stock."""
        step, t, i = self.model.step_index, self.table, self.index
        while self.deliveries and self.deliveries[0][0] <= step:
            _, units = self.deliveries.popleft()
            t.stock[i] += units
            t.incoming[i] -= units

    def restock(self) -> None:
        """Order stock; called when :meth:`MerchantTable.below_reorder_point` holds
        (:func:`restock_merchants` for this merchant alone)."""
        model = self.model
        restock_merchants(model.merchant_agents, self.table, np.array([self.index]), recent_demand=model.recent_demand,
                          window=model.demand_window_steps, review_steps=model.review_steps, step=model.step_index)

    def leave(self) -> None:
        """Leave the platform for good now (``active`` false, ``left`` true, ``left_step`` this step),
        as a review's exit does; a merchant off the platform is left as it is."""
        t, i = self.table, self.index
        if t.active[i]:
            t.active[i] = False
            t.left[i] = True
            t.left_step[i] = self.model.step_index

    @property
    def profits(self) -> Profits:
        """Profit of the merchant's recent review periods, RMB, oldest first (its row of the
        model's :class:`ProfitHistory`)."""
        return Profits(self.model.profit_history, self.index)

    def review(self) -> None:
        """The periodic review of this merchant (:func:`review_merchants` for it alone)."""
        model = self.model
        review_merchants(self.table, model.profit_history, np.array([self.index]),
                         mini_cost=model.gift_scenario.merchants.market.mini_program_cost_per_week,
                         review_days=model.review_days, step=model.step_index)

    @property
    def period_fixed_cost(self) -> float:
        """Fixed cost of one review period, RMB (in its mini program, plus
        ``merchants.market.mini_program_cost_per_week``)."""
        weekly = self.table.fixed_cost_per_week[self.index]
        if self.table.market.mini_program[self.index]:
            weekly = weekly + self.model.gift_scenario.merchants.market.mini_program_cost_per_week
        return float(weekly * self.model.review_days / 7.0)

    def expected_profit(self, orders: float) -> float:
        """Profit the merchant expects from a review period on the platform, RMB, if the
        platform's average merchant gets ``orders`` orders in it (scaled by the merchant's
        ``expectation``)."""
        t, i = self.table, self.index
        margin = t.price[i] * (1.0 - t.commission[i] - t.unit_cost_share[i])
        return float(orders * t.expectation[i] * margin - self.period_fixed_cost)


def overrides(merchant_class: type[Merchant], name: str) -> bool:
    """Whether ``merchant_class`` replaces :class:`Merchant`'s method ``name`` (``restock``,
    ``review``): the engine then calls it per merchant instead of the array path."""
    return getattr(merchant_class, name) is not getattr(Merchant, name)


def restock_merchants(agents: list[Merchant], table: MerchantTable, idx: np.ndarray, *, recent_demand: np.ndarray,
                      window: int, review_steps: int, step: int) -> None:
    """Merchants ``idx`` (distinct row indices, int) order stock.

    Each order is the larger of ``restock_quantity`` and the demand (orders plus lost
    sales, ``recent_demand``: float64 (n_merchants,) over the last ``window`` steps) scaled
    to cover the lead time and one review period (``review_steps``), rounded up; it is
    added to ``incoming`` and arrives ``lead_steps`` after ``step`` (at least one step),
    in the agent's ``deliveries``.
    """
    cover = table.lead_steps[idx] + review_steps
    units = np.maximum(table.restock_quantity[idx], np.ceil(recent_demand[idx] / window * cover).astype(np.int64))
    table.incoming[idx] += units
    arrive = step + np.maximum(1, table.lead_steps[idx])
    for i, at, u in zip(idx.tolist(), arrive.tolist(), units.tolist(), strict=True):
        agents[i].deliveries.append((at, u))


def period_fixed_costs(table: MerchantTable, idx: np.ndarray, *, mini_cost: float, review_days: int) -> np.ndarray:
    """Fixed cost of one review period of merchants ``idx``, RMB, float64: the weekly cost
    (plus ``mini_cost`` a week in the mini program) times review_days / 7."""
    weekly = table.fixed_cost_per_week[idx]
    weekly = np.where(table.market.mini_program[idx], weekly + mini_cost, weekly)
    return weekly * review_days / 7.0


def review_merchants(table: MerchantTable, history: ProfitHistory, idx: np.ndarray, *, mini_cost: float,
                     review_days: int, step: int) -> None:
    """The periodic review of merchants ``idx`` (distinct row indices, int).

    A merchant on the platform adds the period's profit to its ``history`` and leaves for
    good (``active`` false, ``left`` true, ``left_step = step``) when its profit summed
    over its last ``history.horizon`` (``exit_after``) review periods is negative (so a
    new merchant has ``exit_after`` periods of grace). Profit of a period = revenue (net
    of commission and returns) - cost of goods shipped - fixed cost for the period (with
    the mini program's ``mini_cost`` a week while in it) - paid impressions bought in it.
    Every reviewed merchant's ``period_revenue`` and ``period_cogs`` are reset to 0.
    """
    on = idx[table.active[idx]]
    fixed = period_fixed_costs(table, on, mini_cost=mini_cost, review_days=review_days)
    history.push(on, table.period_revenue[on] - table.period_cogs[on] - fixed - table.market.period_ad_spend[on])
    full = on[history.count[on] == history.horizon]
    out = full[history.total(full) < 0]
    table.active[out] = False
    table.left[out] = True
    table.left_step[out] = step
    table.period_revenue[idx] = 0.0
    table.period_cogs[idx] = 0.0


def admit_entrants(agents: list[Merchant], table: MerchantTable, *, period_sales: float, room: int | None,
                   step: int, reentry_steps: int | None = None) -> None:
    """Free entry at a review: merchants off the platform join while entry pays.

    Candidates (never on the platform, or not yet joined; with ``reentry_steps`` also
    those that left at least that many steps ago) are taken in order of the profit they
    would expect as the next entrant (ties by index). Each joins if its expected profit
    is positive when ``period_sales`` (units accepted and not returned in the last review
    period, times the visibility factor of the caller) are shared among the active
    merchants plus itself, until ``room`` admissions are used (None: no cap). Sets
    ``active`` and ``joined_step``; a merchant coming back is no longer ``left`` and has
    a new grace period.
    """
    n_active = int(table.active.sum())
    if reentry_steps is not None:
        back = table.left & (table.left_step <= step - reentry_steps)
    else:
        back = np.zeros_like(table.left)
    pool = [a for a in agents if not table.active[a.index] and (not table.left[a.index] or back[a.index])]
    pool.sort(key=lambda a: (-a.expected_profit(period_sales / (n_active + 1)), a.index))
    for agent in pool:
        if room is not None and room <= 0:
            break
        if agent.expected_profit(period_sales / (n_active + 1)) <= 0:
            continue
        table.active[agent.index] = True
        table.joined_step[agent.index] = step
        if table.left[agent.index]:
            table.left[agent.index] = False
            agent.profits.clear()
        n_active += 1
        if room is not None:
            room -= 1


class DemandWindow:
    """Orders and demand (orders plus lost sales) per merchant over the last ``steps``
    steps: two ring buffers of float64, shape (steps, n_merchants)."""

    def __init__(self, steps: int, n_merchants: int) -> None:
        self.steps = steps
        self.orders = np.zeros((steps, n_merchants), dtype=np.float64)
        self.demand = np.zeros((steps, n_merchants), dtype=np.float64)

    def begin(self, step: int) -> None:
        """Clear the row of ``step`` (the oldest step leaves the window)."""
        self.orders[step % self.steps] = 0.0
        self.demand[step % self.steps] = 0.0

    def orders_row(self, step: int) -> np.ndarray:
        """The orders row of ``step`` (a view to add to)."""
        return self.orders[step % self.steps]

    def demand_row(self, step: int) -> np.ndarray:
        """The demand row of ``step`` (a view to add to)."""
        return self.demand[step % self.steps]

    @property
    def recent_orders(self) -> np.ndarray:
        """Orders per merchant over the window, float64 (n_merchants,)."""
        return self.orders.sum(axis=0)

    @property
    def recent_demand(self) -> np.ndarray:
        """Orders plus lost sales per merchant over the window, float64 (n_merchants,)."""
        return self.demand.sum(axis=0)


class ProfitHistory:
    """Profit of each merchant's last ``horizon`` review periods, RMB: row i of ``values``
    (float64, (n_merchants, horizon)) holds merchant i's ``count[i]`` (int64) periods,
    oldest first, in its first columns; a merchant keeps at most ``horizon`` of them (a
    bounded queue per merchant, as arrays)."""

    def __init__(self, n_merchants: int, horizon: int) -> None:
        self.horizon = int(horizon)
        self.values = np.zeros((n_merchants, self.horizon), dtype=np.float64)
        self.count = np.zeros(n_merchants, dtype=np.int64)

    def push(self, idx: np.ndarray, profit: np.ndarray) -> None:
        """Append ``profit[j]`` (float64) to merchant ``idx[j]``'s periods (``idx`` distinct),
        dropping the oldest of a merchant that had ``horizon`` already."""
        idx = np.asarray(idx, dtype=np.int64)
        profit = np.asarray(profit, dtype=np.float64)
        full = self.count[idx] == self.horizon
        f = idx[full]
        if f.size:
            self.values[f, :-1] = self.values[f, 1:]
            self.values[f, -1] = profit[full]
        grow = idx[~full]
        self.values[grow, self.count[grow]] = profit[~full]
        self.count[grow] += 1

    def total(self, idx: np.ndarray) -> np.ndarray:
        """Each of merchants ``idx``'s periods summed oldest first, one addition at a time
        (the order of Python's ``sum`` over a deque of float64 scalars), float64."""
        v = self.values[idx]
        out = v[:, 0].copy()
        for j in range(1, self.horizon):
            out += v[:, j]
        return out

    def clear(self, i: int) -> None:
        """Forget merchant ``i``'s periods (a merchant coming back has a new grace period)."""
        self.count[i] = 0
        self.values[i] = 0.0


class Profits:
    """One merchant's row of a :class:`ProfitHistory` as a sequence of floats (RMB, oldest
    first): ``len``, indexing, iteration, ``append``, ``extend``, ``clear``."""

    def __init__(self, history: ProfitHistory, index: int) -> None:
        self.history, self.index = history, index

    def __len__(self) -> int:
        return int(self.history.count[self.index])

    def __getitem__(self, k: int) -> float:
        n = len(self)
        if not -n <= k < n:
            raise IndexError("profit index out of range")
        return float(self.history.values[self.index, k % n])

    def __iter__(self):
        return iter(self.history.values[self.index, : len(self)].tolist())

    def append(self, profit: float) -> None:
        """Add one period's profit (the oldest beyond the horizon is dropped)."""
        self.history.push(np.array([self.index]), np.array([profit]))

    def extend(self, profits) -> None:
        """Add periods' profits, oldest first."""
        for p in profits:
            self.append(p)

    def clear(self) -> None:
        """Forget the merchant's periods."""
        self.history.clear(self.index)
