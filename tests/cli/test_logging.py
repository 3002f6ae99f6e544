"""Logging: batches log each failed run and each resume decision through ``logging``
(names under ``sim``); the CLI shows warnings on stderr, INFO with -v, DEBUG with -vv,
and writes every record to --log-file."""

from __future__ import annotations

import logging
import re
import subprocess
import sys

import pytest

from sim.batch import plan_batch, run_batch
from sim.cli import main

from ..conftest import ROOT
from ..tiny_batch import complete_runs, tiny_batch


def _squeeze(text: str) -> str:
    """Text without whitespace: rich wraps long records over several lines."""
    return re.sub(r"\s+", "", text)


def _fail_point(monkeypatch, point_name: str) -> None:
    """Make every run of the point ``point_name`` raise (workers=1 runs in this process)."""
    import sim.batch.worker as worker

    real = worker.run

    def run(scenario, seed):
        if scenario.policy.commercial_share == 0.3:
            raise RuntimeError(f"boom in {point_name}")
        return real(scenario, seed)

    monkeypatch.setattr(worker, "run", run)


FAILING = 'replicates = 2\nseed = 5\n[[variants]]\nname = "fine"\n[[variants]]\nname = "bad"\n' \
          'set = { "policy.commercial_share" = 0.3 }\n'


def test_a_failed_run_is_logged_with_its_id_point_seed_and_error(tmp_path, monkeypatch, caplog):
    p = tiny_batch(tmp_path, FAILING)
    _fail_point(monkeypatch, "bad")
    plan = plan_batch(p)
    with caplog.at_level(logging.DEBUG, logger="sim"):
        out = run_batch(p, out=tmp_path / "out", workers=1)
    assert out.failed == 2 and out.completed == 2
    failed = [r for r in caplog.records if r.levelno == logging.WARNING and "failed" in r.getMessage()]
    assert len(failed) == 2
    bad = [r for r in plan.runs if plan.points[r.point].name == "bad"]
    for rec, run in zip(failed, bad):
        msg = rec.getMessage()
        assert rec.name == "sim.batch.runner"
        assert (f"run {run.run_id} failed (point 1 'bad', replicate {run.replicate}, seed {run.seed}): "
                "RuntimeError: boom in bad") == msg
    # the traceback goes to DEBUG; successful runs are DEBUG records too
    assert sum("Traceback" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG) == 2
    assert sum(" ok (point 0 'fine'" in r.getMessage() for r in caplog.records) == 2


def test_resume_decisions_are_logged(tmp_path, caplog):
    p = tiny_batch(tmp_path, "replicates = 4\nseed = 2\n")
    out = tmp_path / "out"
    run_batch(p, out=out, workers=1)
    runs = complete_runs(out)
    # a run stopped while writing left a temporary folder; another run lost its files
    (out / "runs" / f".tmp-{runs[0].name}-deadbeef").mkdir()
    (runs[1] / "manifest.json").unlink()
    damaged = runs[1]
    import shutil
    shutil.rmtree(runs[2])
    with caplog.at_level(logging.INFO, logger="sim"):
        again = run_batch(p, out=out, workers=1, resume=True)
    assert again.skipped == 2 and again.completed == 2 and again.failed == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "sim.batch.runner"]
    assert ("resume: kept 2 finished runs, running 2 (1 with an incomplete folder set aside), "
            "removed 1 temporary folders of runs stopped while writing") in messages
    aside = [m for m in messages if m.startswith(f"resume: {damaged} is not a complete run folder")]
    assert len(aside) == 1
    moved = sorted((out / "runs").glob(f".incomplete-{damaged.name}-*"))
    assert len(moved) == 1 and str(moved[0]) in aside[0] and (moved[0] / "summary.json").is_file()
    # the damaged run was run again and is complete now
    assert len(complete_runs(out)) == 4 and (damaged / "manifest.json").is_file()


def test_resume_runs_a_damaged_run_folder_again(tmp_path):
    # Without setting it aside, the worker found the folder taken and counted the run as
    # done: the batch ended "ok" with a run folder that read_run refuses.
    from sim.results import read_run

    p = tiny_batch(tmp_path, "replicates = 2\nseed = 2\n")
    out = tmp_path / "out"
    run_batch(p, out=out, workers=1)
    damaged = complete_runs(out)[0]
    (damaged / "manifest.json").unlink()
    again = run_batch(p, out=out, workers=1, resume=True)
    assert again.completed == 1 and again.skipped == 1
    assert read_run(damaged)["manifest"]["run_id"] == damaged.name


