"""Random graphs built directly in numpy, for populations past about 100,000 users where
networkx's pure-Python generators take minutes (25 s for a 10^6-user BA graph, plus 5.5 s
to turn it into arrays, measured here).

Memory: about 16 bytes per edge end while generating, then the CSR arrays (16 bytes per
friendship, see :mod:`sim.graph.csr`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["barabasi_albert_edges", "watts_strogatz_edges", "NUMPY_ABOVE"]

NUMPY_ABOVE = 100_000
"""With ``engine = "auto"``, graphs with more users than this are built in numpy."""


def barabasi_albert_edges(n: int, m: int, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Linear preferential attachment by the Batagelj-Brandes edge-copy method.

    Edge k = v m + i (new node v, its i-th link) ends at the node found at a uniformly
    random position r in [0, 2k] of the edge-end list, so a node is chosen with
    probability proportional to its degree. The sequential recurrence is resolved for
    all edges at once by pointer jumping.

    Parameters
    ----------
    n, m : int
        Users and links per new user (m < n).
    rng : numpy.random.Generator

    Returns
    -------
    u, v : ndarray of int64, shape (n m,)
        Edge ends, including the self-loops and repeated pairs the method makes (rare for
        large n); :func:`sim.graph.clean_edges` drops and counts them.

    Notes
    -----
    O(n m log(n m)) time, O(n m) memory.

    References
    ----------
    Batagelj, V. & Brandes, U. (2005). Efficient generation of large random networks.
    Physical Review E 71, 036113 (algorithm "ba").
    """
    k = np.arange(n * m, dtype=np.int64)
    # position drawn by edge k: uniform in [0, 2k]; even positions 2j hold node j // m
    ptr = np.floor(rng.random(n * m) * (2 * k + 1)).astype(np.int64)
    np.minimum(ptr, 2 * k, out=ptr)
    for _ in range(64):  # pointer jumping: odd position 2j+1 holds whatever edge j drew
        odd = np.flatnonzero(ptr & 1)
        if odd.size == 0:
            break
        ptr[odd] = ptr[(ptr[odd] - 1) >> 1]
    else:  # pragma: no cover - needs a chain longer than 2**64
        raise RuntimeError("pointer jumping did not converge")
    return k // m, (ptr >> 1) // m


def watts_strogatz_edges(n: int, k: int, p: float, *, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Ring lattice with each user linked to its k // 2 next neighbours, then each edge's
    far end rewired with probability p to a uniformly random user.

    Returns
    -------
    u, v : ndarray of int64, shape (n (k // 2),)
        Edge ends; rewiring can make self-loops and repeated pairs, which
        :func:`sim.graph.clean_edges` drops and counts (networkx instead redraws them).

    Notes
    -----
    O(n k) time and memory.
    """
    half = k // 2
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = (u + np.tile(np.arange(1, half + 1, dtype=np.int64), n)) % n
    rewire = rng.random(u.size) < p
    v[rewire] = rng.integers(0, n, int(rewire.sum()))
    return u, v
