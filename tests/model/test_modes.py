"""The classic modes: scenario table, IC frontier and Bass steps, and the model that runs them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim import run
from sim.cli import main as cli_main
from sim.graph import build_graph
from sim.model import ClassicModel, GiftModel, make_model
from sim.model.bass import add_to_friends, bass_step, gather_rows
from sim.model.ic import (
    GEOMETRIC_BELOW,
    bernoulli_positions,
    frontier_successes,
    ic_step,
    simulate_ic,
)
from sim.results.store import run_id, scenario_fingerprint
from sim.scenario import ScenarioError, validate_scenario, with_overrides
from sim.scenario.schema import BassMode, GiftMode, IndependentCascadeMode

from ..conftest import FACEBOOK


def scenario(mode, graph=None, **extra):
    raw = {"name": "m", "graph": graph or {"kind": "holme_kim", "n": 300, "m": 3, "p": 0.2, "seed": 5},
           "mode": mode, **extra}
    return validate_scenario(raw, "<test>")


IC = {"kind": "independent_cascade", "p": 0.1, "seeds": 3}
BASS = {"kind": "bass", "p": 0.03, "q": 0.38}


# --------------------------------------------------------------------------- schema
def test_mode_table_parses_and_defaults_to_gift(wechat):
    assert isinstance(wechat.mode, GiftMode)
    assert isinstance(scenario(IC).mode, IndependentCascadeMode)
    assert scenario(BASS).mode == BassMode(kind="bass", p=0.03, q=0.38)
    assert scenario({"kind": "independent_cascade", "p": 0.2}).mode.seeds == 1


def test_gift_mode_left_out_of_dumps_so_run_ids_are_unchanged(wechat):
    assert "mode" not in json.loads(wechat.model_dump_json())
    assert "mode" not in scenario_fingerprint(wechat)  # so run ids are those before modes existed
    assert run_id(wechat, 7) != run_id(with_overrides(wechat, [("mode", IC)]), 7)
    ic = scenario(IC)
    assert json.loads(ic.model_dump_json())["mode"] == {"kind": "independent_cascade", "p": 0.1, "seeds": 3}
    assert with_overrides(ic, [("mode.p", 0.3)]).mode.p == 0.3  # round-trips through a dump


@pytest.mark.parametrize("mode, message", [
    ({"kind": "sir"}, "unknown mode kind 'sir'; allowed kind: gift, independent_cascade, bass"),
    ({"p": 0.1}, "needs a 'kind' key; allowed kind: gift, independent_cascade, bass"),
    ({"kind": "independent_cascade", "p": 1.5}, "mode.p = 1.5: must be <= 1"),
    ({"kind": "independent_cascade", "p": 0.1, "seeds": 0}, "mode.seeds = 0: must be >= 1"),
    ({"kind": "independent_cascade", "p": 0.1, "fanout": 2}, "mode.fanout = 2: unknown key"),
    ({"kind": "bass", "p": 0.03}, "mode.q: required key is missing"),
    ({"kind": "bass", "p": 0.5, "q": 0.6}, "(p + q) * time.step_hours / 24 <= 1"),
])
def test_mode_errors_name_key_and_allowed_values(mode, message):
    with pytest.raises(ScenarioError) as err:
        scenario(mode)
    assert message in str(err.value)
    assert "<test>" in str(err.value)


def test_bass_step_limit_depends_on_step_length():
    raw = {"kind": "bass", "p": 0.5, "q": 0.6}
    assert scenario(raw, time={"step_hours": 12}).mode.p == 0.5  # 1.1 * 0.5 day <= 1


def test_mode_from_a_scenario_file(tmp_path):
    p = tmp_path / "ic.toml"
    p.write_text('name = "ic"\nmode = { kind = "independent_cascade", p = 0.05, seeds = 50 }\n'
                 f'[graph]\nkind = "edgelist"\npath = "{FACEBOOK}"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert cli_main(["run", str(p), "--seed", "1", "--quiet", "--out", str(out)]) == 0
    (folder,) = out.iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    users = pd.read_parquet(folder / "users.parquet")
    cascades = pd.read_parquet(folder / "cascades.parquet")
    assert summary["cascades"] == 50 and summary["gifts_sent"] == 0 and summary["gmv_rmb"] == 0
    # every active user is an aware sender: 50 roots, everyone else has a parent
    active = len(users)
    assert summary["adoption_share"] == summary["aware_share"] == active / 4039
    assert (users["parent"] == -1).sum() == 50 and cascades["size"].sum() == active
    assert summary["reproduction_number"] == pytest.approx((active - 50) / active, abs=1e-12)
    assert summary["largest_cascade"] == cascades["size"].max() and summary["max_depth"] == cascades["depth"].max()
    # seeded regression (p = 0.05, 50 seeds, seed 1 on ego-Facebook)
    assert active == 2252 and summary["largest_cascade"] == 220 and summary["max_depth"] == 11
    assert summary["days"] == 12.0  # the run stops after the last generation that activated anyone


# --------------------------------------------------------------------------- IC frontier
@pytest.mark.parametrize("p", [0.01, 0.1, GEOMETRIC_BELOW, 0.6])
def test_bernoulli_positions_are_binomial_and_uniform(p):
    rng = np.random.default_rng(1)
    n, reps = 500, 4000
    counts = np.empty(reps)
    where = np.zeros(n)
    for i in range(reps):
        pos = bernoulli_positions(n, p, rng)
        assert np.all(np.diff(pos) > 0) and (pos.size == 0 or (pos[0] >= 0 and pos[-1] < n))
        counts[i] = pos.size
        where[pos] += 1
    # count ~ Binomial(n, p): mean within 4 SE, variance ratio near 1
    assert abs(counts.mean() - n * p) <= 4 * np.sqrt(n * p * (1 - p) / reps)
    assert counts.var() / (n * p * (1 - p)) == pytest.approx(1.0, abs=0.1)
    # each position equally likely: chi-square over 10 blocks
    blocks = where.reshape(10, -1).sum(axis=1)
    assert stats.chisquare(blocks).pvalue > 1e-4


def test_bernoulli_positions_edge_cases():
    rng = np.random.default_rng(0)
    assert bernoulli_positions(0, 0.5, rng).size == 0
    assert bernoulli_positions(10, 0.0, rng).size == 0
    assert bernoulli_positions(7, 1.0, rng).tolist() == list(range(7))
    with pytest.raises(ValueError, match="p must be in"):
        bernoulli_positions(5, 1.5, rng)


@pytest.fixture(scope="module")
def small_graph():
    sc = scenario(IC)
    return build_graph(sc.graph, rng=np.random.default_rng(0))


def test_frontier_successes_map_to_the_right_rows(small_graph):
    g = small_graph
    frontier = np.array([5, 17, 17 + 1, 250], dtype=np.int64)
    entries, owner = frontier_successes(g.indptr, frontier, 1.0, np.random.default_rng(0))
    expect = np.concatenate([np.arange(g.indptr[u], g.indptr[u + 1]) for u in frontier])
    assert entries.tolist() == expect.tolist()
    assert np.all(g.indptr[frontier[owner]] <= entries) and np.all(entries < g.indptr[frontier[owner] + 1])


def test_ic_step_activates_only_inactive_friends_of_the_frontier(small_graph):
    g = small_graph
    rng = np.random.default_rng(3)
    active = np.zeros(g.n_users, dtype=bool)
    frontier = np.array([0, 1, 2], dtype=np.int64)
    active[frontier] = True
    active[g.indices[g.indptr[0]:g.indptr[1]][:2]] = True  # some friends already active
    new, parent = ic_step(g.indptr, g.indices, frontier, active, 0.5, rng)
    assert np.all(~active[new]) and np.unique(new).size == new.size
    assert np.all(np.isin(parent, frontier))
    for v, u in zip(new, parent):
        assert v in g.indices[g.indptr[u]:g.indptr[u + 1]]


def test_ic_tie_break_is_uniform_among_simultaneous_activators():
    # star: centre 0, and two activators 1, 2 both adjacent to 3
    from sim.graph.csr import clean_edges, to_csr
    e = clean_edges(np.array([1, 2]), np.array([3, 3]), n_users=4, relabel=False)
    g = to_csr(e, np.ones(2))
    rng = np.random.default_rng(5)
    parents = [ic_step(g.indptr, g.indices, np.array([1, 2]), np.array([0, 1, 1, 0], bool), 1.0, rng)[1][0]
               for _ in range(2000)]
    assert stats.binomtest(int(np.sum(np.array(parents) == 1)), 2000).pvalue > 1e-4


def test_ic_mode_run_is_the_frontier_function_with_the_runs_generator():
    sc = scenario({"kind": "independent_cascade", "p": 0.03, "seeds": 5},
                  graph={"kind": "edgelist", "path": str(FACEBOOK)},
                  time={"start": "2025-01-01", "end": "2025-12-31"})
    model = ClassicModel(sc, seed=11)
    twin = np.random.default_rng()
    twin.bit_generator.state = model.rng.bit_generator.state
    casc = simulate_ic(model.graph.indptr, model.graph.indices, model.frontier, 0.03, twin)
    model.run()
    pop = model.population
    assert sorted(np.flatnonzero(pop.senders).tolist()) == sorted(casc.users.tolist())
    assert pop.parent[casc.users].tolist() == casc.parent.tolist()
    assert pop.aware_step[casc.users].tolist() == casc.step.tolist()
    # and run() is that model
    res = run(sc, 11)
    assert res.summary["adoption_share"] == pytest.approx(casc.size / model.graph.n_users)
    assert res.summary["max_depth"] == casc.step.max()
    assert res.summary["cascades"] == 5 and res.cascades["size"].sum() == casc.size


def test_ic_run_outputs_are_a_valid_activation_forest():
    sc = scenario(IC)
    res = run(sc, 2)
    users, parent = res.users["user"].to_numpy(), res.users["parent"].to_numpy()
    assert (parent == -1).sum() == 3
    by_user = dict(zip(users, res.users["aware_step"]))
    for u, p in zip(users, parent):
        if p >= 0:
            assert by_user[p] == by_user[u] - 1  # activated by the previous generation
    assert res.series["senders"].iloc[-1] == len(users)
    assert res.series["new_senders"].iloc[-1] == 0 or len(res.series) == sc.time.n_steps
    assert len(res.gifts) == 0 and len(res.merchants) == 0
    assert res.summary["gmv_rmb"] == 0.0


def test_same_seed_same_graph_in_every_mode(wechat):
    ic = with_overrides(wechat, [("mode", {"kind": "independent_cascade", "p": 0.05})])
    a, b = GiftModel(wechat, seed=4).graph, make_model(ic, seed=4).graph
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.weights, b.weights)
    assert isinstance(make_model(ic, seed=4), ClassicModel)


def test_ic_seeds_above_users_is_an_error():
    # a generated graph: its size is known when the scenario is validated
    with pytest.raises(ScenarioError, match="<test>: mode.seeds = 500: is more than the graph's 300 users; "
                       "allowed: 1 <= seeds <= 300"):
        scenario({"kind": "independent_cascade", "p": 0.1, "seeds": 500})
    # a graph file (here a prebuilt graph): only once it is read
    two = build_graph(scenario(BASS, graph={"kind": "complete", "n": 2}).graph, rng=np.random.default_rng(0))
    with pytest.raises(ScenarioError, match="mode.seeds = 3: is more than the graph's 2 users"):
        ClassicModel(scenario(IC), graph=two)


# --------------------------------------------------------------------------- Bass
def test_gather_rows_and_friend_counts(small_graph):
    g = small_graph
    users = np.array([3, 9, 9, 40])
    entries, _ = gather_rows(g.indptr, users)
    assert entries.tolist() == np.concatenate([np.arange(g.indptr[u], g.indptr[u + 1]) for u in users]).tolist()
    counts = np.zeros(g.n_users, dtype=np.int64)
    add_to_friends(g.indptr, g.indices, np.array([3, 40]), counts)
    nx_g = g.to_networkx()
    assert counts.tolist() == [int(nx_g.has_edge(v, 3)) + int(nx_g.has_edge(v, 40)) for v in range(g.n_users)]


def test_bass_step_innovation_only_and_imitation_parents(small_graph):
    g = small_graph
    rng = np.random.default_rng(0)
    adopted = np.zeros(g.n_users, dtype=bool)
    counts = np.zeros(g.n_users, dtype=np.int64)
    new, parent = bass_step(g.indptr, g.indices, adopted, counts, 0.2, 0.0, rng)
    assert np.all(parent == -1) and abs(new.size - 0.2 * g.n_users) < 4 * np.sqrt(g.n_users * 0.16)
    adopted[new] = True
    add_to_friends(g.indptr, g.indices, new, counts)
    new2, parent2 = bass_step(g.indptr, g.indices, adopted, counts, 0.0, 1.0, rng)
    assert np.all(~adopted[new2]) and np.all(parent2 >= 0)
    for v, u in zip(new2, parent2):
        assert adopted[u] and u in g.indices[g.indptr[v]:g.indptr[v + 1]]


def test_bass_mode_everyone_adopts_eventually_and_cascades_add_up():
    sc = scenario(BASS, graph={"kind": "complete", "n": 200}, time={"start": "2025-01-01", "end": "2025-03-31"})
    res = run(sc, 0)
    s = res.summary
    assert s["adoption_share"] > 0.99 and s["aware_share"] == s["adoption_share"]
    assert res.cascades["size"].sum() == round(s["adoption_share"] * 200)
    assert res.series["active_users"].iloc[0] == 200


@pytest.mark.parametrize("name", ["ic_facebook", "bass_complete"])
def test_classic_scenario_files_run(name):
    from sim.scenario import load_scenario

    from ..conftest import SCENARIOS

    sc = load_scenario(SCENARIOS / "classic" / f"{name}.toml")
    res = run(sc, 0)
    s, users = res.summary, res.users
    n = 4039 if name == "ic_facebook" else 2000
    roots = int((users["parent"] == -1).sum())
    # adopters are aware senders; each non-root has a parent; cascades are the roots' trees
    assert s["gifts_sent"] == 0 and s["adoption_share"] == s["aware_share"] == len(users) / n
    assert s["cascades"] == roots == len(res.cascades) and res.cascades["size"].sum() == len(users)
    assert s["reproduction_number"] == pytest.approx((len(users) - roots) / len(users), abs=1e-12)
    if name == "ic_facebook":
        assert roots == sc.mode.seeds == 50
        assert len(users) == 2197 and s["largest_cascade"] == 197 and s["max_depth"] == 14  # seeded regression
    else:
        # Bass on the complete graph: F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}) at t = 20 days
        p, q = sc.mode.p, sc.mode.q
        e = np.exp(-(p + q) * 20)
        assert s["adoption_share"] == pytest.approx((1 - e) / (1 + q / p * e), abs=0.01)
        assert len(users) == 1993 and roots == 434 and s["largest_cascade"] == 57  # seeded regression


def test_ic_series_rows_and_user_dates_follow_the_documented_generations():
    # users.aware_step dates generations (seeds 0); series row t holds generation t + 1
    from sim import run

    r = run(scenario({"kind": "independent_cascade", "p": 0.3, "seeds": 5}), 2)
    step = r.users["aware_step"].to_numpy()
    aware = r.series["aware_users"].to_numpy()
    assert (step == 0).sum() == 5 and step.max() >= 2
    for t in range(len(aware)):
        assert aware[t] == (step <= t + 1).sum()
    assert r.series["new_senders"].sum() == len(step) - 5  # the seeds are in no row
