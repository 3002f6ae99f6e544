"""Invariants of the search report and dashboard that hold for any search folder: the
example written by :mod:`tests.search.search_folder`, and a real one written by
``giftsim optimize`` when ``GIFTSIM_TEST_SEARCH`` names it (skipped otherwise)."""

from __future__ import annotations

import math
import os
import re
from html import unescape
from pathlib import Path

import pytest

from sim.report.html import interval_cell
from sim.report.search_report import write_search_report
from sim.scenario import load_scenario
from sim.search.folder import format_value, read_search
from sim.viz.controls import apply_overrides
from sim.viz.search_charts import chart_frame, explorer_overrides, pareto_policies

from .search_folder import example_search

REAL = os.environ.get("GIFTSIM_TEST_SEARCH")


@pytest.fixture(params=["example", "real"])
def folder(request, tmp_path) -> Path:
    if request.param == "real":
        if not REAL:
            pytest.skip("GIFTSIM_TEST_SEARCH=<a search folder> checks a real search too")
        return Path(REAL)
    return example_search(tmp_path)


def _dump_value(raw: dict, key: str):
    node = raw
    for part in key.split("."):
        node = node[part]
    return node


def test_report_shows_every_pareto_policy_with_its_values(folder, tmp_path):
    search = read_search(folder)
    out = write_search_report(folder, out=tmp_path / "report")
    text = unescape(re.sub(r"<[^>]+>", " ", out.html.read_text(encoding="utf-8")))
    shown = out.tables["pareto"].set_index("trial")
    assert sorted(shown.index) == sorted(int(t) for t in search.pareto["trial"])
    for _, r in search.pareto.iterrows():
        row = shown.loc[int(r["trial"])]
        for o, _ in search.objectives:
            cell = interval_cell(float(r[f"reevaluated:{o}"]), float(r[f"low:{o}"]), float(r[f"high:{o}"]))
            assert row[o] == cell and cell in text
        for k in search.lever_keys:
            assert row[k] == format_value(r[k])
    for key in search.lever_keys:
        assert key in text
    assert len(out.tables["generations"]) == len(search.generations)


def test_dashboard_places_and_opens_every_pareto_policy(folder):
    search = read_search(folder)
    base = load_scenario(search.base)
    first, second = (search.objectives * 2)[:2]
    df = chart_frame(search, first[0], second[0]).set_index("trial")
    assert len(df) == len(search.trials)
    assert [p.trial for p in pareto_policies(search)] and all(p.openable for p in pareto_policies(search))
    for _, r in search.pareto.iterrows():
        t = int(r["trial"])
        x = float(r[f"reevaluated:{first[0]}"])
        assert df.loc[t, "kind"] == "Pareto" and (df.loc[t, "x"] == x or math.isnan(x))
        raw = apply_overrides(base, explorer_overrides(search.overrides(t))).model_dump(mode="json", by_alias=True)
        for key, value in search.overrides(t).items():
            got = _dump_value(raw, key)
            assert got == pytest.approx(value) if isinstance(value, float) else got == value, key
