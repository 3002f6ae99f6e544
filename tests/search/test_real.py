"""A policy search on the real model (a 300-user graph, a handful of trials): the same trials
and Pareto set with 1 and 2 workers; after a SIGKILL mid-search, a resume keeps the told
trials and ends with the files of an uninterrupted search; SIGTERM exits 130 saying which
trials were kept."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pyarrow.parquet as pq
import pytest

from sim.experiments import ProcessPoolEvaluator
from sim.search import optimize

from ..conftest import ROOT
from .cases import real_spec

pytestmark = pytest.mark.slow  # three ~5 s searches and two stopped ones


@pytest.fixture(scope="module")
def whole(tmp_path_factory):
    """The real search, uninterrupted, in this process."""
    return optimize(real_spec(), tmp_path_factory.mktemp("one"), ProcessPoolEvaluator(1))


def _same_search(a, b) -> None:
    """Same trials (all but the wall times), draws, generations and Pareto set, byte for byte."""
    ta, tb = (pq.read_table(f / "trials.parquet").drop(["seconds"]).to_pandas() for f in (a, b))
    assert ta.equals(tb), ta.compare(tb) if ta.shape == tb.shape else (ta, tb)
    for name in ("draws", "generations", "pareto"):
        assert (a / f"{name}.parquet").read_bytes() == (b / f"{name}.parquet").read_bytes(), name


def test_the_real_search_is_the_same_with_two_workers(whole, tmp_path):
    t = whole.trials
    assert len(t) == 12 and whole.feasible and len(whole.pareto) >= 1
    # a conditional lever is null where it did not apply; a choice keeps its TOML type
    assert t["policy.push.enabled"].dtype == bool
    assert t["policy.push.reach"].isna().tolist() == (~t["policy.push.enabled"]).tolist()
    assert (t["gmv_rmb"] > 0).all() and t["muted_share"].between(0, 1).all()
    two = optimize(real_spec(), tmp_path, ProcessPoolEvaluator(2))
    _same_search(whole.folder, two.folder)


def _told(db) -> list[tuple[int, float]]:
    """(number, first value) of the told trials in a study, read-only (none if not yet readable)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute("select t.number, v.value from trials t join trial_values v on v.trial_id = t.trial_id "
                             "where t.state = 'COMPLETE' and v.objective = 0 order by t.number").fetchall()
    except sqlite3.Error:
        return []


def _stop_once_a_trial_is_told(out, sig) -> tuple[subprocess.Popen, list, str]:
    """Run the real search with 2 workers in a subprocess, send ``sig`` once a trial is told."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.search.cases", "real", str(out), "2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    try:
        while not (before := _told(out / "study.db")):
            assert proc.poll() is None and time.monotonic() < deadline, "no trial was told"
            time.sleep(0.05)
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    return proc, before, err


def test_resumes_after_sigkill_with_the_files_of_an_uninterrupted_search(whole, tmp_path):
    out = tmp_path / "killed"
    proc, before, _ = _stop_once_a_trial_is_told(out, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    resumed = optimize(real_spec(), out, ProcessPoolEvaluator(2), resume=True)
    kept = _told(out / "study.db")
    assert kept[:len(before)] == before  # the told trials were kept as they were
    assert resumed.resumed_from <= len(before) < 12
    _same_search(whole.folder, out)


def test_sigterm_exits_130_saying_which_trials_were_kept(tmp_path):
    out = tmp_path / "termed"
    proc, _, err = _stop_once_a_trial_is_told(out, signal.SIGTERM)
    assert proc.returncode == 130
    err = " ".join(err.split())
    told = len(pd.read_parquet(out / "trials.parquet"))  # written on the way out
    assert told == len(_told(out / "study.db")) > 0
    assert f"{told} told trials (0 to {told - 1}) are kept in" in err and "--resume" in err
