"""Batches that lose nothing: SIGKILL mid-way then --resume ends with the tables of a
batch never interrupted; a failing point leaves every other run intact."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from sim.batch import load_results, plan_batch, run_batch
from sim.results import is_complete

from ..conftest import ROOT
from ..tiny_batch import assert_same_runs, assert_same_tables, complete_runs, tiny_batch


def giftsim(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "sim", *args], cwd=ROOT, **kwargs)


def test_sigkill_mid_batch_then_resume_gives_the_uninterrupted_tables(tmp_path):
    n_runs = 40
    p = tiny_batch(tmp_path, f'replicates = {n_runs // 2}\nseed = 4\nevents = true\n'
                   '[sweep]\n"policy.commercial_share" = [0.05, 0.25]\n')
    killed = tmp_path / "killed"
    proc = giftsim("batch", str(p), "--workers", "2", "--out", str(killed), "--quiet",
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if (killed / "runs").is_dir() and len(complete_runs(killed)) >= 4:
                break
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker processes
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the batch ended before it could be killed"
    done_before = [r.name for r in complete_runs(killed)]
    assert 4 <= len(done_before) < n_runs
    assert not (killed / "runs.parquet").exists()

    # A temporary folder that looks complete (a copy of a finished run) under the name
    # of a run not yet done: resume must not take it for that run.
    plan = plan_batch(p)
    missing = next(r.run_id for r in plan.runs if r.run_id not in done_before)
    fake = killed / "runs" / f".tmp-{missing}-0badc0de"
    shutil.copytree(killed / "runs" / done_before[0], fake)
    assert not is_complete(fake)

    resumed = run_batch(p, out=killed, workers=2, resume=True)
    assert resumed.skipped == len(done_before)
    assert resumed.completed == n_runs - len(done_before) and resumed.failed == 0
    assert not [x for x in (killed / "runs").iterdir() if x.name.startswith(".tmp-")]

    never = run_batch(p, out=tmp_path / "never", workers=2)
    assert never.completed == n_runs
    assert_same_runs(never.folder, killed)
    assert_same_tables(never.folder, killed)
    runs = load_results(killed).runs
    assert (runs["status"] == "ok").all() and runs["run_id"].is_unique
    assert runs.loc[runs["run_id"] == missing, "seed"].item() == next(
        r.seed for r in plan.runs if r.run_id == missing)


def test_failing_point_keeps_other_runs_lists_failures_and_exits_3(tmp_path, monkeypatch, capsys):
    bad_graph = tmp_path / "bad.txt"
    bad_graph.write_text("0 1\n1 two\n")
    body = 'replicates = 3\nseed = 11\n[[variants]]\nname = "fine"\n'
    good = tiny_batch(tmp_path, body, name="good")
    mixed = tiny_batch(tmp_path, body + '[[variants]]\nname = "broken"\n'
                       f'set = {{ graph = {{ kind = "edgelist", path = "{bad_graph}" }} }}\n',
                       name="mixed")
    # planning reads graph files and would refuse this one (exit 2); switched off here so that
    # the file breaks only in the worker processes, as a run-time failure does
    monkeypatch.setattr("sim.batch.plan.check_graph_file", lambda *a, **k: None)
    from sim.cli import main

    code = main(["batch", str(mixed), "--workers", "2", "--out", str(tmp_path / "mixed"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 3, err
    assert "3 run(s) failed" in err and "failures.jsonl" in err and "Traceback" not in err

    failures = [json.loads(line) for line in (tmp_path / "mixed" / "failures.jsonl").read_text().splitlines()]
    assert sorted(f["replicate"] for f in failures) == [0, 1, 2]
    assert {f["point_name"] for f in failures} == {"broken"}
    for f in failures:
        assert "node id 'two' is not an integer" in f["error"]
        assert f["traceback"].startswith("Traceback") and "GraphFileError" in f["traceback"]

    # The other point's runs are intact: byte-identical to a batch without the broken point.
    reference = run_batch(good, out=tmp_path / "good", workers=1)
    fine_ids = [r.name for r in complete_runs(reference.folder)]
    assert len(fine_ids) == 3
    assert_same_runs(reference.folder, tmp_path / "mixed", ids=fine_ids)
    assert [r.name for r in complete_runs(tmp_path / "mixed")] == fine_ids

    res = load_results(tmp_path / "mixed")
    status = res.runs.groupby("point_name")["status"].agg(lambda s: sorted(set(s)))
    assert status.to_dict() == {"broken": ["failed"], "fine": ["ok"]}
    assert res.runs.loc[res.runs["status"] == "failed", "gifts_sent"].isna().all()
    # a point whose every run failed stays in the comparison, with n = 0 and no values
    assert list(res.comparison["point_name"]) == ["fine", "broken"]
    broken = res.comparison.iloc[1]
    assert broken["n"] == 0 and np.isnan(broken["gifts_sent_mean"])
    pd.testing.assert_frame_equal(res.comparison.iloc[:1], load_results(reference.folder).comparison)
    assert json.loads((tmp_path / "mixed" / "manifest.json").read_text())["failed"] == 3
