"""Closed forms the engine is checked against: percolation on configuration-model graphs,
the Borel distribution of branching-process totals, and the Bass curve.

References
----------
Newman (2002), "Spread of epidemic disease on networks", Phys. Rev. E 66, 016128:
generating functions G0(x) = sum_k p_k x^k, G1(x) = G0'(x) / G0'(1); with
transmissibility T, G0(x; T) = G0(1 + (x - 1) T) and G1(x; T) = G1(1 + (x - 1) T).
Borel (1942); Otter (1949): total progeny of a Galton-Watson process with Poisson(R)
offspring, R < 1.
Bass (1969), "A new product growth for model consumer durables", Management Science 15(5).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special

__all__ = [
    "bass_F",
    "bass_chain_moments",
    "bass_discrete",
    "bass_peak_time",
    "borel_pmf",
    "borel_sf",
    "degree_pmf",
    "epidemic_threshold",
    "gf0",
    "gf1",
    "giant_outbreak_share",
    "mean_outbreak_size",
]


def degree_pmf(degree: np.ndarray) -> np.ndarray:
    """Empirical degree distribution p_k, float64 of shape (max degree + 1,)."""
    degree = np.asarray(degree, dtype=np.int64)
    return np.bincount(degree) / degree.size


def _moments(pk: np.ndarray) -> tuple[float, float]:
    k = np.arange(pk.size, dtype=np.float64)
    return float(pk @ k), float(pk @ (k * k))


def gf0(x: float, pk: np.ndarray, T: float = 1.0) -> float:
    """G0(1 + (x - 1) T) = sum_k p_k (1 + (x - 1) T)^k."""
    y = 1.0 + (x - 1.0) * T
    return float(np.polynomial.polynomial.polyval(y, pk))


def gf1(x: float, pk: np.ndarray, T: float = 1.0) -> float:
    """G1(1 + (x - 1) T) = sum_k k p_k y^(k-1) / <k>, y = 1 + (x - 1) T.

    Raises
    ------
    ValueError
        If the mean degree is 0.
    """
    k = np.arange(pk.size, dtype=np.float64)
    mean = float(pk @ k)
    if mean <= 0:
        raise ValueError("the degree distribution has mean 0")
    y = 1.0 + (x - 1.0) * T
    return float(np.polynomial.polynomial.polyval(y, (k * pk)[1:])) / mean


def epidemic_threshold(pk: np.ndarray) -> float:
    """T_c = <k> / (<k^2> - <k>) = 1 / G1'(1) (Newman 2002, eq. 22); inf if <k^2> = <k>."""
    k1, k2 = _moments(pk)
    return float(k1 / (k2 - k1)) if k2 > k1 else float("inf")


def giant_outbreak_share(pk: np.ndarray, T: float) -> float:
    """Share of users in a large outbreak: S = 1 - G0(u; T) with u = G1(u; T) the
    smallest root in [0, 1] (Newman 2002, eqs. 25-26). It is also the probability that
    a single random seed starts a large outbreak.

    Parameters
    ----------
    pk : ndarray of float64, shape (K + 1,)
        Degree distribution.
    T : float in [0, 1]
        Transmissibility (the IC activation probability).

    Returns
    -------
    float in [0, 1]
        0 at or below the threshold.

    Notes
    -----
    Brent's method (``scipy.optimize.brentq``) on G1(u; T) - u over [0, 1 - d], with d
    shrunk until the function is negative there.
    """
    if T * (1.0 / epidemic_threshold(pk)) <= 1.0:
        return 0.0
    def f(u):
        return gf1(u, pk, T) - u
    for d in (1e-3, 1e-6, 1e-9, 1e-12):
        if f(1.0 - d) < 0:
            break
    else:  # indistinguishable from the threshold
        return 0.0
    u = 0.0 if f(0.0) <= 0 else optimize.brentq(f, 0.0, 1.0 - d, xtol=1e-15)
    return 1.0 - gf0(u, pk, T)


def mean_outbreak_size(pk: np.ndarray, T: float) -> float:
    """Mean outbreak size from one random seed below the threshold:
    <s> = 1 + T G0'(1) / (1 - T G1'(1)) (Newman 2002, eq. 23).

    Raises
    ------
    ValueError
        If T is at or above the threshold (the mean is infinite there).
    """
    k1, k2 = _moments(pk)
    g1p = (k2 - k1) / k1
    if T * g1p >= 1.0:
        raise ValueError(f"T = {T} is not below the threshold {1.0 / g1p:.6g}")
    return 1.0 + T * k1 / (1.0 - T * g1p)


