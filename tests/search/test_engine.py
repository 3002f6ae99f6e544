"""The policy search engine (sim.search.optimize) on searches whose outcomes are known in
closed form: it recovers a known Pareto front, tells the sampler the robust measure of the
draws with common random numbers, keeps conditional levers out where they do not apply,
says when no policy met the constraints, guards its folder, and resumes a search stopped in
the middle of a generation with the trials of an uninterrupted one."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.cli.common import Interrupted
from sim.cli.optimize_cmd import run_search
from sim.experiments import SequentialEvaluator
from sim.experiments.seeds import run_seed
from sim.search import Constraint, RobustnessMeasure, optimize
from sim.search.engine import SearchExistsError, SearchInterrupted
from sim.search.evaluate import search_draws
from sim.search.pareto import hypervolume

from .cases import Crash, drawn, drawn_spec, zdt1, zdt_spec

TRUE_FRONT = np.stack([np.linspace(0.0, 1.0, 20001), 1.0 - np.sqrt(np.linspace(0.0, 1.0, 20001))], axis=1)
"""ZDT1's Pareto front, f2 = 1 - sqrt(f1), f1 in [0, 1], finely sampled."""


def _front_quality(trials: pd.DataFrame) -> tuple[float, float, float]:
    """Of the found front: the median distance of its points to the true front (convergence),
    the mean distance of the true front to it (inverted generational distance: coverage) and
    its hypervolume over the true front's (reference point (1.1, 1.1))."""
    found = trials[trials["pareto"]][["f1", "f2"]].to_numpy()
    dist = np.sqrt(((found[:, None, :] - TRUE_FRONT[None]) ** 2).sum(-1))
    ref = np.array([1.1, 1.1])
    return (float(np.median(dist.min(axis=1))), float(dist.min(axis=0).mean()),
            hypervolume(found, ref) / hypervolume(TRUE_FRONT, ref))


