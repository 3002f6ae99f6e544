"""The merchants' restock and review over arrays (:func:`sim.model.merchants.restock_merchants`,
:func:`~sim.model.merchants.review_merchants`, :class:`~sim.model.merchants.ProfitHistory`)
give exactly what the agent-by-agent rules give: the same orders, the same profits summed
in the same order (a deque's Python ``sum`` of float64 scalars), the same exits."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest

from sim.model import GiftModel
from sim.model.merchants import ProfitHistory, restock_merchants, review_merchants
from sim.model.steps import merchants as steps_merchants

from ..conftest import small_scenario


def test_profit_history_is_a_bounded_queue_summed_as_python_sums_a_deque():
    rng = np.random.default_rng(3)
    n, horizon = 40, 4
    hist = ProfitHistory(n, horizon)
    ref = [deque() for _ in range(n)]
    for _ in range(30):
        idx = np.flatnonzero(rng.random(n) < 0.6)
        # magnitudes from 1e-3 to 1e11 with both signs: additions that round, in any order
        profit = rng.standard_normal(idx.size) * 10.0 ** rng.integers(-3, 12, idx.size)
        hist.push(idx, profit)
        for i, p in zip(idx, profit, strict=True):
            ref[i].append(p)  # numpy float64 scalars, as Merchant profits are
            if len(ref[i]) > horizon:
                ref[i].popleft()
        assert np.array_equal(hist.count, [len(d) for d in ref])
        full = np.flatnonzero(hist.count == horizon)
        assert [float(x) for x in hist.total(full)] == [float(sum(ref[i])) for i in full]  # bit for bit
    assert any(sum(d) != math.fsum(d) for d in ref)  # the order of addition matters for these values


def test_profits_view_reads_and_writes_the_history():
    hist = ProfitHistory(3, 2)
    m = GiftModel(small_scenario(), seed=1)
    m.profit_history = hist
    view = m.merchant_agents[1].profits
    assert not view and len(view) == 0
    view.extend([5.0, -1.0, 2.5])
    assert list(view) == [-1.0, 2.5] and view[-1] == 2.5 and view[0] == -1.0
    with pytest.raises(IndexError):
        view[2]
    view.clear()
    assert not view and hist.count[1] == 0


def _reference_review(m: GiftModel, profits: list[deque]) -> None:
    """The review rule merchant by merchant, with deques (the rule before the arrays)."""
    t, cfg = m.merchant_table, m.config.merchants
    for i in range(t.n_merchants):
        if t.active[i]:
            weekly = t.fixed_cost_per_week[i]
            if t.market.mini_program[i]:
                weekly = weekly + cfg.market.mini_program_cost_per_week
            profits[i].append(t.period_revenue[i] - t.period_cogs[i] - float(weekly * m.review_days / 7.0)
                              - t.market.period_ad_spend[i])
            if len(profits[i]) > cfg.exit_after:
                profits[i].popleft()
            if len(profits[i]) == cfg.exit_after and sum(profits[i]) < 0:
                t.active[i], t.left[i], t.left_step[i] = False, True, m.step_index
        t.period_revenue[i] = 0.0
        t.period_cogs[i] = 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_review_over_arrays_exits_as_the_rule_merchant_by_merchant(seed):
    sc = small_scenario(merchants={"exit_after": 3, "market": {"mini_program_cost_per_week": 7.0},
                                   "white_label": {"channel": "mini_program"}})
    a, b = GiftModel(sc, seed=seed), GiftModel(sc, seed=seed)
    rng = np.random.default_rng(seed)
    ref = [deque() for _ in range(a.merchant_table.n_merchants)]
    for review in range(6):
        revenue = rng.normal(40.0, 60.0, a.merchant_table.n_merchants)
        for m in (a, b):
            m.step_index = 7 * review + 6
            m.merchant_table.period_revenue[:] = revenue
            m.merchant_table.period_cogs[:] = 10.0
        review_merchants(a.merchant_table, a.profit_history, np.arange(a.merchant_table.n_merchants),
                         mini_cost=7.0, review_days=a.review_days, step=a.step_index)
        _reference_review(b, ref)
        ta, tb = a.merchant_table, b.merchant_table
        for name in ("active", "left", "left_step", "period_revenue", "period_cogs"):
            assert np.array_equal(getattr(ta, name), getattr(tb, name)), name
        assert [list(a.merchant_agents[i].profits) for i in range(len(ref))] == [[float(x) for x in d] for d in ref]
    assert b.merchant_table.left.any() and not b.merchant_table.left.all()  # some left, some stayed


def test_restock_over_arrays_orders_what_each_agent_would():
    sc = small_scenario(merchants={"demand_window_days": 3})
    m = GiftModel(sc, seed=4)
    t = m.merchant_table
    rng = np.random.default_rng(4)
    m.demand.demand[:] = rng.integers(0, 9, m.demand.demand.shape)
    m.step_index = 5
    idx = np.array([0, 2, 3, t.n_merchants - 1])
    before = t.incoming.copy()
    restock_merchants(m.merchant_agents, t, idx, recent_demand=m.recent_demand, window=m.demand_window_steps,
                      review_steps=m.review_steps, step=5)
    for i in idx:
        want = max(int(t.restock_quantity[i]),
                   math.ceil(m.recent_demand[i] / m.demand_window_steps * (t.lead_steps[i] + m.review_steps)))
        assert t.incoming[i] - before[i] == want
        assert list(m.merchant_agents[i].deliveries) == [(5 + max(1, int(t.lead_steps[i])), want)]
    assert np.array_equal(np.delete(t.incoming, idx), np.delete(before, idx))


def test_update_merchants_arrays_equal_agent_by_agent_over_a_run(monkeypatch):
    sc = small_scenario(merchants={"sme": {"fixed_cost_per_week": 150.0}, "market": {"reentry_after_days": 7}})
    fast, slow = GiftModel(sc, seed=2), GiftModel(sc, seed=2)
    arrays = (steps_merchants.restock_merchants, steps_merchants.review_merchants)

    def agent_by_agent(model):  # the sub-step's array calls replaced by Merchant.restock/review per agent
        def restock(agents, table, idx, **_):
            for i in idx:
                agents[i].restock()

        def review(table, history, idx, **_):
            model.merchants.do("review")
        return restock, review

    fast.run()
    monkeypatch.setattr(steps_merchants, "restock_merchants", agent_by_agent(slow)[0])
    monkeypatch.setattr(steps_merchants, "review_merchants", agent_by_agent(slow)[1])
    slow.run()
    assert (steps_merchants.restock_merchants, steps_merchants.review_merchants) != arrays
    tf, ts = fast.merchant_table.as_columns(), slow.merchant_table.as_columns()
    for name in tf:
        assert np.array_equal(tf[name], ts[name]), name
    assert fast.merchant_table.left.any()  # exits happened
