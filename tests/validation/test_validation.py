"""Validation checks (the same functions ``giftsim validate`` runs): theory, power, plausibility.

Each check has fixed seeds, so it is deterministic; its pass rule has a false-alarm rate
of 6.3e-5 (|z| <= 4 or the equivalent p-value). The ``perturbed`` tests show each check
fails when the engine's probability is off by 5%.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import run
from sim.cli import main as cli_main
from sim.validation import (
    CHECKS,
    check_bass,
    check_borel,
    check_cynetdiff,
    check_ic_giant,
    check_ic_threshold,
    check_structural_virality,
    plausibility_metrics,
    purchase_by_received,
    run_check,
    save_plot,
)
from sim.validation.theory import (
    bass_chain_moments,
    bass_discrete,
    bass_F,
    bass_peak_time,
    borel_pmf,
    epidemic_threshold,
    giant_outbreak_share,
    mean_outbreak_size,
)

POISSON4 = stats.poisson.pmf(np.arange(80), 4.0)


# --------------------------------------------------------------------------- closed forms
def test_newman_closed_forms():
    assert giant_outbreak_share(POISSON4, 0.5) == pytest.approx(0.7968, abs=1e-4)
    assert epidemic_threshold(POISSON4) == pytest.approx(0.25)
    assert giant_outbreak_share(POISSON4, 0.24) == 0.0
    # Poisson: S solves S = 1 - exp(-z T S)
    s = giant_outbreak_share(POISSON4, 0.7)
    assert s == pytest.approx(1 - np.exp(-4 * 0.7 * s), abs=1e-12)
    assert mean_outbreak_size(POISSON4, 0.2) == pytest.approx(5.0)  # 1 + 0.8 / 0.2
    with pytest.raises(ValueError, match="not below the threshold"):
        mean_outbreak_size(POISSON4, 0.25)
    # a regular graph of degree 3: T_c = 3 / (9 - 3) = 1/2
    assert epidemic_threshold(np.array([0, 0, 0, 1.0])) == pytest.approx(0.5)


def test_borel_and_bass_closed_forms():
    assert borel_pmf(np.array([1, 2]), 0.8) == pytest.approx([0.4493, 0.1615], abs=1e-4)
    n = np.arange(1, 20_000)
    assert borel_pmf(n, 0.8).sum() == pytest.approx(1.0, abs=1e-9)
    assert (n * borel_pmf(n, 0.8)).sum() == pytest.approx(5.0, abs=1e-6)
    assert bass_F(np.array([5.0, 10.0]), 0.03, 0.38) == pytest.approx([0.3312, 0.8128], abs=1e-4)
    assert bass_peak_time(0.03, 0.38) == pytest.approx(6.19, abs=5e-3)


def test_discrete_bass_converges_to_the_curve_at_first_order():
    errs = []
    for dt in (0.5, 0.25, 0.125):
        f = bass_discrete(0.03, 0.38, dt, int(20 / dt))
        errs.append(np.abs(f - bass_F(np.arange(f.size) * dt, 0.03, 0.38)).max())
    assert errs[0] / errs[1] == pytest.approx(2.0, abs=0.1)
    assert errs[1] / errs[2] == pytest.approx(2.0, abs=0.1)


def test_exact_bass_chain_matches_simulated_binomial_steps():
    rng = np.random.default_rng(0)
    N, ps, qs, k = 30, 0.05, 0.3, 12
    mean, sd = bass_chain_moments(N, ps, qs, k)
    A = np.zeros(20_000, dtype=np.int64)
    for _ in range(k):
        A = A + rng.binomial(N - A, ps + qs * A / (N - 1))
    assert (A / N).mean() == pytest.approx(mean[k], abs=4 * sd[k] / np.sqrt(A.size))
    assert (A / N).std() == pytest.approx(sd[k], rel=0.03)


# --------------------------------------------------------------------------- the checks pass
@pytest.mark.slow
@pytest.mark.parametrize("name", list(CHECKS))
def test_check_passes(name):
    result = run_check(name)
    assert result.passed, f"{name}: {result.statistic}; rule: {result.tolerance}"
    assert result.plot is not None and result.plot.curves


# --------------------------------------------------------------------------- ...and fail at 5%
@pytest.mark.slow
@pytest.mark.parametrize("factor", [0.95, 1.05])
@pytest.mark.parametrize("check", [check_ic_giant, check_ic_threshold, check_borel, check_cynetdiff,
                                   check_bass], ids=lambda f: getattr(f, "__name__", str(f)))
def test_check_catches_a_5_percent_error_in_p(check, factor):
    result = check(engine_factor=factor)
    assert not result.passed, f"{check.__name__} passed with p x {factor}: {result.statistic}"


def test_structural_virality_check_is_exact():
    r = check_structural_virality(n_large=10_000)
    assert r.passed and r.details["cascades_compared"] > 10 and r.details["max_abs_diff"] <= 1e-9


def test_save_plot_writes_a_small_png(tmp_path):
    r = check_structural_virality(n_large=1_000)
    path = save_plot(r.plot, tmp_path / "sv.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size < 100_000


# --------------------------------------------------------------------------- plausibility
def test_plausibility_metrics_match_a_brute_force_count(wechat):
    res = run(wechat, 7)
    m = plausibility_metrics(res)
    g = res.gifts
    rows = list(g[["gift_id", "sender", "recipient", "merchant", "step_sent", "outcome",
                   "step_settled"]].itertuples(index=False))
    converted = sum(
        any(h.sender == r.recipient and h.merchant == r.merchant and r.step_sent < h.step_sent <= r.step_sent + 7
            for h in rows)
        for r in rows)
    assert m["recommendations_per_purchase"] == pytest.approx(len(rows) / converted)
    first_acc = {}
    for r in rows:
        if r.outcome == "accepted":
            first_acc[r.recipient] = min(first_acc.get(r.recipient, 10**9), r.step_settled)
    on = {h.sender for h in rows if h.sender in first_acc and h.step_sent >= first_acc[h.sender]}
    assert m["recipients_sending_on"] == pytest.approx(len(on) / len(first_acc))
    assert m["visits_per_purchase"] == pytest.approx(res.series["product_visits"].sum() / len(rows))
    # cascades counted from the users table: trees of senders linked by awareness parent
    u = res.users
    sender_parent = {int(a): int(b) for a, b, f in zip(u["user"], u["parent"], u["first_send_step"]) if f >= 0}
    children = {}
    for v, par in sender_parent.items():
        if par >= 0:
            children.setdefault(par, []).append(v)
    roots = [v for v, par in sender_parent.items() if par < 0]
    lone = sum(1 for v in roots if v not in children)
    deep = sum(1 for v in roots if any(c in children for c in children.get(v, [])))
    assert len(roots) > 100
    assert m["single_adopter_share"] == pytest.approx(lone / len(roots), abs=1e-12)
    assert m["beyond_one_step_share"] == pytest.approx(deep / len(roots), abs=1e-12)
    # P(sends a first gift | k gifts received before it), counted gift by gift
    first_send = {}
    for h in rows:
        first_send[h.sender] = min(first_send.get(h.sender, 10**9), h.step_sent)
    got = {}
    for h in rows:
        if h.step_sent < first_send.get(h.recipient, 10**9):
            got.setdefault(h.recipient, []).append(h.step_sent)
    counts = {1: [0, 0], 2: [0, 0], 3: [0, 0]}
    for who, steps in got.items():
        if first_send.get(who, 10**9) > min(steps):  # had not sent before the first gift arrived
            c = counts[min(len(steps), 3)]
            c[0] += 1
            c[1] += who in first_send
    table = purchase_by_received([res])
    assert table["received"].tolist() == [1, 2, 3] and table["recipients"].sum() > 100
    assert table["recipients"].tolist() == [counts[k][0] for k in (1, 2, 3)]
    assert table["sent_after"].tolist() == [counts[k][1] for k in (1, 2, 3)]
    assert table["share"].tolist() == pytest.approx([counts[k][1] / counts[k][0] for k in (1, 2, 3)])


# --------------------------------------------------------------------------- the command
def test_validate_command_runs_a_check_and_writes_its_plot(tmp_path, capsys):
    md = tmp_path / "v.md"
    code = cli_main(["validate", "--only", "structural_virality", "--out", str(tmp_path / "img"),
                     "--markdown", str(md)])
    out = capsys.readouterr().out
    assert code == 0 and "PASS" in out and "structural_virality" in out
    assert (tmp_path / "img" / "structural_virality.png").exists()
    assert "| `structural_virality` |" in md.read_text()


def test_validate_command_rejects_an_unknown_check(capsys):
    assert cli_main(["validate", "--only", "nope", "--no-plots"]) == 2
    assert "unknown check 'nope'; allowed: ic_giant_newman" in capsys.readouterr().err
