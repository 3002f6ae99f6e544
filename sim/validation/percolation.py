"""Independent cascade on configuration-model graphs against Newman's percolation theory.

On an undirected graph an IC outbreak from one seed is the seed's cluster under bond
percolation with T = p, so Newman (2002) gives its law for configuration-model graphs:
above the threshold a share S = 1 - G0(u; T), u = G1(u; T), of users is reached by a
large outbreak, which a random seed starts with probability S; below it the mean
outbreak size is <s> = 1 + T G0'(1) / (1 - T G1'(1)), diverging at
T_c = <k> / (<k^2> - <k>). Theory is evaluated on each generated graph's own degree
sequence (as Newman's formulas take p_k as given), and also shown for the scenario's
degree law.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .common import Z_MAX, fmt_z, graph_for, ic_scenario, outbreak_sizes, t_max
from .result import CheckResult, Curve, Plot
from .theory import (
    degree_pmf,
    epidemic_threshold,
    giant_outbreak_share,
    mean_outbreak_size,
)

__all__ = ["LARGE_SHARE", "check_ic_giant", "check_ic_threshold"]

SOURCE = "Newman, Phys. Rev. E 66, 016128 (2002)"
LARGE_SHARE = 0.05
"""An outbreak reaching at least this share of users counts as large (small outbreaks
above the threshold stay at O(log n) users)."""


def _giant_sample(T: float, mean_degree: float, n_users: int, graphs: int, per_graph: int,
                  ss: np.random.SeedSequence, engine_factor: float):
    """Large-outbreak shares and theory per graph, and the share of large outbreaks."""
    sc = ic_scenario("ic_giant", {"kind": "configuration", "n": n_users, "degree": "poisson",
                                  "mean_degree": mean_degree}, T)
    diffs, sizes_all, theory, n_large, n_total = [], [], [], 0, 0
    for gss in ss.spawn(graphs):
        g_ss, c_ss = gss.spawn(2)
        g = graph_for(sc, g_ss)
        s_th = giant_outbreak_share(degree_pmf(g.degree), T)
        sizes = outbreak_sizes(g, min(1.0, sc.mode.p * engine_factor), per_graph,
                               np.random.default_rng(c_ss)) / g.n_users
        large = sizes[sizes >= LARGE_SHARE]
        n_large += large.size
        n_total += sizes.size
        theory.append(s_th)
        if large.size:
            diffs.append(large.mean() - s_th)
            sizes_all.append(large)
    return np.array(diffs), np.concatenate(sizes_all) if sizes_all else np.empty(0), np.array(theory), n_large, n_total


def check_ic_giant(*, T: float = 0.5, mean_degree: float = 4.0, n_users: int = 50_000,
                   graphs: int = 8, cascades_per_graph: int = 30, seed: int = 20021,
                   engine_factor: float = 1.0, curve_T: tuple[float, ...] = ()) -> CheckResult:
    """Large-outbreak size of single-seed IC on Poisson configuration graphs vs Newman's S.

    Parameters
    ----------
    T : float
        Activation probability (transmissibility).
    mean_degree : float
        Poisson mean degree of the configuration model.
    n_users : int
    graphs, cascades_per_graph : int
        Independent graphs, and single-seed cascades on each.
    seed : int
        Root of every draw (``SeedSequence(seed)``).
    engine_factor : float, default 1
        Multiplies the engine's p (not the theory's): 1.05 shows the check catches a 5%
        error.
    curve_T : tuple of float
        Extra T values simulated (fewer cascades) for the plot only.

    Returns
    -------
    CheckResult
        ``measured``: mean share of users reached by large outbreaks; ``expected``: S on
        the generated graphs' degree sequences (mean over graphs). Passes when the mean
        per-graph difference is within its between-graph standard error times the t bound
        of the same false-alarm rate as |z| <= 4 (:func:`~sim.validation.common.t_max`), and
        the share of seeds starting a large outbreak has |z| <= 4 against S (binomial).
    """
    main_ss, curve_ss = np.random.SeedSequence(seed).spawn(2)
    diffs, large, theory, n_large, n_total = _giant_sample(
        T, mean_degree, n_users, graphs, cascades_per_graph, main_ss, engine_factor)
    s_graphs = float(theory.mean())
    pk_p = stats.poisson.pmf(np.arange(int(mean_degree * 10 + 40)), mean_degree)
    s_poisson = giant_outbreak_share(pk_p, T)
    measured = float(large.mean()) if large.size else 0.0
    se, t_size, t_bound = _size_test(diffs)
    share, se_share, z_share = _share_test(n_large, n_total, s_graphs)
    passed = abs(t_size) <= t_bound and abs(z_share) <= Z_MAX
    tc = epidemic_threshold(pk_p)
    return CheckResult(
        name="ic_giant_newman",
        title=f"IC giant outbreak, Poisson({mean_degree:g}) configuration model, T = {T:g}",
        source=SOURCE, formula="S = 1 - G0(u; T), u = G1(u; T)", measured=measured, expected=s_graphs,
        tolerance=f"|t| <= {t_bound:.2f} ({diffs.size - 1} df) on per-graph differences (SE {se:.5f}); share of large "
                  f"outbreaks |z| <= {Z_MAX:g} (SE {se_share:.4f})",
        statistic=f"t = {t_size:+.2f}; share {share:.4f}, {fmt_z(z_share)}",
        passed=bool(passed),
        details={"users": n_users, "graphs": graphs, "cascades": n_total, "large_outbreaks": n_large,
                 "S_poisson_closed_form": s_poisson, "S_on_graphs": s_graphs,
                 "large_outbreak_share_of_seeds": share, "T_c": tc, "engine_factor": engine_factor, "seed": seed},
        plot=Plot(title=f"IC on Poisson({mean_degree:g}) configuration graphs, n = {n_users:,}: giant outbreak",
                  xlabel="T (activation probability)", ylabel="share of users in a large outbreak",
                  curves=_giant_curves(T, mean_degree, n_users, measured, large, pk_p, curve_T, curve_ss,
                                       engine_factor),
                  vlines=((tc, f"T_c = {tc:.3g}"),)),
    )


def _size_test(diffs: np.ndarray) -> tuple[float, float, float]:
    """Standard error, t statistic and |t| bound of the mean per-graph difference from theory
    (nan and inf when fewer than two graphs had a large outbreak)."""
    if diffs.size >= 2:
        se = float(diffs.std(ddof=1) / np.sqrt(diffs.size))
        t_size = float(diffs.mean() / se) if se > 0 else float("inf")
    else:
        se, t_size = float("nan"), float("inf")
    return se, t_size, t_max(max(diffs.size - 1, 1))


def _share_test(n_large: int, n_total: int, s_graphs: float) -> tuple[float, float, float]:
    """Share of seeds that started a large outbreak, its binomial standard error under
    theory's S, and the z statistic against S."""
    share = n_large / n_total
    se_share = np.sqrt(s_graphs * (1 - s_graphs) / n_total)
    return share, se_share, (share - s_graphs) / se_share


