"""The fast CSR builders give exactly the arrays of the plain sort-based construction they
replaced (np.unique with return_index; one stable argsort of all directed entries)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.graph.csr import clean_edges, to_csr
from sim.graph.fast import barabasi_albert_edges


def _plain_unique(u, v, w, n):
    """The former clean-up: first occurrence of each canonical pair, sorted by (a, b)."""
    u, v = np.asarray(u, np.int64), np.asarray(v, np.int64)
    keep = u != v
    a, b = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep])
    _, first = np.unique(a * max(n, 1) + b, return_index=True)
    return a[first], b[first], None if w is None else np.asarray(w, np.float64)[keep][first]


def _plain_csr(a, b, tie, n):
    """The former CSR build: one stable argsort of the 2 m directed entries."""
    rows = np.concatenate([a, b]).astype(np.int64)
    cols = np.concatenate([b, a]).astype(np.int64)
    w = np.concatenate([tie, tie]).astype(np.float32)
    order = np.argsort(rows * max(n, 1) + cols, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr, cols[order].astype(np.int32), w[order]


def _random_edges(rng, n, k, with_weights):
    u = rng.integers(0, n, k)
    v = rng.integers(0, n, k)
    dup = rng.integers(0, k, k // 5)  # repeats in both directions
    u = np.concatenate([u, v[dup]])
    v = np.concatenate([v, u[dup]])
    w = rng.random(u.size) + 0.01 if with_weights else None
    return u, v, w


@pytest.mark.parametrize("n,k,with_weights", [
    (2, 1, False), (10, 30, True), (50, 200, False), (1_000, 3_000, True), (5_000, 40_000, False),
    (300, 40_000, True),  # dense: many duplicates
])
def test_clean_and_csr_match_plain_construction(n, k, with_weights):
    rng = np.random.default_rng(n + k)
    u, v, w = _random_edges(rng, n, k, with_weights)
    e = clean_edges(u, v, w, n_users=n, relabel=False)
    a, b, w0 = _plain_unique(u, v, w, n)
    assert np.array_equal(e.a, a) and np.array_equal(e.b, b)
    assert (e.raw_weights is None and w0 is None) or np.array_equal(e.raw_weights, w0)
    assert e.report.duplicates == int((u != v).sum()) - a.size
    tie = rng.random(a.size)
    g = to_csr(e, tie)
    indptr, indices, weights = _plain_csr(e.a, e.b, tie, e.n_users)
    assert np.array_equal(g.indptr, indptr)
    assert np.array_equal(g.indices, indices) and g.indices.dtype == np.int32
    assert np.array_equal(g.weights, weights) and g.weights.dtype == np.float32


def test_csr_of_a_generated_graph_matches_and_is_symmetric():
    rng = np.random.default_rng(5)
    u, v = barabasi_albert_edges(20_000, 3, rng=rng)
    e = clean_edges(u, v, n_users=20_000, relabel=False)
    tie = rng.random(e.a.size)
    g = to_csr(e, tie)
    indptr, indices, weights = _plain_csr(e.a, e.b, tie, e.n_users)
    assert np.array_equal(g.indptr, indptr) and np.array_equal(g.indices, indices)
    assert np.array_equal(g.weights, weights)
    # symmetric: entry (r, c) has a twin (c, r) with the same tie strength
    rows = g.row_of_entry.astype(np.int64)
    fwd = rows * g.n_users + g.indices
    back = g.indices.astype(np.int64) * g.n_users + rows
    order = np.argsort(fwd)
    assert np.array_equal(np.sort(fwd), np.sort(back))
    twin = order[np.searchsorted(fwd[order], back)]
    assert np.array_equal(g.weights[twin], g.weights)


def test_empty_and_isolated_users():
    e = clean_edges(np.array([3]), np.array([3]), n_users=5, relabel=False)  # one self-loop
    g = to_csr(e, np.empty(0))
    assert g.n_users == 5 and g.n_friendships == 0 and np.array_equal(g.indptr, np.zeros(6))
    assert e.report.self_loops == 1 and e.report.isolated == 5
