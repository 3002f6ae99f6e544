"""Calibration recovers a known parameter and writes a usable fitted scenario."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tomli_w

from sim import load_scenario, run
from sim.batch.plan import run_seed
from sim.calibrate import calibrate
from sim.scenario import ScenarioError

SMALL = {
    "name": "calib_small",
    "graph": {"kind": "holme_kim", "n": 300, "m": 4, "p": 0.3, "seed": 5},
    "time": {"start": "2025-01-01", "end": "2025-01-28"},
    "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
    "policy": {"commercial_share": 0.2},
}


def write_files(tmp_path, target_value, **extra):
    (tmp_path / "base.toml").write_text(tomli_w.dumps(SMALL))
    spec = {
        "name": "recover", "base": "base.toml", "replicates": 3, "seed": 9, "max_iterations": 6,
        "population_size": 6, "check_replicates": 4,
        "parameters": {"gifts.send_probability": [0.05, 0.9]},
        "targets": {"gifts_sent": {"value": target_value, "scale": 5.0}},
    }
    spec.update(extra)
    (tmp_path / "cal.toml").write_text(tomli_w.dumps(spec))
    return tmp_path / "cal.toml"


def test_calibration_recovers_a_known_send_probability(tmp_path):
    base = load_scenario(write_files(tmp_path, 0.0).parent / "base.toml")
    from sim.scenario import with_overrides

    truth = with_overrides(base, [("gifts.send_probability", 0.4)])
    seeds = [run_seed(9, 0, r) for r in range(3)]
    target = float(np.mean([run(truth, s).summary["gifts_sent"] for s in seeds]))
    res = calibrate(write_files(tmp_path, target), out=tmp_path / "out")
    assert res.fitted["gifts.send_probability"] == pytest.approx(0.4, abs=0.06)
    assert res.loss < 1.0
    data = json.loads((tmp_path / "out" / "calibration.json").read_text())
    assert data["fitted"] == res.fitted and len(res.history) == res.evaluations
    fitted = load_scenario(tmp_path / "out" / "fitted.toml")
    assert fitted.gifts.send_probability == pytest.approx(res.fitted["gifts.send_probability"])


def test_calibration_is_reproducible_whatever_the_workers(tmp_path):
    a = calibrate(write_files(tmp_path, 60.0, max_iterations=2, population_size=4), out=tmp_path / "a")
    b = calibrate(write_files(tmp_path, 60.0, max_iterations=2, population_size=4), out=tmp_path / "b", workers=2)
    assert a.fitted == b.fitted and a.loss == b.loss


def test_bad_calibration_files_are_clear(tmp_path):
    p = write_files(tmp_path, 1.0, targets={"nonsense": {"value": 1.0, "scale": 1.0}})
    with pytest.raises(ScenarioError, match="unknown target metric.*'nonsense'"):
        calibrate(p, out=tmp_path / "x")
    p = write_files(tmp_path, 1.0, parameters={"gifts.send_probability": [0.5, 2.0]})
    with pytest.raises(ScenarioError, match="send_probability"):
        calibrate(p, out=tmp_path / "x")  # the bounds' midpoint 1.25 is out of range
