"""The explorer's and dashboard's logic without a browser: schema-generated controls,
display states, cascades, node cap, layout cache, offline asset routes, batch bands."""

from __future__ import annotations

import typing

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.policies import registered_rules
from sim.runner import run
from sim.scenario import ScenarioError
from sim.scenario.schema import GiftConfig, PolicyConfig
from sim.viz.controls import ROLLOUT_SPEED, apply_overrides, control_specs, set_override
from sim.viz.layout import graph_layout, view_nodes
from sim.viz.session import ExplorerSession
from sim.viz.state import UserState, cascade_of, user_states

from ..conftest import small_scenario


def _scalar_fields(cls) -> set[str]:
    out = set()
    for name, info in cls.model_fields.items():
        tp = info.annotation
        while typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        if tp in (int, float, bool) or typing.get_origin(tp) is typing.Literal:
            out.add(name)
    return out


def test_controls_cover_every_scalar_field_of_the_schema(small, wechat):
    assert ROLLOUT_SPEED in {s.key for s in control_specs(wechat)}  # a schedule to rescale
    assert ROLLOUT_SPEED not in {s.key for s in control_specs(small)}  # a single rollout point
    keys = {s.key for s in control_specs(small)}
    assert {f"gifts.{f}" for f in _scalar_fields(GiftConfig)} <= keys
    assert {f"policy.{f}" for f in _scalar_fields(PolicyConfig)} <= keys
    assert {"policy.push.enabled", "policy.induced_sharing.fanout"} <= keys
    share = next(s for s in control_specs(small) if s.key == "policy.commercial_share")
    assert (share.kind, share.lo, share.hi, share.slider, share.value) == ("float", 0.0, 1.0, True, 0.2)
    rule = next(s for s in control_specs(small) if s.key == "policy.allocation.rule")
    assert rule.kind == "choice" and set(rule.choices) == set(registered_rules())


def test_changing_the_rule_brings_its_parameters_and_validates(small):
    o = set_override({}, "policy.allocation.rule", "head_boost")
    o = set_override(o, "policy.allocation.boost", 20.0)
    sc = apply_overrides(small, o)
    assert sc.policy.allocation.rule == "head_boost" and sc.policy.allocation.boost == 20.0
    assert "policy.allocation.head_count" in {s.key for s in control_specs(sc)}
    back = apply_overrides(small, set_override(o, "policy.allocation.rule", "equal"))
    assert back.policy.allocation.rule == "equal"
    with pytest.raises(ScenarioError, match="commercial_share"):
        apply_overrides(small, {"policy.commercial_share": 1.5})


def test_rollout_speed_rescales_the_schedule(wechat):
    sc = apply_overrides(wechat, {ROLLOUT_SPEED: 2.0})
    days = [(p.date - sc.rollout.schedule[0].date).days for p in sc.rollout.schedule]
    base = [(p.date - wechat.rollout.schedule[0].date).days for p in wechat.rollout.schedule]
    assert days == [round(d / 2) for d in base]
    assert [p.share for p in sc.rollout.schedule] == [p.share for p in wechat.rollout.schedule]


def test_session_matches_an_independent_run_and_resets_on_change(tmp_path):
    sc = small_scenario()
    s = ExplorerSession(sc, seed=4, cache=tmp_path)
    before = s.frame()
    assert sum(before.counts.values()) == 400 and before.calendar.day == 0
    s.step(6)
    f = s.frame()
    ref = run(sc, 4).series.iloc[:6]
    assert f.calendar.day == 6 and f.calendar.date == str(ref["date"].iloc[-1])[:10]
    for col in ("gifts_sent", "gifts_accepted", "aware_users", "senders", "gmv_rmb"):
        np.testing.assert_array_equal(f.series[col].to_numpy(), ref[col].to_numpy())
    assert f.counts["sender"] + f.counts["muted"] >= 1 and not np.array_equal(f.states, before.states)
    s.set_value("policy.allocation.rule", "head_boost")
    assert s.model.step_index == 0 and s.scenario.policy.allocation.rule == "head_boost"
    with pytest.raises(ScenarioError):
        s.set_value("gifts.send_probability", -1.0)
    assert s.scenario.policy.allocation.rule == "head_boost"  # unchanged by the bad value


