"""The market mechanisms of issue 14: per-capita merchant pools, entry with the visibility
the gift feature brings, re-entry, a brand's channel (shop or own mini program) and paid
traffic."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.model import GiftModel
from sim.model.market import channel_profits, choose_channels
from sim.model.merchants import admit_entrants
from sim.model.states import GiftSource
from sim.model.steps.merchants import visibility_factor
from sim.model.steps.paid import bought_impressions
from sim.runner import collect
from sim.scenario import Scenario, ScenarioError, with_overrides

from ..conftest import small_scenario
from .test_model import check_invariants

ALL_ON = {
    "policy__paid_traffic": {"enabled": True, "ad_budget_share": 0.3, "cpm_rmb": 50.0},
    "merchants__market": {"visibility_weight": 2.0, "reentry_after_days": 7, "mini_program_cost_per_week": 5.0},
    "merchants__brand": {"channel": "choose"},
    "merchants__sme": {"per_10k_users": 500.0, "fixed_cost_per_week": 60.0},
    "merchants__white_label": {"channel": "mini_program"},
    "gifts__chat_entry_from": "2024-12-25",
}


def run_model(sc, seed=1, steps=None) -> GiftModel:
    m = GiftModel(sc, seed=seed)
    for _ in range(m.n_steps if steps is None else steps):
        m.step()
    return m


# --------------------------------------------------------------------------- per-capita pools
def test_per_10k_users_scales_the_pool_with_the_graph():
    for n in (400, 1000):
        sc = small_scenario(graph={"kind": "barabasi_albert", "n": n, "m": 2, "seed": 3},
                            merchants={"sme": {"per_10k_users": 250.0}, "brand": {"count": 3}})
        mt = GiftModel(sc, seed=1).merchant_table
        kinds = np.bincount(mt.kind, minlength=3)
        assert kinds[1] == round(250 * n / 10_000)  # 10, 25: count (20) ignored
        assert kinds[0] == 3 and kinds[2] == 10  # counts of the other kinds as given


def test_per_10k_users_too_many_merchants_is_refused_naming_the_key():
    with pytest.raises(ScenarioError) as info:
        small_scenario(graph={"kind": "barabasi_albert", "n": 2_000_000, "m": 1},
                       merchants={"sme": {"per_10k_users": 2000.0}})
    msg = str(info.value)
    assert "merchants.sme.per_10k_users" in msg and "at most 300,000" in msg
    with pytest.raises(ScenarioError) as info:
        small_scenario(merchants={"sme": {"per_10k_users": -1.0}})
    assert "merchants.sme.per_10k_users" in str(info.value)


def test_per_10k_users_checked_against_a_file_graph_before_drawing():
    from sim.model.model import check_pool
    sc = small_scenario(merchants={"white_label": {"per_10k_users": 10_000.0}})
    check_pool(sc, 400)
    with pytest.raises(ScenarioError, match=r"merchants.white_label.per_10k_users: brings the merchants of all "
                                            r"kinds to 300,024 on 300,000 users"):
        check_pool(sc, 300_000)


def test_bad_channel_is_one_clear_message():
    with pytest.raises(ScenarioError) as info:
        small_scenario(merchants={"brand": {"channel": "app"}})
    msg = str(info.value)
    assert "merchants.brand.channel" in msg and "mini_program" in msg


def test_market_keys_left_out_of_dumps_at_defaults_and_kept_otherwise():
    dump = json.loads(small_scenario().model_dump_json(by_alias=True))
    assert "paid_traffic" not in dump["policy"] and "market" not in dump["merchants"]
    assert not {"per_10k_users", "channel"} & set(dump["merchants"]["sme"])
    sc = small_scenario(**ALL_ON)
    again = Scenario.model_validate(json.loads(sc.model_dump_json(by_alias=True)))
    assert again == sc and again.policy.paid_traffic.cpm_rmb == 50.0


# --------------------------------------------------------------------------- entry and re-entry
def _entry_model(**market):
    sc = small_scenario(merchants={"market": market, "sme": {"joined_at_start": 0.0},
                                   "brand": {"count": 0}, "white_label": {"count": 0}})
    return GiftModel(sc, seed=1)


def test_entry_responds_to_visibility():
    """Sales that do not pay for entry on their own do once the megaphone multiplies them."""
    m = _entry_model(visibility_weight=3.0)
    t, agent = m.merchant_table, m.merchant_agents[0]
    # expected profit of one entrant = orders * expectation * margin - fixed: the break-even sales
    margin = t.price * (1 - t.commission - t.unit_cost_share)
    fixed = t.fixed_cost_per_week  # weekly reviews
    best = int(np.argmax(margin - fixed / 1e9))
    sales = 0.8 * fixed[best] / margin[best]  # below break-even for every merchant of the kind
    assert visibility_factor(m.config.merchants, 0.0) == 1.0
    assert visibility_factor(m.config.merchants, 0.5) == 2.5
    admit_entrants(m.merchant_agents, t, period_sales=sales, room=None, step=6)
    assert not t.active.any()
    admit_entrants(m.merchant_agents, t, period_sales=sales * visibility_factor(m.config.merchants, 0.5),
                   room=None, step=6)
    assert t.active[best] and agent.table is t


def test_entry_visibility_in_a_run():
    sc = small_scenario(merchants={"sme": {"joined_at_start": 0.2, "fixed_cost_per_week": 150.0}})
    off = collect(run_model(sc)).summary["merchants_joined"]
    on = collect(run_model(with_overrides(sc, [("merchants.market.visibility_weight", 5.0)]))).summary
    assert on["merchants_joined"] > off


def test_reentry_after_days():
    m = _entry_model(reentry_after_days=14)
    t = m.merchant_table
    t.left[:3] = True
    t.left_step[:3] = [6, 7, 13]
    agents = m.merchant_agents
    agents[0].profits.extend([-1.0, -2.0])
    admit_entrants(agents, t, period_sales=1e6, room=None, step=20, reentry_steps=14)
    assert t.active[0] and not t.left[0] and t.joined_step[0] == 20 and not agents[0].profits  # new grace
    assert not t.active[1] and not t.active[2] and t.left[1] and t.left[2]  # left 13 and 7 steps ago: not yet
    admit_entrants(agents, t, period_sales=1e6, room=None, step=20, reentry_steps=None)
    assert not t.active[1]  # never, without re-entry


def test_reentry_in_a_run_brings_merchants_back():
    sc = small_scenario(merchants={"sme": {"fixed_cost_per_week": 150.0, "expectation": 3.0}},
                        time={"start": "2024-12-19", "end": "2025-03-31"})
    m = run_model(with_overrides(sc, [("merchants.market.reentry_after_days", 7)]))
    back = (m.merchant_table.joined_step > m.merchant_table.left_step) & (m.merchant_table.left_step >= 0)
    assert back.any()
    m0 = run_model(sc)
    assert not ((m0.merchant_table.joined_step > m0.merchant_table.left_step)
                & (m0.merchant_table.left_step >= 0)).any()


# --------------------------------------------------------------------------- channels
def test_channel_profits_closed_form():
    shop, mini = channel_profits(np.array([4.0, 0.0]), np.array([2.0, 2.0]), price=np.array([100.0, 100.0]),
                                 unit_cost_share=np.array([0.6, 0.6]), shop_commission=np.array([0.05, 0.05]),
                                 expectation=np.array([1.0, 2.0]), mini_program=np.array([False, True]),
                                 feed_per_shop_merchant=3.0, mini_cost=10.0)
    assert shop == pytest.approx([6 * 100 * 0.35, (2 + 6) * 100 * 0.35])
    assert mini == pytest.approx([2 * 100 * 0.4 - 10, 2 * 100 * 0.4 - 10])


def test_mini_program_gets_no_organic_impressions_and_pays_no_commission():
    sc = small_scenario(merchants={"brand": {"channel": "mini_program", "count": 5, "joined_at_start": 1.0}},
                        gifts={"send_probability": 0.5, "chat_entry_from": "2024-12-19", "chat_entry_rate": 0.2})
    m = run_model(sc)
    res = collect(m)
    brand = res.merchants[res.merchants["kind"] == "brand"]
    assert (brand["channel"] == "mini_program").all() and (brand["impressions"] == 0).all()
    assert (brand["commission"] == 0).all() and brand["gmv"].sum() > 0
    returned = res.gifts.loc[res.gifts["returned"] & res.gifts["merchant"].isin(brand["merchant"]), "price"].sum()
    assert brand["revenue"].sum() == pytest.approx(brand["gmv"].sum() - returned)  # all revenue kept
    g = res.gifts[res.gifts["merchant"].isin(brand["merchant"])]
    assert not g["source"].isin(["impression", "push"]).any()
    others = res.merchants[res.merchants["kind"] != "brand"]
    assert others["impressions"].sum() > 0
    check_invariants(m)


def test_choosers_switch_to_the_more_profitable_channel():
    sc = small_scenario(merchants={"brand": {"channel": "choose", "count": 2, "joined_at_start": 1.0}})
    m = GiftModel(sc, seed=1)
    t, led = m.merchant_table, m.ledger
    # brand 0: two gifts from the chat entry, none from the feed -> the mini program pays more
    # brand 1: feed gifts only -> stays in the shop
    led.append(sender=np.array([0, 1, 2, 3]), recipient=np.array([5, 6, 7, 8]), merchant=np.array([0, 0, 1, 1]),
               price=np.ones(4), tie=np.ones(4, dtype=np.float32),
               source=np.array([GiftSource.CHAT, GiftSource.RECIPROCITY, GiftSource.IMPRESSION,
                                GiftSource.IMPRESSION], dtype=np.int8), step=6, deadline=7)
    assert choose_channels(t, led, sc.merchants.market, step=6, review_steps=7, review_days=7) == 1
    assert t.market.mini_program[0] and not t.market.mini_program[1]
    assert t.commission[0] == 0 and t.commission[1] == sc.merchants.brand.commission
    # back in the shop once the mini program's cost outweighs the commission saved
    costly = with_overrides(sc, [("merchants.market.mini_program_cost_per_week", 1e6)])
    assert choose_channels(t, led, costly.merchants.market, step=6, review_steps=7, review_days=7) == 1
    assert not t.market.mini_program[0] and t.commission[0] == sc.merchants.brand.commission
    assert list(t.market.switches[:2]) == [2, 0]


# --------------------------------------------------------------------------- paid traffic
def test_bought_impressions_cap():
    rate = np.array([10, 30, 60, 5])
    active = np.array([True, True, True, False])
    assert list(bought_impressions(rate, active, 1000)) == [10, 30, 60, 0]
    assert list(bought_impressions(rate, active, 50)) == [5, 15, 30, 0]
    assert list(bought_impressions(rate, active, 3)) == [0, 1, 2, 0]  # remainders 0.3, 0.9, 0.8
    assert list(bought_impressions(rate, active, 0)) == [0, 0, 0, 0]


def test_paid_traffic_spend_and_share():
    sc = small_scenario(policy={"commercial_share": 0.2, "paid_traffic": {"enabled": True, "cpm_rmb": 80.0,
                                                                          "max_per_user": 5.0}})
    m = run_model(sc, steps=7)
    st, t = m.merchant_table.market, m.merchant_table
    assert st.paid_impressions.sum() == 0  # nothing bought before the first review
    buyer = int(np.flatnonzero(t.active)[0])
    st.ad_rate[:] = 0
    st.ad_rate[buyer] = 500
    before = t.impressions.copy()
    m.step()
    gained = t.impressions - before
    assert st.paid_impressions[buyer] == 500 and st.paid_impressions.sum() == 500
    assert st.ad_spend[buyer] == pytest.approx(500 * 80.0 / 1000)
    assert gained[buyer] >= 500
    assert gained[buyer] / gained.sum() > 1.5 / t.active.sum()  # well above the equal share
    assert collect(m).summary["ad_revenue_rmb"] == pytest.approx(40.0)


def test_paid_traffic_budget_rule_and_money_in_a_run():
    sc = small_scenario(policy={"commercial_share": 0.2,
                                "paid_traffic": {"enabled": True, "ad_budget_share": 0.5, "cpm_rmb": 20.0}})
    m = run_model(sc)
    st = m.merchant_table.market
    res = collect(m)
    assert st.paid_impressions.sum() > 0
    assert st.ad_spend == pytest.approx(st.paid_impressions * 20.0 / 1000)
    assert res.summary["ad_revenue_rmb"] == pytest.approx(st.ad_spend.sum())
    assert res.merchants["ad_spend"].sum() == pytest.approx(st.ad_spend.sum())
    check_invariants(m)
    off = collect(run_model(small_scenario())).summary
    assert off["ad_revenue_rmb"] == 0.0


def test_paid_traffic_off_draws_nothing():
    """Paid traffic enabled with no budget draws nothing: the run equals the one without it."""
    sc = small_scenario()
    a = collect(run_model(sc))
    b = collect(run_model(with_overrides(sc, [("policy.paid_traffic", {"enabled": True, "ad_budget_share": 0.0})])))
    assert a.gifts.equals(b.gifts) and a.series.equals(b.series)


# --------------------------------------------------------------------------- invariants
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_invariants_with_every_market_mechanism_on(seed):
    m = run_model(small_scenario(**ALL_ON), seed=seed)
    check_invariants(m)
    st, t = m.merchant_table.market, m.merchant_table
    assert st.ad_spend == pytest.approx(st.paid_impressions * 50.0 / 1000)
    assert np.all(t.commission[st.mini_program] == 0)
    assert np.all(t.commission[~st.mini_program] == st.shop_commission[~st.mini_program])


def test_review_profit_books_ad_spend_and_mini_program_cost():
    sc = small_scenario(merchants={"market": {"mini_program_cost_per_week": 14.0}, "exit_after": 3,
                                   "white_label": {"channel": "mini_program"}})
    m = GiftModel(sc, seed=1)
    t, st = m.merchant_table, m.merchant_table.market
    shop = int(np.flatnonzero(t.active & ~st.mini_program)[0])
    mini = int(np.flatnonzero(t.active & st.mini_program)[0])
    for i in (shop, mini):
        t.period_revenue[i], t.period_cogs[i], st.period_ad_spend[i] = 100.0, 30.0, 12.5
        m.merchant_agents[i].review()
    fixed = t.fixed_cost_per_week
    assert m.merchant_agents[shop].profits[-1] == pytest.approx(100 - 30 - fixed[shop] - 12.5)
    assert m.merchant_agents[mini].profits[-1] == pytest.approx(100 - 30 - (fixed[mini] + 14.0) - 12.5)


def test_budget_rule_closed_form_and_spend_within_budget():
    from sim.scenario.market_config import PaidTrafficConfig
    sc = small_scenario(policy={"commercial_share": 0.2, "paid_traffic": {"enabled": True, "ad_budget_share": 0.25,
                                                                          "cpm_rmb": 30.0}})
    m = GiftModel(sc, seed=1)
    st = m.merchant_table.market
    active = np.array([True] * 3 + [False] * (m.merchant_table.n_merchants - 3))
    revenue = np.zeros(m.merchant_table.n_merchants)
    revenue[:4] = [700.0, 10.0, -50.0, 900.0]
    st.set_ad_rates(active, revenue, sc.policy.paid_traffic, review_steps=7)
    assert list(st.ad_rate[:4]) == [int(0.25 * 700 * 1000 / 30 / 7), int(0.25 * 10 * 1000 / 30 / 7), 0, 0]
    st.set_ad_rates(active, revenue, PaidTrafficConfig(), review_steps=7)  # off: rates unchanged
    assert st.ad_rate[0] == 833
    m = run_model(sc)
    st, t = m.merchant_table.market, m.merchant_table
    assert 0 < st.ad_spend.sum() <= 0.25 * t.revenue.sum()


def test_per_10k_users_checked_against_a_file_graph_when_the_model_is_built(tmp_path):
    n = 100_001  # three kinds of one merchant per user: 300,003 merchants
    path = tmp_path / "path.txt"
    path.write_text("\n".join(f"{i} {i + 1}" for i in range(n - 1)), encoding="utf-8")
    sc = small_scenario(graph={"kind": "edgelist", "path": str(path)},
                        merchants={k: {"per_10k_users": 10_000.0} for k in ("brand", "sme", "white_label")})
    with pytest.raises(ScenarioError, match=r"merchants.white_label.per_10k_users: brings the merchants of all "
                                            r"kinds to 300,003 on 100,001 users; allowed: at most 300,000"):
        GiftModel(sc, seed=1)
