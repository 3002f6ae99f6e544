"""Parameter uncertainty in a batch (posterior draws, Latin ranges), common random numbers
across points, sign comparisons, robustness flags, and the guards on bad files."""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sim.evidence
from sim.batch import load_results, plan_batch, run_batch
from sim.batch.signs import robustness_flags, sign_comparisons
from sim.batch.uncertainty import DEFAULT_ROBUSTNESS, latin_draws, posterior_draws
from sim.cli import main
from sim.experiments.seeds import run_seed
from sim.scenario import ScenarioError
from sim.viz.batch_charts import ok_runs, swept_params

from ..conftest import ROOT
from ..tiny_batch import assert_same_runs, assert_same_tables, complete_runs, tiny_batch

TWO_POINTS = ('[[variants]]\nname = "ads low"\nset = { "policy.commercial_share" = 0.05 }\n'
              '[[variants]]\nname = "ads high"\nset = { "policy.commercial_share" = 0.5 }\n')


def unboxed(text: str) -> str:
    """Console output without the table's box and line breaks: a cell the terminal's width
    wrapped reads as one line again."""
    return " ".join(text.replace("\u2502", " ").split())


def write_posterior(path, columns: dict, weight, generation=None):
    """A posterior fixture: parameter columns, ``weight`` and ``generation``."""
    cols = {k: pa.array(np.asarray(v, dtype=np.float64)) for k, v in columns.items()}
    cols["weight"] = pa.array(np.asarray(weight, dtype=np.float64))
    n = len(weight)
    cols["generation"] = pa.array(np.asarray(generation if generation is not None else [3] * n, dtype=np.int64))
    pq.write_table(pa.table(cols), path)
    return path


# ------------------------------------------------------------------ draws
def test_posterior_draws_are_reproducible_and_follow_the_weights(tmp_path):
    path = write_posterior(tmp_path / "post.parquet",
                           {"gifts.send_probability": [0.1, 0.2, 0.3, 0.9], "policy.ad_annoyance": [1, 2, 3, 9]},
                           weight=[0.7, 0.3, 0.0, 1.0], generation=[2, 2, 2, 1])
    a = posterior_draws(path, 4000, seed=11, source="b.toml")
    b = posterior_draws(path, 4000, seed=11, source="b.toml")
    np.testing.assert_array_equal(a.values, b.values)
    np.testing.assert_array_equal(a.rows, b.rows)
    assert a.keys == ("gifts.send_probability", "policy.ad_annoyance")
    # the last generation only, by weight: row 2 (weight 0) and row 3 (generation 1) never drawn
    assert set(a.rows.tolist()) == {0, 1}
    assert abs(np.mean(a.rows == 0) - 0.7) < 0.03  # binomial sd 0.007
    np.testing.assert_array_equal(a.values[:, 1], np.where(a.rows == 0, 1.0, 2.0))
    other = posterior_draws(path, 4000, seed=12, source="b.toml")
    assert not np.array_equal(other.rows, a.rows)


def test_latin_draws_are_stratified_seeded_and_rounded_for_integer_keys():
    d = latin_draws({"policy.ad_annoyance": [0.0, 1.0], "merchants.sme.count": [10, 30]}, 10, seed=3,
                    integer={"merchants.sme.count"})
    assert d.values.shape == (10, 2)
    # one value in each tenth of the range (a Latin hypercube)
    assert sorted(np.floor(d.values[:, 0] * 10).astype(int).tolist()) == list(range(10))
    assert np.all(d.values[:, 1] == np.rint(d.values[:, 1])) and np.all((10 <= d.values[:, 1]) & (d.values[:, 1] <= 30))
    np.testing.assert_array_equal(d.values, latin_draws({"policy.ad_annoyance": [0.0, 1.0], "merchants.sme.count":
                                                         [10, 30]}, 10, 3, {"merchants.sme.count"}).values)


