"""sim.scenario.introspection: the public look-ups in the real scenario schema that batch
planning, calibration and the browser's controls use."""

from __future__ import annotations

import datetime as dt

from sim.batch.spec import BatchSpec
from sim.policies.builtin import EqualParams, HeadBoostParams
from sim.scenario.distributions import Beta
from sim.scenario.introspection import (
    TAG_KEYS,
    allows_none,
    annotation_types,
    dict_values,
    field_bounds,
    find_model,
    format_bounds,
    is_integer_field,
    model_for,
    schema_field,
    unwrap_all,
)
from sim.scenario.schema import FileGraph, HolmeKim, Scenario, WattsStrogatz

HK = {"graph": {"kind": "holme_kim", "n": 100, "m": 2, "p": 0.1}}


def test_schema_field_follows_the_tag_of_the_document():
    assert schema_field("graph.m", HK) is HolmeKim.model_fields["m"]
    assert schema_field("graph.m", {"graph": {"kind": "edgelist", "path": "x"}}) is None  # a file has no m
    assert schema_field("graph.k", {"graph": {"kind": "watts_strogatz"}}) is WattsStrogatz.model_fields["k"]
    assert schema_field("graph.m") is None  # no document: the graph kind is unknown
    assert schema_field(["policy", "commercial_share"]) is not None
    assert schema_field("policy.no_such_key") is None and schema_field("no_such_table.x") is None


def test_schema_field_picks_the_allocation_rule_params():
    head = {"policy": {"allocation": {"rule": "head_boost"}}}
    assert schema_field("policy.allocation.boost", head) is HeadBoostParams.model_fields["boost"]
    assert schema_field("policy.allocation.boost", {"policy": {"allocation": {"rule": "equal"}}}) is None


def test_bounds_of_real_fields():
    share = schema_field("policy.commercial_share")
    assert field_bounds(share) == (0, False, 1, False)
    assert format_bounds(share, "commercial_share") == "0 <= commercial_share <= 1"
    assert format_bounds(share, "x", le="≤") == "0 ≤ x ≤ 1"
    boost = HeadBoostParams.model_fields["boost"]
    assert field_bounds(boost) == (1.0, False, 1e6, False)
    assert field_bounds(HolmeKim.model_fields["m"]) == (1, False, None, False)
    assert format_bounds(schema_field("name"), "name") is None


def test_integer_and_optional_fields():
    assert is_integer_field(schema_field("graph.n", HK))
    assert is_integer_field(HeadBoostParams.model_fields["head_count"])
    assert not is_integer_field(schema_field("graph.p", HK))
    assert not is_integer_field(schema_field("policy.commercial_share"))
    assert allows_none(schema_field("gifts.chat_entry_from"))
    assert not allows_none(schema_field("policy.commercial_share"))


def test_annotation_types_open_annotated_unions_and_lists():
    graphs = annotation_types(Scenario.model_fields["graph"].annotation)
    assert FileGraph in graphs and HolmeKim in graphs and WattsStrogatz in graphs
    assert annotation_types(list[int | None]) == [int, type(None)]
    assert annotation_types(tuple[str, ...]) == [str]
    assert annotation_types(dt.date) == [dt.date]


def test_model_for_picks_a_member_by_its_tag():
    graphs = annotation_types(Scenario.model_fields["graph"].annotation)
    assert model_for(graphs, {"kind": "holme_kim"}) is HolmeKim
    assert model_for(graphs, {"kind": "no_such_kind"}) is None
    assert model_for([int, str], {}) is None
    alloc = annotation_types(schema_field("policy.allocation").annotation)
    assert model_for(alloc, {"rule": "head_boost"}) is HeadBoostParams
    assert model_for(alloc, {"rule": "equal"}) is EqualParams


def test_dict_values_find_model_unwrap_all():
    assert dict_values(dict[str, int]) is int and dict_values(list[int]) is None
    sweep = BatchSpec.model_fields["sweep"].annotation
    assert dict_values(sweep) is not None
    assert find_model(Scenario, "FileGraph") is FileGraph
    assert find_model(Scenario, "Beta") is Beta  # reached through the distribution fields
    assert find_model(Scenario, "NoSuchModel") is None
    assert unwrap_all(dict[str, list[int]]) == [int]
    assert TAG_KEYS == ("kind", "rule", "dist")
