"""Bass mode on a complete graph against the Bass curve, with the discretisation made explicit.

Three links, each measured:

1. simulation -> exact chain: the engine's mean adopted share (``run()`` in ``bass`` mode,
   replicates) against the exact mean of the finite-N discrete-time Markov chain
   (:func:`~sim.validation.theory.bass_chain_moments`), a z-test at every day;
2. exact chain -> mean-field recursion F_{k+1} = F_k + dt (1 - F_k)(p + q F_k): an
   O(1/N) gap (fluctuations bend the mean below the deterministic curve);
3. recursion -> continuous Bass curve F(t): forward Euler, an O(dt) gap that halves
   when dt halves.
"""

from __future__ import annotations

import numpy as np

from ..graph import build_graph
from ..runner import run
from ..scenario import validate_scenario
from .common import Z_MAX
from .result import CheckResult, Curve, Plot
from .theory import bass_chain_moments, bass_discrete, bass_F, bass_peak_time

__all__ = ["bass_scenario", "check_bass", "euler_errors"]

SOURCE = "Bass, Management Science 15(5) (1969)"


def bass_scenario(p: float, q: float, n_users: int, days: int, step_hours: int):
    """A validated ``bass``-mode scenario on a complete graph (what a scenario file gives)."""
    end = np.datetime64("2025-01-01") + np.timedelta64(days - 1, "D")
    return validate_scenario({
        "name": "bass_complete",
        "graph": {"kind": "complete", "n": n_users, "seed": 0},
        "time": {"start": "2025-01-01", "end": str(end), "step_hours": step_hours},
        "mode": {"kind": "bass", "p": p, "q": q},
    }, "<validation:bass>")


def euler_errors(p: float, q: float, days: float, dts: tuple[float, ...]) -> np.ndarray:
    """Largest |F_dt(k dt) - F(k dt)| over the grid, for each step length (mean-field limit)."""
    out = []
    for dt in dts:
        n = int(round(days / dt))
        f = bass_discrete(p, q, dt, n)
        out.append(np.abs(f - bass_F(np.arange(n + 1) * dt, p, q)).max())
    return np.array(out)


def check_bass(*, p: float = 0.03, q: float = 0.38, n_users: int = 2_000, days: int = 16,
               step_hours: int = 2, replicates: int = 250, seed: int = 1969,
               engine_factor: float = 1.0, q_factor: float = 1.0) -> CheckResult:
    """The engine's Bass mode against the exact chain, the recursion and the Bass curve.

    Parameters
    ----------
    p, q : float
        Innovation and imitation coefficients, per day.
    n_users : int
        Users of the complete graph.
    days : int
    step_hours : int
        Step length (dt = step_hours / 24 days).
    replicates : int
        Runs of ``sim.run`` (seeds ``seed`` .. ``seed + replicates - 1``).
    seed : int
    engine_factor, q_factor : float, default 1
        Multiply the engine's p and q (not the theory's).

    Returns
    -------
    CheckResult
        ``measured``: simulated mean share at day 5; ``expected``: the continuous F(5).
        Passes when every daily |z| (simulated mean vs the exact chain mean, SE from the
        chain's exact standard deviation) is <= 4, and the discretisation is first order
        (sup |F_dt - F| <= 0.01, and halving dt halves it within 10%).
    """
    dt = step_hours / 24.0
    sc = bass_scenario(p * engine_factor, q * q_factor, n_users, days, step_hours)
    mean = _simulated_mean(sc, n_users, replicates, seed)
    n_steps = sc.time.n_steps
    exact_mean, exact_sd = bass_chain_moments(n_users, p * dt, q * dt, n_steps)
    daily = np.arange(1, days + 1) * sc.time.steps_per_day
    z = (mean[daily] - exact_mean[daily]) / (exact_sd[daily] / np.sqrt(replicates))
    errs = euler_errors(p, q, days, (dt * 2, dt))
    order_ratio = float(errs[0] / errs[1])
    discretisation_ok = errs[1] <= 0.01 and abs(order_ratio - 2.0) <= 0.2
    passed = bool(np.abs(z).max() <= Z_MAX and discretisation_ok)
    recursion = bass_discrete(p, q, dt, n_steps, n_users)
    t = np.arange(n_steps + 1) * dt
    peak_sim = _peak_time(mean, t, dt)
    at5 = int(round(5 / dt))
    return CheckResult(
        name="bass_curve",
        title=f"Bass mode, complete graph of {n_users:,} users, p = {p:g}, q = {q:g}, dt = {step_hours} h",
        source=SOURCE,
        formula="F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}); discrete: "
                "F_{k+1} = F_k + dt (1 - F_k)(p + q F_k)",
        measured=float(mean[at5]), expected=float(bass_F(5, p, q)),
        tolerance=f"daily |z| <= {Z_MAX:g} vs the exact chain (SE at day 5 "
                  f"{exact_sd[at5] / np.sqrt(replicates):.4f}); sup|F_dt - F| <= 0.01 and "
                  "first order (ratio 2 +/- 0.2)",
        statistic=_bass_statistic(z, mean, dt, p, q, peak_sim, errs, order_ratio),
        passed=passed,
        details={"users": n_users, "replicates": replicates, "dt_days": dt}
        | _bass_details(mean, exact_mean, recursion, errs, z, dt, p, q, peak_sim)
        | {"engine_factor": engine_factor, "q_factor": q_factor, "seed": seed},
        plot=_bass_plot(p, q, n_users, days, step_hours, replicates, t, daily, mean, exact_mean, exact_sd),
    )


