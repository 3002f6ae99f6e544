"""sim.scenario.messages and sim.scenario.text: problems found outside the schema named by
the file that set the key; values shown as the user wrote them."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from pydantic import ValidationError

from sim.scenario import Scenario
from sim.scenario.messages import describe_errors, key_source, problem_lines
from sim.scenario.overrides import OverrideSource
from sim.scenario.text import dotted_key, inline_value, short_value, toml_value


def test_problem_lines_name_the_file_that_set_the_key():
    origin = {"graph": "base.toml", "graph.path": "base.toml", "mode.seeds": "top.toml"}
    text = problem_lines([(["graph", "path"], "g.txt", "no such graph file"),
                          (["mode", "seeds"], 50, "is more than the 10 users")], "top.toml", origin)
    assert text.splitlines() == ['base.toml: graph.path = \'g.txt\': no such graph file',
                                 "top.toml: mode.seeds = 50: is more than the 10 users"]
    assert problem_lines([(["time", "end"], dt.date(2025, 1, 2), "x")], "s.toml") == "s.toml: time.end = 2025-01-02: x"


def test_key_source_prefers_the_nearest_table_then_an_override():
    origin = {"policy": "a.toml", "policy.commercial_share": "b.toml"}
    assert key_source(["policy", "commercial_share"], "s", origin) == "b.toml"
    assert key_source(["policy", "allocation", "rule"], "s", origin) == "a.toml"
    assert key_source(["gifts", "x"], "s", origin) == "s"
    only = {"nothing.key": OverrideSource("s.toml (--set)")}
    assert key_source(["nothing"], "s.toml", only) == "s.toml (--set)"


def test_describe_errors_one_line_per_problem():
    raw = {"name": "x", "graph": {"kind": "holme_kim", "n": 100, "m": 2, "p": 1.5},
           "policy": {"commercial_shar": 0.1}}
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(raw)
    lines = describe_errors(info.value, raw, "x.toml").splitlines()
    assert "x.toml: graph.p = 1.5: must be <= 1 (allowed: 0 <= p <= 1)" in lines
    assert any(line.startswith("x.toml: policy.commercial_shar = 0.1: unknown key (did you mean "
                               "'commercial_share'?)") for line in lines)
    assert len(lines) == 2


def test_text_of_keys_and_values():
    assert dotted_key(["occasions", 0, "date"]) == "occasions[0].date"
    assert dotted_key(["sweep", "policy.commercial_share"]) == "sweep.'policy.commercial_share'"
    assert dotted_key([]) == "(top level)"
    assert inline_value(True) == "true" and inline_value(dt.date(2025, 2, 1)) == "2025-02-01"
    assert inline_value({"rule": "equal", "w": [1, 2.5]}) == "{rule = 'equal', w = [1, 2.5]}"
    assert inline_value(math.inf) == "inf"
    assert toml_value({"rule": "head_boost", "boost": 5.0}) == '{ rule = "head_boost", boost = 5.0 }'
    assert toml_value({"a b": "ü"}) == '{ "a b" = "ü" }' and toml_value({}) == "{}"
    long = short_value(list(range(100)))
    assert len(long) == 60 and long.endswith("...")