def test_cli_verbosity_and_log_file(tmp_path, monkeypatch, capsys):
    p = tiny_batch(tmp_path, FAILING)
    _fail_point(monkeypatch, "bad")
    # default: warnings (each failed run) on stderr, no INFO
    assert main(["batch", str(p), "--out", str(tmp_path / "a"), "--workers", "1", "--quiet"]) == 3
    err = _squeeze(capsys.readouterr().err)
    assert err.count("WARNING") == 2 and _squeeze("RuntimeError: boom in bad") in err
    assert "INFO" not in err
    # -v: INFO records too (the plan's size); --log-file: every record, DEBUG included, as plain lines
    log = tmp_path / "giftsim.log"
    assert main(["batch", str(p), "--out", str(tmp_path / "b"), "--workers", "1", "--quiet", "-v",
                 "--log-file", str(log)]) == 3
    err = _squeeze(capsys.readouterr().err)
    assert "INFO" in err and _squeeze("batch b: 2 points x 2 replicates = 4 runs") in err
    assert "DEBUG" not in err
    lines = log.read_text(encoding="utf-8").splitlines()
    assert sum(" WARNING sim.batch.runner: run " in x and "RuntimeError: boom in bad" in x for x in lines) == 2
    assert sum(" INFO sim.batch.runner: batch b: 2 points x 2 replicates = 4 runs" in x for x in lines) == 1
    assert sum(" DEBUG sim.batch.runner: run " in x and " ok (point 0 'fine'" in x for x in lines) == 2
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING) sim\.", lines[0])
    # -vv before the command: DEBUG on stderr; the handlers are gone after each command
    assert main(["-vv", "batch", str(p), "--out", str(tmp_path / "c"), "--workers", "1", "--quiet"]) == 3
    assert "DEBUG" in capsys.readouterr().err
    assert logging.getLogger("sim").handlers == []


def test_log_file_that_cannot_be_opened_is_bad_input(tmp_path, capsys):
    code = main(["check", str(ROOT / "scenarios" / "wechat_gift_launch.toml"),
                 "--log-file", str(tmp_path / "missing" / "x.log")])
    assert code == 2
    err = capsys.readouterr().err
    assert "--log-file" in err and "cannot open it for writing" in err and "Traceback" not in err


@pytest.mark.slow
def test_console_script_logs_to_stderr_and_file(tmp_path):
    p = tiny_batch(tmp_path, "replicates = 2\n")
    log = tmp_path / "run.log"
    out = subprocess.run([sys.executable, "-m", "sim", "batch", str(p), "--out", str(tmp_path / "o"), "--workers",
                          "1", "--quiet", "-v", "--log-file", str(log)], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert _squeeze("batch b: 1 points x 2 replicates = 2 runs") in _squeeze(out.stderr)
    assert "INFO sim.batch.runner: batch b finished: 2 runs now, 0 kept, 0 failed" in log.read_text()


def test_graph_file_reading_is_logged(tmp_path, caplog):
    from sim.graph import read_graph_file

    g = tmp_path / "g.txt"
    g.write_text("# a comment\n0 1\n1 2\n2 2\n2 1\n5 0\n")
    with caplog.at_level(logging.INFO, logger="sim"):
        edges = read_graph_file(g, "edgelist")
    (rec,) = [r for r in caplog.records if r.name == "sim.graph.io"]
    assert edges.n_users == 4
    assert rec.getMessage().startswith(f"read {g} (edgelist): 4 users, 3 friendships from 5 edges "
                                       "(1 self-loops and 1 duplicates dropped, 0 isolated users) in ")


def test_calibration_progress_is_logged(tmp_path, caplog):
    import tomli_w

    from sim.calibrate import calibrate

    (tmp_path / "base.toml").write_text(tomli_w.dumps({
        "name": "small", "graph": {"kind": "holme_kim", "n": 200, "m": 3, "p": 0.3, "seed": 5},
        "time": {"start": "2025-01-01", "end": "2025-01-10"},
        "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]}, "policy": {"commercial_share": 0.2},
    }))
    (tmp_path / "cal.toml").write_text(tomli_w.dumps({
        "name": "c", "base": "base.toml", "replicates": 1, "seed": 3, "max_iterations": 1, "population_size": 2,
        "check_replicates": 2, "parameters": {"gifts.send_probability": [0.1, 0.5]},
        "targets": {"gifts_sent": {"value": 20.0, "scale": 5.0}},
    }))
    with caplog.at_level(logging.DEBUG, logger="sim.calibrate"):
        res = calibrate(tmp_path / "cal.toml", out=tmp_path / "out")
    infos = [r.getMessage() for r in caplog.records if r.name == "sim.calibrate.fit" and r.levelno == logging.INFO]
    best = float(res.history["loss"].min())
    assert infos[-2] == f"calibration c: {res.evaluations} points evaluated, best loss so far {best:.6g}"
    assert infos[-1] == (f"calibration c: fitted {res.fitted} (loss {res.loss:.6g}); checking it with 2 fresh "
                         "replicates")
    debug = [r for r in caplog.records if r.name == "sim.calibrate.fit" and r.levelno == logging.DEBUG]
    assert len(debug) == res.evaluations
