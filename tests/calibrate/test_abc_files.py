"""ABC calibration files: a bad one gets one clear message naming the file and the key
(exit 2, nothing run or written); giftsim check and giftsim schema accept good ones; the
posterior's summaries (weighted quantiles, piling up at a bound) are right."""

from __future__ import annotations

import contextlib
import io
import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from sim.calibrate.abc import abc_calibrate
from sim.calibrate.abc_summary import posterior_summary, weighted_quantile
from sim.calibrate.fit import CalibrationExistsError
from sim.cli import main

from ..conftest import SCENARIOS
from .abc_cases import registered, write_files

BAD = [
    ("prior outside the key's range", dict(parameters={"gifts.send_probability": [0.1, 1.5]}),
     ["parameters.'gifts.send_probability' (upper bound)", "must be <= 1"]),
    ("loguniform below 0", dict(parameters={"gifts.accept_intercept": [-1.0, 2.0]},
                                priors={"gifts.accept_intercept": "loguniform"}),
     ["priors.'gifts.accept_intercept' = 'loguniform'", "needs a lower bound > 0, got -1"]),
    ("loguniform at 0", dict(parameters={"gifts.send_probability": [0.0, 0.5]},
                             priors={"gifts.send_probability": "loguniform"}),
     ["priors.'gifts.send_probability' = 'loguniform'", "needs a lower bound > 0, got 0"]),
    ("figure of another scenario", dict(targets={"receive_give_lift": 1.0}),
     ["targets.receive_give_lift", "applies to scenario 'wechat_gift_launch.toml'",
      "allowed: the figures of 'base.toml': test_gifts_per_user, test_accepted_share"]),
    ("unknown figure", dict(targets={"gifts_per_users": 1.0}),
     ["targets", "unknown target(s) 'gifts_per_users'", "allowed: figures of sim.evidence"]),
    ("population of 0", dict(budget={"population_size": 0}), ["budget.population_size = 0", "must be >= 10"]),
    ("no simulations", dict(budget={"max_simulations": 0}), ["budget.max_simulations = 0", "must be >= 1"]),
    ("prior of a key not calibrated", dict(priors={"gifts.click_through": "loguniform"}),
     ["priors.'gifts.click_through'", "not a key of [parameters]",
      "allowed: gifts.send_probability, gifts.accept_intercept"]),
    ("unknown prior", dict(priors={"gifts.send_probability": "normal"}),
     ["priors.'gifts.send_probability' = 'normal'", "'uniform' or 'loguniform'"]),
    ("unknown method", dict(method="mcmc"),
     ["method = 'mcmc'", "allowed: differential_evolution, abc_smc"]),
]


@pytest.mark.parametrize("what, spec, parts", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("command", ["check", "calibrate"])
def test_a_bad_file_gets_one_clear_message(tmp_path, capsys, what, spec, parts, command):
    path = write_files(tmp_path, **spec)
    out = tmp_path / "out"
    with registered(tmp_path):
        code = main([command, str(path)] + (["--out", str(out)] if command == "calibrate" else []))
    captured = capsys.readouterr()
    text = " ".join((captured.out + captured.err).split())
    assert code == 2
    assert text.count(f"{path}:") == 1, text  # one message, naming the file
    for part in parts:
        assert part in text, (part, text)
    assert "Traceback" not in text and not out.exists()  # nothing run, nothing written


def test_a_stopped_calibration_of_another_file_is_not_resumed(tmp_path):
    path = write_files(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "history.db").write_bytes(b"")
    (out / "spec.json").write_text(json.dumps({"seed": 12}))
    with registered(tmp_path), pytest.raises(CalibrationExistsError, match="holds a stopped calibration of another "
                                             "file .*use --force to start over"):
        abc_calibrate(path, out=out)
    assert (out / "history.db").exists() and json.loads((out / "spec.json").read_text()) == {"seed": 12}


def test_check_accepts_the_shipped_abc_file(capsys):
    assert main(["check", str(SCENARIOS / "calibrate_evidence.toml")]) == 0
    assert "calibration of 5 parameters to 5 targets by ABC-SMC (200 particles a generation" in capsys.readouterr().out


def _calibration_schema():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["schema", "calibration"]) == 0
    return json.loads(buf.getvalue())


def test_calibration_schema_takes_both_methods():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft7Validator(_calibration_schema())
    abc = tomllib.loads((SCENARIOS / "calibrate_evidence.toml").read_text())
    de = tomllib.loads((SCENARIOS / "calibrate_plausibility.toml").read_text())
    assert not list(validator.iter_errors(abc)) and not list(validator.iter_errors(de))
    assert not list(validator.iter_errors({**de, "method": "differential_evolution"}))
    assert list(validator.iter_errors({**abc, "targets": {"nope": 1.0}}))  # figures of sim.evidence
    assert list(validator.iter_errors({**abc, "priors": {"gifts.send_probability": "normal"}}))
    assert list(validator.iter_errors({**abc, "budget": {"population_size": 0}}))
    assert list(validator.iter_errors({**abc, "budgt": {}}))
    assert list(validator.iter_errors({**abc, "method": "mcmc"}))  # then read as differential evolution: refused


def test_weighted_quantile_inverts_the_weighted_cdf():
    v, w = [3.0, 1.0, 2.0, 4.0], [0.1, 0.2, 0.3, 0.4]  # sorted: 1 (0.2), 2 (0.5), 3 (0.6), 4 (1.0)
    assert [weighted_quantile(v, w, q) for q in (0.0, 0.2, 0.21, 0.5, 0.55, 0.6, 0.61, 1.0)] == \
        [1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0]
    with pytest.raises(ValueError, match="2 values and 1 weights"):
        weighted_quantile([1.0, 2.0], [1.0], 0.5)


def test_posterior_summary_flags_a_pile_up_at_a_bound():
    rng = np.random.default_rng(3)
    n = 2000
    post = pd.DataFrame({"flat": rng.uniform(0, 1, n), "low": rng.uniform(0, 0.2, n),
                         "log_high": np.exp(rng.uniform(np.log(0.5), np.log(1.0), n)),
                         "weight": np.full(n, 1 / n)})
    bounds = {"flat": (0.0, 1.0), "low": (0.0, 1.0), "log_high": (0.01, 1.0)}
    s = posterior_summary(post, bounds, {"log_high": "loguniform"}).set_index("parameter")
    assert s["at_bound"].to_dict() == {"flat": "", "low": "low", "log_high": "high"}
    # "low": uniform on [0, 0.2] puts 25% in [0, 0.05] (> the prior's 5%): piled up; median near 0.1
    assert s.loc["low", "median"] == pytest.approx(0.1, abs=0.01)
    assert s.loc["flat", "lo"] == pytest.approx(0.05, abs=0.02) and s.loc["flat", "hi"] == pytest.approx(0.95, abs=0.02)


def test_the_differential_evolution_reader_points_an_abc_file_to_its_reader():
    from sim.calibrate import load_calibration
    from sim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=r"calibrate_evidence.toml: method = 'abc_smc': an ABC calibration file, "
                                            r"read by sim.calibrate.abc_spec.load_abc_calibration"):
        load_calibration(SCENARIOS / "calibrate_evidence.toml")