def test_display_states_and_cascade_follow_the_public_arrays(tmp_path):
    s = ExplorerSession(small_scenario(), seed=1, cache=tmp_path)
    s.step(10)
    m = s.model
    st = user_states(m)
    p = m.population
    assert np.all(st[p.senders & ~p.muted] == UserState.SENDER)
    assert np.all(st[~p.aware & ~np.isin(np.arange(400), m.ledger.column("recipient"))] <= UserState.BUTTON)
    child = int(np.flatnonzero(p.parent >= 0)[0])
    c = cascade_of(m, child)
    assert int(p.parent[child]) in set(c.members) and child in set(c.members)
    chain = child  # walking up the parents from the child reaches the root
    while p.parent[chain] >= 0:
        chain = int(p.parent[chain])
    assert chain == c.root and c.depth >= 1
    assert cascade_of(m, int(np.flatnonzero(~p.aware)[0])) is None


def test_node_cap_draws_an_ego_subgraph(tmp_path):
    sc = small_scenario()
    s = ExplorerSession(sc, seed=0, node_cap=120, cache=tmp_path)
    v = s.view
    g = s.model.graph
    assert v.sampled and v.nodes.size == 120 and v.centre == int(np.argmax(g.degree))
    assert "120 of 400 users" in v.message and "Charts count all users" in v.message
    s.step(3)
    f = s.frame()
    assert sum(f.counts.values()) == 400  # the counts and charts use everyone
    assert view_nodes(g, 10_000).sampled is False


def test_layout_is_cached_by_graph_content(tmp_path):
    g = ExplorerSession(small_scenario(), cache=tmp_path).model.graph
    a = graph_layout(g, cache=tmp_path)
    b = graph_layout(g, cache=tmp_path)
    assert b.cached and a.key == b.key and np.array_equal(a.xy, b.xy)
    assert a.xy.min() >= 0 and a.xy.max() <= 1
    c = graph_layout(g, np.arange(200), cache=tmp_path)
    assert c.key != a.key and c.xy.shape == (200, 2)


def test_vega_short_names_are_served_from_local_assets():
    from solara.server import settings

    from sim.viz.server import vega_aliases

    aliases = vega_aliases(settings.assets.proxy_cache_dir)
    assert set(aliases) == {"vega@5", "vega-lite@5", "vega-embed@6"}
    for short, folder in aliases.items():
        assert folder.name.startswith(short + ".")
    assert (aliases["vega@5"] / "build" / "vega.min.js").is_file()


def test_curve_bands_are_student_t_intervals():
    from sim.batch import BatchResults
    from sim.viz.batch_charts import curve_bands

    ts = pd.DataFrame({"point": [0, 0, 0, 1], "step": [0, 0, 0, 0], "replicate": [0, 1, 2, 0],
                       "date": pd.to_datetime(["2025-01-01"] * 4), "gifts_sent": [1.0, 2.0, 6.0, 5.0]})
    runs = pd.DataFrame({"point": [0, 1], "point_name": ["a", "b"]})
    res = BatchResults(folder=None, runs=runs, timeseries=ts, merchants=pd.DataFrame(), comparison=pd.DataFrame(), manifest={},
                       events=None)
    b = curve_bands(res, "gifts_sent").set_index("point_name")
    x = np.array([1.0, 2.0, 6.0])
    half = stats.t.ppf(0.975, 2) * x.std(ddof=1) / np.sqrt(3)
    assert b.loc["a", "mean"] == pytest.approx(3.0)
    assert b.loc["a", "hi"] - b.loc["a", "mean"] == pytest.approx(half)
    assert b.loc["b", "lo"] == b.loc["b", "hi"] == 5.0