def _giant_curves(T: float, mean_degree: float, n_users: int, measured: float, large: np.ndarray,
                  pk_p: np.ndarray, curve_T: tuple[float, ...], curve_ss: np.random.SeedSequence,
                  engine_factor: float) -> tuple[Curve, ...]:
    """Theory S(T) on a grid of 201 T values, and the simulated large-outbreak shares at
    ``T`` and at each of ``curve_T`` (2 graphs x 10 cascades each), with 2 SE bars."""
    curves = []
    t_grid = np.linspace(0.0, 1.0, 201)
    curves.append(Curve(f"theory S(T), Poisson({mean_degree:g})", t_grid,
                        np.array([giant_outbreak_share(pk_p, t) for t in t_grid])))
    xs, ys, es = [T], [measured], [2 * float(large.std(ddof=1) / np.sqrt(max(large.size, 1)))]
    for t, css in zip(curve_T, curve_ss.spawn(len(curve_T))):
        _, lg, _, _, _ = _giant_sample(t, mean_degree, n_users, 2, 10, css, engine_factor)
        if lg.size:
            xs.append(t)
            ys.append(float(lg.mean()))
            es.append(2 * float(lg.std(ddof=1) / np.sqrt(lg.size)) if lg.size > 1 else 0.0)
    order = np.argsort(xs)
    curves.append(Curve("giftsim IC, mean large-outbreak share", np.array(xs)[order],
                        np.array(ys)[order], style="points", err=np.array(es)[order]))
    return tuple(curves)


