"""sim.scenario.overrides: what is new in the public module (rounding for optimisers, the
override source marker); the order rules are in scenario/test_overrides_order.py."""

from __future__ import annotations

import pytest

from sim.scenario import ScenarioError
from sim.scenario.overrides import OverrideSource, apply_overrides, is_override, parse_override

RAW = {"graph": {"kind": "holme_kim", "n": 100, "m": 2, "p": 0.1}}


def test_round_floats_rounds_integer_keys_only():
    out = apply_overrides(RAW, [("graph.n", 250.6), ("graph.p", 0.26)], round_floats=True)
    assert out["graph"]["n"] == 251 and type(out["graph"]["n"]) is int
    assert out["graph"]["p"] == 0.26
    kept = apply_overrides(RAW, [("graph.n", 250.6)])  # by default only a whole float becomes an int
    assert kept["graph"]["n"] == 250.6
    assert apply_overrides(RAW, [("graph.n", 250.0)])["graph"]["n"] == 250
    assert RAW["graph"]["n"] == 100  # never changed in place


def test_origin_marks_override_sources():
    origin = {"graph": "a.toml"}
    apply_overrides(RAW, [("graph.m", 3)], origin, source="a.toml (--set)")
    assert isinstance(origin["graph.m"], OverrideSource) and origin["graph.m"] == "a.toml (--set)"
    assert is_override(origin, "graph.m") and not is_override(origin, "graph") and not is_override(None, "x")


def test_parse_override_values_and_errors():
    assert parse_override("policy.allocation={ rule = \"equal\" }") == ("policy.allocation", {"rule": "equal"})
    assert parse_override("name=bare text") == ("name", "bare text")
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        parse_override("policy..x=1")


def _refusal(fn, *args, **kwargs) -> str:
    """The ScenarioError message of ``fn(*args, **kwargs)``; a RecursionError fails the
    test at once (pytest would spend minutes printing thousands of frames of nested dicts)."""
    try:
        fn(*args, **kwargs)
    except ScenarioError as err:
        return str(err)
    except RecursionError:
        what = "RecursionError instead of a ScenarioError"
    else:
        what = "nothing was refused"
    pytest.fail(what, pytrace=False)  # outside the except: no chained RecursionError to print


def _nested(levels: int) -> dict:
    d: dict = {"rule": "equal"}
    for _ in range(levels):
        d = {"a": d}
    return d


@pytest.mark.parametrize("levels", [18, 19, 30, 3000])
def test_a_value_nested_too_deep_is_refused_naming_its_key(levels):
    # from the Python API (no file reader to check it): 3000 levels ended in a RecursionError
    # from copy.deepcopy; 30 passed on to "unknown allocation rule None"
    value = _nested(levels)
    if levels <= 18:  # its innermost table at policy.allocation + 18 keys: 20 levels, as a file may nest
        assert apply_overrides(RAW, [("policy.allocation", value)])["policy"]["allocation"] == value
        return
    msg = _refusal(apply_overrides, RAW, [("policy.allocation", value)], source="api")
    assert msg == ("api policy.allocation: the value nests tables or arrays more than 20 levels deep "
                   "(policy.allocation.a.a.a.a...); allowed: at most 20 levels of tables and arrays")


def test_a_scenario_nested_too_deep_is_refused_before_it_is_copied():
    raw = {**RAW, "policy": _nested(3000)}
    msg = _refusal(apply_overrides, raw, [("graph.n", 5)], source="api")
    assert msg == ("api: policy.a.a.a.a.a...: tables or arrays nested more than 20 levels deep in the scenario; "
                   "allowed: at most 20 levels of tables and arrays")


def test_load_scenario_refuses_a_deep_table_and_names_a_table_without_its_rule(tmp_path):
    from sim import load_scenario

    p = tmp_path / "s.toml"
    p.write_text('name = "s"\n[graph]\nkind = "complete"\nn = 5\n', encoding="utf-8")
    assert "policy.allocation: the value nests tables or arrays more than 20" in _refusal(
        load_scenario, p, [("policy.allocation", _nested(3000))])
    from sim.policies import registered_rules

    # every registered rule is listed (test modules register their own rules when collected)
    assert _refusal(load_scenario, p, [("policy.allocation", {"boost": 5})]) == (
        f"{p} (--set): policy.allocation: must name its rule (rule = \"...\"); "
        f"allowed rules: {', '.join(registered_rules())}")


def test_a_key_inside_a_list_says_it_is_a_list_and_what_is_allowed():
    # sweeping "occasions.0.lift" said "occasions is a value, not a table"
    raw = {**RAW, "occasions": [{"name": "x", "date": "2025-01-01", "lift": 2.0}]}
    assert _refusal(apply_overrides, raw, [("occasions.0.lift", 0.5)], source="b.toml [lift=0.5]") == (
        "b.toml [lift=0.5] occasions.0.lift: occasions is a list, not a table, and a dotted key cannot reach inside "
        'a list; allowed: set the whole list, e.g. occasions = [{ name = "x", date = "2025-01-01", lift = 2.0 }]')
    assert _refusal(apply_overrides, RAW, [("graph.n.x", 1)]) == "--set graph.n.x: graph.n is a value, not a table"


def test_a_key_given_twice_keeps_its_last_value_as_the_readme_says():
    assert apply_overrides(RAW, [("graph.n", 300), ("graph.n", 200)])["graph"]["n"] == 200
    assert apply_overrides(RAW, [("graph.n", 200), ("graph.n", 300)])["graph"]["n"] == 300
    from ..conftest import ROOT

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "a key given twice (`--set x=1 --set x=2`) keeps its last value" in readme
    assert "Overrides never depend on the order" not in readme