def borel_pmf(n: np.ndarray, R: float) -> np.ndarray:
    """Borel distribution: P(n) = e^{-R n} (R n)^{n - 1} / n!, n = 1, 2, ...; mean 1 / (1 - R).

    Parameters
    ----------
    n : ndarray of int, values >= 1
    R : float in (0, 1)
        Mean of the Poisson offspring distribution.
    """
    n = np.asarray(n, dtype=np.float64)
    return np.exp(-R * n + (n - 1.0) * np.log(R * n) - special.gammaln(n + 1.0))


def borel_sf(n: int, R: float) -> float:
    """P(N > n) for the Borel distribution."""
    return float(1.0 - borel_pmf(np.arange(1, n + 1), R).sum())


def bass_F(t: np.ndarray, p: float, q: float) -> np.ndarray:
    """The Bass curve F(t) = (1 - e^{-(p+q)t}) / (1 + (q/p) e^{-(p+q)t}), adopted share at t."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=np.float64))
    return (1.0 - e) / (1.0 + (q / p) * e)


def bass_peak_time(p: float, q: float) -> float:
    """Time of the highest adoption rate, t* = ln(q / p) / (p + q) (0 if q <= p)."""
    return float(np.log(q / p) / (p + q)) if q > p else 0.0


def bass_discrete(p: float, q: float, dt: float, n_steps: int, n_users: int | None = None) -> np.ndarray:
    """Adopted share after each step of the discrete-time mean-field Bass model.

    F_{k+1} = F_k + dt (1 - F_k)(p + q c F_k), F_0 = 0, with c = N / (N - 1) on a
    complete graph of N users (a non-adopter's friends exclude itself), c = 1 in the
    mean-field limit. It is the forward Euler scheme of dF/dt = (1 - F)(p + q F).

    Returns
    -------
    ndarray of float64, shape (n_steps + 1,)
        F_0 .. F_{n_steps}; F_k is the share at time k dt.
    """
    c = 1.0 if n_users is None else n_users / (n_users - 1.0)
    out = np.zeros(n_steps + 1)
    for k in range(n_steps):
        f = out[k]
        out[k + 1] = f + dt * (1.0 - f) * (p + q * c * f)
    return out


def bass_chain_moments(n_users: int, p_step: float, q_step: float, n_steps: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and standard deviation of the adopted share of discrete Bass on a
    complete graph of N users.

    The number of adopters A is a Markov chain: A_{k+1} = A_k + Binomial(N - A_k,
    p_step + q_step A_k / (N - 1)). Its law is carried forward exactly with the
    (N + 1) x (N + 1) transition matrix (the Kolmogorov forward equation), so the
    simulated mean can be tested without the mean-field approximation.

    Parameters
    ----------
    n_users : int
        N, at most a few thousand (O(N^2) memory).
    p_step, q_step : float
        Coefficients times the step length, p_step + q_step <= 1.
    n_steps : int

    Returns
    -------
    mean, sd : ndarray of float64, shape (n_steps + 1,)
        Of A_k / N, k = 0 .. n_steps.

    Notes
    -----
    O(N^2) to build the matrix and O(n_steps N^2) to propagate.
    """
    from scipy import stats

    N = int(n_users)
    a = np.arange(N + 1)
    prob = np.clip(p_step + q_step * a / (N - 1.0), 0.0, 1.0)
    j = np.arange(N + 1)
    pmf = stats.binom.pmf(j[None, :], (N - a)[:, None], prob[:, None])  # row a: j new adopters
    M = np.zeros((N + 1, N + 1))
    rows = np.repeat(a, N + 1)
    cols = (a[:, None] + j[None, :]).ravel()
    ok = cols <= N
    M[rows[ok], cols[ok]] = pmf.ravel()[ok]
    v = np.zeros(N + 1)
    v[0] = 1.0
    share = a / N
    mean = np.empty(n_steps + 1)
    sd = np.empty(n_steps + 1)
    for k in range(n_steps + 1):
        m = v @ share
        mean[k] = m
        sd[k] = np.sqrt(max(v @ (share * share) - m * m, 0.0))
        if k < n_steps:
            v = v @ M
    return mean, sd