def test_every_live_chart_is_a_valid_vega_lite_spec(tmp_path):
    from sim.viz import charts

    s = ExplorerSession(small_scenario(), seed=2, cache=tmp_path)
    s.step(5)
    f = s.frame()
    m = s.model
    for c in (charts.gifts_chart(m, f.series), charts.adoption_chart(m, f.series),
              charts.gmv_chart(m, f.series), charts.merchants_chart(m, f.series),
              charts.top_merchants_chart(f.merchants), charts.lorenz_chart(f.merchants)):
        spec = c.to_dict()  # validates against the Vega-Lite schema
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_viz_command_rejects_bad_targets_with_one_message(tmp_path, capsys):
    from sim.cli import main

    assert main(["viz", str(tmp_path / "missing.toml")]) == 2
    assert main(["viz", str(tmp_path)]) == 2  # a folder that is not a finished batch
    err = capsys.readouterr().err
    assert "missing.toml" in err and "not a finished batch" in err
    assert main(["viz", str(tmp_path / "x.toml"), "--seed", "-1"]) == 2


def test_dashboard_charts_of_a_batch_past_altairs_5000_rows(tmp_path):
    """100 points x 58 days (5,800 point-days, like a small Sobol batch): every dashboard
    chart serialises (Altair refuses a DataFrame over 5,000 rows) and the curves draw a
    sample of points, saying so."""
    from sim.batch import load_results, run_batch
    from sim.viz import batch_charts as bc

    from ..tiny_batch import TINY, tiny_batch

    shares = ", ".join(f"{x:.3f}" for x in np.linspace(0.0, 0.5, 100))
    batch = tiny_batch(tmp_path, f'replicates = 1\nseed = 2\n[sweep]\n"policy.commercial_share" = [{shares}]\n')
    (tmp_path / "tiny.toml").write_text(TINY.replace("end = 2025-01-02", "end = 2025-02-14"))
    run_batch(batch, out=tmp_path / "out", workers=2)
    res = load_results(tmp_path / "out")
    assert res.runs["point"].nunique() == 100 and len(res.timeseries) == 5800
    specs = [bc.curve_chart(res, "gifts_sent").to_dict()]
    specs += [bc.outcome_chart(res, o).to_dict() for o in bc.outcomes(res)]
    specs += [bc.distribution_chart(res, o).to_dict() for o in bc.outcomes(res)]
    specs += [bc.param_chart(res, "policy.commercial_share", o).to_dict() for o in bc.outcomes(res)]
    for spec in specs:
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    curve = specs[0]
    drawn = {r["point_name"] for rows in curve["datasets"].values() for r in rows}
    assert len(drawn) == bc.MAX_CURVES and drawn == set(bc.curve_points(res))
    assert f"{bc.MAX_CURVES} of 100 points drawn" in curve["title"]["subtitle"]
    # every point's curve when there are few
    assert bc.curve_points(res, limit=100) == list(res.runs.sort_values("point")["point_name"])


def test_run_charts_of_more_than_5000_runs_serialise():
    from sim.batch import BatchResults
    from sim.viz import batch_charts as bc

    n = 6000
    runs = pd.DataFrame({"point": np.arange(n) % 3, "point_name": [f"p{i % 3}" for i in range(n)],
                         "replicate": np.arange(n) // 3, "status": "ok", "share": (np.arange(n) % 3) / 10,
                         "gmv_rmb": np.linspace(0.0, 1.0, n)})
    res = BatchResults(folder=None, runs=runs, timeseries=pd.DataFrame(), merchants=pd.DataFrame(), comparison=pd.DataFrame(),
                       manifest={}, events=None)
    for chart in (bc.distribution_chart(res, "gmv_rmb"), bc.param_chart(res, "share", "gmv_rmb")):
        rows = max(len(v) for v in chart.to_dict()["datasets"].values())
        assert rows == n


