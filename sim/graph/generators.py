"""Seeded random social graphs, returned as cleaned canonical edges.

Each generator takes the run's ``numpy.random.Generator`` keyword-only and hands
networkx an integer seed drawn from it, so the graph is a function of the run's seed.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from ..scenario.schema import (
    BarabasiAlbert,
    CompleteGraph,
    ConfigurationModel,
    HolmeKim,
    StochasticBlockModel,
    WattsStrogatz,
)
from .csr import CleanEdges, clean_edges
from .fast import NUMPY_ABOVE, barabasi_albert_edges, watts_strogatz_edges

__all__ = ["generate", "GraphConfigError"]


class GraphConfigError(ValueError):
    """Generator parameters that cannot make a graph (e.g. m >= n)."""


def _from_nx(g: nx.Graph, notes: tuple[str, ...] = ()) -> CleanEdges:
    n = g.number_of_nodes()
    if g.number_of_edges():
        e = np.array(list(g.edges()), dtype=np.int64)
        u, v = e[:, 0], e[:, 1]
    else:
        u = v = np.empty(0, dtype=np.int64)
    return clean_edges(u, v, n_users=n, relabel=False, directed=g.is_directed(), notes=notes)


def _use_numpy(cfg) -> bool:
    return cfg.engine == "numpy" or (cfg.engine == "auto" and cfg.n > NUMPY_ABOVE)


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**32 - 1))


def _degree_sequence(cfg: ConfigurationModel, rng: np.random.Generator) -> tuple[np.ndarray, tuple[str, ...]]:
    if cfg.degree_sequence is not None:
        deg = np.array(cfg.degree_sequence, dtype=np.int64)
    elif cfg.degree == "poisson":
        deg = rng.poisson(cfg.mean_degree, cfg.n).astype(np.int64)
    else:
        deg = np.rint(cfg.degree.sample(rng, cfg.n)).astype(np.int64)
    notes: list[str] = []
    if deg.size < 2:
        raise GraphConfigError("configuration model needs at least 2 users")
    over = int(np.count_nonzero(deg > deg.size - 1))
    if over:  # a simple graph gives a user at most n - 1 friends
        notes.append(f"{over} degree(s) above n - 1 = {deg.size - 1} lowered to {deg.size - 1}")
        np.minimum(deg, deg.size - 1, out=deg)
    if deg.sum() % 2:
        i = int(rng.integers(deg.size))
        deg[i] += 1 if deg[i] < deg.size - 1 else -1
        notes.append(f"degree of user {i} changed by 1 to make the degree sum even")
    return deg, tuple(notes)


def _configuration_edges(deg: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # Uniform random matching of half-edges (stubs); self-loops and multi-edges are
    # dropped later by clean_edges and counted there.
    stubs = np.repeat(np.arange(deg.size, dtype=np.int64), deg)
    rng.shuffle(stubs)
    return stubs[0::2], stubs[1::2]


def generate(cfg, *, rng: np.random.Generator) -> CleanEdges:
    """Generate the graph described by a generator config.

    Parameters
    ----------
    cfg : BarabasiAlbert, WattsStrogatz, HolmeKim, StochasticBlockModel, ConfigurationModel or CompleteGraph
    rng : numpy.random.Generator
        The graph's generator (from the run's seed, or the scenario's ``graph.seed``).

    Returns
    -------
    CleanEdges

    Raises
    ------
    GraphConfigError
        If the parameters cannot make a graph (for example m >= n or k >= n).

    Notes
    -----
    networkx for Holme-Kim, the stochastic block model, and Barabási-Albert and
    Watts-Strogatz up to 100,000 users (numpy above, see :mod:`sim.graph.fast`); the
    configuration model matches stubs directly in numpy (O(sum of degrees)).
    """
    try:
        if isinstance(cfg, BarabasiAlbert):
            if cfg.m >= cfg.n:
                raise GraphConfigError(f"barabasi_albert needs m < n (m={cfg.m}, n={cfg.n})")
            if _use_numpy(cfg):
                u, v = barabasi_albert_edges(cfg.n, cfg.m, rng=rng)
                return clean_edges(u, v, n_users=cfg.n, relabel=False,
                                   notes=("numpy Batagelj-Brandes preferential attachment",))
            return _from_nx(nx.barabasi_albert_graph(cfg.n, cfg.m, seed=_seed(rng)))
        if isinstance(cfg, WattsStrogatz):
            if cfg.k >= cfg.n:
                raise GraphConfigError(f"watts_strogatz needs k < n (k={cfg.k}, n={cfg.n})")
            if _use_numpy(cfg):
                u, v = watts_strogatz_edges(cfg.n, cfg.k, cfg.p, rng=rng)
                return clean_edges(u, v, n_users=cfg.n, relabel=False, notes=("numpy Watts-Strogatz",))
            return _from_nx(nx.watts_strogatz_graph(cfg.n, cfg.k, cfg.p, seed=_seed(rng)))
        if isinstance(cfg, HolmeKim):
            if cfg.m >= cfg.n:
                raise GraphConfigError(f"holme_kim needs m < n (m={cfg.m}, n={cfg.n})")
            return _from_nx(nx.powerlaw_cluster_graph(cfg.n, cfg.m, cfg.p, seed=_seed(rng)))
        if isinstance(cfg, StochasticBlockModel):
            k = len(cfg.sizes)
            # networkx's sparse SBM divides by log(1 - p), which is 0 for p below ~1e-16;
            # such probabilities give no edge at these sizes anyway
            p_in, p_out = (x if x >= 1e-12 else 0.0 for x in (cfg.p_in, cfg.p_out))
            p = [[p_in if i == j else p_out for j in range(k)] for i in range(k)]
            g = nx.stochastic_block_model(cfg.sizes, p, seed=_seed(rng), sparse=True)
            return _from_nx(nx.Graph(g))
        if isinstance(cfg, ConfigurationModel):
            deg, notes = _degree_sequence(cfg, rng)
            u, v = _configuration_edges(deg, rng)
            return clean_edges(u, v, n_users=deg.size, relabel=False, notes=notes)
        if isinstance(cfg, CompleteGraph):
            iu, iv = np.triu_indices(cfg.n, k=1)
            return clean_edges(iu, iv, n_users=cfg.n, relabel=False)
    except nx.NetworkXError as err:
        raise GraphConfigError(f"{cfg.kind}: {err}") from None
    raise TypeError(f"not a generator config: {type(cfg).__name__}")
