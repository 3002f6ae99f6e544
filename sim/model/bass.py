"""Bass diffusion on CSR arrays, in discrete time: innovation plus imitation of friends.

References
----------
Bass (1969), "A new product growth for model consumer durables", Management Science
15(5): dF/dt = (1 - F)(p + q F), F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}).
Rand & Rust (2011), "Agent-based modeling in marketing", Int. J. Research in Marketing
28(3): the agent form on a network, adoption probability p + q * (adopted share of
neighbours) per step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["add_to_friends", "bass_step", "gather_rows"]


def gather_rows(indptr: np.ndarray, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All directed CSR entries of ``users``' rows, row after row.

    Returns
    -------
    entries : ndarray of int64, shape (sum of degrees,)
    owner : ndarray of int64, same shape
        Position in ``users`` of each entry's row.

    Notes
    -----
    O(len(users) + sum of their degrees).
    """
    users = np.asarray(users, dtype=np.int64)
    starts = indptr[users]
    deg = indptr[users + 1] - starts
    owner = np.repeat(np.arange(users.size, dtype=np.int64), deg)
    offset = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(deg) - deg, deg)
    return starts[owner] + offset, owner


def add_to_friends(indptr: np.ndarray, indices: np.ndarray, users: np.ndarray,
                   counts: np.ndarray) -> None:
    """Add 1 to ``counts`` of every friend of every user in ``users`` (in place).

    Notes
    -----
    O(sum of the users' degrees): adopted-friend counts are kept incrementally, so a
    run's total cost is O(m) however many steps it has.
    """
    entries, _ = gather_rows(indptr, users)
    np.add.at(counts, indices[entries], 1)


def bass_step(indptr: np.ndarray, indices: np.ndarray, adopted: np.ndarray,
              adopted_friends: np.ndarray, p_step: float, q_step: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One step of network Bass diffusion, decided from the state before the step.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_users + 1,)
    indices : ndarray of int32, shape (2 m,)
        CSR arrays of the graph.
    adopted : ndarray of bool, shape (n_users,)
        Who had adopted before the step (read only).
    adopted_friends : ndarray of int64, shape (n_users,)
        Number of each user's friends in ``adopted`` (read only; see
        :func:`add_to_friends`).
    p_step, q_step : float
        Innovation and imitation coefficients times the step length (per step), with
        p_step + q_step <= 1.
    rng : numpy.random.Generator

    Returns
    -------
    new : ndarray of int64, shape (k,)
        Users adopting in this step, ascending.
    parent : ndarray of int64, shape (k,)
        -1 for innovators; for imitators, a friend drawn uniformly from those who had
        adopted.

    Notes
    -----
    Non-adopter i adopts with probability p_step + q_step * a_i / k_i (a_i adopted
    friends of k_i). One uniform u_i per non-adopter: u_i < p_step is innovation,
    p_step <= u_i < p_step + q_step a_i / k_i imitation. Cost O(n_users) for the draws
    plus the degrees of the imitators (to draw their parents).
    """
    cand = np.flatnonzero(~adopted)
    deg = (indptr[cand + 1] - indptr[cand]).astype(np.float64)
    share = np.divide(adopted_friends[cand], deg, out=np.zeros(cand.size), where=deg > 0)
    u = rng.random(cand.size)
    adopt = u < p_step + q_step * share
    imitate = adopt & (u >= p_step)
    new = cand[adopt]
    parent = np.full(new.size, -1, dtype=np.int64)
    imitators = cand[imitate]
    if imitators.size:
        # the r-th adopted friend of each imitator, r uniform in [0, a_i)
        entries, owner = gather_rows(indptr, imitators)
        friend = indices[entries].astype(np.int64)
        is_adopted = adopted[friend]
        entries, owner, friend = entries[is_adopted], owner[is_adopted], friend[is_adopted]
        n_adopted = adopted_friends[imitators]
        r = np.floor(rng.random(imitators.size) * n_adopted).astype(np.int64)
        first = np.searchsorted(owner, np.arange(imitators.size))
        parent[np.flatnonzero(imitate[adopt])] = friend[first + r]
    return new, parent
