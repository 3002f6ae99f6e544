"""A user's own Merchant subclass (``GiftModel(..., merchant_class=...)``): its restock,
review and entry decisions replace the built-in ones, called per merchant."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import GiftModel, Merchant
from tests.conftest import small_scenario

STOCK = 4


def scarce():
    """Every kind starts with STOCK units, below its reorder point: restocking matters from day one."""
    return small_scenario(merchants={"brand": {"fixed_cost_per_week": 40.0, "initial_stock": STOCK},
                                     "sme": {"initial_stock": STOCK}, "white_label": {"initial_stock": STOCK}})


def _run(merchant_class=Merchant, seed: int = 3) -> GiftModel:
    m = GiftModel(scarce(), seed=seed, merchant_class=merchant_class)
    m.run()
    return m


class NeverRestock(Merchant):
    """Orders nothing, ever; records when the engine asked."""

    calls: list[tuple[int, int]] = []

    def restock(self) -> None:
        NeverRestock.calls.append((self.model.step_index, self.index))


class PassThrough(Merchant):
    """The built-in decisions, through the per-merchant path."""

    def restock(self) -> None:
        super().restock()

    def review(self) -> None:
        super().review()


class LeaveAtFirstReview(Merchant):
    def review(self) -> None:
        self.leave()


class NeverJoin(Merchant):
    def expected_profit(self, orders: float) -> float:
        return -1.0


def test_a_merchant_that_never_restocks_sells_only_its_first_stock():
    NeverRestock.calls.clear()
    base, never = _run(), _run(NeverRestock)
    t, s = never.merchant_table, never.recorder.columns
    assert all(isinstance(a, NeverRestock) for a in never.merchant_agents) and never.merchant_class is NeverRestock
    assert not t.incoming.any() and not any(a.deliveries for a in never.merchant_agents)
    assert t.accepted.max() <= STOCK and t.stock.max() <= STOCK  # sold from its first stock only
    assert (t.accepted == STOCK).sum() > t.n_merchants / 2 and s["stockouts"].sum() > 0
    assert base.merchant_table.accepted.max() > STOCK and base.recorder.columns["stockouts"].sum() == 0
    assert s["gifts_sent"].sum() < base.recorder.columns["gifts_sent"].sum()
    # asked per merchant at its reorder point, once a step at most, never per user
    steps = never.n_steps
    assert len(NeverRestock.calls) == len(set(NeverRestock.calls)) <= steps * t.n_merchants
    assert {i for _, i in NeverRestock.calls} <= set(range(t.n_merchants))
    assert len({s for s, _ in NeverRestock.calls}) == steps  # every step, the empty merchants asked again


def test_the_per_merchant_path_gives_the_array_paths_results():
    a, b = _run(), _run(PassThrough)
    ta, tb = a.merchant_table.as_columns(), b.merchant_table.as_columns()
    for name in ta:
        assert np.array_equal(ta[name], tb[name]), name
    for name, col in a.recorder.columns.items():
        assert np.array_equal(col, b.recorder.columns[name]), name
    assert a.merchant_table.left.any()  # reviews made merchants leave: the review path was exercised


def test_a_merchant_that_leaves_at_its_first_review():
    base, gone = _run(), _run(LeaveAtFirstReview)
    t, first_review = gone.merchant_table, gone.review_steps - 1
    at_start = np.flatnonzero(t.joined_step == 0)
    assert at_start.size > 0 and (t.left_step[at_start] == first_review).all() and t.left[at_start].all()
    assert gone.recorder.columns["merchants_left"][first_review] >= at_start.size
    assert base.recorder.columns["merchants_left"][first_review] < at_start.size


def test_a_merchant_that_never_joins():
    base, never = _run(), _run(NeverJoin)
    assert base.recorder.columns["merchants_joined"].sum() > 0
    assert never.recorder.columns["merchants_joined"].sum() == 0
    assert (never.merchant_table.joined_step <= 0).all()


@pytest.mark.parametrize("bad", [object, "Merchant", Merchant(GiftModel(small_scenario(), seed=1), 0)])
def test_merchant_class_must_be_a_merchant_subclass(bad):
    with pytest.raises(TypeError, match="merchant_class must be sim.model.Merchant or a subclass"):
        GiftModel(small_scenario(), seed=1, merchant_class=bad)
