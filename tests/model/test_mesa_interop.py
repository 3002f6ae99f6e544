"""GiftModel as Mesa's tools use it: built from keyword arguments (a scenario path or
object, dotted overrides, ``seed`` or ``rng``), Mesa's own ``model.scenario`` beside
giftsim's ``gift_scenario``."""

from __future__ import annotations

import mesa
import numpy as np
import pytest
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim import run
from sim.model import GiftModel
from sim.model.mesa_args import DEFAULT_SCENARIO
from sim.scenario import ScenarioError, load_scenario, with_overrides
from sim.scenario.schema import GiftConfig, PolicyConfig
from tests.conftest import small_scenario

SMALL = """
name = "small_mesa"
[graph]
kind = "holme_kim"
n = 300
m = 4
p = 0.3
seed = 11
[time]
start = 2024-12-19
end = 2025-01-07
[rollout]
schedule = [{ date = 2024-12-19, share = 1.0 }]
[policy]
commercial_share = 0.1
[gifts]
send_probability = 0.5
click_through = 0.05
"""
DAYS = 20


@pytest.fixture(scope="module")
def small_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("mesa") / "small.toml"
    p.write_text(SMALL)
    return p


def _series(m: GiftModel) -> dict[str, np.ndarray]:
    m.run()
    return {k: v.copy() for k, v in m.recorder.columns.items()}


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_path_and_dotted_overrides_as_loading_the_file_with_them(small_path):
    m = GiftModel(scenario=str(small_path), seed=4, **{"policy.commercial_share": 0.3, "gifts.click_through": 0.08})
    assert m.gift_scenario.policy.commercial_share == 0.3 and m.gift_scenario.gifts.click_through == 0.08
    ref = GiftModel(load_scenario(small_path, ["policy.commercial_share=0.3", "gifts.click_through=0.08"]), seed=4)
    assert _same(_series(m), _series(ref))
    assert m.recorder.columns["gifts_sent"].sum() > 0


def test_scenario_object_with_overrides_and_a_numpy_value():
    sc = small_scenario()
    m = GiftModel(sc, seed=2, **{"policy.commercial_share": np.float64(0.05)})
    assert m.gift_scenario == with_overrides(sc, [("policy.commercial_share", 0.05)])
    assert GiftModel(sc, seed=2).gift_scenario is sc  # no overrides: the object itself


def test_the_same_run_as_sim_run(small_path):
    m = GiftModel(small_path, rng=9)
    series = _series(m)
    result = run(small_path, seed=9)
    assert len(result.series) == DAYS
    for k, v in series.items():
        assert np.array_equal(result.series[k].to_numpy(), v), k


def test_no_scenario_is_the_defaults_on_a_generated_graph():
    m = GiftModel(seed=1)
    assert m.gift_scenario.name == DEFAULT_SCENARIO["name"] and m.graph.n_users == 1000
    assert m.gift_scenario.policy == PolicyConfig() and m.gift_scenario.gifts == GiftConfig()  # schema defaults
    m = GiftModel(seed=1, **{"time.end": "2024-12-21", "policy.commercial_share": 0.04})
    assert m.n_steps == 3 and m.gift_scenario.policy.commercial_share == 0.04


def test_seeds_rng_and_fresh_seeds():
    sc = small_scenario(time__end="2024-12-29")
    assert _same(_series(GiftModel(sc, seed=5)), _series(GiftModel(sc, rng=5)))
    assert _same(_series(GiftModel(sc, seed=np.int64(5))), _series(GiftModel(sc, rng=np.random.SeedSequence(5))))
    drawn = GiftModel(sc, rng=np.random.default_rng(3))
    assert drawn.seed == int(np.random.default_rng(3).integers(0, 2**63 - 1, endpoint=True))
    a, b = GiftModel(sc), GiftModel(sc)  # neither seed nor rng: a fresh seed each, recorded
    assert isinstance(a.seed, int) and a.seed != b.seed
    assert _same(_series(GiftModel(sc, seed=a.seed)), _series(a))


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"seed": 1, "rng": 1}, ValueError, "either seed or rng"),
    ({"seed": -1}, ValueError, "between 0 and 2**63 - 1"),
    ({"seed": 2**63}, ValueError, "between 0 and 2**63 - 1"),
    ({"seed": 1.5}, TypeError, "must be an integer"),
    ({"seed": True}, TypeError, "must be an integer"),
])
def test_bad_seeds(kwargs, error, words):
    with pytest.raises(error, match=words.replace("*", r"\*")):
        GiftModel(small_scenario(), **kwargs)


def test_overrides_are_validated_with_the_key_named(small_path):
    with pytest.raises(ScenarioError) as info:
        GiftModel(small_path, seed=1, **{"policy.comercial_share": 0.05})
    assert "small.toml (GiftModel keyword arguments): policy.comercial_share" in str(info.value)
    assert "did you mean 'commercial_share'" in str(info.value)
    with pytest.raises(ScenarioError, match=r"policy.commercial_share = 2: must be <= 1"):
        GiftModel(small_scenario(), seed=1, **{"policy.commercial_share": 2})
    with pytest.raises(ScenarioError, match=r"GiftModel keyword arguments: gifts.send_probability = 'lots'"):
        GiftModel(seed=1, **{"gifts.send_probability": "lots"})


@pytest.mark.parametrize("bad", [("name", "small"), MesaScenario(rng=1), [1, 2]])
def test_a_scenario_of_another_type_is_refused(bad):
    with pytest.raises(TypeError, match=r"scenario must be None, a giftsim Scenario or the path.*\[sc\]"):
        GiftModel(bad, seed=1)


def test_mesa_scenario_beside_gift_scenario():
    sc = small_scenario()
    m = GiftModel(sc, seed=3)
    assert isinstance(m.scenario, MesaScenario) and m.scenario.model is m
    assert m.scenario.gift_scenario is sc and m.scenario.seed == 3
    assert m.gift_scenario is sc and m.config is sc  # the former name still reads
    agent = m.merchant_agents[0]
    assert isinstance(agent, mesa.Agent) and agent.scenario is m.scenario
    assert not m.scenario  # holds nothing SolaraViz could pass back (see GiftRun)
    m.step()
    assert m.steps == 1 and m.time == 1.0 and m.step_index == 1  # Mesa's clock and giftsim's agree
