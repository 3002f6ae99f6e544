"""Every file shipped under ``scenarios/`` runs, not only validates.

Each ``scenarios/**/*.toml`` is classified by :func:`sim.scenario.kind_of` (what
``giftsim`` does with it) and exercised through the public API:

* a scenario: loaded, its model made (:func:`sim.model.make_model`) and stepped 3 times;
* a batch: loaded, its plan made (:func:`sim.batch.make_plan`), and its first point's
  scenario stepped 3 times with the first run's seed;
* a calibration: loaded (:func:`sim.calibrate.load_calibration`, which already tries
  each parameter at a few values), its base scenario loaded, and each parameter set to
  both its bounds on the base scenario, read back with :func:`sim.scenario.value_at`;
* a policy search: loaded (:func:`sim.search.load.load_search`, which sets every lever's
  ends and choices on the base scenario), and its base stepped with every lever at its
  low end or first choice (with the values its ``when`` needs).

Graphs are built once per distinct graph table, so the whole file stays fast (about 10 s).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest

from sim.batch import load_batch, make_plan
from sim.calibrate import load_calibration
from sim.calibrate.abc_spec import calibration_method, load_abc_calibration
from sim.graph import build_graph
from sim.model import make_model
from sim.scenario import kind_of, load_scenario, read_toml, scenario_data, value_at, with_overrides
from sim.search.load import load_search

from .conftest import SCENARIOS

FILES = sorted(SCENARIOS.rglob("*.toml"))
KINDS = {p: kind_of(read_toml(p)) for p in FILES}
STEPS = 3


def _ids(kind: str) -> list:
    return [pytest.param(p, id=p.relative_to(SCENARIOS).as_posix()) for p in FILES if KINDS[p] == kind]


_GRAPHS: dict[str, object] = {}


def _graph(scenario):
    """The scenario's graph, built once per distinct graph table."""
    key = scenario.graph.model_dump_json()
    if key not in _GRAPHS:
        _GRAPHS[key] = build_graph(scenario.graph, rng=np.random.default_rng(0))
    return _GRAPHS[key]


def step_a_few(scenario, seed: int = 0):
    """Make the scenario's model (graphs shared between files) and step it; return it."""
    graph = _graph(scenario)
    model = make_model(scenario, seed=seed, graph=graph)
    for _ in range(STEPS):
        if not model.running:
            break
        model.step()
    n = min(STEPS, model.n_steps)
    assert model.step_index == n > 0
    for name, column in model.recorder.columns.items():
        values = np.asarray(column[:n], dtype=np.float64)
        assert np.all(np.isfinite(values)), name
    return model


def test_every_shipped_file_is_one_of_the_four_kinds():
    counts = {k: sum(1 for v in KINDS.values() if v == k) for k in ("scenario", "batch", "calibration", "search")}
    assert sum(counts.values()) == len(FILES)
    assert counts["scenario"] >= 10 and counts["batch"] >= 5 and counts["calibration"] >= 1, counts
    assert counts["search"] >= 1, counts


@pytest.mark.parametrize("path", _ids("scenario"))
def test_scenario_runs_a_few_steps(path: Path):
    model = step_a_few(load_scenario(path))
    assert model.step_index >= 1


@pytest.mark.parametrize("path", _ids("batch"))
def test_batch_plans_and_its_first_point_runs(path: Path):
    spec, folder = load_batch(path)
    plan = make_plan(spec, folder, str(path), check="none")
    # conditions: the parameter draws and robustness ends of a batch with uncertainty (none: 1 each)
    assert plan.n_points >= 1 and plan.n_runs == plan.n_points * spec.replicates * max(1, len(plan.conditions))
    first = plan.runs[0]
    assert first.point == 0 and first.replicate == 0
    step_a_few(plan.run_scenario(0, first.condition), seed=first.seed)


@pytest.mark.parametrize("path", _ids("calibration"))
def test_calibration_loads_and_its_parameters_resolve(path: Path):
    abc = calibration_method(path) == "abc_smc"
    spec, folder = (load_abc_calibration if abc else load_calibration)(path)
    base_path = folder / spec.base
    base = load_scenario(base_path)
    data = scenario_data(base)
    for key, bounds in spec.parameters.items():
        assert value_at(data, key) is not None, key
        for bound in bounds:
            sc = load_scenario(base_path, [(key, bound)])
            got = value_at(scenario_data(sc), key)
            assert math.isclose(float(got), float(bound), rel_tol=0, abs_tol=0.5 if isinstance(got, int) else 1e-12), (
                key, bound, got)
    step_a_few(base)


@pytest.mark.parametrize("path", _ids("search"))
def test_search_loads_and_its_first_policy_runs(path: Path):
    spec = load_search(path)
    assert spec.objectives and spec.levers
    chosen: dict[str, object] = {}
    for lever in spec.levers:  # conditions come first: a lever applies when they hold
        if all(chosen.get(k) == v for k, v in lever.when):
            chosen[lever.key] = lever.low if lever.kind == "range" else lever.choices[0]
    policy = with_overrides(spec.scenario, list(chosen.items()))
    for key, value in chosen.items():
        got = functools.reduce(getattr, key.split("."), policy)
        assert got == value and type(got) is type(value), (key, got, value)
    step_a_few(policy)
