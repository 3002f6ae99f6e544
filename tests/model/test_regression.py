"""Seeded regression of the default scenario, and byte-identical outputs for equal seeds.

If a deliberate model change moves these numbers, rerun
``python -c "from sim import load_scenario, run; print(run(load_scenario('scenarios/wechat_gift_launch.toml'), 7).summary)"``
and update them in the same commit, saying why.
"""

from __future__ import annotations

import filecmp

import pytest

from sim import run
from sim.cli import main as cli_main
from sim.results import TABLES

EXPECTED_SEED_7 = {
    "gifts_sent": 232, "gifts_accepted": 178, "gifts_expired": 47, "gifts_pending": 7,
    "cascades": 207, "max_depth": 2, "active_merchants": 18, "merchants_joined": 17,
    "merchants_left": 16,
}
# issue 14: reciprocity and pay-forward became independent decisions (a recipient who does both
# pays forward on a later day) with means 0.05 and 0.1 (were 0.2 and 0.2, pay-forward drawn only
# when not sending back): fewer gifts follow a received one (seed 7: 259 -> 247 gifts); then budgets
# per month (median 250 RMB, renewed on 2025-01-01 and 02-01, instead of 500 for the run: less to
# spend before New Year) and the yearly calendar (adds Lantern Festival, 2025-02-12): 247 -> 232
DAILY_GIFTS_SEED_7 = [0, 0, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 2, 2, 0, 0, 2, 1, 1, 3, 5, 3, 2,
                      1, 3, 3, 3, 2, 5, 6, 20, 11, 16, 12, 15, 11, 12, 7, 8, 3, 1, 3, 7, 8, 2, 3, 1, 6, 8, 12,
                      7]


def test_default_scenario_seeded_regression(wechat):
    r = run(wechat, 7)
    for k, v in EXPECTED_SEED_7.items():
        assert r.summary[k] == v, k
    assert r.summary["gmv_rmb"] == pytest.approx(20596.65862, abs=1e-3)
    assert r.summary["hhi"] == pytest.approx(0.06232179, abs=1e-8)
    assert r.summary["reproduction_number"] == pytest.approx(0.08407080, abs=1e-8)
    assert r.series["gifts_sent"].tolist() == DAILY_GIFTS_SEED_7
    # gifting visibly spreads on the Facebook graph: hundreds of gifts, cascades beyond one step
    assert r.summary["gifts_sent"] > 200 and r.summary["max_depth"] >= 2


def test_same_seed_gives_byte_identical_files(tmp_path, capsys):
    args = ["run", "scenarios/wechat_gift_launch.toml", "--seed", "7", "--quiet", "--out", str(tmp_path)]
    assert cli_main(args) == 0
    assert cli_main(args) == 0
    first, second = sorted(p for p in tmp_path.iterdir())
    assert second.name == first.name + "-2"  # never overwritten
    for name in [f"{t}.parquet" for t in TABLES] + ["summary.json"]:
        assert filecmp.cmp(first / name, second / name, shallow=False), name


def test_different_seeds_differ(wechat):
    # seeded values of two other seeds: each seed gives its own run, not one of another seed
    a, b = run(wechat, 1).summary, run(wechat, 2).summary
    assert (a["gifts_sent"], a["gifts_accepted"], a["cascades"]) == (248, 185, 210)
    assert (b["gifts_sent"], b["gifts_accepted"], b["cascades"]) == (231, 171, 210)
    assert a["gmv_rmb"] == pytest.approx(19323.64934, abs=1e-3) and b["gmv_rmb"] == pytest.approx(16767.55739, abs=1e-3)


def test_seeded_regression_with_every_issue_14_mechanism_on(wechat):
    # the long-horizon chat-entry scenario (group gifts, birthdays, monthly budgets, yearly
    # calendar, per-capita pools, entry with visibility, re-entry, brands choosing their
    # channel) to mid-2025, with product categories on every kind and paid traffic allowed:
    # pinned so that a change to any of these mechanisms shows here
    from sim import load_scenario
    from sim.scenario import with_overrides

    sc = with_overrides(load_scenario("scenarios/wechat_chat_entry_3y.toml"), [
        ("time.end", "2025-06-30"),
        ("merchants.brand.categories", {"small_appliances": 3.0, "beauty": 3.0, "luxury": 1.0}),
        ("merchants.sme.categories", {"books": 3.0, "food": 3.0, "apparel": 2.0}),
        ("merchants.white_label.categories", {"apparel": 3.0, "food": 2.0}),
        ("policy.paid_traffic", {"enabled": True, "ad_budget_share": 0.1, "cpm_rmb": 40.0, "max_per_user": 0.5})])
    r = run(sc, 7)
    s = r.summary
    counts = ("gifts_sent", "gifts_accepted", "gifts_expired", "group_gifts", "group_claims", "first_gifts_occasion",
              "gifts_sent_back", "gifts_paid_forward", "merchants_joined", "merchants_left", "active_merchants")
    assert tuple(s[k] for k in counts) == (3318, 2716, 578, 248, 705, 55, 77, 146, 41, 30, 28)
    assert s["gmv_rmb"] == pytest.approx(296995.53696, abs=1e-3)
    assert s["returns_rmb"] == pytest.approx(12473.62460, abs=1e-3)
    assert s["ad_revenue_rmb"] == pytest.approx(11753.68, abs=1e-6)
    assert s["group_send_back_per_rmb"] == pytest.approx(0.11189132, abs=1e-8)
    assert s["hhi"] == pytest.approx(0.07045877, abs=1e-8)
    # seed 7 draws no beauty brand among the 4 brands (weights 3 / 3 / 1)
    assert set(r.merchants["category"].dropna()) == {"small_appliances", "luxury", "books", "food", "apparel"}
