"""ABC-SMC calibration (sim.calibrate.abc): recovers parameters the model made its targets
at, is the same with 1 or 2 workers, resumes after a SIGKILL where it stopped with the
posterior of an uninterrupted run, and the command line prints and writes what it found."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.abc import abc_calibrate
from sim.cli import main
from sim.scenario import load_scenario

from ..conftest import ROOT
from .abc_cases import PRIORS, TRUTH, registered, write_files

pytestmark = pytest.mark.slow  # one ~20 s calibration per module, shared; two more in the tests


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """The small calibration's folder, with its figures registered, and one uninterrupted run."""
    folder = tmp_path_factory.mktemp("abc")
    write_files(folder)
    with registered(folder):
        result = abc_calibrate(folder / "abc.toml", out=folder / "out")
        yield folder, result


def test_recovers_the_parameters_the_targets_were_made_at(case):
    _, res = case
    s = res.summary().set_index("parameter")
    assert res.resumed_from == 0 and len(res.generations) == 3
    for key, truth in TRUTH.items():
        lo, hi = PRIORS[key]
        assert s.loc[key, "lo"] <= truth <= s.loc[key, "hi"], (key, s.loc[key].to_dict())
        assert s.loc[key, "hi"] - s.loc[key, "lo"] < 0.75 * (hi - lo), key  # the figures told it something
    width = s.loc["gifts.send_probability", "hi"] - s.loc["gifts.send_probability", "lo"]
    assert width < 0.3 * (PRIORS["gifts.send_probability"][1] - PRIORS["gifts.send_probability"][0])
    assert not s["at_bound"].any()
    # epsilon shrinks generation after generation; weights are a distribution
    assert np.all(np.diff(res.generations["epsilon"]) < 0)
    assert res.posterior["weight"].sum() == pytest.approx(1.0)
    assert (res.posterior["distance"] <= res.generations["epsilon"].iloc[-1]).all()


def test_writes_fitted_scenario_plots_and_predictive_check(case):
    folder, res = case
    out = folder / "out"
    fitted = load_scenario(out / "fitted.toml")
    s = res.summary().set_index("parameter")
    assert fitted.gifts.send_probability == pytest.approx(s.loc["gifts.send_probability", "median"])
    assert fitted.gifts.accept_intercept == pytest.approx(s.loc["gifts.accept_intercept", "median"])
    assert fitted.graph.n == 300  # the rest is the base's
    for png in ("marginals.png", "pairs.png"):
        assert (out / "plots" / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    p = res.predictive.set_index("figure")
    assert set(p.index) == {"test_gifts_per_user", "test_accepted_share"} and p["target"].all()
    assert (p["lo"] <= p["median"]).all() and (p["median"] <= p["hi"]).all()
    assert ((0 <= p["inside_share"]) & (p["inside_share"] <= 1)).all() and (p["draws"] == 6).all()
    assert pd.read_parquet(out / "posterior.parquet").equals(res.posterior)


def test_same_posterior_with_one_and_two_workers(case, tmp_path):
    folder, res = case
    with registered(folder):
        two = abc_calibrate(folder / "abc.toml", out=tmp_path / "two", workers=2)
    assert two.posterior.equals(res.posterior)
    assert (tmp_path / "two" / "posterior.parquet").read_bytes() == (folder / "out" / "posterior.parquet").read_bytes()
    assert two.generations.equals(res.generations)


def _finished_generations(db) -> list[tuple[int, str]]:
    """(t, end time) of the generations in a pyabc history, read-only (none if not yet readable)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            return c.execute("select t, population_end_time from populations where t >= 0 order by t").fetchall()
    except sqlite3.Error:
        return []


def _stop_after_a_generation(folder, out, sig, *cli) -> tuple[subprocess.Popen, list, str]:
    """Start the calibration of ``folder`` in a subprocess, send ``sig`` once a generation is
    in its history; returns the process (ended), the finished generations then, its stderr."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.calibrate.abc_cases", str(folder), str(out), *cli],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    try:
        while not (before := _finished_generations(out / "history.db")):
            assert proc.poll() is None and time.monotonic() < deadline, "no generation finished"
            time.sleep(0.05)
    finally:
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    return proc, before, err


def test_resumes_after_sigkill_where_it_stopped_with_the_same_posterior(case, tmp_path):
    folder, res = case
    out = tmp_path / "killed"
    proc, before, _ = _stop_after_a_generation(folder, out, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL and not (out / "calibration.json").exists()
    with registered(folder):
        resumed = abc_calibrate(folder / "abc.toml", out=out)
    done = len(before)
    assert 1 <= resumed.resumed_from == done < 3
    after = _finished_generations(out / "history.db")
    assert [t for t, _ in after] == [0, 1, 2]
    assert after[:done] == before  # the finished generations were kept, not redone
    assert resumed.posterior.equals(res.posterior)
    assert resumed.generations.equals(res.generations)


def test_command_line_prints_generations_posterior_and_check(case, tmp_path, capsys):
    folder, res = case
    with registered(folder):
        assert main(["calibrate", str(folder / "abc.toml"), "--out", str(tmp_path / "cli")]) == 0
    text = capsys.readouterr().out
    assert "ABC-SMC, 3 generations" in text and "posterior: weighted median [90% interval]" in text
    s = res.summary().set_index("parameter")
    assert f"{s.loc['gifts.send_probability', 'median']:.4g}" in text
    assert "test_accepted_share" in text and "posterior predictive check" in text
    assert "resuming" not in text
    # a finished calibration is refused without --force (exit 2), kept as it was
    with registered(folder):
        assert main(["calibrate", str(folder / "abc.toml"), "--out", str(tmp_path / "cli")]) == 2
    assert "holds a finished calibration" in capsys.readouterr().err
    assert pd.read_parquet(tmp_path / "cli" / "posterior.parquet").equals(res.posterior)
    # giftsim report takes batches: for a calibration folder it says so and where the plots are
    assert main(["report", str(tmp_path / "cli")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "a calibration folder, not a batch folder" in err and str(tmp_path / "cli" / "plots" / "pairs.png") in err


def test_command_line_says_where_it_resumes(case, tmp_path, capsys):
    folder, _ = case
    cut = write_files(tmp_path / "cut", budget={"population_size": 10, "max_generations": 1})
    whole = write_files(tmp_path / "whole", budget={"population_size": 10, "max_generations": 2})
    with registered(folder):
        abc_calibrate(cut, out=tmp_path / "out")
        (tmp_path / "out" / "calibration.json").unlink()  # as if stopped after generation 0
        assert main(["calibrate", str(whole), "--out", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "resuming after generation 0" in text and "ABC-SMC, 2 generations" in text


def test_command_line_stopped_by_sigterm_says_what_it_kept(case, tmp_path):
    folder, res = case
    out = tmp_path / "stopped"
    proc, before, err = _stop_after_a_generation(folder, out, signal.SIGTERM, "--cli")
    err = " ".join(err.split())
    assert proc.returncode == 130, err
    assert f"interrupted; the finished generations are kept in {out}/history.db" in err and "Traceback" not in err
    with registered(folder):
        resumed = abc_calibrate(folder / "abc.toml", out=out)
    assert resumed.resumed_from >= len(before) >= 1
    assert resumed.posterior.equals(res.posterior)
