"""Structural virality of cascade trees: closed forms on large trees, and networkx on the
trees the IC mode records.

Goel, Anderson, Hofman & Watts (2016) define structural virality as the mean shortest
path distance over all pairs of nodes of a cascade tree; giftsim computes it in linear
time from subtree sizes (Wiener index W = sum over edges of s (n - s)).
"""

from __future__ import annotations

import time

import networkx as nx
import numpy as np

from ..metrics import cascade_table, forest_roots, structural_virality
from ..runner import run
from .common import ic_scenario
from .peer import FACEBOOK
from .result import CheckResult, Curve, Plot

__all__ = ["check_structural_virality"]

SOURCE = "Goel, Anderson, Hofman & Watts, Management Science 62(1) (2016)"


def _networkx_sv(parent: np.ndarray, nodes: np.ndarray) -> float:
    g = nx.Graph()
    g.add_nodes_from(nodes.tolist())
    g.add_edges_from((int(v), int(parent[v])) for v in nodes if parent[v] >= 0)
    return nx.average_shortest_path_length(g)


def check_structural_virality(*, n_large: int = 100_000, max_nx_size: int = 400,
                              seed: int = 2016) -> CheckResult:
    """Structural virality: exact on a star and a path of ``n_large`` nodes, equal to
    networkx's mean pair distance on every IC cascade recorded by ``run()``.

    Parameters
    ----------
    n_large : int
        Nodes of the star, path and random recursive tree.
    max_nx_size : int
        Largest cascade compared with networkx (all-pairs BFS is quadratic).
    seed : int
        Seed of the IC run (ego-Facebook, p = 0.05, 50 seeds) and the random tree.

    Returns
    -------
    CheckResult
        ``measured``: structural virality of the path; ``expected``: (n + 1) / 3.
        Passes when star and path are exact to a relative 1e-12 and every compared
        cascade agrees with networkx to 1e-9.
    """
    n = n_large
    star = np.r_[-1, np.zeros(n - 1, dtype=np.int64)]
    path = np.r_[-1, np.arange(n - 1, dtype=np.int64)]
    sv_star, sv_path = structural_virality(star), structural_virality(path)
    err_star = abs(sv_star / (2 * (n - 1) / n) - 1)
    err_path = abs(sv_path / ((n + 1) / 3) - 1)
    rng = np.random.default_rng(seed)
    timings = {}
    for size in (n // 10, n):
        tree = np.r_[-1, (rng.random(size - 1) * np.arange(1, size)).astype(np.int64)]
        t0 = time.perf_counter()
        structural_virality(tree)
        timings[size] = time.perf_counter() - t0
    res = run(ic_scenario("ic_facebook_sv", {"kind": "edgelist", "path": str(FACEBOOK)}, 0.05, 50), seed)
    parent = np.full(int(res.summary["users"]), -2, dtype=np.int64)
    users = res.users["user"].to_numpy()
    parent[users] = res.users["parent"].to_numpy()
    roots = forest_roots(parent)
    table = cascade_table(parent)
    compared, worst = 0, 0.0
    xs, ys = [], []
    for root, size, sv in table[["root", "size", "structural_virality"]].itertuples(index=False):
        if not 2 <= size <= max_nx_size:
            continue
        nodes = np.flatnonzero(roots == root)
        ref = _networkx_sv(parent, nodes)
        worst = max(worst, abs(sv - ref))
        compared += 1
        xs.append(ref)
        ys.append(sv)
    passed = bool(err_star <= 1e-12 and err_path <= 1e-12 and worst <= 1e-9 and compared > 0)
    lim = np.array([0.0, max(xs + [1.0]) * 1.05])
    return CheckResult(
        name="structural_virality",
        title=f"Structural virality: star and path of {n:,} nodes, IC cascades vs networkx",
        source=SOURCE,
        formula="SV = 2 W / (n (n - 1)), W = sum_edges s (n - s); star 2(n-1)/n, path (n+1)/3",
        measured=float(sv_path), expected=(n + 1) / 3,
        tolerance="star and path relative error <= 1e-12; each cascade |SV - networkx| <= 1e-9",
        statistic=f"star err {err_star:.1e}, path err {err_path:.1e}; {compared} cascades, "
                  f"max |diff| {worst:.1e}; random tree {n // 10:,} nodes {timings[n // 10] * 1e3:.1f} ms, "
                  f"{n:,} nodes {timings[n] * 1e3:.1f} ms",
        passed=passed,
        details={"n": n, "sv_star": float(sv_star), "sv_path": float(sv_path),
                 "cascades_compared": compared, "max_abs_diff": worst,
                 "ms_random_tree_small": timings[n // 10] * 1e3, "ms_random_tree_large": timings[n] * 1e3,
                 "seed": seed},
        plot=Plot(title=f"Structural virality of {compared} IC cascades on ego-Facebook",
                  xlabel="networkx mean pair distance", ylabel="giftsim structural virality",
                  curves=(Curve("y = x", lim, lim),
                          Curve("cascades", np.array(xs), np.array(ys), style="points"))),
    )