# ------------------------------------------------------------------ plan: common random numbers
def test_every_point_runs_the_same_draws_with_the_same_seeds(tmp_path):
    write_posterior(tmp_path / "post.parquet", {"gifts.send_probability": [0.1, 0.2, 0.4]}, weight=[0.2, 0.3, 0.5])
    p = tiny_batch(tmp_path, 'replicates = 2\nseed = 9\n' + TWO_POINTS
                   + '[uncertainty]\nposterior = "post.parquet"\ndraws = 3\n')
    plan = plan_batch(p)
    assert plan.n_runs == 2 * 3 * 2 and plan.per_point == 6
    runs = list(plan.runs)
    for c in range(3):
        values = [plan.condition_values(i, c) for i in range(2)]
        assert values[0] == values[1] == {"gifts.send_probability": plan.draws.values[c, 0]}
        for r in range(2):
            a, b = runs[c * 2 + r], runs[6 + c * 2 + r]
            assert (a.condition, a.replicate) == (b.condition, b.replicate) == (c, r)
            assert a.seed == b.seed == run_seed(9, 0, c * 2 + r, common_random_numbers=True)
            assert a.run_id != b.run_id  # the points differ
    assert len({r.seed for r in runs[:6]}) == 6  # each (draw, replicate) its own seed
    # the runs use the drawn values: each run's scenario holds its draw's value
    sc = plan.run_scenario(1, 2)
    assert sc.gifts.send_probability == plan.draws.values[2, 0]
    assert sc.policy.commercial_share == 0.5


def test_a_batch_without_uncertainty_plans_as_before(tmp_path):
    p = tiny_batch(tmp_path, 'replicates = 3\nseed = 9\n' + TWO_POINTS)
    plan = plan_batch(p)
    assert plan.conditions == () and plan.n_runs == 6
    assert [r.seed for r in plan.runs] == [run_seed(9, i, r) for i in range(2) for r in range(3)]


# ------------------------------------------------------------------ comparisons on hand-made tables
def _runs(values: dict[int, list[float]], reps: int = 2, noise: float = 0.5) -> pd.DataFrame:
    """Runs of points x draws x replicates: ``values[point][draw]`` is the draw's mean
    (replicates at mean - noise and mean + noise)."""
    rows = []
    for point, means in values.items():
        for d, m in enumerate(means):
            for r in range(reps):
                rows.append({"point": point, "point_name": f"p{point}", "draw": d, "replicate": r, "status": "ok",
                             "condition": d, "robustness_key": "", "robustness_end": "",
                             "x": m + (noise if r % 2 else -noise)})
    return pd.DataFrame(rows)


def test_sign_comparisons_give_known_means_intervals_and_probabilities():
    runs = _runs({0: [10, 10, 10, 10], 1: [11, 12, 13, 14], 2: [9, 9, 9, 13]})
    comp = sign_comparisons(runs, ["x"])
    assert comp["point"].tolist() == [1, 2] and set(comp["reference"]) == {"p0"}
    one, two = comp.iloc[0], comp.iloc[1]
    assert one["unit"] == "draw" and one["n"] == 4
    assert one["mean"] == pytest.approx(2.5) and one["p_higher"] == 1.0 and one["p_lower"] == 0.0
    lo, hi = np.quantile([1, 2, 3, 4], [0.025, 0.975])
    assert (one["lo"], one["hi"]) == pytest.approx((lo, hi))
    assert two["mean"] == pytest.approx(0.0) and two["p_higher"] == 0.25 and two["p_lower"] == 0.75
    # an outcome undefined in one draw at the point: that draw is left out
    runs.loc[(runs["point"] == 1) & (runs["draw"] == 3), "x"] = np.nan
    one = sign_comparisons(runs, ["x"]).iloc[0]
    assert one["n"] == 3 and one["mean"] == pytest.approx(2.0)
    # a failed run is left out too, and robustness ends never count as draws
    extra = runs[runs["point"] == 2].assign(robustness_key="k", robustness_end="high", draw=-1, condition=9, x=1e9)
    failed = runs[runs["point"] == 2].head(1).assign(status="failed", x=-1e9)
    again = sign_comparisons(pd.concat([runs, extra, failed]), ["x"]).iloc[1]
    assert again["mean"] == pytest.approx(0.0) and again["n"] == 4


def test_without_draws_each_replicate_is_a_unit():
    runs = pd.DataFrame({"point": [0, 0, 0, 1, 1, 1], "point_name": ["a"] * 3 + ["b"] * 3, "replicate": [0, 1, 2] * 2,
                         "status": "ok", "x": [1.0, 2.0, 3.0, 2.0, 1.0, 5.0]})
    row = sign_comparisons(runs, ["x"]).iloc[0]
    assert row["unit"] == "replicate" and row["n"] == 3
    assert row["mean"] == pytest.approx(2 / 3) and row["p_higher"] == pytest.approx(2 / 3)


