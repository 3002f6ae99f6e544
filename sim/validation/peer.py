"""Agreement with a peer library: the IC mode against cynetdiff on the Facebook graph.

cynetdiff (Kempe-style independent cascade in compiled C++, on CSR arrays) runs the same
cascades: same graph, same p, the same seed sets (drawn once, shared), independent
random streams. Near the threshold final sizes are bimodal (outbreaks die out early or
reach a large part of the graph), so many cascades are compared: a two-sided paired
t-test on the mean final size (pairs share a seed set) and a two-sample
Kolmogorov-Smirnov test on the whole distribution.
"""

from __future__ import annotations

import array
from pathlib import Path

import numpy as np
from scipy import stats

from ..graph import CSRGraph
from ..model.ic import simulate_ic
from .common import ALPHA, graph_for, ic_scenario
from .result import CheckResult, Curve, Plot

__all__ = ["FACEBOOK", "check_cynetdiff", "cynetdiff_sizes"]

FACEBOOK = Path(__file__).resolve().parents[2] / "data" / "facebook_combined.txt.gz"
"""The SNAP ego-Facebook edge list shipped with the project (4,039 users, 88,234 friendships)."""


def cynetdiff_sizes(indptr: np.ndarray, indices: np.ndarray, seed_sets: list[np.ndarray],
                    p: float, rng: np.random.Generator) -> np.ndarray:
    """Final sizes of cynetdiff's IndependentCascadeModel from each seed set.

    Raises
    ------
    ImportError
        If cynetdiff is not installed (it is a test dependency: ``pip install -e .[test]``).
    """
    from cynetdiff.models import IndependentCascadeModel

    model = IndependentCascadeModel(
        array.array("I", indptr[:-1].astype(np.uint32).tobytes()),
        array.array("I", indices.astype(np.uint32).tobytes()),
        activation_prob=float(p), rng=rng,
    )
    out = np.empty(len(seed_sets), dtype=np.int64)
    for i, s in enumerate(seed_sets):
        model.set_seeds([int(x) for x in s])
        model.reset_model()
        model.advance_until_completion()
        out[i] = model.get_num_activated_nodes()
    return out


def check_cynetdiff(*, p: float = 0.015, seeds: int = 5, cascades: int = 4_000,
                    path: str | Path = FACEBOOK, seed: int = 4039,
                    engine_factor: float = 1.0) -> CheckResult:
    """Mean final size of giftsim's IC against cynetdiff's on the same graph and seed sets.

    Parameters
    ----------
    p : float
        Activation probability (the Facebook graph's threshold <k>/(<k^2>-<k>) is
        about 0.0095; 0.015 with 5 seeds gives bimodal sizes).
    seeds : int
        Seed-set size.
    cascades : int
        Cascades per library.
    path : path
        Edge list of the graph.
    seed : int
    engine_factor : float, default 1
        Multiplies giftsim's p only.

    Returns
    -------
    CheckResult
        ``measured``: giftsim's mean final size; ``expected``: cynetdiff's. Passes when
        both the paired t-test and the KS test have p-value >= 6.3e-5.

    Raises
    ------
    ImportError
        If cynetdiff is not installed.
    """
    g, ours, peer = _paired_sizes(p, seeds, cascades, path, seed, engine_factor)
    paired = stats.ttest_rel(ours, peer)
    ks = stats.ks_2samp(ours, peer)
    welch = stats.ttest_ind(ours, peer, equal_var=False)
    passed = bool(paired.pvalue >= ALPHA and ks.pvalue >= ALPHA)
    se = float(np.std(ours - peer, ddof=1) / np.sqrt(cascades))
    return CheckResult(
        name="peer_cynetdiff",
        title=f"IC vs cynetdiff on ego-Facebook, p = {p:g}, {seeds} seeds",
        source=f"cynetdiff {_peer_version()} IndependentCascadeModel",
        formula="mean final size (and its distribution), same graph, p and seed sets",
        measured=float(ours.mean()), expected=float(peer.mean()),
        tolerance=f"two-sided paired t-test and KS test, p >= {ALPHA:.1e} ({cascades:,} cascades "
                  f"each; SE of the mean difference {se:.2f})",
        statistic=f"paired t = {paired.statistic:+.2f}, p = {paired.pvalue:.3g}; KS D = "
                  f"{ks.statistic:.3f}, p = {ks.pvalue:.3g}; Welch p = {welch.pvalue:.3g}",
        passed=passed,
        details={"users": g.n_users, "friendships": g.n_friendships, "p": p, "seeds": seeds,
                 "cascades": cascades, "mean_giftsim": float(ours.mean()),
                 "mean_cynetdiff": float(peer.mean()), "sd_giftsim": float(ours.std(ddof=1)),
                 "sd_cynetdiff": float(peer.std(ddof=1)), "paired_t": float(paired.statistic),
                 "paired_p": float(paired.pvalue), "ks_D": float(ks.statistic),
                 "ks_p": float(ks.pvalue), "welch_p": float(welch.pvalue),
                 "small_share_giftsim": float((ours < 50).mean()),
                 "small_share_cynetdiff": float((peer < 50).mean()),
                 "engine_factor": engine_factor, "seed": seed},
        plot=_histogram_plot(ours, peer, p, seeds, cascades),
    )


def _paired_sizes(p: float, seeds: int, cascades: int, path: str | Path, seed: int,
                  engine_factor: float) -> tuple[CSRGraph, np.ndarray, np.ndarray]:
    """The graph, and giftsim's and cynetdiff's final sizes (int64, shape (cascades,)) from
    the same seed sets, each library with its own stream spawned from ``seed``."""
    ss = np.random.SeedSequence(seed)
    g_ss, s_ss, ours_ss, peer_ss = ss.spawn(4)
    sc = ic_scenario("ic_facebook", {"kind": "edgelist", "path": str(path)}, p, seeds)
    g = graph_for(sc, g_ss)
    srng = np.random.default_rng(s_ss)
    seed_sets = [np.sort(srng.choice(g.n_users, size=seeds, replace=False)) for _ in range(cascades)]
    rng = np.random.default_rng(ours_ss)
    ours = np.array([simulate_ic(g.indptr, g.indices, s, p * engine_factor, rng).size
                     for s in seed_sets])
    peer = cynetdiff_sizes(g.indptr, g.indices, seed_sets, p, np.random.default_rng(peer_ss))
    return g, ours, peer


def _peer_version() -> str:
    """The installed cynetdiff's version, ``?`` without package metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cynetdiff")
    except PackageNotFoundError:  # pragma: no cover - installed without metadata
        return "?"


def _histogram_plot(ours: np.ndarray, peer: np.ndarray, p: float, seeds: int, cascades: int) -> Plot:
    """Histograms (40 bins, shares of cascades) of both libraries' final sizes."""
    bins = np.linspace(0, max(ours.max(), peer.max()) + 1, 41)
    mid = 0.5 * (bins[1:] + bins[:-1])
    h_ours = np.histogram(ours, bins)[0] / cascades
    h_peer = np.histogram(peer, bins)[0] / cascades
    return Plot(title=f"IC final sizes on ego-Facebook (p = {p:g}, {seeds} seeds, "
                      f"{cascades:,} cascades each)", xlabel="final size (users)",
                ylabel="share of cascades",
                curves=(Curve("cynetdiff", mid, h_peer, style="bars"),
                        Curve("giftsim IC", mid, h_ours, style="steps")))
