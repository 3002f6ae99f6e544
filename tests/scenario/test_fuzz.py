"""Hostile scenario and batch files: every generated document either validates or is
rejected with a ScenarioError naming the file and a key; never a traceback or a hang."""

from __future__ import annotations

import copy
import math
import re
import tomllib

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.batch import plan_batch
from sim.scenario import Scenario, ScenarioError, load_scenario

from ..conftest import ROOT

BASE = tomllib.loads((ROOT / "scenarios" / "wechat_gift_launch.toml").read_text())
BASE["graph"]["path"] = str(ROOT / "data" / "facebook_combined.txt.gz")

WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.dates(), st.just(""), st.just(-1), st.just(0), st.just(1e308),
)


def paths(doc, prefix=()):
    out = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out.append(prefix + (i,))
            out += paths(v, prefix + (i,))
    return out


ALL_PATHS = paths(BASE)


@st.composite
def mutated(draw):
    doc = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(ALL_PATHS))
        node = doc
        try:
            for p in path[:-1]:
                node = node[p]
            action = draw(st.sampled_from(["set", "delete", "unknown"]))
            if action == "set":
                node[path[-1]] = draw(WEIRD)
            elif action == "delete" and isinstance(node, dict):
                node.pop(path[-1], None)
            elif isinstance(node, dict):
                node[draw(st.text(min_size=1, max_size=12))] = draw(WEIRD)
        except (KeyError, IndexError, TypeError):
            pass
    return doc


def _toml(doc) -> str | None:
    def clean(x):  # TOML has no null
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items() if v is not None}
        if isinstance(x, list):
            return [clean(v) for v in x if v is not None]
        return x
    try:
        return tomli_w.dumps(clean(doc))
    except (TypeError, ValueError):
        return None


FUZZ = settings(max_examples=int(__import__("os").environ.get("GIFTSIM_FUZZ_EXAMPLES", 150)), deadline=2000, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(mutated())
def test_mutated_scenarios_validate_or_fail_clearly(tmp_path_factory, doc):
    text = _toml(doc)
    if text is None:
        return
    p = tmp_path_factory.mktemp("fuzz") / "s.toml"
    p.write_text(text, encoding="utf-8")
    try:
        sc = load_scenario(p)
    except ScenarioError as err:
        msg = str(err)
        assert msg and all(line.startswith(str(p)) for line in msg.splitlines()), msg
        return
    assert isinstance(sc, Scenario)
    assert 0 <= sc.policy.commercial_share <= 1 and math.isfinite(sc.policy.commercial_share)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_fail_clearly(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("bytes") / "s.toml"
    p.write_bytes(data)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value)


BATCH_KEYS = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.text(max_size=10), st.just("ok_name")),
    "replicates": WEIRD, "seed": WEIRD, "scenarios": WEIRD, "base": WEIRD,
    "sweep": st.one_of(WEIRD, st.just({"policy.commercial_share": [0.1, 2.0]})),
    "sample": st.one_of(WEIRD, st.just({"method": "sobol", "n": 2, "bounds": {"policy.commercial_share": [0.3, 0.1]}})),
    "outcomes": st.one_of(WEIRD, st.just(["gmv_rmb", "nonsense"])),
    "variants": st.one_of(WEIRD, st.just([{"name": "x", "set": {"policy.nope": 1}}])),
})


@settings(max_examples=100, deadline=5000, suppress_health_check=[HealthCheck.too_slow])
@given(BATCH_KEYS)
def test_batch_files_validate_or_fail_clearly(tmp_path_factory, doc):
    folder = tmp_path_factory.mktemp("batch")
    (folder / "s.toml").write_text(tomli_w.dumps(BASE))
    doc = dict(doc)
    doc.setdefault("base", "s.toml")
    text = _toml(doc)
    if text is None:
        return
    p = folder / "b.toml"
    p.write_text(text)
    try:
        plan = plan_batch(p)
    except ScenarioError as err:
        assert str(p) in str(err) or re.search(r"s\.toml", str(err)), str(err)
        return
    assert plan.runs and all(r.seed >= 0 for r in plan.runs)
