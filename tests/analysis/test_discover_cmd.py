"""``giftsim discover`` end to end on a real batch with uncertainty draws, whose answer is
planted by construction: push gives more gifts than induced sharing only as far as its
click-through allows, so push loses in the draws of low click-through. Then the report's
section, the dashboard's panel, and one clear message (exit 2) for every bad input."""

from __future__ import annotations

import json
import sys

import ipyvue
import numpy as np
import pandas as pd
import pytest
import solara

from sim.analysis import discovery_stem, read_discoveries
from sim.cli import main

from ..tiny_batch import tiny_batch

TWO_POINTS = ('[[variants]]\nname = "induced sharing"\nset = { "policy.induced_sharing.enabled" = true }\n'
              '[[variants]]\nname = "push"\nset = { "policy.push.enabled" = true }\n')
RANGES = 'ranges = { "policy.push.click_through" = [0.0, 1.0], "policy.commercial_share" = [0.1, 0.3] }\n'
STEM = "push__vs__induced_sharing__gifts_sent"


def make_batch(folder, name, draws=None):
    body = 'replicates = 1\nseed = 5\noutcomes = ["gifts_sent"]\n' + TWO_POINTS
    if draws is not None:
        body += f"[uncertainty]\ndraws = {draws}\n" + RANGES
    p = tiny_batch(folder, body, name=name)
    out = folder / f"{name}_out"
    assert main(["batch", str(p), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """40 draws x 2 points x 1 replicate (80 tiny runs, a few seconds)."""
    return make_batch(tmp_path_factory.mktemp("discover"), "b", draws=40)


def discover(batch, *extra):
    return main(["discover", str(batch), "--policy", "push", "--versus", "induced sharing",
                 "--outcome", "gifts_sent", *extra])


def by_hand(batch):
    """Per draw: the two uncertain values and whether push gave fewer gifts than induced sharing."""
    runs = pd.read_parquet(batch / "runs.parquet")
    gifts = runs.pivot_table(index="draw", columns="point_name", values="gifts_sent")
    x = runs.drop_duplicates("draw").set_index("draw")[["policy.push.click_through", "policy.commercial_share"]]
    return x.loc[gifts.index], (gifts["push"] < gifts["induced sharing"]).to_numpy()


def test_discover_finds_where_push_loses_and_writes_its_files(batch, capsys):
    assert discover(batch) == 0
    out = " ".join(capsys.readouterr().out.replace("\u2502", " ").split())
    x, lost = by_hand(batch)
    assert f"policy push loses to induced sharing on gifts_sent in {lost.sum()} of 40 draws" in out
    boxes = pd.read_parquet(batch / "discovery" / f"{STEM}.parquet")
    assert boxes["box"].unique().tolist() == [1]
    box = boxes.set_index("parameter")
    # planted: push loses where its click-through is low, so the box is bounded above on it
    ct = box.loc["policy.push.click_through"]
    assert ct["low"] == x["policy.push.click_through"].min() and 0.3 < ct["high"] < 0.7
    # coverage and density are those of the box's bounds over the draws, counted here
    hit = np.ones(len(x), bool)
    for p, r in box.iterrows():
        hit &= (x[p] >= r["low"]).to_numpy() & (x[p] <= r["high"]).to_numpy()
    r = boxes.iloc[0]
    assert (r["draws"], r["cases"]) == (hit.sum(), lost[hit].sum())
    assert r["coverage"] == pytest.approx(lost[hit].sum() / lost.sum())
    assert r["density"] == pytest.approx(lost[hit].mean()) and r["density"] >= 0.8
    assert f"{int(r['cases'])} of them (coverage {r['coverage']:.0%}) lie in the box" in out
    assert f"where push loses in {r['density']:.0%} of draws (density)" in out
    # the JSON says what was asked, the trajectory and the versions
    rec = json.loads((batch / "discovery" / f"{STEM}.json").read_text())
    assert rec["policy"] == "push" and rec["versus"] == "induced sharing" and rec["outcome"] == "gifts_sent"
    assert rec["direction"] == "maximize" and rec["threshold"] == 0 and rec["draws"] == 40
    assert rec["cases"] == lost.sum() and rec["settings"]["min_density"] == 0.8
    assert rec["parameters"] == ["policy.push.click_through", "policy.commercial_share"]
    assert sum(t["chosen"] for t in rec["trajectory"]) == 1 and rec["versions"]["ema-workbench"].startswith("3.")
    # the same batch gives the same boxes again
    assert discover(batch) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(batch / "discovery" / f"{STEM}.parquet"), boxes)


def test_a_threshold_counts_only_losses_beyond_it(batch, capsys):
    assert discover(batch, "--threshold", "20", "--min-density", "0.5") == 0
    runs = pd.read_parquet(batch / "runs.parquet")
    gifts = runs.pivot_table(index="draw", columns="point_name", values="gifts_sent")
    lost = int((gifts["induced sharing"] - gifts["push"] > 20).sum())
    assert 0 < lost < 40
    out = " ".join(capsys.readouterr().out.replace("\u2502", " ").split())
    assert f"loses to induced sharing on gifts_sent by more than 20 in {lost} of 40 draws" in out
    rec = json.loads((batch / "discovery" / f"{STEM}.json").read_text())
    assert rec["threshold"] == 20 and rec["cases"] == lost


def test_report_and_dashboard_show_the_discovery(batch, capsys, monkeypatch):
    assert discover(batch) == 0
    assert main(["report", str(batch)]) == 0
    page = (batch / "report" / "report.html").read_text()
    assert '<a href="#discovery">Scenario discovery</a>' in page
    assert "push against induced sharing on gifts_sent" in page
    found = read_discoveries(batch)
    assert len(found) == 1 and found[0].n_boxes == 1
    box = found[0].boxes.iloc[0]
    assert f"[{box['low']:.3g}, {box['high']:.3g}]" in page
    # the dashboard lists it in its own tab
    from sim.viz.dashboard_app import DashboardConfig, Page, configure

    monkeypatch.setattr(sys.modules["sim.viz.dashboard_app"], "_config", None)
    configure(DashboardConfig(str(batch)))
    _, rc = solara.render(Page(), handle_error=False)
    titles = rc.find(ipyvue.Html, class_="giftsim-discovery-title").widgets
    assert [w.attributes["data-versus"] for w in titles] == ["induced sharing"]
    cells = [w.children[0] for w in rc.find(ipyvue.Html, tag="td").widgets]
    assert box["parameter"] in cells and f"[{box['low']:.3g}, {box['high']:.3g}]" in cells


def test_a_batch_without_discoveries_has_no_section(tmp_path):
    out = make_batch(tmp_path, "plain", draws=None)
    assert main(["report", str(out)]) == 0
    assert "Scenario discovery" not in (out / "report" / "report.html").read_text()
    assert read_discoveries(out) == []


# ------------------------------------------------------------------ bad input: exit 2, one message
def refused(capsys, argv, *fragments):
    assert main(argv) == 2
    err = " ".join(capsys.readouterr().err.split())
    for f in fragments:
        assert f in err, (f, err)
    assert "Traceback" not in err
    return err


def test_not_a_batch_folder(tmp_path, capsys):
    refused(capsys, ["discover", str(tmp_path), "--policy", "a", "--versus", "b", "--outcome", "gmv_rmb"],
            str(tmp_path), "not a finished batch folder", "giftsim batch")


def test_a_batch_without_uncertainty_draws_says_how_to_add_them(tmp_path, capsys):
    out = make_batch(tmp_path, "plain", draws=None)
    refused(capsys, ["discover", str(out), "--policy", "push", "--versus", "induced sharing", "--outcome",
                     "gifts_sent"], str(out), "no uncertainty draws", "[uncertainty] ranges = {", "draws = 60")
    assert not (out / "discovery").exists()


def test_too_few_draws_says_how_many_are_needed(tmp_path, capsys):
    out = make_batch(tmp_path, "few", draws=5)
    refused(capsys, ["discover", str(out), "--policy", "push", "--versus", "induced sharing", "--outcome",
                     "gifts_sent"], str(out), "PRIM needs at least 20 draws", "has 5", "draws = 20 or more")


@pytest.mark.parametrize("option, value, fragment", [
    ("--policy", "nope", "--policy 'nope' is not a point of this batch; its points: 'induced sharing', 'push'"),
    ("--versus", "nope", "--versus 'nope' is not a point of this batch; its points: 'induced sharing', 'push'"),
    ("--outcome", "nope", "--outcome 'nope' is not an outcome with a better direction; allowed:"),
    ("--outcome", "users", "--outcome 'users' is not an outcome"),  # information only: no way to lose
])
def test_unknown_point_or_outcome_lists_the_allowed(batch, capsys, option, value, fragment):
    args = {"--policy": "push", "--versus": "induced sharing", "--outcome": "gifts_sent", option: value}
    err = refused(capsys, ["discover", str(batch), *[a for kv in args.items() for a in kv]], str(batch), fragment)
    if option == "--outcome":
        assert "gifts_sent" in err and "gmv_rmb" in err and "muted_share" in err


def test_a_point_against_itself(batch, capsys):
    refused(capsys, ["discover", str(batch), "--policy", "push", "--versus", "push", "--outcome", "gifts_sent"],
            str(batch), "--policy and --versus both name the point 'push'")


@pytest.mark.parametrize("threshold, fragment", [("1000", "in none of the 40 draws: nothing to discover"),
                                                 ("-1000", "in all 40 draws: nothing to discover")])
def test_losing_nowhere_or_everywhere_is_nothing_to_discover(batch, capsys, threshold, fragment):
    refused(capsys, ["discover", str(batch), "--policy", "push", "--versus", "induced sharing", "--outcome",
                     "gifts_sent", "--threshold", threshold], str(batch), fragment)


def test_a_threshold_that_is_not_finite(batch, capsys):
    refused(capsys, ["discover", str(batch), "--policy", "push", "--versus", "induced sharing", "--outcome",
                     "gifts_sent", "--threshold", "nan"], "--threshold nan must be a finite number")


@pytest.mark.parametrize("option, value", [("--min-density", "0"), ("--min-density", "1.2"), ("--peel-alpha", "0.5"),
                                           ("--paste-alpha", "x"), ("--mass-min", "1"), ("--max-boxes", "0")])
def test_prim_options_out_of_range(batch, capsys, option, value):
    with pytest.raises(SystemExit) as info:
        main(["discover", str(batch), "--policy", "push", "--versus", "induced sharing", "--outcome", "gifts_sent",
              option, value])
    assert info.value.code == 2
    assert f"argument {option}: {option} must be" in capsys.readouterr().err


def test_without_ema_workbench_it_says_how_to_install_it(batch, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    monkeypatch.setitem(sys.modules, "ema_workbench.analysis", None)
    refused(capsys, ["discover", str(batch), "--policy", "push", "--versus", "induced sharing", "--outcome",
                     "gifts_sent"], "needs the optional package ema-workbench", "pip install 'giftsim[discover]'")


THREE_POINTS = TWO_POINTS + ('[[variants]]\nname = "both"\nset = { "policy.push.enabled" = true, '
                             '"policy.induced_sharing.enabled" = true }\n')


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    """40 draws x 3 points x 1 replicate, with gifts sent and acceptance rate compared."""
    folder = tmp_path_factory.mktemp("dominance")
    body = ('replicates = 1\nseed = 5\noutcomes = ["gifts_sent", "acceptance_rate"]\n' + THREE_POINTS
            + "[uncertainty]\ndraws = 40\n" + RANGES)
    out = folder / "three_out"
    assert main(["batch", str(tiny_batch(folder, body, name="three")), "--workers", "1", "--out", str(out),
                 "--quiet"]) == 0
    return out


def dominated_by_hand(batch, versus):
    """Per draw: whether push is dominated (as many gifts or more, as high an acceptance rate
    or higher, one of them strictly) by any of ``versus``."""
    runs = pd.read_parquet(batch / "runs.parquet")
    gifts = runs.pivot_table(index="draw", columns="point_name", values="gifts_sent")
    accepted = runs.pivot_table(index="draw", columns="point_name", values="acceptance_rate")
    hit = np.zeros(len(gifts), bool)
    for b in versus:
        dg, dm = gifts[b] - gifts["push"], accepted[b] - accepted["push"]
        hit |= ((dg >= 0) & (dm >= 0) & ((dg > 0) | (dm > 0))).to_numpy()
    return hit


def test_several_outcomes_and_points_ask_where_a_is_dominated(three, capsys):
    code = main(["discover", str(three), "--policy", "push", "--versus", "induced sharing", "--versus", "both",
                 "--outcome", "gifts_sent", "--outcome", "acceptance_rate", "--min-density", "0.5"])
    out = " ".join(capsys.readouterr().out.replace("\u2502", " ").split())
    hit = dominated_by_hand(three, ["induced sharing", "both"])
    alone = dominated_by_hand(three, ["induced sharing"])
    assert 0 < alone.sum() < hit.sum() < 40  # the second point adds draws: 'any of them' counts
    assert code == 0, out
    assert (f"policy push is dominated by induced sharing or both on gifts_sent and acceptance_rate in {hit.sum()} "
            "of 40 draws") in out
    (d,) = read_discoveries(three)
    assert d.asked["versus_points"] == ["induced sharing", "both"] and d.cases == hit.sum()
    assert d.asked["outcomes"] == ["gifts_sent", "acceptance_rate"] and d.asked["direction"] == ["maximize"] * 2


def test_a_threshold_with_several_outcomes_is_refused(three, capsys):
    refused(capsys, ["discover", str(three), "--policy", "push", "--versus", "both", "--outcome", "gifts_sent",
                     "--outcome", "muted_share", "--threshold", "3"],
            str(three), "--threshold is in one outcome's units and applies to one --outcome")


def test_a_long_question_keeps_a_short_unique_file_name():
    long_b = " or ".join(f"a Pareto policy number {i} with a long name" for i in range(8))
    a = discovery_stem("wechat launch", long_b, "gmv_rmb, sme_gmv_share and muted_share")
    b = discovery_stem("wechat launch", long_b + "!", "gmv_rmb, sme_gmv_share and muted_share")
    assert len(a) == len(b) == 120 and a != b and a.startswith("wechat_launch__vs__a_Pareto_policy")
