"""Shared pieces of the checks: scenarios in the classic modes, graphs, outbreak samples,
and the z-test rule."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from ..graph import CSRGraph, build_graph
from ..model.ic import simulate_ic
from ..scenario import Scenario, validate_scenario

__all__ = ["ALPHA", "Z_MAX", "fmt_z", "graph_for", "ic_scenario", "outbreak_sizes", "t_max"]

Z_MAX = 4.0
"""A statistical check passes when |z| <= 4: a false alarm about once in 16,000 runs of
a correct engine (two-sided normal tail 6.3e-5)."""

ALPHA = float(2 * stats.norm.sf(Z_MAX))
"""False-alarm rate of every statistical check (6.3e-5), for tests other than z-tests."""


def t_max(df: int) -> float:
    """The |t| bound with the same false-alarm rate as |z| <= :data:`Z_MAX`, for ``df``
    degrees of freedom (9.1 for 7, 4.0 as df grows)."""
    return float(stats.t.isf(ALPHA / 2, df))


def ic_scenario(name: str, graph: dict[str, Any], p: float, seeds: int = 1) -> Scenario:
    """A validated scenario in ``independent_cascade`` mode (as a scenario file would give).

    Raises
    ------
    sim.scenario.ScenarioError
        If the graph table or the mode parameters are invalid.
    """
    return validate_scenario({
        "name": name, "graph": graph,
        "mode": {"kind": "independent_cascade", "p": float(p), "seeds": int(seeds)},
    }, f"<validation:{name}>")


def graph_for(scenario: Scenario, seed: np.random.SeedSequence) -> CSRGraph:
    """The scenario's graph built by the engine's own builder, from ``seed``."""
    return build_graph(scenario.graph, rng=np.random.default_rng(seed))


def outbreak_sizes(graph: CSRGraph, p: float, n_cascades: int, rng: np.random.Generator,
                   seeds: int = 1) -> np.ndarray:
    """Final sizes of independent cascades from random seed sets, one after another.

    Parameters
    ----------
    graph : CSRGraph
    p : float in [0, 1]
        Activation probability.
    n_cascades : int
    rng : numpy.random.Generator
        Draws the seed sets (``seeds`` distinct users, uniformly) and the cascades.
    seeds : int, default 1

    Returns
    -------
    ndarray of int64, shape (n_cascades,)
    """
    out = np.empty(n_cascades, dtype=np.int64)
    n = graph.n_users
    for i in range(n_cascades):
        s = rng.choice(n, size=seeds, replace=False) if seeds > 1 else rng.integers(n, size=1)
        out[i] = simulate_ic(graph.indptr, graph.indices, s, p, rng).size
    return out


def fmt_z(z: float) -> str:
    """``z = +1.23``: a z statistic with its sign and two decimals, for check statistics."""
    return f"z = {z:+.2f}"
