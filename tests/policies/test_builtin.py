"""Traffic-allocation policies: closed-form shares, the registry and plug-ins."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pytest

from sim.model import GiftModel
from sim.policies import (
    AllocationParams,
    ColdStartParams,
    EqualParams,
    HeadBoostParams,
    MerchantView,
    SalesProportionalParams,
    make_policy,
    normalise,
    register,
    registered_rules,
)

from ..conftest import small_scenario


def view(n=6, **kw) -> MerchantView:
    base = dict(
        day=30, step_days=1.0, active=np.ones(n, dtype=bool), kind=np.array([0, 0, 1, 1, 2, 2][:n], dtype=np.int8),
        followers=np.arange(n, dtype=np.float64) * 100, joined_day=np.zeros(n, dtype=np.int32),
        recent_orders=np.arange(n, dtype=np.float64), total_orders=np.zeros(n), total_impressions=np.zeros(n),
        quality=np.full(n, 0.5), expected_impressions=1000.0, kind_names=("brand", "sme", "white_label"),
    )
    base.update(kw)
    return MerchantView(**base)


def shares(params, v, seed=0):
    return normalise(make_policy(params).weights(v, np.random.default_rng(seed)), v.active)


def test_equal_splits_evenly_among_active():
    v = view(active=np.array([1, 1, 0, 1, 0, 1], dtype=bool))
    s = shares(EqualParams(), v)
    assert np.allclose(s, [0.25, 0.25, 0, 0.25, 0, 0.25])


@pytest.mark.parametrize("exponent", [0.0, 1.0, 2.0])
def test_sales_proportional_closed_form(exponent):
    v = view()
    s = shares(SalesProportionalParams(exponent=exponent, smoothing=1.0), v)
    w = (np.arange(6) + 1.0) ** exponent
    assert np.allclose(s, w / w.sum())


def test_head_boost_closed_form():
    v = view()  # kinds 0,0 are brands; followers increase with index
    s = shares(HeadBoostParams(boost=10, head_count=1, head_kinds=("brand",)), v)
    head = np.array([1, 1, 0, 0, 0, 1], dtype=bool)  # brands + top follower (index 5)
    expected = np.where(head, 10.0, 1.0) / (10 * 3 + 3)
    assert np.allclose(s, expected)


def test_cold_start_budget_then_conversion():
    joined = np.array([0, 0, 0, 0, 25, 28], dtype=np.int32)  # last two joined < 14 days ago
    v = view(joined_day=joined, total_orders=np.array([10, 0, 5, 0, 0, 0.0]),
             total_impressions=np.array([1000, 1000, 1000, 1000, 0, 0.0]))
    p = ColdStartParams(budget_impressions=50, budget_days=14, prior_conversion=0.002, prior_impressions=500)
    s = shares(p, v)
    assert np.allclose(s[4:], 50 / 1000)  # fixed budget each
    conv = (np.array([10, 0, 5, 0.0]) + 1.0) / 1500
    assert np.allclose(s[:4], 0.9 * conv / conv.sum())


def test_normalise_rejects_negative_and_falls_back_to_equal():
    active = np.ones(3, dtype=bool)
    with pytest.raises(ValueError):
        normalise(np.array([1.0, -1.0, 0.0]), active)
    assert np.allclose(normalise(np.zeros(3), active), 1 / 3)
    assert np.all(normalise(np.ones(3), np.zeros(3, dtype=bool)) == 0)


class FollowersParams(AllocationParams):
    rule: Literal["test_followers"] = "test_followers"
    exponent: float = 1.0


@register("test_followers", FollowersParams)
class Followers:
    def __init__(self, params):
        self.params = params

    def weights(self, v, rng):
        return np.where(v.active, (v.followers + 1) ** self.params.exponent, 0.0)


def test_user_policy_plugs_into_scenarios_and_the_model():
    assert "test_followers" in registered_rules()
    sc = small_scenario(policy__allocation={"rule": "test_followers", "exponent": 3})
    assert isinstance(sc.policy.allocation, FollowersParams) and sc.policy.allocation.exponent == 3
    m = GiftModel(sc, seed=1)
    m.run()
    mt = m.merchant_table
    # impressions follow followers^3: the top-followed active merchant gets the most
    top = np.argmax(np.where(mt.joined_step == 0, mt.followers, -1))
    assert mt.impressions[top] == mt.impressions.max()


def test_register_refuses_a_taken_name():
    with pytest.raises(ValueError, match="already registered"):
        register("equal", EqualParams)(Followers)


def test_head_boost_concentrates_traffic_in_the_model():
    eq = GiftModel(small_scenario(), seed=5)
    hb = GiftModel(small_scenario(policy__allocation={"rule": "head_boost", "boost": 20, "head_count": 3}), seed=5)
    eq.run()
    hb.run()

    def top3(m):
        imp = np.sort(m.merchant_table.impressions)[::-1]
        return imp[:3].sum() / imp.sum()

    assert top3(hb) > top3(eq) + 0.2
