"""The per-agent reference model as an oracle for the vectorised engine.

Both models run a busy scenario (:data:`sim.reference.oracle.ORACLE_SCENARIO`: 600 users,
the default calendar, scarce stock, some muting) on the same graph, 60 seeds each;
Welch's two-sample t-test compares the mean of each of 15 outcomes at a family-wise
level of 0.001 (Bonferroni: each at 6.7e-5). The same comparison must reject a
reference whose sending or acceptance rule is changed by 10%, which shows the test has
the power to see such a change.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.calendar import run_occasions
from sim.graph import build_graph
from sim.model.calendar import Calendar
from sim.reference import ReferenceModel, compare, replicate
from sim.reference.model import occasion_lift_on, rollout_share_on
from sim.reference.oracle import TESTED_OUTCOMES, altered_rules, oracle_scenario
from sim.scenario import with_overrides

REPLICATES = 60
FAMILY_ALPHA = 0.001


@pytest.fixture(scope="module")
def oracle():
    sc = oracle_scenario()
    graph = build_graph(sc.graph, rng=np.random.default_rng(11))
    engine = replicate(sc, graph, list(range(REPLICATES)), reference=False)
    return sc, graph, engine


def test_engine_agrees_with_the_reference_model(oracle):
    sc, graph, engine = oracle
    reference = replicate(sc, graph, list(range(10_000, 10_000 + REPLICATES)), reference=True)
    rows = compare(engine, reference, TESTED_OUTCOMES, family_alpha=FAMILY_ALPHA)
    assert all(r.agrees for r in rows), "\n".join(r.line() for r in rows)
    # the scenario exercises what it is meant to: stockouts, budgets, muting, churn
    means = {r.outcome: r.engine_mean for r in rows}
    assert means["gifts_sent"] > 300 and means["stockouts"] > 20 and means["unaffordable"] > 20
    assert means["muted_users"] > 30 and means["merchants_left"] > 3 and means["gifts_expired"] > 50


@pytest.mark.parametrize("change", ["send probability x 1.1", "acceptance probability x 0.9"])
def test_the_comparison_detects_a_10_percent_rule_change(oracle, change):
    sc, graph, engine = oracle
    altered, model_class, moved = altered_rules(sc)[change]
    first = 20_000 if "send" in change else 30_000
    mutant = replicate(altered, graph, list(range(first, first + REPLICATES)), reference=True,
                       model_class=model_class)
    rows = {r.outcome: r for r in compare(engine, mutant, TESTED_OUTCOMES, family_alpha=FAMILY_ALPHA)}
    assert not rows[moved].agrees, rows[moved].line()


def test_reference_conserves_money_and_stock():
    m = ReferenceModel(oracle_scenario(), seed=5)
    m.run()
    c = m.outcomes()
    pending_value = sum(g.price for g in m.pending)
    assert c["paid_rmb"] == pytest.approx(c["gmv_rmb"] + c["refunded_rmb"] + pending_value)
    assert all(s.stock >= 0 and s.available >= 0 and s.incoming >= 0 for s in m.shops)
    held = {}
    for g in m.pending:
        held[g.shop.index] = held.get(g.shop.index, 0) + 1
    assert all(s.reserved == held.get(s.index, 0) for s in m.shops)
    assert all(u.budget >= -1e-9 for u in m.users)
    assert c["gifts_sent"] == c["gifts_accepted"] + c["gifts_expired"] + c["gifts_pending"]
    assert c["stockouts"] > 0 and c["gifts_returned"] > 0 and c["muted_users"] > 0


def test_reference_calendar_matches_the_engine_calendar(wechat):
    # the yearly calendar (the WeChat scenario's), over three years: the same dated occasions
    wechat = with_overrides(wechat, [("time.end", "2027-12-31")])
    occasions = run_occasions(wechat)
    assert wechat.calendar.yearly and len(occasions) > 20
    cal = Calendar.build(wechat.time, wechat.rollout, occasions)
    days = [wechat.time.start + dt.timedelta(days=i) for i in range(wechat.time.n_steps)]
    assert [occasion_lift_on(d, occasions) for d in days] == pytest.approx(cal.lift.tolist(), abs=1e-12)
    assert [rollout_share_on(d, wechat.rollout) for d in days] == pytest.approx(cal.rollout.tolist(), abs=1e-12)


@pytest.mark.parametrize("override", [
    ("policy.push.enabled", True), ("policy.induced_sharing.enabled", True),
    ("gifts.chat_entry_from", "2025-01-17"), ("gifts.item", "cash"), ("population.response.enabled", True),
    ("calendar.birthday_gift_rate", 0.01), ("groups.enabled", True), ("policy.paid_traffic.enabled", True),
    ("merchants.brand.channel", "choose"), ("merchants.sme.per_10k_users", 50.0),
    ("merchants.market.reentry_after_days", 30), ("merchants.market.visibility_weight", 1.0),
    ("policy.push.events", [{"date": "2025-01-10", "reach": 0.5}]),
])
def test_reference_refuses_rules_it_does_not_implement(wechat, override):
    with pytest.raises(ValueError, match="does not implement"):
        ReferenceModel(with_overrides(wechat, [override]), seed=0)
