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
    "gifts_sent": 529, "gifts_accepted": 417, "gifts_expired": 97, "gifts_pending": 15,
    "cascades": 457, "max_depth": 2, "active_merchants": 23, "merchants_joined": 17,
    "merchants_left": 11,
}
# issue 14: reciprocity and pay-forward became independent decisions (a recipient who does both
# pays forward on a later day) with means 0.05 and 0.1 (were 0.2 and 0.2, pay-forward drawn only
# when not sending back): fewer gifts follow a received one (seed 7: 259 -> 247 gifts); then budgets
# per month (median 250 RMB, renewed on 2025-01-01 and 02-01, instead of 500 for the run: less to
# spend before New Year) and the yearly calendar (adds Lantern Festival, 2025-02-12): 247 -> 232.
# issue 15: the calibrated defaults (docs/evidence.md): pass-on means 0.012 and 0.004, a gifting
# chance on a visit of 0.49 (was 0.25), click-through 0.064 (0.05), acceptance intercept 0.75 (0.5),
# brands' fixed cost 85 (40): more feed gifts, far fewer passed on: 232 -> 529
DAILY_GIFTS_SEED_7 = [0, 1, 0, 0, 1, 3, 1, 1, 1, 1, 0, 5, 4, 9, 5, 2, 2, 2, 2, 5, 5, 2, 7, 2, 7, 3, 8, 4, 6, 12,
                      5, 11, 11, 12, 14, 11, 19, 14, 18, 34, 28, 19, 24, 23, 13, 7, 15, 12, 9, 8, 13, 9, 12, 12,
                      18, 20, 22, 15]


def test_default_scenario_seeded_regression(wechat):
    r = run(wechat, 7)
    for k, v in EXPECTED_SEED_7.items():
        assert r.summary[k] == v, k
    assert r.summary["gmv_rmb"] == pytest.approx(46598.80119, abs=1e-3)
    assert r.summary["hhi"] == pytest.approx(0.04880755, abs=1e-8)
    assert r.summary["reproduction_number"] == pytest.approx(0.04989605, abs=1e-8)
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
    assert (a["gifts_sent"], a["gifts_accepted"], a["cascades"]) == (583, 454, 485)
    assert (b["gifts_sent"], b["gifts_accepted"], b["cascades"]) == (505, 377, 436)
    assert a["gmv_rmb"] == pytest.approx(48137.13562, abs=1e-3) and b["gmv_rmb"] == pytest.approx(42038.28097, abs=1e-3)


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
    assert tuple(s[k] for k in counts) == (6195, 5146, 1022, 241, 731, 30, 17, 35, 38, 25, 30)
    assert s["gmv_rmb"] == pytest.approx(599741.75671, abs=1e-3)
    assert s["returns_rmb"] == pytest.approx(24832.35549, abs=1e-3)
    assert s["ad_revenue_rmb"] == pytest.approx(12300.2, abs=1e-6)
    assert s["group_send_back_per_rmb"] == pytest.approx(0.17718191, abs=1e-8)
    assert s["hhi"] == pytest.approx(0.08164590, abs=1e-8)
    # seed 7 draws no beauty brand among the 4 brands (weights 3 / 3 / 1)
    assert set(r.merchants["category"].dropna()) == {"small_appliances", "luxury", "books", "food", "apparel"}