def check_ic_threshold(*, degree: dict | None = None, n_users: int = 100_000,
                       below: tuple[float, ...] = (0.3, 0.5, 0.7, 0.8), cascades: int = 4_000,
                       main_cascades: int = 16_000, seed: int = 20022,
                       engine_factor: float = 1.0) -> CheckResult:
    """Mean outbreak size below the threshold, and the threshold itself, on a configuration
    graph with a heterogeneous degree law.

    Parameters
    ----------
    degree : dict, optional
        The scenario's ``graph.degree`` distribution (default lognormal, median 4,
        sigma 0.6, rounded: <k> about 4.8, T_c about 0.17).
    n_users : int
    below : tuple of float
        Values of T / T_c simulated; the last is the main test point.
    cascades, main_cascades : int
        Single-seed cascades at each point, and at the main point.
    seed : int
    engine_factor : float, default 1
        Multiplies the engine's p (not the theory's).

    Returns
    -------
    CheckResult
        ``measured``: mean outbreak size at the main point; ``expected``: Newman's <s>
        on the graph's degree sequence. Passes when |z| <= 4 there and the threshold
        fitted to all points (T / (<s> - 1) is linear in T and vanishes at T_c) is within
        4 standard errors of <k> / (<k^2> - <k>).
    """
    degree = degree or {"dist": "lognormal", "median": 4.0, "sigma": 0.6}
    ss = np.random.SeedSequence(seed)
    g_ss, c_ss = ss.spawn(2)
    sc = ic_scenario("ic_threshold", {"kind": "configuration", "n": n_users, "degree": degree}, 0.0)
    g = graph_for(sc, g_ss)
    pk = degree_pmf(g.degree)
    tc = epidemic_threshold(pk)
    Ts = np.array(below) * tc
    means, ses, theory = _below_threshold(g, pk, Ts, c_ss, cascades, main_cascades, engine_factor)
    z = float((means[-1] - theory[-1]) / ses[-1])
    tc_fit, tc_se = _fitted_threshold(Ts, means, ses)
    z_tc = (tc_fit - tc) / tc_se
    passed = abs(z) <= Z_MAX and abs(z_tc) <= Z_MAX
    k1 = float(np.arange(pk.size) @ pk)
    return CheckResult(
        name="ic_threshold_newman",
        title=f"IC below threshold, lognormal-degree configuration model (T = {below[-1]:g} T_c)",
        source=SOURCE,
        formula="<s> = 1 + T G0'(1) / (1 - T G1'(1)); T_c = <k> / (<k^2> - <k>)",
        measured=float(means[-1]), expected=float(theory[-1]),
        tolerance=f"|z| <= {Z_MAX:g} at T = {Ts[-1]:.4f} (SE {ses[-1]:.3f}); fitted T_c within "
                  f"{Z_MAX:g} SE (SE {tc_se:.4f})",
        statistic=f"{fmt_z(z)}; T_c fitted {tc_fit:.4f} vs {tc:.4f}, {fmt_z(z_tc)}",
        passed=bool(passed),
        details={"users": g.n_users, "mean_degree": k1, "T_c": tc, "T_c_fitted": float(tc_fit),
                 "T": float(Ts[-1]), "cascades_main": main_cascades, "cascades_other": cascades,
                 "points": {f"{t:.4f}": (float(m), float(th)) for t, m, th in zip(Ts, means, theory)},
                 "engine_factor": engine_factor, "seed": seed},
        plot=_threshold_plot(g.n_users, k1, pk, tc, Ts, means, ses),
    )


def _threshold_plot(n_users: int, k1: float, pk: np.ndarray, tc: float, Ts: np.ndarray, means: np.ndarray,
                    ses: np.ndarray) -> Plot:
    """Newman's <s>(T) on 120 points below T_c, and the simulated means with 2 SE bars (log y)."""
    grid = np.linspace(0.02 * tc, 0.97 * tc, 120)
    return Plot(title=f"IC below threshold on a configuration graph, n = {n_users:,}, "
                      f"<k> = {k1:.2f}", xlabel="T (activation probability)",
                ylabel="mean outbreak size from one seed",
                curves=(Curve("theory <s>(T)", grid, np.array([mean_outbreak_size(pk, t) for t in grid])),
                        Curve("giftsim IC (2 SE)", Ts, means, style="points", err=2 * ses)),
                vlines=((tc, f"T_c = {tc:.3f}"),), logy=True)


def _below_threshold(g, pk: np.ndarray, Ts: np.ndarray, c_ss: np.random.SeedSequence, cascades: int,
                     main_cascades: int, engine_factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean single-seed outbreak size at each T of ``Ts``, its standard error, and Newman's
    <s> (three float64 arrays shaped like ``Ts``); the last T gets ``main_cascades``."""
    means, ses, theory = [], [], []
    rngs = [np.random.default_rng(s) for s in c_ss.spawn(len(Ts))]
    for i, (t, rng) in enumerate(zip(Ts, rngs)):
        n_c = main_cascades if i == len(Ts) - 1 else cascades
        s = outbreak_sizes(g, min(1.0, t * engine_factor), n_c, rng).astype(np.float64)
        means.append(s.mean())
        ses.append(s.std(ddof=1) / np.sqrt(s.size))
        theory.append(mean_outbreak_size(pk, t))
    means, ses, theory = map(np.array, (means, ses, theory))
    return means, ses, theory


def _fitted_threshold(Ts: np.ndarray, means: np.ndarray, ses: np.ndarray) -> tuple[float, float]:
    """T_c fitted to the points (T / (<s> - 1) is linear in T, zero at T_c), and its standard
    error (weighted least squares, then the delta method)."""
    # y = T / (<s> - 1) = 1/<k> - (G1'(1)/<k>) T: a weighted line through the points
    y = Ts / (means - 1.0)
    y_se = Ts * ses / (means - 1.0) ** 2
    fit = np.polynomial.polynomial.polyfit(Ts, y, 1, w=1.0 / y_se, full=False)
    a, b = fit
    # standard errors of the weighted fit, then of T_c = -a / b by the delta method
    X = np.vstack([np.ones_like(Ts), Ts]).T
    cov = np.linalg.inv(X.T @ (X / y_se[:, None] ** 2))
    tc_fit = -a / b
    grad = np.array([-1.0 / b, a / b**2])
    tc_se = float(np.sqrt(grad @ cov @ grad))
    return tc_fit, tc_se
