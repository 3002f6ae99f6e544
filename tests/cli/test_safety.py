"""Safe defaults: no file can make giftsim execute code or write outside results/, the
browser app listens on this machine only, and exit codes are distinct and documented."""

from __future__ import annotations

import ast
import re

import pytest
import tomli_w

from sim.cli import ExitCode, build_parser
from sim.scenario import ScenarioError, load_scenario

from ..conftest import ROOT

DANGEROUS_CALLS = {"eval", "exec", "compile", "__import__"}
DANGEROUS_ATTRS = {("pickle", "load"), ("pickle", "loads"), ("importlib", "import_module"),
                   ("marshal", "loads"), ("yaml", "load")}


def test_the_package_never_evaluates_code_or_unpickles():
    found = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in DANGEROUS_CALLS:
                    found.append(f"{path}:{node.lineno} {f.id}()")
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in DANGEROUS_ATTRS:
                    found.append(f"{path}:{node.lineno} {f.value.id}.{f.attr}()")
    assert not found, found


@pytest.mark.parametrize("rule", ["os:system", "sim.policies.builtin.Equal", "__import__('os')", "../x"])
def test_allocation_rules_are_names_from_the_registry_never_import_paths(tmp_path, rule):
    p = tmp_path / "s.toml"
    p.write_text(tomli_w.dumps({"name": "x", "graph": {"kind": "complete", "n": 5},
                                "policy": {"allocation": {"rule": rule}}}))
    with pytest.raises(ScenarioError, match="unknown allocation rule"):
        load_scenario(p)


def test_viz_listens_on_this_machine_by_default():
    args = build_parser().parse_args(["viz", "scenarios/wechat_gift_launch.toml"])
    assert args.host == "127.0.0.1"


def test_exit_codes_are_distinct_and_in_the_readme():
    codes = [int(c) for c in ExitCode]
    assert len(set(codes)) == len(codes)
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("##", 1)[0]
    reliability = (ROOT / "docs" / "reliability.md").read_text()
    row = next(line for line in reliability.splitlines() if "distinct, documented exit codes" in line)
    helptext = " ".join(build_parser().format_help().split())
    assert "Exit codes:" in helptext
    for code in ExitCode:  # every code in all three places, 1 (internal error) included
        for text in (section, row, helptext.split("Exit codes:", 1)[1]):
            assert re.search(rf"\b{int(code)}\b", text), (code, text)


@pytest.mark.parametrize("cap", ["0", "10001"])
def test_viz_refuses_a_node_cap_the_interactive_view_cannot_draw(cap, capsys):
    from sim.cli import main

    code = main(["viz", "scenarios/wechat_gift_launch.toml", "--node-cap", cap, "--port", "0"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "--node-cap must be an integer in 1..10,000" in " ".join(err.split()) and cap in err
