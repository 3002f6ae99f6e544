"""Batch planning (issue 12): overrides give the same result in any order, a batch records
what its runs resolved, and plans are lazy: counted from the file, refused above a limit,
points made on demand."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import tomllib
import tracemalloc
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.batch import load_results, plan_batch, run_batch, run_seed
from sim.batch.estimate import measure_run_cost
from sim.batch.plan import DEFAULT_MAX_RUNS, count_runs
from sim.batch.spec import load_batch
from sim.batch.tables import param_value
from sim.cli import main as cli_main
from sim.results import run_id, run_id_maker
from sim.scenario import apply_overrides, kind_of, load_raw, read_toml, validate_scenario, value_at, with_overrides

from ..conftest import SCENARIOS, error_of, write
from ..tiny_batch import TINY

WECHAT = SCENARIOS / "wechat_gift_launch.toml"


def tiny_batch(tmp_path: Path, body: str, name: str = "b", replicates: int = 1) -> Path:
    write(tmp_path, "tiny.toml", TINY)
    return write(tmp_path, f"{name}.toml", f'name = "{name}"\nbase = "tiny.toml"\nreplicates = {replicates}\n'
                 f"seed = 5\n{body}")


def manifest_scenario(folder: Path, run: str) -> dict:
    return json.loads((folder / "runs" / run / "manifest.json").read_text(encoding="utf-8"))["scenario"]


def unset_parent(data, key: str) -> bool:
    """Whether a table on the way to ``key`` is unset (None: e.g. no ``policy.paid_traffic``
    table, paid traffic off), so that the key is unset too."""
    node = data
    for part in key.split(".")[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return True
    return False


def assert_recorded_as_run(folder: Path) -> int:
    """Every parameter column of runs.parquet (and every point's params in plan.json)
    equals what each run's manifest.json says its scenario resolved; returns the cells
    compared."""
    res = load_results(folder)
    plan = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    keys = list(dict.fromkeys(k for p in plan["points"] for k in p["params"]))
    assert keys, "a batch with parameters"
    compared = 0
    for _, row in res.runs.iterrows():
        assert row["status"] == "ok", row["run_id"]
        sc = manifest_scenario(folder, row["run_id"])
        point = plan["points"][int(row["point"])]
        for k in keys:
            used = None if unset_parent(sc, k) else value_at(sc, k)
            if used is None:  # an optional key left unset (e.g. no onboarding cap): an empty cell
                assert pd.isna(row[k]), (row["point_name"], k, row[k])
            else:
                assert row[k] == param_value(used), (row["point_name"], k, row[k], used)
            assert point["params"][k] == used, (point["name"], k)
            compared += 1
    return compared


# --------------------------------------------------------------------------- order of overrides
def test_a_table_and_its_own_key_give_the_same_scenario_in_either_order():
    raw, _ = load_raw(WECHAT)
    table = ("policy.allocation", {"rule": "head_boost"})
    boost = ("policy.allocation.boost", 50)
    a = validate_scenario(apply_overrides(raw, [boost, table]))
    b = validate_scenario(apply_overrides(raw, [table, boost]))
    assert a == b
    assert (a.policy.allocation.rule, a.policy.allocation.boost) == ("head_boost", 50.0)
    assert table[1] == {"rule": "head_boost"}  # the caller's table is not changed


def test_every_order_of_mixed_overrides_gives_one_scenario():
    raw, _ = load_raw(WECHAT)
    pairs = [("policy.allocation.boost", 4.0), ("policy.allocation", {"rule": "head_boost"}),
             ("policy.commercial_share", 0.07), ("population.pay_forward.a", 3.0),
             ("population.pay_forward", {"dist": "beta", "b": 6.0})]
    results = {validate_scenario(apply_overrides(raw, list(order))).model_dump_json()
               for order in itertools.permutations(pairs)}
    assert len(results) == 1
    sc = validate_scenario(apply_overrides(raw, pairs))
    assert sc.policy.allocation.boost == 4.0 and sc.population.pay_forward.a == 3.0
    assert sc.population.pay_forward.b == 6.0


def test_a_key_inside_a_table_that_sets_it_too_is_refused_naming_both():
    raw, _ = load_raw(WECHAT)
    for order in ([("policy.commercial_share", 0.1), ("policy", {"commercial_share": 0.2})],
                  [("policy", {"commercial_share": 0.2}), ("policy.commercial_share", 0.1)]):
        msg = error_of(apply_overrides, raw, order, source="x")
        assert "policy = {commercial_share = 0.2} and policy.commercial_share = 0.1 both set " \
               "policy.commercial_share; set it once" in msg
    msg = error_of(apply_overrides, raw, [("policy.allocation.boost", 3), ("policy.allocation", 5)], source="x")
    assert "policy.allocation = 5 and policy.allocation.boost = 3: policy.allocation is set to a value" in msg


def test_sweep_of_a_key_listed_before_its_table_uses_the_swept_values(tmp_path):
    # issue 12: both runs used boost 10 while runs.parquet said 2 and 50
    p = tiny_batch(tmp_path, '[sweep]\n"policy.allocation.boost" = [2, 50]\n'
                   '"policy.allocation" = [{ rule = "head_boost" }]\n')
    out = run_batch(p, out=tmp_path / "out", workers=1).folder
    runs = load_results(out).runs
    used = [manifest_scenario(out, r)["policy"]["allocation"]["boost"] for r in runs["run_id"]]
    assert used == [2.0, 50.0]
    assert list(runs["policy.allocation.boost"]) == [2.0, 50.0]
    assert list(runs["point_name"]) == ["boost=2, allocation=head_boost", "boost=50, allocation=head_boost"]
    assert assert_recorded_as_run(out) == 4


def test_sweep_of_a_table_before_its_key_records_each_point_apart(tmp_path):
    # issue 12: the shared table was changed in place: both points recorded {"boost": 50}
    p = tiny_batch(tmp_path, '[sweep]\n"policy.allocation" = [{ rule = "head_boost" }]\n'
                   '"policy.allocation.boost" = [2, 50]\n')
    spec, _ = load_batch(p)
    out = run_batch(p, out=tmp_path / "out", workers=1).folder
    assert spec.sweep["policy.allocation"] == [{"rule": "head_boost"}]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert [pt["name"] for pt in plan["points"]] == ["allocation=head_boost, boost=2",
                                                     "allocation=head_boost, boost=50"]
    assert [pt["params"]["policy.allocation"] for pt in plan["points"]] == [
        {"rule": "head_boost", "boost": 2.0}, {"rule": "head_boost", "boost": 50.0}]
    runs = load_results(out).runs
    assert list(runs["policy.allocation.boost"]) == [2.0, 50.0]
    assert assert_recorded_as_run(out) == 4


def test_variant_setting_a_key_twice_is_refused_by_check(tmp_path, capsys):
    # issue 12: passed giftsim check; the run used 0.2 while runs.parquet said 0.1
    p = tiny_batch(tmp_path, '[[variants]]\nname = "v"\n'
                   'set = { "policy.commercial_share" = 0.1, "policy" = { commercial_share = 0.2 } }\n')
    assert cli_main(["check", str(p)]) == 2
    err = capsys.readouterr().out
    assert f"{p}: variants['v'].set: policy = {{commercial_share = 0.2}} and policy.commercial_share = 0.1 " \
           "both set policy.commercial_share" in err.replace("\n", "")


def test_a_variant_and_the_sweep_setting_one_key_are_refused(tmp_path):
    p = tiny_batch(tmp_path, '[[variants]]\nname = "v"\nset = { "policy.commercial_share" = 0.1 }\n'
                   '[sweep]\n"policy.commercial_share" = [0.2, 0.3]\n')
    assert "variants['v'].set and sweep both set 'policy.commercial_share'" in error_of(plan_batch, p)


def test_a_variant_table_and_a_swept_key_inside_it_merge(tmp_path):
    p = tiny_batch(tmp_path, '[[variants]]\nname = "hb"\nset = { "policy.allocation" = { rule = "head_boost" } }\n'
                   '[sweep]\n"policy.allocation.boost" = [3, 7]\n')
    plan = plan_batch(p)
    assert [pt.scenario.policy.allocation.boost for pt in plan.points] == [3.0, 7.0]
    assert all(pt.scenario.policy.allocation.rule == "head_boost" for pt in plan.points)


# --------------------------------------------------------------------------- recorded = resolved
def _shipped_batches() -> list[Path]:
    return sorted(p for p in SCENARIOS.rglob("*.toml") if kind_of(read_toml(p)) == "batch")


def _short_copy(batch: Path, tmp: Path) -> Path:
    """The batch with one replicate (a sampled design at its smallest n; one parameter draw
    and no robustness ends for a batch with uncertainty: one run per point), its scenario
    paths made absolute (the scenarios run in full: about 0.1 s a run)."""
    raw = tomllib.loads(batch.read_text(encoding="utf-8"))

    def absolute(rel: str) -> str:
        return str((batch.parent / rel).resolve())

    raw["replicates"] = 1
    if raw.get("uncertainty") == "posterior":
        raw["uncertainty"] = {"posterior": "shipped", "draws": 1}
    elif isinstance(raw.get("uncertainty"), dict):
        raw["uncertainty"]["draws"] = 1
    raw.pop("robustness", None)
    if "sample" in raw:
        raw["sample"]["n"] = 2 if raw["sample"]["method"] == "sobol" else 3
    if "base" in raw:
        raw["base"] = absolute(raw["base"])
    if "scenarios" in raw:
        raw["scenarios"] = [absolute(s) for s in raw["scenarios"]]
    for v in raw.get("variants", []):
        if "scenario" in v:
            v["scenario"] = absolute(v["scenario"])
    out = tmp / batch.name
    out.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return out


def test_the_shipped_batches_list():
    names = {p.stem for p in _shipped_batches()}
    assert {"policy_sweep", "launch_policies", "sensitivity_sobol", "push_and_sharing"} <= names


@pytest.mark.parametrize("batch", _shipped_batches(), ids=lambda p: p.stem)
def test_shipped_batch_records_what_its_runs_used(batch, tmp_path):
    short = _short_copy(batch, tmp_path)
    outcome = run_batch(short, out=tmp_path / "out", workers=1)
    assert outcome.failed == 0
    plan = json.loads((outcome.folder / "plan.json").read_text(encoding="utf-8"))
    if any(p["params"] for p in plan["points"]):
        assert assert_recorded_as_run(outcome.folder) > 0
    else:  # scenario lists: each point is its file's scenario
        for p, sc in zip(plan["points"], tomllib.loads(short.read_text())["scenarios"]):
            row = load_results(outcome.folder).runs.iloc[p["index"]]
            assert manifest_scenario(outcome.folder, row["run_id"])["name"] == load_raw(sc)[0].get("name", p["name"])


KEYS = {  # key -> values a sweep may take (tables and keys inside them)
    "policy.allocation": [{"rule": "head_boost"}, {"rule": "head_boost", "head_count": 3}],
    "policy.allocation.boost": [2, 5.5, 50],
    "policy.commercial_share": [0.05, 0.2],
    "population.pay_forward": [{"dist": "beta", "b": 5.0}, {"dist": "beta", "b": 9}],
    "population.pay_forward.a": [1.5, 4],
    "merchants.sme.count": [3, 6.0],
}


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.sampled_from(sorted(KEYS)), min_size=1, max_size=4, unique=True).flatmap(
    lambda ks: st.permutations(ks)),
       data=st.data())
def test_generated_sweeps_record_what_their_runs_used(tmp_path_factory, keys, data):
    tmp = tmp_path_factory.mktemp("gen")
    sweep = {k: data.draw(st.lists(st.sampled_from(KEYS[k]), min_size=1, max_size=2, unique_by=json.dumps))
             for k in keys}
    if "policy.allocation.boost" in sweep and "policy.allocation" not in sweep:
        sweep["policy.allocation"] = [{"rule": "head_boost"}]  # boost exists only for head_boost
    if "population.pay_forward" in sweep and "population.pay_forward.a" not in sweep:
        sweep["population.pay_forward.a"] = [3.0]  # the table leaves a to its own key (merged)
    body = tomli_w.dumps({"sweep": sweep})
    p = tiny_batch(tmp, body)
    outcome = run_batch(p, out=tmp / "out", workers=1)
    assert outcome.failed == 0
    assert assert_recorded_as_run(outcome.folder) == outcome.plan.n_runs * len(sweep)
    for _, row in load_results(outcome.folder).runs.iterrows():  # the swept values themselves
        sc = manifest_scenario(outcome.folder, row["run_id"])
        for k, vals in sweep.items():
            used = value_at(sc, k)
            assert any(used == v or (isinstance(v, dict) and all(used.get(x) == y for x, y in v.items()))
                       for v in vals), (k, used, vals)


# --------------------------------------------------------------------------- lazy plans
GRID = ('[sweep]\n"policy.commercial_share" = { start = 0.0, stop = 0.3, num = 1000 }\n'
        '"gifts.send_probability" = { start = 0.01, stop = 0.5, num = 1000 }\n')


def test_counts_come_from_the_file_without_enumerating(tmp_path):
    p = tiny_batch(tmp_path, '[[variants]]\nname = "a"\n[[variants]]\nname = "b"\nset = { "policy.commercial_share" '
                   '= 0.1 }\n[sweep]\n"gifts.send_probability" = { start = 0.1, stop = 0.5, step = 0.1 }\n'
                   '"merchants.sme.count" = [3, 4, 5]\n', replicates=3)
    spec, _ = load_batch(p)
    plan = plan_batch(p)
    assert count_runs(spec) == (2 * 5 * 3, 2 * 5 * 3 * 3) == (plan.n_points, plan.n_runs) == (
        len(list(plan.points)), len(list(plan.runs)))
    names = [pt.name for pt in plan.points]
    assert len(set(names)) == len(names) and names[0] == "a | send_probability=0.1, count=3"
    assert names[-1] == "b | send_probability=0.5, count=5"


def test_a_million_point_plan_is_made_in_bounded_memory(tmp_path):
    p = tiny_batch(tmp_path, GRID)
    tracemalloc.start()
    plan = plan_batch(p, check="margins")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert plan.n_points == plan.n_runs == 1_000_000
    assert peak < 30e6, peak
    pt = plan.points[123_456]  # point-major, the last key fastest
    assert pt.name == "commercial_share=0.0369369, send_probability=0.233664"
    assert (pt.scenario.policy.commercial_share, pt.scenario.gifts.send_probability) == (
        round(0.3 * 123 / 999, 12), round(0.01 + 0.49 * 456 / 999, 12))
    r = plan.runs[123_456]
    assert (r.point, r.replicate, r.seed) == (123_456, 0, run_seed(5, 123_456, 0))
    assert r.run_id == run_id(pt.scenario, r.seed)


def test_an_absurd_batch_is_refused_at_once_with_exit_2(tmp_path):
    p = tiny_batch(tmp_path, '[sweep]\n' + "".join(f'"{k}" = {{ start = 0.0, stop = 0.3, num = 100000 }}\n' for k in
                                               ("policy.commercial_share", "gifts.send_probability",
                                                "gifts.click_through")))
    tracemalloc.start()
    msg = error_of(plan_batch, p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert msg == (f"{p}: 1,000,000,000,000,000 runs (1,000,000,000,000,000 points x 1 replicates) is more than the "
                   f"limit of {DEFAULT_MAX_RUNS:,} runs; allowed: at most {DEFAULT_MAX_RUNS:,} runs (plan fewer points "
                   "or replicates, or raise the limit with max_runs = N in the batch file or --max-runs N)")
    assert peak < 50e6, peak
    for cmd in ("check", "batch"):
        proc = subprocess.run([sys.executable, "-m", "sim", cmd, str(p)], capture_output=True, text=True,
                              cwd=tmp_path, timeout=120)
        assert proc.returncode == 2, proc.stderr
        text = proc.stdout + proc.stderr
        assert "Traceback" not in text and text.count("1,000,000,000,000,000 runs") == 1, text
    assert not (tmp_path / "results").exists()


def test_the_limit_is_set_in_the_file_or_on_the_command_line(tmp_path, capsys):
    p = tiny_batch(tmp_path, 'max_runs = 5\n[sweep]\n"policy.commercial_share" = [0.1, 0.2, 0.3]\n', replicates=2)
    assert "6 runs (3 points x 2 replicates) is more than the limit of 5 runs" in error_of(plan_batch, p)
    assert cli_main(["check", str(p)]) == 2
    assert cli_main(["check", "--max-runs", "6", str(p)]) == 0
    out = capsys.readouterr().out
    assert "6 runs (3 points x 2 replicates); about " in out and " on disk (" in out
    assert cli_main(["check", "--max-runs", "4", str(p)]) == 2
    assert "limit of 4 runs" in capsys.readouterr().out


def test_batch_prints_the_count_and_estimate_before_running(tmp_path, capsys):
    p = tiny_batch(tmp_path, '[sweep]\n"policy.commercial_share" = [0.1, 0.2]\n', replicates=2)
    assert cli_main(["batch", str(p), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"]) == 0
    cap = capsys.readouterr()  # the count and estimate on stderr, before the runs' lines on stdout
    assert "4 runs (2 points x 2 replicates); about " in cap.err and "[1/4]" in cap.out


def test_measured_cost_is_a_run_of_the_scenario(tmp_path):
    write(tmp_path, "tiny.toml", TINY)
    from sim.scenario import load_scenario
    sc = load_scenario(tmp_path / "tiny.toml")
    cost = measure_run_cost(sc, seed=3)
    assert cost.days == 15 and cost.measured_days == (7, 15) and not cost.extrapolated
    from sim.results import write_run
    from sim.runner import run
    folder = write_run(run(sc, 3), tmp_path / "r")
    size = sum(f.stat().st_size for f in folder.iterdir())
    assert abs(cost.bytes - size) < 200  # the same run; only the manifest's time stamps differ
    assert 0 < cost.seconds < 30


def test_run_id_maker_gives_run_ids_byte_for_byte(wechat):
    make = run_id_maker(wechat)
    assert [make(s) for s in (0, 7, 2**62 + 3)] == [run_id(wechat, s) for s in (0, 7, 2**62 + 3)]


def test_plan_json_is_the_resolved_plan(tmp_path):
    p = tiny_batch(tmp_path, '[sweep]\n"merchants.sme.count" = [3, 5.0]\n', replicates=2)
    out = run_batch(p, out=tmp_path / "o", workers=1).folder
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert [pt["params"] for pt in plan["points"]] == [{"merchants.sme.count": 3}, {"merchants.sme.count": 5}]
    assert [(r["point"], r["replicate"], r["seed"]) for r in plan["runs"]] == [
        (i, j, run_seed(5, i, j)) for i in range(2) for j in range(2)]
    assert plan["problem"] is None and plan["sample_matrix"] is None
    assert list(pd.read_parquet(out / "runs.parquet")["run_id"]) == [r["run_id"] for r in plan["runs"]]


def test_a_file_path_a_batch_sets_is_relative_to_the_batch_file(tmp_path, monkeypatch):
    # issue 14 (scale trial): a graph swept as a whole table, or a groups file set by a variant,
    # names its file relative to the batch file, as the batch docs say, from any working folder
    (tmp_path / "g.txt").write_text("".join(f"{i} {i + 1}\n{i} {(i + 5) % 40}\n" for i in range(40)))
    (tmp_path / "groups.txt").write_text("0 1 2\n3 4 5 6\n")
    sub = tmp_path / "scen"
    sub.mkdir()
    (sub / "s.toml").write_text('name = "s"\n[graph]\nkind = "complete"\nn = 5\n')
    (tmp_path / "b.toml").write_text(
        'name = "b"\nreplicates = 1\n[[variants]]\nname = "v"\nscenario = "scen/s.toml"\n'
        'set = { "groups.enabled" = true, "groups.file" = "groups.txt" }\n'
        '[sweep]\ngraph = [{ kind = "edgelist", path = "g.txt" }]\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sc = plan_batch(tmp_path / "b.toml").points[0].scenario
    assert Path(sc.graph.path) == (tmp_path / "g.txt").resolve()
    assert Path(sc.groups.file) == (tmp_path / "groups.txt").resolve()


def test_cost_of_a_long_run_follows_the_pace_of_its_later_steps(monkeypatch, wechat):
    """A run of years (issue 14) costs more per day once the rollout is complete than in its
    first weeks: past the 7-day run the estimate runs the scenario from its start for the time
    budget and extrapolates from the pace of its last steps (with a clock whose steps slow
    down linearly, the pace of the last quarter, not the mean pace), not from 7 and 21 days."""
    import sim.batch.estimate as estimate

    class Clock:  # each reading advances by 0.5 ms more than the one before: steps slow down
        now, tick = 0.0, 0.0095

        def perf_counter(self):
            self.tick += 0.0005
            self.now += self.tick
            return self.now

    clock = Clock()
    monkeypatch.setattr(estimate, "time", clock)
    monkeypatch.setattr(estimate, "FULL_BUDGET_SECONDS", 0.5)
    sc = with_overrides(wechat, [("time.end", "2026-12-31")], source="test")
    cost = estimate.measure_run_cost(sc, seed=1)
    assert cost.extrapolated and cost.measured_days[0] == 7 and 21 < cost.measured_days[1] < cost.days == 743
    done = cost.measured_days[1]
    # the last steps took about 0.01 + done x 0.0005 s each, more than the mean of all done so far
    assert cost.seconds > (cost.days - done) * (0.01 + 0.0005 * done) * 0.9