def _bass_plot(p, q, n_users, days, step_hours, replicates, t, daily, mean, exact_mean, exact_sd) -> Plot:
    """The Bass curve, the exact chain's mean and the simulated daily means with 2 SE bars."""
    days_grid = np.linspace(0, days, 400)
    return Plot(title=f"Bass on a complete graph, N = {n_users:,}, p = {p:g}, q = {q:g}, "
                      f"dt = {step_hours} h ({replicates} runs)",
                xlabel="t (days)", ylabel="adopted share F(t)",
                curves=(Curve("Bass curve F(t)", days_grid, bass_F(days_grid, p, q)),
                        Curve("exact chain mean", t, exact_mean, style="steps"),
                        Curve("giftsim bass mode, mean (2 SE)", t[daily], mean[daily],
                              style="points", err=2 * exact_sd[daily] / np.sqrt(replicates))),
                vlines=((bass_peak_time(p, q), f"t* = {bass_peak_time(p, q):.2f}"),))


def _peak_time(mean: np.ndarray, t: np.ndarray, dt: float) -> float:
    """Day of the peak adoption rate of the simulated mean (the rate smoothed over 25 steps)."""
    # adoption rate per day of the simulated mean, and its peak
    rate = np.diff(mean) / dt
    # (smoothed over one day: the derivative of a mean of runs is noisy)
    return float(t[1:][np.argmax(np.convolve(rate, np.ones(25) / 25, mode="same"))] - dt / 2)


def _simulated_mean(sc, n_users: int, replicates: int, seed: int) -> np.ndarray:
    """Mean adopted share over ``replicates`` runs (seeds ``seed`` ..), float64 of shape (n_steps + 1,)."""
    graph = build_graph(sc.graph, rng=np.random.default_rng(0))
    n_steps = sc.time.n_steps
    runs = np.empty((replicates, n_steps + 1))
    runs[:, 0] = 0.0
    for i in range(replicates):
        res = run(sc, seed + i, graph=graph)
        runs[i, 1:] = res.series["senders"].to_numpy() / n_users
    return runs.mean(axis=0)


def _bass_statistic(z, mean, dt, p, q, peak_sim, errs, order_ratio) -> str:
    """The check's one-line statistic: worst daily z, F at days 5 and 10, peak, Euler error."""
    worst = int(np.argmax(np.abs(z)))
    f5, f10 = float(bass_F(5, p, q)), float(bass_F(10, p, q))
    return (f"max |z| = {abs(z[worst]):.2f} (day {worst + 1}); F(5) {mean[int(round(5 / dt))]:.4f} "
            f"vs {f5:.4f}, F(10) {mean[int(round(10 / dt))]:.4f} vs {f10:.4f}; peak {peak_sim:.2f} "
            f"vs t* {bass_peak_time(p, q):.2f} d; Euler sup error {errs[1]:.4f} "
            f"(ratio {order_ratio:.2f})")


def _bass_details(mean, exact_mean, recursion, errs, z, dt, p, q, peak_sim) -> dict:
    """The figures of the three links (simulation, chain, recursion, curve) for ``details``."""
    def at(d):
        return int(round(d / dt))

    return {"F5_sim": float(mean[at(5)]), "F5": float(bass_F(5, p, q)), "F10_sim": float(mean[at(10)]),
            "F10": float(bass_F(10, p, q)), "F5_chain": float(exact_mean[at(5)]),
            "F5_recursion": float(recursion[at(5)]),
            "chain_minus_recursion_max": float(np.abs(exact_mean - recursion).max()),
            "euler_sup_error": float(errs[1]), "euler_sup_error_2dt": float(errs[0]),
            "peak_sim": peak_sim, "peak_theory": bass_peak_time(p, q),
            "max_abs_z": float(np.abs(z).max())}
