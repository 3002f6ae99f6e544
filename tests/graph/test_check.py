"""sim.graph.check: the graph-file check lives with the graph package, which reads files;
the scenario package never imports the graph package (no scenario <-> graph cycle)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sim.graph import check_graph_file
from sim.scenario import ScenarioError, load_scenario

from ..conftest import ROOT, write


def _imports(module: Path) -> set[str]:
    """Modules a file imports, anywhere in it (relative imports resolved inside sim.scenario)."""
    out = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = ["sim", "scenario"][: 3 - node.level] if node.level else []
            out.add(".".join([*base, *([node.module] if node.module else [])]))
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_the_scenario_package_does_not_import_the_graph_package():
    found = {f.name: sorted(m for m in _imports(f) if m == "sim.graph" or m.startswith("sim.graph."))
             for f in (ROOT / "sim" / "scenario").glob("*.py")}
    assert {k: v for k, v in found.items() if v} == {}


def test_a_missing_graph_file_names_the_file_that_set_graph_path(tmp_path):
    base = write(tmp_path, "base.toml", 'name = "b"\n[graph]\nkind = "edgelist"\npath = "nowhere.txt"\n')
    top = write(tmp_path, "top.toml", 'extends = "base.toml"\nname = "t"\n')
    sc = load_scenario(top)  # the graph file is not read unless asked
    with pytest.raises(ScenarioError) as info:
        load_scenario(top, checks=(check_graph_file,))
    text = str(info.value)
    assert text.startswith(f"{base}: graph.path = ")
    assert text.endswith("no such graph file")
    assert len(text.splitlines()) == 1
    check_graph_file(sc.model_copy(update={"graph": load_scenario(ROOT / "scenarios" / "cold_start.toml").graph}),
                     str(top))  # a generated graph: nothing to read


def test_too_many_seeds_for_the_graph_file(tmp_path):
    edges = write(tmp_path, "g.txt", "0 1\n1 2\n2 3\n")
    scen = write(tmp_path, "ic.toml", f'name = "ic"\n[graph]\nkind = "edgelist"\npath = "{edges.name}"\n'
                                      '[mode]\nkind = "independent_cascade"\np = 0.1\nseeds = 9\n')
    with pytest.raises(ScenarioError) as info:
        load_scenario(scen, checks=(check_graph_file,))
    assert str(info.value) == (f"{scen}: mode.seeds = 9: is more than the 4 users of the graph file "
                               f"(graph.path = '{edges}'); allowed: 1 <= seeds <= 4")
