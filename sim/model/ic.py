"""Independent cascade on CSR arrays: a vectorised frontier, cost following the frontier.

A step touches only the friendships of the users activated in the previous step (the
frontier). Which of those friendship entries succeed is drawn in bulk: with geometric
gaps between successes for small probabilities (cost proportional to the successes), or
one uniform per entry otherwise. No per-user Python.

References
----------
Kempe, Kleinberg & Tardos (2003), "Maximizing the spread of influence through a social
network", KDD: the independent cascade model.
Newman (2002), "Spread of epidemic disease on networks", Phys. Rev. E 66, 016128: on an
undirected graph the final set of an independent cascade from one seed is the seed's
cluster under bond percolation with occupation probability T = p.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "GEOMETRIC_BELOW",
    "Cascade",
    "bernoulli_positions",
    "frontier_successes",
    "ic_step",
    "simulate_ic",
]

GEOMETRIC_BELOW = 0.25
"""Success probabilities below this are drawn by geometric skipping, others by one
uniform per trial (both exact; the switch is only for speed)."""

_EMPTY = np.empty(0, dtype=np.int64)


def bernoulli_positions(n_trials: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Positions of the successes among ``n_trials`` independent Bernoulli(``p``) trials.

    Parameters
    ----------
    n_trials : int
        Number of trials, >= 0.
    p : float in [0, 1]
        Success probability of each trial.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (k,)
        Ascending positions in [0, n_trials).

    Raises
    ------
    ValueError
        If ``p`` is outside [0, 1] or ``n_trials`` is negative.

    Notes
    -----
    For ``p`` < :data:`GEOMETRIC_BELOW` the gaps between successes are drawn as
    Geometric(p) variables (support 1, 2, ...), in chunks of about the expected number
    of successes: O(k) draws. Otherwise one uniform per trial: O(n_trials).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if n_trials < 0:
        raise ValueError(f"n_trials must be >= 0, got {n_trials}")
    if n_trials == 0 or p == 0.0:
        return _EMPTY
    if p >= GEOMETRIC_BELOW:
        return np.flatnonzero(rng.random(n_trials) < p)
    mean = n_trials * p
    chunk = int(mean + 4.0 * math.sqrt(mean) + 16)
    pos = rng.geometric(p, size=chunk)
    np.cumsum(pos, out=pos)
    pos -= 1
    parts = [pos]
    while pos[-1] < n_trials - 1:
        nxt = rng.geometric(p, size=chunk)
        np.cumsum(nxt, out=nxt)
        nxt += pos[-1]
        pos = nxt
        parts.append(pos)
    out = np.concatenate(parts) if len(parts) > 1 else parts[0]
    return out[: np.searchsorted(out, n_trials)]


def frontier_successes(indptr: np.ndarray, frontier: np.ndarray, p: float,
                       rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The friendship entries out of ``frontier`` whose activation attempt succeeds.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_users + 1,)
        CSR row pointers.
    frontier : ndarray of int64, shape (f,)
        Users attempting to activate all their friends.
    p : float in [0, 1]
        Success probability of each attempt.
    rng : numpy.random.Generator

    Returns
    -------
    entries : ndarray of int64, shape (k,)
        Directed CSR entry ids (``indices[entries]`` are the friends reached).
    owner : ndarray of int64, shape (k,)
        Position in ``frontier`` of the user making each successful attempt.

    Notes
    -----
    O(f + k log f) with geometric skipping (k successes), O(f + sum of frontier degrees)
    otherwise.
    """
    frontier = np.asarray(frontier, dtype=np.int64)
    if frontier.size == 0:
        return _EMPTY, _EMPTY
    ends = indptr[1:][frontier]
    cum = ends - indptr[frontier]  # degrees, then their running sum
    np.cumsum(cum, out=cum)
    pos = bernoulli_positions(int(cum[-1]), p, rng)
    owner = np.searchsorted(cum, pos, side="right")
    # entry of trial pos: row start + (pos - trials before the row) = row end - cum + pos
    entries = (ends - cum)[owner]
    entries += pos
    return entries, owner