@pytest.fixture(scope="module")
def zdt(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zdt")
    return optimize(zdt_spec(), folder, simulate=zdt1)


def test_recovers_the_known_front_of_zdt1(zdt):
    t = zdt.trials
    assert len(t) == 256 and t["generation"].tolist() == [i // 32 for i in range(256)]
    near, igd, hv_ratio = _front_quality(t)
    assert near < 0.03 and igd < 0.05 and hv_ratio > 0.9, (near, igd, hv_ratio)
    front = t[t["pareto"]][["f1", "f2"]].to_numpy()
    assert front[:, 0].min() < 0.05 and front[:, 0].max() > 0.9  # spread along it
    # the told values are the outcomes (one draw, one replicate): f1 = the lever
    assert np.allclose(t["f1"], t["policy.commercial_share"]) and np.allclose(t["mean:f2"], t["f2"])
    # convergence: the front of all trials so far only gains hypervolume
    hv = zdt.generations["hypervolume"].to_numpy()
    assert len(hv) == 8 and np.all(np.diff(hv) >= -1e-12) and hv[-1] > hv[0]
    assert zdt.generations["pareto_size"].iloc[-1] == len(front)
    # the Pareto set re-evaluated: deterministic outcomes, so nothing moves
    p = zdt.pareto
    assert sorted(p["trial"]) == sorted(t.loc[t["pareto"], "trial"])
    assert np.allclose(p["reevaluated:f1"], p["f1"]) and not p["dominated_on_reevaluation"].any()
    # duplicates of a policy (NSGA-II may propose one twice) are each other's noise peers, others are not
    for _, r in p.iterrows():
        same = p[(p["policy.commercial_share"] == r["policy.commercial_share"])
                 & (p["policy.push.reach"] == r["policy.push.reach"]) & (p["trial"] != r["trial"])]
        assert r["noise_peers"] == ",".join(str(x) for x in sorted(same["trial"])) and r["within_noise"] == (len(same) > 0)


def test_random_search_is_farther_from_the_front_than_nsga2(zdt, tmp_path):
    res = optimize(zdt_spec(sampler="random"), tmp_path, simulate=zdt1)
    near, igd, hv_ratio = _front_quality(res.trials)
    assert near > 3 * _front_quality(zdt.trials)[0] and hv_ratio < _front_quality(zdt.trials)[2]


def _expected_draws(spec, x: float, replicates: range | None = None) -> np.ndarray:
    """Per-draw means of :func:`drawn` at lever x (draws, 2): the draws' u, seeds run_seed(seed, d, r)
    for r in ``replicates`` (default: the search's)."""
    draws = search_draws(spec)
    out = []
    for d, (u,) in enumerate(draws.values):
        class S:  # a scenario stand-in with the two values drawn reads
            pass
        sc = S()
        sc.policy = type("P", (), {"commercial_share": x})()
        sc.gifts = type("G", (), {"send_probability": float(u)})()
        runs = [drawn(sc, run_seed(spec.seed, d, r)) for r in (replicates or range(spec.budget.replicates))]
        out.append([np.mean([r["gain"] for r in runs]), np.mean([r["cost"] for r in runs])])
    return np.array(out)


def _robust(measure, v: np.ndarray, gen0: np.ndarray) -> list[float]:
    """(gain, cost) robust values of per-draw values ``v`` (draws, 2), by hand; regret against
    the best of generation 0's per-draw values ``gen0`` (trials, draws, 2)."""
    if measure.kind == "mean":
        return list(v.mean(axis=0))
    if measure.kind == "percentile":  # the worst side: low for gain (maximised), high for cost
        return [np.percentile(v[:, 0], 25.0), np.percentile(v[:, 1], 75.0)]
    return [(gen0[:, :, 0].max(axis=0) - v[:, 0]).max(), (v[:, 1] - gen0[:, :, 1].min(axis=0)).max()]


@pytest.mark.parametrize("measure", [RobustnessMeasure(), RobustnessMeasure("percentile", 25.0),
                                     RobustnessMeasure("regret")])
def test_tells_the_robust_measure_of_the_draws_with_common_random_numbers(measure, tmp_path):
    spec = drawn_spec(measure)
    res = optimize(spec, tmp_path, simulate=drawn)
    t, d = res.trials, res.draws
    assert len(d) == len(t) * 4 and d["draw"].tolist() == [0, 1, 2, 3] * len(t)
    per = {i: g[["gain", "cost"]].to_numpy() for i, g in d.groupby("trial")}
    for _, r in t.iterrows():  # each draw's value is its replicates' mean, at the same seeds in every trial
        assert np.allclose(per[r["trial"]], _expected_draws(spec, r["policy.commercial_share"]), rtol=0, atol=1e-12)
    gen0 = np.stack([per[i] for i in t.loc[t["generation"] == 0, "trial"]])
    for _, r in t.iterrows():
        v = per[r["trial"]]
        assert [r["gain"], r["cost"]] == pytest.approx(_robust(measure, v, gen0), abs=1e-12)
        assert [r["mean:gain"], r["mean:cost"]] == pytest.approx(v.mean(axis=0), abs=1e-12)
    # the Pareto set re-evaluated at fresh replicates (2, 3, 4) of the same draws, with the same measure
    assert len(res.pareto) > 0
    for _, r in res.pareto.iterrows():
        v = _expected_draws(spec, r["policy.commercial_share"], range(2, 5))
        assert [r["reevaluated:gain"], r["reevaluated:cost"]] == pytest.approx(_robust(measure, v, gen0), abs=1e-12)
        assert r["low:gain"] < v[:, 0].mean() < r["high:gain"]
    import optuna

    study = optuna.load_study(study_name="drawn", storage=f"sqlite:///{tmp_path / 'study.db'}")
    told = np.array([tr.values for tr in study.trials])
    assert np.array_equal(told, t[["gain", "cost"]].to_numpy())  # what the sampler was told, unchanged
    if measure.kind == "regret":
        assert [d.name for d in study.directions] == ["MINIMIZE", "MINIMIZE"]


def test_an_undefined_constraint_outcome_is_infeasible(tmp_path):
    res = optimize(drawn_spec(RobustnessMeasure(), constraints=(Constraint("gap", high=1.0),)), tmp_path,
                   simulate=drawn)
    t = res.trials
    assert (t["policy.commercial_share"] > 0.9).any() and (t["policy.commercial_share"] <= 0.9).any()
    assert t["feasible"].tolist() == (t["policy.commercial_share"] <= 0.9).tolist()
    assert not t.loc[~t["feasible"], "pareto"].any()


def test_says_when_no_policy_met_the_constraints(tmp_path, capsys):
    spec = drawn_spec(RobustnessMeasure(), constraints=(Constraint("cost", high=-1.0),))
    assert run_search(spec, tmp_path, SequentialEvaluator(), simulate=drawn) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "no policy met the constraints (cost <= -1) in 12 trials" in out and "pareto.parquet is empty" in out
    pareto = pq.read_table(tmp_path / "pareto.parquet")
    assert pareto.num_rows == 0 and "reevaluated:gain" in pareto.column_names
    t = pd.read_parquet(tmp_path / "trials.parquet")
    assert not t["feasible"].any() and not t["pareto"].any()
    g = pd.read_parquet(tmp_path / "generations.parquet")
    assert g["hypervolume"].isna().all() and (g["feasible"] == 0).all()


def test_guards_its_folder(zdt, tmp_path):
    before = (zdt.folder / "trials.parquet").read_bytes()
    with pytest.raises(SearchExistsError, match="holds a finished search; use --resume"):
        optimize(zdt_spec(), zdt.folder, simulate=zdt1)
    with pytest.raises(SearchExistsError, match="made by another file or with other settings"):
        optimize(zdt_spec(seed=8), zdt.folder, resume=True, simulate=zdt1)
    assert (zdt.folder / "trials.parquet").read_bytes() == before
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SearchExistsError, match="holds notes.txt, not a policy search's file"):
        optimize(zdt_spec(), tmp_path, simulate=zdt1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def _same_search(a, b) -> None:
    """Same trials (all but the wall times), draws, generations and Pareto set, byte for byte."""
    ta, tb = pq.read_table(a / "trials.parquet"), pq.read_table(b / "trials.parquet")
    assert ta.drop(["seconds"]).equals(tb.drop(["seconds"]))
    for name in ("draws", "generations", "pareto"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name


def test_resumes_a_search_stopped_mid_generation_and_extends_a_finished_one(tmp_path):
    spec = zdt_spec(population=6, generations=3)
    whole = optimize(spec, tmp_path / "whole", simulate=zdt1)
    stopped = tmp_path / "stopped"
    with pytest.raises(RuntimeError, match="stopped"):
        optimize(spec, stopped, simulate=Crash(after=9))  # in generation 1: 6 trials told, 6 asked
    assert len(pd.read_parquet(stopped / "trials.parquet")) == 6
    with pytest.raises(SearchExistsError, match=r"a stopped search \(6 trials\)"):
        optimize(spec, stopped, simulate=zdt1)
    counted = Crash(after=10**9)
    resumed = optimize(spec, stopped, resume=True, simulate=counted)
    assert resumed.resumed_from == 6 and counted.calls == 12 + 2 * len(resumed.pareto)  # generation 0 not rerun
    _same_search(whole.folder, stopped)
    # a finished search of 2 generations extended to 3 is the search of 3
    short = tmp_path / "short"
    optimize(zdt_spec(population=6, generations=2), short, simulate=zdt1)
    optimize(spec, short, resume=True, simulate=zdt1)
    _same_search(whole.folder, short)


def test_ctrl_c_keeps_the_told_trials_and_says_so(tmp_path):
    spec = zdt_spec(population=6, generations=3)
    with pytest.raises(SearchInterrupted, match=r"6 told trials \(0 to 5\) are kept in .*study.db: run the same "
                                                r"command with --resume"):
        optimize(spec, tmp_path / "a", simulate=Crash(after=9, error=KeyboardInterrupt))
    with pytest.raises(Interrupted, match=r"6 told trials \(0 to 5\) are kept"):
        run_search(spec, tmp_path / "b", SequentialEvaluator(), simulate=Crash(after=9, error=KeyboardInterrupt))
    assert len(pd.read_parquet(tmp_path / "b" / "trials.parquet")) == 6
    # stopped in generation 0: nothing told, and the tables say so
    with pytest.raises(SearchInterrupted, match="interrupted before any trial was told"):
        optimize(spec, tmp_path / "c", simulate=Crash(after=3, error=KeyboardInterrupt))
    assert len(pd.read_parquet(tmp_path / "c" / "trials.parquet")) == 0
    manifest = json.loads((tmp_path / "c" / "search.json").read_text())
    assert manifest["status"] == "running" and manifest["trials_done"] == 0


@pytest.mark.parametrize("sampler", ["nsga2", "tpe", "random"])
@pytest.mark.parametrize(("number", "key"), [(3, "policy.push.reach"), (7, "policy.push.reach"),
                                             (6, "policy.commercial_share")])  # 6: a generation's first
def test_a_trial_whose_asking_was_cut_short_gets_the_same_levers_when_resumed(sampler, number, key, tmp_path,
                                                                              monkeypatch):
    spec = zdt_spec(population=6, generations=2, sampler=sampler)
    whole = optimize(spec, tmp_path / "whole", simulate=zdt1)
    import sim.search.study as study

    asked = study._suggest

    def cut(trial, lever):  # stopped before the trial's lever ``key`` was stored
        if trial.number == number and lever.key == key:
            raise KeyboardInterrupt
        return asked(trial, lever)

    monkeypatch.setattr(study, "_suggest", cut)
    with pytest.raises(SearchInterrupted, match="6 told trials" if number > 5 else "before any trial was told"):
        optimize(spec, tmp_path / "cut", simulate=zdt1)
    monkeypatch.setattr(study, "_suggest", asked)
    optimize(spec, tmp_path / "cut", resume=True, simulate=zdt1)
    _same_search(whole.folder, tmp_path / "cut")


def test_a_policy_proposed_twice_is_on_the_front_once_and_intervals_stay_in_range(tmp_path):
    from .cases import rules_spec, two_rules

    res = optimize(rules_spec(), tmp_path, simulate=two_rules)
    t, p = res.trials, res.pareto
    assert len(t) == 8 and t["policy.allocation.rule"].nunique() == 2  # both policies, each proposed more than once
    assert sorted(p["policy.allocation.rule"]) == ["equal", "head_boost"]  # each once on the front
    for _, rows in t.groupby("policy.allocation.rule"):
        assert rows["pareto"].tolist() == [True] + [False] * (len(rows) - 1)  # its first trial only
    assert (p["low:muted_share"] >= 0.0).all() and (p["high:muted_share"] <= 1.0).all()
    assert (p["high:muted_share"] == 1.0).any()  # a t-interval of two runs reaches past 1: clipped to the range
