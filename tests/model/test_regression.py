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
    "gifts_sent": 247, "gifts_accepted": 188, "gifts_expired": 48, "gifts_pending": 11,
    "cascades": 218, "max_depth": 2, "active_merchants": 22, "merchants_joined": 17,
    "merchants_left": 12,
}
# issue 14 (behaviour): reciprocity and pay-forward became independent decisions (a recipient
# who does both pays forward on a later day) with means 0.05 and 0.1 (were 0.2 and 0.2, pay-forward
# drawn only when not sending back): fewer gifts follow a received one (seed 7: 259 -> 247 gifts)
DAILY_GIFTS_SEED_7 = [0, 0, 1, 1, 1, 1, 2, 2, 2, 0, 3, 0, 0, 1, 0, 1, 5, 2, 4, 4, 3, 2, 1, 2, 3, 4, 3, 1, 2, 1,
                      4, 1, 4, 10, 2, 10, 7, 8, 6, 5, 11, 15, 10, 12, 7, 6, 3, 5, 2, 3, 6, 3, 6, 6, 12, 8, 12,
                      11]


def test_default_scenario_seeded_regression(wechat):
    r = run(wechat, 7)
    for k, v in EXPECTED_SEED_7.items():
        assert r.summary[k] == v, k
    assert r.summary["gmv_rmb"] == pytest.approx(31680.58166, abs=1e-3)
    assert r.summary["hhi"] == pytest.approx(0.05968196, abs=1e-8)
    assert r.summary["reproduction_number"] == pytest.approx(0.08016878, abs=1e-8)
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
    assert (a["gifts_sent"], a["gifts_accepted"], a["cascades"]) == (278, 208, 232)
    assert (b["gifts_sent"], b["gifts_accepted"], b["cascades"]) == (224, 155, 212)
    assert a["gmv_rmb"] == pytest.approx(23426.70178, abs=1e-3) and b["gmv_rmb"] == pytest.approx(22164.27069, abs=1e-3)