def test_robustness_flags_a_planted_flip_on_a_hand_made_table():
    base = _runs({0: [10.0], 1: [12.0], 2: [7.0]}, noise=0.0)
    ends = []
    for c, end, p0, p1, p2 in ((1, "low", 10.0, 13.0, 6.0), (2, "high", 10.0, 8.0, 7.0)):
        for point, v in ((0, p0), (1, p1), (2, p2)):
            ends.append({"point": point, "point_name": f"p{point}", "draw": -1, "replicate": 0, "status": "ok",
                         "condition": c, "robustness_key": "k", "robustness_end": end, "k": 0.5 * c, "x": v})
    runs = pd.concat([base.assign(k=1.0), pd.DataFrame(ends)], ignore_index=True)
    flags = robustness_flags(runs, ["x"])
    got = {(r.point, r.end): (r.base, r.diff, bool(r.flips)) for r in flags.itertuples()}
    assert got == {(1, "low"): (2.0, 3.0, False), (1, "high"): (2.0, -2.0, True),
                   (2, "low"): (-3.0, -4.0, False), (2, "high"): (-3.0, -3.0, False)}
    assert flags.loc[(flags["point"] == 1) & (flags["end"] == "high"), "value"].item() == "1.0"


# ------------------------------------------------------------------ end to end
def test_a_robustness_end_that_swaps_the_winner_is_flagged(tmp_path, capsys):
    # by construction: push helps only as much as its click-through; at the scenario's 0.1
    # induced sharing gives more gifts, at 1.0 push does (the ends only touch the push point)
    p = tiny_batch(tmp_path, 'replicates = 3\nseed = 5\noutcomes = ["gifts_sent"]\n'
                   '[[variants]]\nname = "induced sharing"\nset = { "policy.induced_sharing.enabled" = true }\n'
                   '[[variants]]\nname = "push"\nset = { "policy.push.enabled" = true }\n'
                   '[robustness]\nparameters = { "policy.push.click_through" = [0.0, 1.0] }\n')
    assert main(["batch", str(p), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    res = load_results(tmp_path / "out")
    gifts = res.comparisons.set_index("outcome").loc["gifts_sent"]
    assert gifts["mean"] < 0 and gifts["unit"] == "replicate" and gifts["reference"] == "induced sharing"
    flags = res.robustness.set_index("end")
    assert flags.loc["low", "diff"] < 0 and not flags.loc["low", "flips"]
    assert flags.loc["high", "diff"] > 0 and flags.loc["high", "flips"]
    assert flags.loc["high", "base"] == pytest.approx(gifts["mean"])  # paired with the base runs
    assert gifts["flips_at"] == "policy.push.click_through = 1.0"
    assert "flips at: policy.push.click_through = 1.0" in unboxed(out)
    # the runs record what they used; the point's comparison uses the base runs only
    runs = res.runs
    high = runs[runs["robustness_end"] == "high"]
    assert len(high) == 6 and set(high["policy.push.click_through"]) == {1.0}
    assert set(runs.loc[runs["robustness_key"] == "", "policy.push.click_through"]) == {0.1}
    assert res.comparison["n"].tolist() == [3, 3]
    # the ends share the base runs' seeds (common random numbers)
    assert (runs.groupby(["point", "replicate"])["seed"].nunique() == 1).all()
    # the dashboard's points and parameters are the base runs' (not the robustness ends or their key)
    assert swept_params(res) == ["policy.induced_sharing.enabled", "policy.push.enabled"]
    assert len(ok_runs(res)) == 6
    # giftsim report prints the same answer and puts it in the page; its curves use the base runs
    assert main(["report", str(tmp_path / "out")]) == 0
    assert "flips at: policy.push.click_through = 1.0" in unboxed(capsys.readouterr().out)
    page = (tmp_path / "out" / "report" / "report.html").read_text()
    assert "Each point against induced sharing" in page and "policy.push.click_through = 1.0" in page


def test_posterior_batch_is_byte_identical_with_1_and_2_workers_and_resumes(tmp_path):
    write_posterior(tmp_path / "post.parquet", {"gifts.send_probability": [0.1, 0.25, 0.5],
                                                "population.pay_forward.a": [1.0, 2.0, 4.0]}, weight=[0.3, 0.3, 0.4])
    p = tiny_batch(tmp_path, 'replicates = 2\nseed = 13\n' + TWO_POINTS
                   + '[uncertainty]\nposterior = "post.parquet"\ndraws = 3\n'
                   + '[robustness]\nparameters = { "policy.ad_annoyance" = [0.005, 0.1] }\n')
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = run_batch(p, out=one, workers=1)
    run_batch(p, out=two, workers=2)
    assert r1.completed == 2 * (3 + 2) * 2 and r1.failed == 0
    assert_same_runs(one, two)
    for f in ("comparisons.parquet", "robustness.parquet", "timeseries.parquet", "comparison.csv", "plan.json"):
        assert filecmp.cmp(one / f, two / f, shallow=False), f
    a, b = load_results(one), load_results(two)
    pd.testing.assert_frame_equal(a.runs.drop(columns="wall_seconds"), b.runs.drop(columns="wall_seconds"))
    # the runs table carries the draw and the values each run used
    base = a.runs[a.runs["robustness_key"] == ""]
    plan = plan_batch(p)
    for d in range(3):
        rows = base[base["draw"] == d]
        assert len(rows) == 4 and set(rows["gifts.send_probability"]) == {plan.draws.values[d, 0]}
    manifest = json.loads((one / "runs" / base["run_id"].iloc[-1] / "manifest.json").read_text())
    assert manifest["batch_draw"] == 2
    # resume: drop some runs and the tables, then --resume gives the same tables
    kept = sorted(x for x in (two / "runs").iterdir())
    for x in kept[::3]:
        shutil.rmtree(x)
    for f in ("runs.parquet", "comparisons.parquet", "robustness.parquet"):
        (two / f).unlink()
    again = run_batch(p, out=two, workers=2, resume=True)
    assert again.completed == len(kept[::3]) and again.skipped == len(kept) - len(kept[::3])
    assert_same_runs(one, two)
    for f in ("comparisons.parquet", "robustness.parquet"):
        assert filecmp.cmp(one / f, two / f, shallow=False), f


# ------------------------------------------------------------------ bad files
@pytest.mark.parametrize("body, fragment", [
    ('[uncertainty]\nposterior = "missing.parquet"\n', "missing.parquet): the posterior file does not exist"),
    ('[uncertainty]\nranges = { "policy.adannoyance" = [0.0, 0.1] }\n',
     "uncertainty.ranges draw 0 at point 'ads low': policy.adannoyance = 0.0"),
    ('[uncertainty]\nranges = { "policy.commercial_share" = [0.0, 0.1] }\n',
     "'policy.commercial_share' is also varied by variants['ads low'].set"),
    ('[uncertainty]\nranges = { "policy.ad_annoyance" = [0.0, 0.1] }\ndraws = 0\n', "draws"),
    ('[uncertainty]\nranges = { "policy.ad_annoyance" = [0.0, 0.1] }\ndraws = 1001\n', "draws"),
    ('[uncertainty]\ndraws = 5\n', "give exactly one of posterior"),
    ('[uncertainty]\nranges = { "policy.ad_annoyance" = [-1.0, 0.1] }\ndraws = 8\n',
     "policy.ad_annoyance = -"),
    ('[robustness]\nparameters = { "policy.commercial_share" = [0.0, 0.1] }\n',
     "robustness.parameters.'policy.commercial_share': 'policy.commercial_share' is also varied"),
    ('[robustness]\nparameters = { "gifts.nope" = [0.0, 0.1] }\n',
     "robustness.parameters.'gifts.nope' (low end) at point 'ads low': gifts.nope = 0.0: unknown key"),
    ('uncertainty = "sometimes"\n', "uncertainty"),
    ('robustness = "all"\n', "robustness"),
])
def test_bad_uncertainty_is_one_clear_message_before_anything_runs(tmp_path, capsys, body, fragment):
    p = tiny_batch(tmp_path, 'replicates = 1\n' + body + TWO_POINTS)  # a top-level key before [[variants]]
    with pytest.raises(ScenarioError) as info:
        run_batch(p, out=tmp_path / "out", workers=1)
    assert str(info.value).startswith(f"{p}: ") and fragment in str(info.value), str(info.value)
    assert not (tmp_path / "out").exists()
    assert main(["batch", str(p), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(p) in err


def test_a_posterior_column_that_is_not_a_key_or_is_swept_is_refused(tmp_path):
    write_posterior(tmp_path / "bad.parquet", {"policy.nope": [0.1]}, weight=[1.0])
    write_posterior(tmp_path / "swept.parquet", {"policy.commercial_share": [0.1]}, weight=[1.0])
    for name, fragment in (("bad", "draw 0 at point 'ads low': policy.nope = 0.1: unknown key"),
                           ("swept", "'policy.commercial_share' is also varied")):
        p = tiny_batch(tmp_path, 'replicates = 1\n' + TWO_POINTS + f'[uncertainty]\nposterior = "{name}.parquet"\n')
        with pytest.raises(ScenarioError) as info:
            plan_batch(p)
        assert f"{name}.parquet" in str(info.value) and fragment in str(info.value), str(info.value)


def test_the_shipped_posterior_missing_is_exit_2_naming_the_file(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "evidence" / "posterior.parquet"
    monkeypatch.setattr(sim.evidence, "POSTERIOR_FILE", missing)
    p = tiny_batch(tmp_path, 'replicates = 1\nuncertainty = "posterior"\n' + TWO_POINTS)
    assert main(["batch", str(p), "--workers", "1", "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    # with the file in place, "posterior" draws 20 rows from it
    missing.parent.mkdir()
    write_posterior(missing, {"gifts.send_probability": [0.2, 0.3]}, weight=[0.5, 0.5])
    plan = plan_batch(p)
    assert plan.draws.values.shape == (20, 1) and plan.n_runs == 2 * 20


def test_default_robustness_names_the_unsourced_parameters(tmp_path):
    p = tiny_batch(tmp_path, 'replicates = 1\nrobustness = "default"\n' + TWO_POINTS)
    plan = plan_batch(p)
    ends = [(c.key, c.end, dict(c.overrides)[c.key]) for c in plan.conditions if c.key]
    assert ends == [(k, e, v) for k, (lo, hi) in DEFAULT_ROBUSTNESS.items() for e, v in (("low", lo), ("high", hi))]
    assert "policy.ad_annoyance" in DEFAULT_ROBUSTNESS and "policy.push.annoyance" in DEFAULT_ROBUSTNESS
    assert plan.n_runs == 2 * (1 + 2 * len(DEFAULT_ROBUSTNESS))


def test_sigkill_mid_batch_with_uncertainty_then_resume_gives_the_uninterrupted_tables(tmp_path):
    write_posterior(tmp_path / "post.parquet", {"gifts.send_probability": [0.15, 0.3, 0.45]}, weight=[0.2, 0.3, 0.5])
    p = tiny_batch(tmp_path, 'replicates = 4\nseed = 21\n[uncertainty]\nposterior = "post.parquet"\ndraws = 4\n'
                   '[robustness]\nparameters = { "policy.ad_annoyance" = [0.005, 0.1] }\n' + TWO_POINTS)
    n_runs = 2 * (4 + 2) * 4
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "batch", str(p), "--workers", "2", "--out", str(killed),
                             "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (killed / "runs").is_dir() and len(complete_runs(killed)) >= 6:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker processes
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    done = len(complete_runs(killed))
    assert 6 <= done < n_runs and not (killed / "comparisons.parquet").exists()
    resumed = run_batch(p, out=killed, workers=2, resume=True)
    assert resumed.skipped == done and resumed.completed + done == n_runs and resumed.failed == 0
    never = run_batch(p, out=tmp_path / "never", workers=1)
    assert_same_runs(never.folder, killed)
    assert_same_tables(never.folder, killed)
    for f in ("comparisons.parquet", "robustness.parquet"):
        assert filecmp.cmp(never.folder / f, killed / f, shallow=False), f


def test_a_calibrations_posterior_with_its_distance_column_is_read_and_the_shipped_one_too(tmp_path):
    # giftsim calibrate writes a ``distance`` per particle: not a scenario key
    path = tmp_path / "post.parquet"
    pq.write_table(pa.table({"gifts.send_probability": [0.2, 0.4], "weight": [0.5, 0.5],
                             "distance": [0.3, 0.1], "generation": [5, 5]}), path)
    d = posterior_draws(path, 10, seed=1, source="b.toml")
    assert d.keys == ("gifts.send_probability",)
    from sim.evidence import POSTERIOR_FILE

    shipped = posterior_draws(POSTERIOR_FILE, 5, seed=1, source="b.toml")
    assert "distance" not in shipped.keys and "gifts.send_probability" in shipped.keys
