"""The search dashboard's pieces without a browser: the Pareto chart's data and spec, the
policy list, a click's choice, and the overrides that open a policy in the explorer."""

from __future__ import annotations

import json

import pytest

from sim.cli import main as cli
from sim.scenario import load_scenario
from sim.search.folder import read_search
from sim.viz.controls import apply_overrides
from sim.viz.search_charts import (
    chart_frame,
    clicked_trial,
    explorer_overrides,
    pareto_chart,
    pareto_policies,
    policy_label,
)

from .search_folder import example_search


@pytest.fixture
def search(tmp_path):
    return read_search(example_search(tmp_path))


def test_chart_frame_places_pareto_policies_at_their_reevaluated_values(search):
    df = chart_frame(search, "gmv_rmb", "muted_share").set_index("trial")
    assert list(df.loc[[0, 1, 3, 7], "kind"]) == ["Pareto", "infeasible", "Pareto", "feasible"]
    p = search.pareto.set_index("trial")
    assert df.loc[8, "x"] == pytest.approx(p.loc[8, "reevaluated:gmv_rmb"]) == pytest.approx(4312.0)
    assert (df.loc[8, "y_lo"], df.loc[8, "y_hi"]) == pytest.approx((0.048 * 0.93, 0.048 * 1.03))
    assert df.loc[7, "x"] == 3000.0 and df.loc[7, "x_lo"] == df.loc[7, "x_hi"] == 3000.0  # search value
    assert bool(df.loc[5, "noise"]) and not bool(df.loc[8, "noise"])
    assert df.loc[3, "lever_1"] == "head_boost" and df.loc[5, "lever_3"] == "-"
    assert df.loc[8, "value_0"] == "4,312 [4,092, 4,532]" and df.loc[7, "value_0"] == "3,000"


def test_pareto_chart_is_a_valid_spec_with_every_trial_and_lever_tooltips(search):
    spec = pareto_chart(search, "sme_gmv_share", "gmv_rmb", chosen=9).to_dict()  # validates
    rows = spec["data"]["values"] if "values" in spec.get("data", {}) else spec["datasets"][next(iter(spec["datasets"]))]
    assert sorted(r["trial"] for r in rows) == list(range(12))
    text = json.dumps(spec)
    for key in search.lever_keys:
        assert f'"title": "{key}"' in text
    assert "datum.trial == 9" in text
    assert "sme_gmv_share (higher is better)" in text


def test_policy_list_and_click(search):
    ps = pareto_policies(search)
    assert [p.trial for p in ps] == [8, 4, 2, 9, 5, 3, 10, 0]
    assert policy_label(ps[0]).startswith("trial 8: gmv_rmb 4,312 [4,092, 4,532] · sme_gmv_share 0.343")
    assert ps[3].flags == "within noise of 5" and ps[6].flags == "dominated on re-evaluation"
    assert ps[0].levers["policy.push.reach"] == "0.15" and ps[0].openable
    assert clicked_trial({"trial": 9, "x": 1.0}, ps) == 9
    assert clicked_trial({"trial": 7}, ps) is None  # not a Pareto policy
    assert clicked_trial(None, ps) is None


def test_explorer_overrides_turn_the_base_into_the_policy(search):
    base = load_scenario(search.base)
    s = apply_overrides(base, explorer_overrides(search.overrides(3)))
    assert s.policy.commercial_share == 0.06 and s.policy.allocation.rule == "head_boost"
    assert s.policy.push.enabled is False
    s = apply_overrides(base, explorer_overrides(search.overrides(8)))
    assert (s.policy.commercial_share, s.policy.push.enabled, s.policy.push.reach) == (0.2, True, 0.15)
    # a rule's parameter listed before the rule still applies (the rule goes first)
    ov = explorer_overrides({"policy.allocation.exponent": 2.5, "policy.allocation.rule": "sales_proportional"})
    s = apply_overrides(base, ov)
    assert s.policy.allocation.rule == "sales_proportional" and s.policy.allocation.exponent == 2.5


def test_viz_refuses_a_search_json_of_another_kind(search, capsys):
    m = json.loads((search.folder / "search.json").read_text())
    m["kind"] = "calibration"
    (search.folder / "search.json").write_text(json.dumps(m))
    assert cli(["viz", str(search.folder), "--port", "0"]) == 2
    assert "kind is 'calibration', not 'search'" in capsys.readouterr().err


def test_a_running_search_lists_its_current_front_but_cannot_open_it(search):
    m = json.loads((search.folder / "search.json").read_text())
    m["status"] = "running"
    (search.folder / "search.json").write_text(json.dumps(m))
    (search.folder / "pareto.parquet").unlink()
    running = read_search(search.folder)
    ps = pareto_policies(running)
    assert [p.trial for p in ps] == [8, 4, 2, 9, 5, 3, 10, 0] and not any(p.openable for p in ps)
    assert ps[0].values["gmv_rmb"] == "4,400" and ps[0].flags == ""
    df = chart_frame(running, "gmv_rmb", "muted_share").set_index("trial")
    assert df.loc[8, "x"] == 4400.0 and df.loc[8, "kind"] == "Pareto"


def test_viz_of_a_search_whose_base_is_gone_still_serves_the_front(search, capsys):
    from sim.cli.viz_cmd import configure_search

    search.base.unlink()
    what = configure_search(search.folder, 0, 100)
    assert what.endswith("(12 trials, 8 Pareto policies)")
    assert "the base scenario cannot be loaded, so no policy opens in the explorer" in capsys.readouterr().out
