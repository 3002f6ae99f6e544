"""Scenario schema, loading, extends, overrides and the error messages users see."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.policies import HeadBoostParams
from sim.scenario import Scenario, ScenarioError, load_scenario, with_overrides
from sim.scenario.distributions import Beta, Constant, Gamma, LogNormal, Uniform

from ..conftest import FACEBOOK, SCENARIOS, write

MINIMAL = 'name = "t"\n[graph]\nkind = "barabasi_albert"\nn = 50\nm = 2\n'


def test_wechat_scenario_has_domain_defaults(wechat):
    assert wechat.name == "wechat_gift_launch"
    assert wechat.policy.commercial_share == 0.025
    assert wechat.policy.allocation.rule == "equal"
    assert not wechat.policy.push.enabled and not wechat.policy.induced_sharing.enabled
    assert wechat.time.start == dt.date(2024, 12, 19) and wechat.time.end == dt.date(2025, 2, 14)
    assert wechat.time.days == 58 and wechat.time.n_steps == 58
    assert [o.date for o in wechat.occasions] == [
        dt.date(2024, 12, 25), dt.date(2025, 1, 1), dt.date(2025, 1, 29), dt.date(2025, 2, 14)]
    assert wechat.graph.kind == "edgelist" and wechat.graph.path == str(FACEBOOK)


def test_douyin_extends_wechat(douyin, wechat):
    assert douyin.policy.commercial_share == 0.25
    assert isinstance(douyin.policy.allocation, HeadBoostParams)
    assert douyin.policy.allocation.boost == 10.0 and douyin.policy.allocation.head_kinds == ("brand",)
    assert douyin.policy.push.enabled
    # untouched tables come from the parent file
    assert douyin.occasions == wechat.occasions and douyin.graph == wechat.graph
    assert douyin.rollout == wechat.rollout


def test_overrides_parse_toml_values(tmp_path):
    p = write(tmp_path, "s.toml", MINIMAL)
    sc = load_scenario(p, ["policy.commercial_share=0.1", 'policy.allocation={rule="sales_proportional", exponent=2}',
                           "policy.push.enabled=true", "population.activity={dist='beta', a=1, b=1}"])
    assert sc.policy.commercial_share == 0.1
    assert sc.policy.allocation.rule == "sales_proportional" and sc.policy.allocation.exponent == 2
    assert sc.policy.push.enabled
    assert sc.population.activity == Beta(a=1, b=1)


def test_partial_merchant_table_keeps_type_defaults(tmp_path):
    p = write(tmp_path, "s.toml", MINIMAL + "[merchants.sme]\ncount = 7\n")
    sc = load_scenario(p)
    default = Scenario(name="x", graph={"kind": "complete", "n": 3}).merchants.sme
    assert sc.merchants.sme.count == 7
    assert sc.merchants.sme.price == default.price and sc.merchants.sme.fixed_cost_per_week == default.fixed_cost_per_week


def test_with_overrides_revalidates(wechat):
    sc = with_overrides(wechat, [("policy.commercial_share", 0.05)])
    assert sc.policy.commercial_share == 0.05 and wechat.policy.commercial_share == 0.025
    with pytest.raises(ScenarioError, match="commercial_share"):
        with_overrides(wechat, [("policy.commercial_share", -0.1)])


@pytest.mark.parametrize("text, fragments", [
    ("[policy]\ncomercial_share = 0.1\n", ["policy.comercial_share", "unknown key", "did you mean 'commercial_share'"]),
    ("[policy]\ncommercial_share = 1.5\n", ["policy.commercial_share = 1.5", "must be <= 1", "0 <= commercial_share <= 1"]),
    ("[policy]\ncommercial_share = nan\n", ["policy.commercial_share", "finite"]),
    ("[policy]\nallocation = { rule = \"loudest\" }\n", ["policy.allocation", "unknown allocation rule 'loudest'", "equal, head_boost"]),
    ("[policy]\nallocation = { boost = 5 }\n", ["policy.allocation: must name its rule (rule = \"...\"); allowed "
                                              "rules: cold_start, ", "equal, head_boost, sales_proportional"]),
    ("[policy.allocation]\nrule = \"head_boost\"\nboost = 0.5\n", ["policy.allocation.boost = 0.5", ">= 1"]),
    ("[population]\nactivity = { dist = \"lognormal\", median = 1, sigma = 1 }\n", ["population.activity", "probability in [0, 1]"]),
    ("[population]\nbudget = { dist = \"pareto\" }\n", ["population.budget", "unknown dist 'pareto'", "lognormal"]),
    ("[time]\nstep_hours = 5\n", ["time.step_hours = 5", "1, 2, 3, 4, 6, 8, 12 or 24"]),
    ("[time]\nstep_hours = 16\n", ["time.step_hours"]),
    ("[time]\nstart = 2025-01-01\nend = 2024-12-01\n", ["time.end = 2024-12-01: is before start (2025-01-01)"]),
    ("[gifts]\nexpiry_hours = 30\n[time]\nstep_hours = 12\n", ["gifts.expiry_hours = 30: must be a multiple of time.step_hours (12)"]),
    ("[rollout]\nschedule = [{date = 2024-12-19, share = 0.5}, {date = 2025-01-01, share = 0.2}]\n",
     ["rollout.schedule[1].share = 0.2: a staged rollout never shrinks", "allowed: 0.5 <= share <= 1"]),
    ("[merchants.brand]\ncount = -3\n", ["merchants.brand.count = -3", ">= 0"]),
    ("[merchants.brand]\nprice = { dist = \"uniform\", low = 5, high = 1 }\n", ["merchants.brand.price", "high"]),
    ("extra_top = 1\n", ["extra_top", "unknown key"]),
    ("[merchants.sme]\nprice = -5\n", ["merchants.sme.price", "needs values > 0"]),
    ("[time]\nstart = 2024-12-19\nend = 2099-12-31\n", ["time.end = 2099-12-31", "longer than 10 years"]),
    ("[[occasions]]\nname = \"x\"\ndate = 2025-01-01\nlift = 1e9\n", ["occasions[0].lift", "<= 100"]),
    ("[population]\nfeed_impressions = 1e300\n", ["population.feed_impressions", "<= 10000"]),
    ("[policy]\ncommercial_share = \"0.05\"\n", ["policy.commercial_share = '0.05'", "a valid number"]),
    ("[merchants.sme]\ncount = 2.5\n", ["merchants.sme.count = 2.5", "a whole number", "0 <= count <= 100000"]),
])
def test_bad_values_name_file_key_and_allowed(tmp_path, text, fragments):
    p = write(tmp_path, "bad.toml", MINIMAL + text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    msg = str(info.value)
    assert str(p) in msg
    for frag in fragments:
        assert frag in msg, msg


def test_error_names_the_file_that_set_the_key(tmp_path):
    write(tmp_path, "parent.toml", MINIMAL + "[policy]\ncommercial_share = 3\n")
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\nname = "c"\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(tmp_path / "parent.toml") + ": policy.commercial_share = 3" in str(info.value)


def test_override_error_names_set(tmp_path):
    p = write(tmp_path, "s.toml", MINIMAL)
    with pytest.raises(ScenarioError, match=r"s\.toml \(--set\): policy\.commercial_share = 2"):
        load_scenario(p, ["policy.commercial_share=2"])
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        load_scenario(p, ["policy.commercial_share"])


@pytest.mark.parametrize("content, fragment", [
    (b"name = \"x\"\n[graph\n", "invalid TOML"),
    (b"name = \"\xff\xfe\"\n", "line 1: not UTF-8"),
    (b"", "graph: required key is missing"),
    (b"name = \"x\"\n[time]\nstart = 2025-02-30\n", "invalid TOML"),  # a date not in the calendar
])
def test_unreadable_files(tmp_path, content, fragment):
    p = tmp_path / "f.toml"
    p.write_bytes(content)
    with pytest.raises(ScenarioError, match=fragment):
        load_scenario(p)


def test_missing_file_and_extends_loop(tmp_path):
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "nope.toml")
    write(tmp_path, "a.toml", 'extends = "b.toml"\n' + MINIMAL)
    write(tmp_path, "b.toml", 'extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="loops back"):
        load_scenario(tmp_path / "a.toml")


def test_graph_path_is_relative_to_the_file_that_names_it(tmp_path):
    sub = tmp_path / "sub"
    sub.mkdir()
    write(sub, "base.toml", 'name = "b"\n[graph]\nkind = "edgelist"\npath = "g.txt"\n')
    child = write(tmp_path, "child.toml", 'extends = "sub/base.toml"\nname = "c"\n')
    assert load_scenario(child).graph.path == str(sub / "g.txt")


def test_distributions_sample_within_support_with_right_mean():
    rng = np.random.default_rng(0)
    for d in (Constant(value=0.3), Uniform(low=1, high=3), Beta(a=2, b=5),
              LogNormal(median=100, sigma=0.5), Gamma(mean=4, shape=2)):
        x = d.sample(rng, 200_000)
        lo, hi = d.support()
        assert x.dtype == np.float64 and x.shape == (200_000,)
        assert x.min() >= lo and x.max() <= hi
        assert math.isclose(x.mean(), d.mean(), rel_tol=0.01), d


def test_scenario_is_frozen(wechat):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="frozen"):
        wechat.policy.commercial_share = 0.5


def test_shipped_scenarios_validate():
    for p in sorted(SCENARIOS.glob("*.toml")):
        text = p.read_text()
        if "replicates" in text:
            continue
        load_scenario(p)


def test_model_doc_parameter_tables_are_current():
    from sim.scenario.reference import END, START, parameter_tables

    from ..conftest import ROOT

    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    generated = text.split(START, 1)[1].split(END, 1)[0]
    assert generated.strip() == parameter_tables().strip(), (
        "docs/model.md is stale: run python -m sim.scenario.reference docs/model.md")


def test_extends_replaces_a_table_whose_tag_changes(tmp_path):
    # a scenario extending one on a graph file can switch to a generated graph, and a
    # sales_proportional parent can switch to equal, without leftover keys
    parent = write(tmp_path, "p.toml", 'name = "p"\n[graph]\nkind = "edgelist"\npath = "g.txt"\n'
                   '[policy.allocation]\nrule = "sales_proportional"\nexponent = 2.0\n'
                   '[population]\nbudget = { dist = "lognormal", median = 100, sigma = 1 }\n')
    child = write(tmp_path, "c.toml", 'extends = "p.toml"\nname = "c"\n[graph]\nkind = "barabasi_albert"\n'
                  'n = 50\nm = 2\n[policy.allocation]\nrule = "equal"\n'
                  '[population]\nbudget = { dist = "gamma", mean = 100, shape = 2 }\n')
    sc = load_scenario(child)
    assert sc.graph.kind == "barabasi_albert" and sc.policy.allocation.rule == "equal"
    assert sc.population.budget.dist == "gamma"
    same = write(tmp_path, "s.toml", 'extends = "p.toml"\nname = "s"\n[policy.allocation]\nexponent = 3.0\n')
    s2 = load_scenario(same)
    assert s2.policy.allocation.rule == "sales_proportional" and s2.policy.allocation.exponent == 3.0
    assert parent.exists()