def ic_step(indptr: np.ndarray, indices: np.ndarray, frontier: np.ndarray, active: np.ndarray,
            p: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One generation of an independent cascade.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n_users + 1,)
    indices : ndarray of int32, shape (2 m,)
        CSR arrays of the graph.
    frontier : ndarray of int64, shape (f,)
        Users activated in the previous step; each tries each friend once.
    active : ndarray of bool, shape (n_users,)
        Who is active before this step (read only).
    p : float in [0, 1]
        Activation probability per attempt.
    rng : numpy.random.Generator

    Returns
    -------
    new : ndarray of int64, shape (k,)
        Newly activated users, ascending (the caller marks them active).
    parent : ndarray of int64, shape (k,)
        The frontier user who activated each; among several successful attempts on the
        same user, one chosen uniformly at random.

    Notes
    -----
    Cost follows the frontier: see :func:`frontier_successes`, plus O(k log k) to keep
    one attempt per new user.
    """
    frontier = np.asarray(frontier, dtype=np.int64)
    entries, owner = frontier_successes(indptr, frontier, p, rng)
    target = indices[entries]
    fresh = ~active[target]
    target, owner = target[fresh], owner[fresh]
    k = target.size
    if k <= 1:
        return target.astype(np.int64), frontier[owner]
    order = rng.permutation(k)  # uniform tie-break among simultaneous attempts
    # one sort of (user, place in the shuffled order): the first key of each user is its
    # earliest attempt in that order, and the users come out ascending
    key = np.left_shift(target[order], 32, dtype=np.int64)
    key |= np.arange(k, dtype=np.int64)
    key.sort()
    user = key >> 32
    first = np.empty(k, dtype=bool)
    first[0] = True
    np.not_equal(user[1:], user[:-1], out=first[1:])
    key = key[first]
    key &= 0xFFFFFFFF
    return user[first], frontier[owner[order[key]]]


class Cascade(NamedTuple):
    """An independent cascade's activations, in order of activation.

    Attributes
    ----------
    users : ndarray of int64, shape (s,)
        Active users at the end (seeds first, then generation by generation).
    parent : ndarray of int64, shape (s,)
        Who activated each (-1 for seeds).
    step : ndarray of int64, shape (s,)
        Generation in which each was activated (0 for seeds).
    """

    users: np.ndarray
    parent: np.ndarray
    step: np.ndarray

    @property
    def size(self) -> int:
        """Final size: number of users ever active."""
        return int(self.users.shape[0])


def simulate_ic(indptr: np.ndarray, indices: np.ndarray, seeds: np.ndarray, p: float,
                rng: np.random.Generator, *, max_steps: int | None = None) -> Cascade:
    """Run an independent cascade from ``seeds`` until no one new is activated.

    The same :func:`ic_step` that the ``independent_cascade`` mode of the engine runs
    each step (:class:`sim.model.classic.ClassicModel`); this loop only skips the
    model's bookkeeping, for the many replicates of validation and benchmarks.

    Parameters
    ----------
    indptr, indices : ndarray
        CSR arrays of the graph (int64 of shape (n_users + 1,), int32 of shape (2 m,)).
    seeds : ndarray of int, shape (s0,)
        Initially active users (distinct).
    p : float in [0, 1]
    rng : numpy.random.Generator
    max_steps : int, optional
        Stop after this many generations (default: until extinction).

    Returns
    -------
    Cascade

    Raises
    ------
    ValueError
        If ``seeds`` repeat a user.
    """
    seeds = np.asarray(seeds, dtype=np.int64)
    if np.unique(seeds).size != seeds.size:
        raise ValueError("seeds must be distinct users")
    active = np.zeros(indptr.shape[0] - 1, dtype=bool)
    active[seeds] = True
    users, parents, steps = [seeds], [np.full(seeds.size, -1, dtype=np.int64)], [np.zeros(seeds.size, np.int64)]
    frontier = seeds
    t = 0
    while frontier.size and (max_steps is None or t < max_steps):
        t += 1
        new, parent = ic_step(indptr, indices, frontier, active, p, rng)
        active[new] = True
        users.append(new)
        parents.append(parent)
        steps.append(np.full(new.size, t, dtype=np.int64))
        frontier = new
    return Cascade(np.concatenate(users), np.concatenate(parents), np.concatenate(steps))
