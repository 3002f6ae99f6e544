"""Outcomes declared once (sim.experiments.outcomes, sim.metrics.RUN_OUTCOMES): each
declared function against an independent recomputation from the run's tables, the texts,
ranges and undefined keys read from the declarations, and the direction as the console
and the dashboard use it."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from sim.calibrate import TARGET_RANGE
from sim.calibrate.fit import metrics_of
from sim.calibrate.spec import TARGET_OUTCOMES
from sim.experiments import Direction, Outcome, OutcomeRegistry, clip_interval, outcome_interval
from sim.experiments.outcomes import NON_NEGATIVE, UNIT_RANGE
from sim.metrics import OUTCOME_RANGE, RUN_OUTCOMES, SUMMARY_KEYS, UNDEFINED_KEYS, run_facts
from sim.model import make_model
from sim.runner import collect, run
from sim.scenario import validate_scenario

from ..metrics.test_summary_recomputed import busy_base, recompute_summary

BUSY = {**busy_base("busy"), "policy": {"commercial_share": 0.1, "push": {"enabled": True, "reach": 0.3}}}


def _same(a, b) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("seed", [5, 11])
def test_every_declared_function_matches_the_recomputation_and_the_summary(seed):
    sc = validate_scenario(BUSY, "<busy>")
    model = make_model(sc, seed=seed)
    while model.running:
        model.step()
    facts = run_facts(model)
    want = recompute_summary(collect(model, wall_seconds=0.0), 300)  # from the tables, not sim.metrics
    summary = run(sc, seed).summary  # a fresh run, through the runner
    assert list(RUN_OUTCOMES) == list(summary) == list(SUMMARY_KEYS)
    defined = 0
    for name, outcome in RUN_OUTCOMES.items():
        got = outcome(facts)
        assert _same(got, want[name]), (name, got, want[name])
        assert _same(got, summary[name]), (name, got, summary[name])
        lo, hi = outcome.range
        if isinstance(got, float) and math.isnan(got):
            assert outcome.undefined_when is not None, name
        else:
            defined += 1
            assert lo <= got <= hi, (name, got, outcome.range)
    assert defined >= len(RUN_OUTCOMES) - 1  # a busy run: (nearly) everything is defined


def test_target_outcomes_are_the_calibrations_metrics():
    res = run(validate_scenario(BUSY, "<busy>"), 3)
    metrics = metrics_of(res)
    for name, outcome in TARGET_OUTCOMES.items():
        assert _same(outcome(res), metrics[name]), name
    assert TARGET_RANGE == TARGET_OUTCOMES.ranges()
    assert TARGET_RANGE["recommendations_per_purchase"] == (1.0, math.inf)
    for name in RUN_OUTCOMES:  # the summary's declarations, with a function of a RunResult
        assert TARGET_OUTCOMES[name].direction is RUN_OUTCOMES[name].direction
        assert TARGET_OUTCOMES[name].text() == SUMMARY_KEYS[name]


def test_summary_keys_ranges_and_undefined_keys_are_read_from_the_declarations():
    for name, o in RUN_OUTCOMES.items():
        assert SUMMARY_KEYS[name] == o.text()
        assert OUTCOME_RANGE[name] == o.range
        assert (name in UNDEFINED_KEYS) == (o.undefined_when is not None)
        assert ("[0, 1]" in SUMMARY_KEYS[name]) == (o.range == UNIT_RANGE)
    assert SUMMARY_KEYS["acceptance_rate"] == "accepted / (accepted + expired), [0, 1]; NaN without a settled gift"
    assert RUN_OUTCOMES["hhi"].direction is Direction.MINIMIZE
    assert RUN_OUTCOMES["gmv_rmb"].direction is Direction.MAXIMIZE
    assert RUN_OUTCOMES["users"].direction is Direction.INFO


def test_a_new_outcome_is_one_declaration():
    reg = RUN_OUTCOMES.merged(OutcomeRegistry([
        Outcome("gifts_per_user", "gifts sent per user", lambda f: f.n_gifts / f.n, Direction.MAXIMIZE,
                NON_NEGATIVE, "without users"),
        Outcome("sent_share", "share of gifts sent", lambda f: 0.5, Direction.INFO, UNIT_RANGE),
    ]))
    assert list(reg)[-2:] == ["gifts_per_user", "sent_share"]
    assert reg.texts()["gifts_per_user"] == "gifts sent per user; NaN without users"
    assert reg.texts()["sent_share"] == "share of gifts sent, [0, 1]"
    assert "gifts_per_user" in reg.undefined() and "sent_share" not in reg.undefined()
    assert reg["gifts_per_user"](SimpleNamespace(n_gifts=6, n=4)) == 1.5
    assert reg.view("batch") == RUN_OUTCOMES.view("batch")
    assert "gifts_per_user" not in RUN_OUTCOMES  # the original is untouched
    # the clipped intervals read the declared range
    assert clip_interval("sent_share", -0.2, 1.3, reg.ranges()) == (0.0, 1.0)
    m, lo, hi, n = outcome_interval([0.9, 1.0, np.nan, 1.0], "sent_share", 0.95, reg.ranges())
    assert n == 3 and hi == 1.0 and lo < m < 1.0


def test_declarations_are_checked():
    f = lambda facts: 0.0  # noqa: E731
    with pytest.raises(ValueError, match="already declared"):
        OutcomeRegistry([Outcome("a", "x", f), Outcome("a", "y", f)])
    with pytest.raises(ValueError, match="view 'v': unknown outcome.*'b'"):
        OutcomeRegistry([Outcome("a", "x", f)], views={"v": ("a", "b")})
    with pytest.raises(ValueError, match="range"):
        Outcome("a", "x", f, range=(1.0, 0.0))
    with pytest.raises(TypeError, match="Direction"):
        Outcome("a", "x", f, direction="max")


def test_direction_picks_the_best():
    values = {"p0": 3.0, "p1": float("nan"), "p2": 1.0, "p3": 5.0}
    assert Direction.MAXIMIZE.best(values) == "p3"
    assert Direction.MINIMIZE.best(values) == "p2"
    assert Direction.MAXIMIZE.best({"p": float("nan")}) is None
    assert (Direction.MAXIMIZE.arrow, Direction.MINIMIZE.arrow) == ("\u2191", "\u2193")


# ------------------------------------------------------------------ console and dashboard
def _summary_table(monkeypatch, comp: pd.DataFrame, outcomes: list[str]) -> str:
    from sim.cli import batch_cmd

    console = Console(record=True, width=200)
    monkeypatch.setattr(batch_cmd, "console", console)
    spec = SimpleNamespace(name="dir", outcomes=outcomes)
    batch_cmd._print_comparison(SimpleNamespace(comparison=comp, plan=SimpleNamespace(spec=spec),
                                                folder=Path("/tmp/dir")))
    return console.export_text()


def test_console_summary_puts_the_best_point_first_by_direction(monkeypatch):
    n = 20  # above SUMMARY_POINTS: one row per outcome
    rng = np.random.default_rng(4)
    cols = {"point": np.arange(n), "n": 2, "point_name": [f"p{i}" for i in range(n)]}
    for o in ("gmv_rmb", "hhi", "users"):
        x = rng.uniform(0.1, 0.9, n)
        cols.update({f"{o}_mean": x, f"{o}_lo": x - 0.05, f"{o}_hi": x + 0.05, f"{o}_n": 2})
    comp = pd.DataFrame(cols)
    text = _summary_table(monkeypatch, comp, ["gmv_rmb", "hhi", "users"])
    assert "best mean (#point)" in text and "worst mean (#point)" in text

    def cells(o):
        row = next(line for line in text.splitlines() if line.startswith(f"\u2502 {o} "))
        return [c.strip() for c in row.split("\u2502")]

    hi = {o: int(comp[f"{o}_mean"].idxmax()) for o in ("gmv_rmb", "hhi", "users")}
    lo = {o: int(comp[f"{o}_mean"].idxmin()) for o in ("gmv_rmb", "hhi", "users")}
    g, h, u = cells("gmv_rmb"), cells("hhi"), cells("users")
    assert g[1] == "gmv_rmb \u2191" and g[3].endswith(f"(#{hi['gmv_rmb']})") and g[4].endswith(f"(#{lo['gmv_rmb']})")
    # a lower-is-better outcome: its lowest mean is the best
    assert h[1] == "hhi \u2193" and h[3].endswith(f"(#{lo['hhi']})") and h[4].endswith(f"(#{hi['hhi']})")
    spread = comp["hhi_mean"].max() - comp["hhi_mean"].min()
    assert h[5] == f"{spread:.4g}"
    # no direction: the highest, then the lowest
    assert u[1] == "users \u00b7" and u[3].endswith(f"(#{hi['users']})")
    assert "lower is better" in " ".join(text.split())


def test_dashboard_axis_says_which_way_is_better():
    from sim.viz import batch_charts as bc

    assert bc.outcome_axis_title("hhi") == "hhi (lower is better)"
    assert bc.outcome_axis_title("gmv_rmb") == "gmv_rmb (higher is better)"
    assert bc.outcome_axis_title("users") == "users"
    assert bc.outcome_axis_title("not_an_outcome") == "not_an_outcome"
