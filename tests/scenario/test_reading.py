"""sim.scenario.reading: document kinds and the depth check made public for overrides."""

from __future__ import annotations

from sim.scenario.reading import MAX_DEPTH, kind_of, too_deep, wrong_kind


def test_kind_of_and_wrong_kind():
    assert kind_of({"name": "x", "graph": {}}) == "scenario"
    assert kind_of({"base": "x.toml", "sweep": {}}) == "batch"
    assert kind_of({"base": "x.toml", "targets": []}) == "calibration"
    assert kind_of({"base": "x.toml", "levers": {}}) == "search"  # base, as a batch has
    assert kind_of({"name": "s", "objectives": {}}) == "search"
    assert str(wrong_kind("b.toml", "batch", "scenario")) == (
        "b.toml: this is a batch file, not a scenario file; run it with giftsim batch")


def test_too_deep_names_the_first_key_past_the_limit():
    doc: dict = {}
    node = doc
    for i in range(MAX_DEPTH + 1):
        node[f"k{i}"] = {}
        node = node[f"k{i}"]
    parts = too_deep(doc)
    assert parts is not None and len(parts) == MAX_DEPTH + 1 and parts[0] == "k0"
    assert too_deep({"a": [[{"b": 1}]]}) is None
    deep_list: list = []
    for _ in range(MAX_DEPTH + 5):
        deep_list = [deep_list]
    assert too_deep({"v": deep_list}) == ["v", *([0] * MAX_DEPTH)]
