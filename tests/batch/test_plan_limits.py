"""Planning as a new user's trial found it wanting: a sampled design is counted from
SALib's formulas and not drawn to check it, --max-runs and [sample] n follow the run
limit, an integer key only a variant brings in is rounded, point names show values as
TOML, and a resumed batch's estimate covers only the runs left."""

from __future__ import annotations

import io
import shutil
import tomllib
import tracemalloc

import numpy as np
import pytest
from rich.console import Console
from SALib.sample import morris
from SALib.sample import sobol as sobol_sample

import sim.batch.estimate
import sim.batch.plan as plan_mod
import sim.cli.check_cmd as check_cmd
from sim.batch import plan_batch, run_batch
from sim.batch.plan import count_runs, make_plan, salib_problem
from sim.batch.spec import load_batch
from sim.cli import main as cli_main
from sim.experiments.seeds import sampler_seed
from sim.scenario import ScenarioError

from ..tiny_batch import tiny_batch

BOUNDS = '"policy.commercial_share" = [0.01, 0.3], "gifts.send_probability" = [0.05, 0.5], ' \
         '"gifts.click_through" = [0.01, 0.1]'


def sampled(tmp_path, method: str, n: int, extra: str = "", name: str = "b"):
    return tiny_batch(tmp_path, f"replicates = 1\nseed = 5\n{extra}[sample]\nmethod = \"{method}\"\nn = {n}\n"
                      f"bounds = {{ {BOUNDS} }}\n", name=name)


@pytest.mark.parametrize("method, n, points", [("morris", 300_000, 1_200_000), ("sobol", 262_144, 1_310_720)])
def test_a_large_design_is_counted_not_drawn_to_check_it(tmp_path, method, n, points):
    # SALib's Morris builds one small array per trajectory (a 9 M-row design: 1.5 GB, a
    # minute): planning, margins and the first point's estimate need none of it
    p = sampled(tmp_path, method, n)
    tracemalloc.start()
    plan = plan_batch(p, check="margins")
    first = plan.points[0]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count_runs(plan.spec) == (points, points) == (plan.n_points, plan.n_runs)
    assert peak < 8e6, peak  # the design alone would be 29 MB (rows x 3 keys x 8 bytes)
    # the first point is the full design's first row
    problem, seed = salib_problem(plan.spec), sampler_seed(5)
    one = (morris.sample(problem, 1, num_levels=4, seed=seed) if method == "morris" else
           sobol_sample.sample(problem, 1, calc_second_order=False, seed=seed))
    assert first.scenario.policy.commercial_share == one[0, 0]
    assert first.scenario.gifts.click_through == one[0, 2]


@pytest.mark.parametrize("method, n", [("morris", 23), ("sobol", 16)])
def test_a_design_drawn_in_chunks_or_by_its_head_is_salibs(tmp_path, monkeypatch, method, n):
    monkeypatch.setattr(plan_mod, "SAMPLE_CHUNK", 4)  # 23 trajectories: 6 chunks, the last of 3
    plan = plan_batch(sampled(tmp_path, method, n), check="none")
    head = [plan.points[i].params["policy.commercial_share"] for i in range(3)]  # before the design is drawn
    problem, seed = salib_problem(plan.spec), sampler_seed(5)
    ref = (morris.sample(problem, n, num_levels=4, seed=seed) if method == "morris" else
           sobol_sample.sample(problem, n, calc_second_order=False, seed=seed))
    assert np.array_equal(plan.sample_matrix, ref)
    assert head == list(ref[:3, 0])
    assert [plan.points[i].params["policy.commercial_share"] for i in range(len(ref))] == list(ref[:, 0])


@pytest.mark.parametrize("value, shown", [("-1", "-1: must be >= 1"), ("0", "0: must be >= 1"),
                                          ("2.5", "'2.5': is not a whole number")])
