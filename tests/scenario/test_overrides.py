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
