"""Pay-it-forward branching: cascade sizes against the Borel distribution.

If every adopter passes the feature on to a Poisson(R) number of new users, a cascade is
a Galton-Watson tree and, for R < 1, its total size follows the Borel distribution
P(n) = e^{-Rn} (Rn)^{n-1} / n!, mean 1 / (1 - R). The engine realises this as an
independent-cascade special case: on a configuration graph with Poisson(lam) degrees,
a user reached through one friendship has Poisson(lam) other friends (the excess degree
of a Poisson law is the same Poisson law), each activated with probability p = R / lam,
so it forwards to Poisson(R) new users (Poisson thinning is exact); the seed, with
Poisson(lam) friends, forwards to Poisson(R) too. With n much larger than the cascades,
the graph is locally a tree and the law is Borel(R).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .common import ALPHA, Z_MAX, graph_for, ic_scenario, outbreak_sizes
from .result import CheckResult, Curve, Plot
from .theory import borel_pmf

__all__ = ["BOREL_BINS", "check_borel"]

BOREL_BINS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 26, 51, 101)
"""Left edges of the size classes of the goodness-of-fit test (the last is open)."""


def _class_probs(R: float) -> np.ndarray:
    edges = list(BOREL_BINS)
    probs = [borel_pmf(np.arange(lo, hi), R).sum() for lo, hi in zip(edges[:-1], edges[1:])]
    probs.append(1.0 - sum(probs))
    return np.array(probs)


def check_borel(*, R: float = 0.8, lam: float = 10.0, n_users: int = 100_000,
                cascades: int = 20_000, seed: int = 1942, engine_factor: float = 1.0) -> CheckResult:
    """Single-seed IC cascade sizes with Poisson(R) forwards against Borel(R).

    Parameters
    ----------
    R : float in (0, 1)
        Mean forwards per adopter.
    lam : float
        Poisson mean degree of the configuration graph; p = R / lam.
    n_users : int
    cascades : int
    seed : int
    engine_factor : float, default 1
        Multiplies the engine's p (not the theory's R).

    Returns
    -------
    CheckResult
        ``measured``: mean cascade size; ``expected``: 1 / (1 - R). Passes when the
        chi-square goodness-of-fit test over the size classes :data:`BOREL_BINS` has
        p-value >= 6.3e-5 (the false-alarm rate of |z| <= 4).

    Raises
    ------
    ValueError
        If R is not in (0, 1).
    """
    if not 0.0 < R < 1.0:
        raise ValueError(f"R must be in (0, 1), got {R}")
    ss = np.random.SeedSequence(seed)
    g_ss, c_ss = ss.spawn(2)
    sc = ic_scenario("borel", {"kind": "configuration", "n": n_users, "degree": "poisson",
                               "mean_degree": lam}, R / lam)
    g = graph_for(sc, g_ss)
    sizes = outbreak_sizes(g, sc.mode.p * engine_factor, cascades, np.random.default_rng(c_ss))
    cls = np.searchsorted(np.array(BOREL_BINS), sizes, side="right") - 1
    observed = np.bincount(cls, minlength=len(BOREL_BINS))
    expected = _class_probs(R) * cascades
    chi2, pval = stats.chisquare(observed, expected)
    mean = float(sizes.mean())
    se = float(sizes.std(ddof=1) / np.sqrt(sizes.size))
    p1 = float((sizes == 1).mean())
    p2 = float((sizes == 2).mean())
    ns = np.arange(1, 31)
    emp = np.array([(sizes == k).mean() for k in ns])
    emp_err = 2 * np.sqrt(np.maximum(emp * (1 - emp), 1e-12) / cascades)
    return CheckResult(
        name="borel_branching",
        title=f"Pay-it-forward branching, Poisson({R:g}) forwards: cascade sizes",
        source="Borel (1942); Otter (1949): total progeny of a Poisson Galton-Watson process",
        formula="P(n) = e^{-Rn} (Rn)^{n-1} / n!",
        measured=mean, expected=1.0 / (1.0 - R),
        tolerance=f"chi-square over {len(BOREL_BINS)} size classes, p >= {ALPHA:.1e}",
        statistic=f"chi2 = {chi2:.1f} ({len(BOREL_BINS) - 1} df), p = {pval:.3g}; "
                  f"P(1) {p1:.4f} vs {borel_pmf(np.array([1]), R)[0]:.4f}, "
                  f"P(2) {p2:.4f} vs {borel_pmf(np.array([2]), R)[0]:.4f}, "
                  f"mean {mean:.3f} +/- {se:.3f}",
        passed=bool(pval >= ALPHA),
        details={"users": g.n_users, "mean_degree": lam, "p": sc.mode.p, "cascades": cascades,
                 "P1": p1, "P2": p2, "mean_se": se, "chi2": float(chi2), "p_value": float(pval),
                 "largest": int(sizes.max()), "mean_z": (mean - 1 / (1 - R)) / se,
                 "engine_factor": engine_factor, "seed": seed, "z_max": Z_MAX},
        plot=Plot(title=f"Cascade sizes, IC with Poisson({R:g}) forwards ({cascades:,} cascades, "
                        f"n = {g.n_users:,})", xlabel="cascade size n", ylabel="P(size = n)",
                  curves=(Curve(f"Borel({R:g})", ns.astype(float), borel_pmf(ns, R)),
                          Curve("giftsim IC (2 SE)", ns.astype(float), emp, style="points", err=emp_err)),
                  logy=True),
    )