@pytest.mark.parametrize("command", ["check", "batch"])
def test_max_runs_below_one_is_refused(tmp_path, capsys, command, value, shown):
    p = sampled(tmp_path, "latin", 4)
    with pytest.raises(SystemExit) as exc:
        cli_main([command, str(p), "--max-runs", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --max-runs: {shown}" in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_max_runs_accepts_whole_numbers_in_any_spelling(tmp_path):
    assert [check_cmd.max_runs_arg(t) for t in ("7", "10_000", "1e16", "20000000000000000001")] == [
        7, 10_000, 10**16, 20000000000000000001]
    spec, folder = load_batch(sampled(tmp_path, "latin", 4))
    with pytest.raises(ValueError, match="max_runs must be a whole number >= 1, got 0"):  # the API refuses it too
        make_plan(spec, folder, max_runs=0)


def test_sample_n_has_no_cap_of_its_own_but_the_run_limit(tmp_path, capsys):
    big = sampled(tmp_path, "latin", 20_000_000, extra="max_runs = 100_000_000\n", name="big")
    spec, _ = load_batch(big)  # was refused: "must be <= 1000000"
    assert count_runs(spec) == (20_000_000, 20_000_000)
    over = sampled(tmp_path, "latin", 20_000_000, name="over")  # the default limit, 10 M runs
    with pytest.raises(ScenarioError, match=r"20,000,000 runs .* more than the limit of 10,000,000"):
        plan_batch(over, check="none")
    assert cli_main(["check", str(over), "--max-runs", "1000"]) == 2
    assert "more than the limit of 1,000 runs" in capsys.readouterr().out


@pytest.mark.parametrize("integer", ["", 'integer = ["policy.allocation.head_count"]\n'])
def test_an_integer_key_only_a_variant_brings_in_is_rounded(tmp_path, integer):
    p = tiny_batch(tmp_path, 'replicates = 1\nseed = 3\n[[variants]]\nname = "hb"\nset = { "policy.allocation" = '
                   '{ rule = "head_boost" } }\n[sample]\nmethod = "latin"\nn = 6\nbounds = { '
                   '"policy.allocation.head_count" = [1, 20], "policy.commercial_share" = [0.01, 0.3] }\n' + integer)
    plan = plan_batch(p)  # was: "must be a whole number" / "is not a scenario key"
    counts = [pt.scenario.policy.allocation.head_count for pt in plan.points]
    assert all(type(c) is int and 1 <= c <= 20 for c in counts) and len(set(counts)) > 1
    assert counts == [int(x) for x in np.rint(plan.sample_matrix[:, 0])]


def test_point_names_show_values_as_toml(tmp_path):
    p = tiny_batch(tmp_path, 'replicates = 1\n[sweep]\n"rollout.schedule" = [[{ date = 2024-12-19, share = 1.0 }], '
                   '[{ date = 2024-12-19, share = 0.05 }, { date = 2024-12-25, share = 1.0 }]]\n'
                   '"policy.allocation.rule" = ["equal", "head_boost"]\n"policy.push.enabled" = [false]\n')
    plan = plan_batch(p)
    assert plan.points[0].name == ('schedule=[{ date = 2024-12-19, share = 1.0 }], rule="equal", enabled=false')
    assert plan.points[3].name == ('schedule=[{ date = 2024-12-19, share = 0.05 }, { date = 2024-12-25, share = 1.0 }]'
                                   ', rule="head_boost", enabled=false')
    for pt in plan.points:  # every value reads back as TOML to what was swept
        parsed = [tomllib.loads(f"v = {part.split('=', 1)[1]}")["v"] for part in
                  pt.name.replace("}], ", "}]; ").replace('", ', '"; ').split("; ")]
        assert parsed == [plan.overrides(pt.index)[j][1] for j in range(3)]


def _describe(path, folder, monkeypatch, measured):
    real = sim.batch.estimate.measure_run_cost

    def measure(scenario, seed=0):
        measured.append(seed)
        return real(scenario, seed)

    monkeypatch.setattr(check_cmd, "measure_run_cost", measure)
    buf = io.StringIO()
    check_cmd.describe_batch(path, out=Console(file=buf, width=300), resume_in=folder)
    return buf.getvalue()


def test_a_resumed_batch_estimates_only_the_runs_left(tmp_path, monkeypatch):
    p = tiny_batch(tmp_path, "replicates = 2\nseed = 9\n[sweep]\n\"policy.commercial_share\" = [0.1, 0.2]\n")
    out = tmp_path / "out"
    measured: list[int] = []
    text = _describe(p, out, monkeypatch, measured)  # no batch there yet: all of it
    assert "4 runs (2 points x 2 replicates); about" in text and len(measured) == 1
    res = run_batch(p, out=out, workers=1)
    measured.clear()
    text = _describe(p, out, monkeypatch, measured)
    assert "every run is complete in" in text and "nothing left to run" in text and "about" not in text
    assert measured == []  # no run measured
    last = res.plan.runs[3]
    shutil.rmtree(out / "runs" / last.run_id)
    text = _describe(p, out, monkeypatch, measured)
    assert "4 runs (2 points x 2 replicates), 1 left to run; about" in text
    assert measured == [last.seed]  # the run left was measured, not the first point's