def test_lorenz_chart_without_gmv_is_empty_with_a_note_not_the_equality_line():
    from sim.viz.charts import lorenz_chart

    none = pd.DataFrame({"merchant": [0, 1, 2], "kind": ["brand", "sme", "sme"], "gmv": [0.0, 0.0, 0.0],
                         "active": [True, True, False]})
    spec = lorenz_chart(none).to_dict()
    assert "layer" not in spec and spec["mark"]["type"] == "text"  # no line, no diagonal
    rows = [r for v in spec["datasets"].values() for r in v]
    assert [r["text"] for r in rows] == ["no GMV yet"]
    assert "Gini undefined" in spec["title"]["subtitle"]
    some = none.assign(gmv=[1.0, 3.0, 0.0])
    spec = lorenz_chart(some).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "line"]  # the equality diagonal and the curve
    curve = [r for v in spec["datasets"].values() for r in v if len(v) == 4]
    assert [r["gmv"] for r in curve] == pytest.approx([0.0, 0.0, 0.25, 1.0])


def test_viz_of_a_batch_file_says_run_it_then_open_its_folder(tmp_path, monkeypatch, capsys):
    from sim.cli import main

    from ..tiny_batch import tiny_batch

    monkeypatch.chdir(tmp_path)
    batch = tiny_batch(tmp_path, "replicates = 1\n", name="trial")
    assert main(["viz", str(batch)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "this is a batch file, not a scenario file" in err
    assert f"giftsim batch {batch}" in err and "giftsim viz results/trial" in err
    (tmp_path / "results" / "trial").mkdir(parents=True)  # once the batch has run there
    (tmp_path / "results" / "trial" / "runs.parquet").write_bytes(b"")
    assert main(["viz", str(batch)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "its dashboard is `giftsim viz results/trial`" in err


def test_unclaimed_group_units_mark_nobody_and_draw_no_edge(tmp_path):
    """An unclaimed unit of a group gift has recipient -1 (issue 14): it must not make the
    last user a 'recipient' nor draw an edge to them."""
    from sim.viz.state import recent_gifts

    sc = small_scenario(gifts__send_probability=0.0, gifts__chat_entry_from="2024-12-19", gifts__chat_entry_rate=0.0,
                        groups={"enabled": True, "group_gift_rate": 0.05, "claim_probability": 0.01})
    s = ExplorerSession(sc, seed=3, cache=tmp_path)
    s.step(2)
    m = s.model
    rec = m.ledger.column("recipient")
    assert (rec < 0).sum() > 0  # unclaimed units exist
    last = m.population.n_users - 1
    assert not (rec == last).any() and not m.population.aware[last]
    st = user_states(m)
    assert st[last] <= UserState.BUTTON
    assert set(np.flatnonzero(st == UserState.RECIPIENT)) <= set(rec[rec >= 0].tolist())
    g = recent_gifts(m)
    assert len(g) > 0 and (g["recipient"] >= 0).all()


def test_issue_14_tables_have_controls_and_they_reach_the_model(tmp_path):
    """The explorer's sidebar covers [groups] and [calendar] (issue 14) as it covers the
    other tables: switching groups on and raising the group gift rate gives group gifts."""
    from sim.model.states import GiftSource
    from sim.scenario.calendar_config import CalendarConfig
    from sim.scenario.groups_config import GroupsConfig

    sc = small_scenario(gifts__chat_entry_from="2024-12-19")
    keys = {s.key for s in control_specs(sc)}
    assert {f"groups.{f}" for f in _scalar_fields(GroupsConfig)} <= keys
    assert {f"calendar.{f}" for f in _scalar_fields(CalendarConfig)} <= keys
    s = ExplorerSession(sc, seed=1, cache=tmp_path)
    s.set_value("groups.enabled", True)
    s.set_value("groups.group_gift_rate", 0.05)
    s.set_value("calendar.birthday_gift_rate", 0.2)
    s.step(5)
    src = s.model.ledger.column("source")
    assert (src == GiftSource.GROUP).sum() > 0 and (src == GiftSource.OCCASION).sum() > 0
