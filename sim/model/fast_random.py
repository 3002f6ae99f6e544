"""Faster, bit-identical replicas of numpy ``Generator`` draws that dominate a step.

``numpy.random.Generator.poisson(lam, size)`` with a scalar ``0 < lam < 10`` draws each
value by the multiplication method (numpy's ``random_poisson_mult``): multiply uniforms
``U = next_double()`` until the product falls to ``exp(-lam)`` or below; the value is the
number of uniforms before that one. numpy loops over the values one by one in C;
:func:`poisson` draws the same uniforms in one block (``Generator.random``, which calls
the same ``next_double``) and finds where each value's uniforms end with whole-array
operations, then leaves the bit generator exactly where numpy's loop would have left it.
The values and the generator's later draws are identical (``tests/model/test_fast_random.py``).

Why the split is vectorisable: a uniform ``U <= exp(-lam)`` always ends the value it
belongs to (the running product is at most 1, and rounding is monotone, so ``prod * U <=
U``). Between such uniforms lie runs of larger ones (a run is 0.64 uniforms long on
average at ``lam = 0.5``, at most about 15 in 10^6 values); the runs are walked together,
one position per round, carrying each run's product. The fast path is taken for
``lam <= 3`` (runs grow long above) and at least :data:`MIN_SIZE` values, with numpy's
``PCG64`` (it rewinds the generator with ``advance``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["poisson", "choice", "block_size", "MIN_SIZE", "MIN_CHOICE_SIZE"]

MIN_SIZE = 10_000  # below, numpy's loop is as fast (the state save and rewind cost about 30 µs)
MIN_CHOICE_SIZE = 4_096  # below, numpy's searchsorted of random keys is as fast
_MAX_LAM = 3.0  # numpy uses this method below 10; longer runs of large uniforms above 3 make it slow


def poisson(rng: np.random.Generator, lam: float, size: int) -> np.ndarray:
    """``rng.poisson(lam, size)``, bit for bit, leaving ``rng`` in the same state.

    Parameters
    ----------
    rng : numpy.random.Generator
        Any generator; the fast path needs a ``PCG64`` bit generator (others, ``lam``
        outside ``(0, 3]`` and ``size`` below :data:`MIN_SIZE` call ``rng.poisson`` itself).
    lam : float
        The mean, a scalar.
    size : int
        Number of values.

    Returns
    -------
    ndarray of int64, shape (size,)

    Raises
    ------
    ValueError
        As ``rng.poisson`` does for a negative or non-finite ``lam``.
    """
    lam = float(lam)
    bg = rng.bit_generator
    if not (0.0 < lam <= _MAX_LAM) or size < MIN_SIZE or type(bg) is not np.random.PCG64:
        return rng.poisson(lam, size)
    enlam = math.exp(-lam)  # libm's exp, as numpy's C code
    saved = bg.state
    m = block_size(size, lam)
    while True:
        u = rng.random(m)
        ends = _value_ends(u, enlam)
        if ends.size >= size:
            break
        bg.state = saved  # not enough uniforms drawn (practically never): again, with more
        m *= 2
    ends = ends[:size]
    values = np.empty(size, dtype=np.int64)
    values[0] = ends[0]
    np.subtract(ends[1:], ends[:-1], out=values[1:])
    values[1:] -= 1
    _rewind(bg, saved, int(ends[-1]) + 1)
    return values


def choice(rng: np.random.Generator, n: int, size: int, p: np.ndarray) -> np.ndarray:
    """``rng.choice(n, size=size, p=p)`` (with replacement), the same values and generator
    state, faster for many draws: numpy finds each uniform's category by a binary search
    of the cumulative shares in the uniforms' random order (1.3 ms for 18,000 draws over
    8,500 categories, branch mispredictions); here the same uniforms are searched in
    ascending order and put back in theirs (0.6 ms).

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of categories.
    size : int
        Number of draws.
    p : ndarray of float64, shape (n,)
        The categories' probabilities (numpy's checks apply: below :data:`MIN_CHOICE_SIZE`
        draws, or when ``p`` is not clearly valid, numpy's ``choice`` is called and raises
        its own ``ValueError``).

    Returns
    -------
    ndarray of int64, shape (size,)
    """
    p = np.asarray(p)
    if size < MIN_CHOICE_SIZE or p.dtype != np.float64 or p.ndim != 1 or p.size != n or not n:
        return rng.choice(n, size=size, p=p)
    total = float(p.sum())
    if not (abs(total - 1.0) <= 0.5 * math.sqrt(np.finfo(np.float64).eps) and np.all(p >= 0)):
        return rng.choice(n, size=size, p=p)  # numpy's own checks and messages
    cdf = p.cumsum()
    cdf /= cdf[-1]
    u = rng.random(size)
    order = np.argsort(u)
    out = np.empty(size, dtype=np.int64)
    out[order] = cdf.searchsorted(u[order], side="right")
    return out


def block_size(size: int, lam: float) -> int:
    """Uniforms drawn at first for ``size`` values of mean ``lam``: a value uses ``1 + k``
    of them (mean ``1 + lam``, variance ``lam``), plus 8 standard deviations."""
    return int(size * (1.0 + lam) + 8.0 * math.sqrt(size * (1.0 + lam)) + 64)


def _value_ends(u: np.ndarray, enlam: float) -> np.ndarray:
    """Positions (int64, ascending) of the uniforms that end a value: where the running
    product, restarted at 1 after each end, falls to ``enlam`` or below."""
    end = u <= enlam
    large = np.empty(u.size + 1, dtype=bool)  # a False past the end stops every run
    np.logical_not(end, out=large[:-1])
    large[-1] = False
    # a run's first large uniform never ends a value (the product is that uniform, >
    # enlam): walk the runs of two or more together from their second uniform
    second = large[1:-1] & large[:-2]  # second[i]: uniforms i and i + 1 are large
    second[1:] &= end[:-2]  # ... and uniform i - 1 is not
    idx = np.flatnonzero(second) + 1
    prod = u[idx - 1]
    while idx.size:
        prod *= u[idx]
        hit = prod <= enlam
        end[idx] |= hit
        np.copyto(prod, 1.0, where=hit)
        idx += 1
        go = large[idx]
        idx, prod = idx[go], prod[go]
    return np.flatnonzero(end)


def _rewind(bg: np.random.PCG64, saved: dict, used: int) -> None:
    """Put ``bg`` where ``used`` doubles after ``saved`` leave it (``advance`` clears the
    buffered 32-bit half, which doubles never touch: restore it)."""
    bg.state = saved
    bg.advance(used)
    if saved["has_uint32"]:
        st = bg.state
        st["has_uint32"], st["uinteger"] = saved["has_uint32"], saved["uinteger"]
        bg.state = st
