"""The social graph as compressed sparse row (CSR) arrays, and cleaning raw edges into it.

Memory: 8 bytes per user (``indptr``) plus, per undirected friendship, two directed
entries of 4 bytes (``indices``, int32) and 4 bytes (``weights``, float32): 16 bytes per
friendship, plus 16 more for the cumulative weights used in neighbour sampling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

__all__ = ["CSRGraph", "CleanupReport", "CleanEdges", "clean_edges", "to_csr", "INDEX_DTYPE"]

INDEX_DTYPE = np.int32
"""Dtype of node ids in the CSR arrays (graphs up to 2**31 - 1 users)."""


@dataclass(frozen=True)
class CleanupReport:
    """What was done to raw edges to make a simple undirected graph; never silent.

    Attributes
    ----------
    edges_read : int
        Edges (lines or records) in the input.
    self_loops : int
        Edges from a node to itself, dropped.
    duplicates : int
        Edges repeating an earlier edge in either direction, dropped (the first
        occurrence's weight is kept). For a directed input, each reciprocated pair
        counts one duplicate: that is how it is made undirected.
    relabelled : bool
        Node ids were not already 0..n-1 in order and were relabelled.
    directed : bool
        The input declared itself directed.
    isolated : int
        Users with no friendship after cleaning (kept in the graph).
    """

    edges_read: int = 0
    self_loops: int = 0
    duplicates: int = 0
    relabelled: bool = False
    directed: bool = False
    isolated: int = 0
    notes: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        """Human-readable lines for the run's log and manifest."""
        out = [f"{self.edges_read:,} edges read"]
        if self.directed:
            out.append("directed input made undirected")
        out.append(f"{self.self_loops:,} self-loops dropped")
        out.append(f"{self.duplicates:,} duplicate edges dropped")
        if self.relabelled:
            out.append("node ids relabelled to 0..n-1 (original ids kept as labels)")
        if self.isolated:
            out.append(f"{self.isolated:,} users without friends")
        out.extend(self.notes)
        return out


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """An undirected simple graph with tie strengths, in CSR form.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n_users + 1,)
        Row pointers: the friends of user ``u`` are ``indices[indptr[u]:indptr[u + 1]]``.
    indices : ndarray of int32, shape (2 * n_friendships,)
        Friend ids, sorted within each row.
    weights : ndarray of float32, shape (2 * n_friendships,)
        Tie strength in (0, 1] of each directed entry; symmetric.
    labels : ndarray of int64, shape (n_users,), or None
        Original node ids from the input file, when they were relabelled.
    report : CleanupReport
    """

    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    labels: np.ndarray | None = None
    report: CleanupReport = field(default_factory=CleanupReport)

    @property
    def n_users(self) -> int:
        """Number of users (rows of the CSR arrays): ``len(indptr) - 1``."""
        return int(self.indptr.shape[0] - 1)

    @property
    def n_friendships(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.shape[0] // 2)

    @cached_property
    def degree(self) -> np.ndarray:
        """Friends per user, int64 of shape (n_users,)."""
        return np.diff(self.indptr)

    @cached_property
    def cum_weights(self) -> np.ndarray:
        """Running sum of ``weights`` (float64, shape (2 m,)), for weighted sampling."""
        return np.cumsum(self.weights, dtype=np.float64)

    @cached_property
    def row_of_entry(self) -> np.ndarray:
        """The user owning each directed entry, int32 of shape (2 m,)."""
        return np.repeat(np.arange(self.n_users, dtype=INDEX_DTYPE), self.degree)

    def sample_friends(
        self, users: np.ndarray, rng: np.random.Generator, exclude: np.ndarray | None = None,
        tries: int = 8,
    ) -> np.ndarray:
        """Pick one friend of each user, with probability proportional to tie strength.

        Parameters
        ----------
        users : ndarray of int, shape (k,)
        rng : numpy.random.Generator
        exclude : ndarray of int, shape (k,), optional
            A friend not to pick for each user (-1 for none); redrawn up to ``tries`` times.

        Returns
        -------
        ndarray of int64, shape (k,)
            The directed entry index of the chosen friendship (``indices[e]`` is the
            friend, ``weights[e]`` its tie strength), or -1 where the user has no
            eligible friend.

        Notes
        -----
        O(k log m): one uniform draw per user and a binary search in ``cum_weights``.
        """
        users = np.asarray(users, dtype=np.int64)
        out = np.full(users.shape[0], -1, dtype=np.int64)
        todo = np.flatnonzero(self.degree[users] > 0)
        cw = self.cum_weights
        for _ in range(max(1, tries)):
            if todo.size == 0:
                break
            u = users[todo]
            lo_idx, hi_idx = self.indptr[u], self.indptr[u + 1]
            base = np.where(lo_idx > 0, cw[np.maximum(lo_idx - 1, 0)], 0.0)
            top = cw[hi_idx - 1]
            r = base + rng.random(todo.size) * (top - base)
            e = np.searchsorted(cw, r, side="right")
            e = np.clip(e, lo_idx, hi_idx - 1)
            out[todo] = e
            if exclude is None:
                break
            bad = self.indices[e] == exclude[todo]
            out[todo[bad]] = -1
            todo = todo[bad]
            todo = todo[self.degree[users[todo]] > 1]
        return out

    def to_networkx(self):
        """The graph as a networkx Graph with ``weight`` edge attributes (for small graphs)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n_users))
        rows = self.row_of_entry
        keep = rows < self.indices
        g.add_weighted_edges_from(
            zip(rows[keep].tolist(), self.indices[keep].tolist(), self.weights[keep].tolist())
        )
        return g


@dataclass(frozen=True, eq=False)
class CleanEdges:
    """Canonical undirected edges: a < b, unique, sorted by (a, b).

    Attributes
    ----------
    a, b : ndarray of int32, shape (m,)
    raw_weights : ndarray of float64, shape (m,), or None
        The input's weights, when it had a weight column.
    n_users : int
    labels : ndarray of int64, shape (n_users,), or None
        Original ids when relabelled.
    report : CleanupReport
    """

    a: np.ndarray
    b: np.ndarray
    raw_weights: np.ndarray | None
    n_users: int
    labels: np.ndarray | None
    report: CleanupReport


def _relabel(u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct ids and u, v mapped to their ranks; O(k + max id) by counting when
    ids are dense, else O(k log k) by sorting and binary search."""
    top = int(max(u.max(initial=-1), v.max(initial=-1)))
    if 0 <= top < 4 * (u.size + v.size) + 1024:
        present = np.zeros(top + 1, dtype=bool)
        present[u] = True
        present[v] = True
        ids = np.flatnonzero(present)
        if ids.size == top + 1:
            return ids, u, v
        rank = np.cumsum(present) - 1
        return ids, rank[u], rank[v]
    ids = np.sort(np.concatenate([u, v]))
    ids = ids[np.r_[True, ids[1:] != ids[:-1]]] if ids.size else ids
    return ids, np.searchsorted(ids, u), np.searchsorted(ids, v)


def _unique_pairs(a: np.ndarray, b: np.ndarray, w: np.ndarray | None,
                  n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Distinct pairs (a, b) sorted by (a, b); with weights, the first occurrence's weight.

    The same result as ``np.unique(a * n + b, return_index=True)``, faster: a plain sort
    of the keys when there are no weights, else an unstable argsort with the first
    occurrence recovered as the smallest original position of each key.
    """
    key = a * n + b
    if w is None:
        key = np.sort(key)
        key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
        return key // n, key % n, None
    order = np.argsort(key)
    sk = key[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]]) if sk.size else np.empty(0, np.int64)
    first = np.minimum.reduceat(order, starts) if sk.size else order
    return a[first], b[first], w[first]


def clean_edges(
    u: np.ndarray,
    v: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    n_users: int | None = None,
    directed: bool = False,
    relabel: bool = True,
    notes: tuple[str, ...] = (),
) -> CleanEdges:
    """Clean raw edges into canonical undirected edges, counting what was dropped.

    Parameters
    ----------
    u, v : ndarray of int, shape (k,)
        Edge end points: any integer ids when ``relabel``, else 0..n_users-1.
    weights : ndarray of float, shape (k,), optional
        Raw edge weights; the first occurrence of a duplicated edge wins.
    n_users : int, optional
        Number of users when ids are already 0..n-1 (keeps isolated users).
    directed : bool
        Whether the input declared itself directed (reported).
    relabel : bool
        Map ids to 0..n-1 in increasing order of the original id.

    Returns
    -------
    CleanEdges

    Notes
    -----
    O(k log k) (sorting).
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    k = u.shape[0]
    labels = None
    relabelled = False
    if relabel:
        ids, u, v = _relabel(u, v)
        relabelled = not (ids.size == 0 or (ids[0] == 0 and ids[-1] == ids.size - 1))
        if relabelled:
            labels = ids
        n = int(ids.size) if n_users is None else max(int(ids.size), n_users)
    else:
        top = int(max(u.max(initial=-1), v.max(initial=-1))) + 1
        n = top if n_users is None else max(int(n_users), top)
    loops = u == v
    n_loops = int(loops.sum())
    keep = ~loops
    a = np.minimum(u[keep], v[keep])
    b = np.maximum(u[keep], v[keep])
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    n_in = int(a.shape[0])
    a, b, w = _unique_pairs(a, b, w, max(n, 1))  # sorted by (a, b)
    n_dup = n_in - int(a.shape[0])
    deg = np.bincount(np.concatenate([a, b]), minlength=n)
    report = CleanupReport(
        edges_read=k, self_loops=n_loops, duplicates=n_dup, relabelled=relabelled,
        directed=directed, isolated=int((deg == 0).sum()), notes=notes,
    )
    return CleanEdges(a.astype(INDEX_DTYPE), b.astype(INDEX_DTYPE), w, n, labels, report)


def to_csr(edges: CleanEdges, tie: np.ndarray) -> CSRGraph:
    """Build a :class:`CSRGraph` from canonical edges and their tie strengths.

    Parameters
    ----------
    edges : CleanEdges
    tie : ndarray of float, shape (m,)
        Tie strength of each edge, in (0, 1].

    Notes
    -----
    Uses that the canonical edges are sorted by (a, b) with a < b: row r lists first the
    friends a < r (edges (a, r), ordered by a after one sort of the m edges by b), then
    the friends b > r (edges (r, b), already in order). O(m) placement plus an O(m log m)
    sort of m integer keys; scratch memory of a few int64 arrays of length m beyond the
    result.
    """
    a, b = edges.a, edges.b
    n_users, m = edges.n_users, int(a.shape[0])
    tie32 = np.asarray(tie).astype(np.float32)
    deg_low = np.bincount(b, minlength=n_users)  # friends with a smaller id
    deg_up = np.bincount(a, minlength=n_users)  # friends with a larger id
    indptr = np.zeros(n_users + 1, dtype=np.int64)
    np.cumsum(deg_low + deg_up, out=indptr[1:])
    indices = np.empty(2 * m, dtype=INDEX_DTYPE)
    weights = np.empty(2 * m, dtype=np.float32)
    if m:
        j = np.arange(m, dtype=np.int64)
        # upper entries: edge j sits in row a_j after the row's lower entries
        first_up = np.cumsum(deg_up) - deg_up  # position of row a's first edge in the edge list
        pos = indptr[a] - first_up[a]
        pos += deg_low[a]
        pos += j
        indices[pos] = b
        weights[pos] = tie32
        # lower entries: edges ordered by (b, a); within one b, edge order is a order
        perm = b.astype(np.int64)
        perm *= m
        perm += j
        perm.sort()
        perm %= m
        first_low = np.cumsum(deg_low) - deg_low
        bp = b[perm]
        pos = indptr[bp] - first_low[bp]
        del bp
        pos += j
        indices[pos] = a[perm]
        weights[pos] = tie32[perm]
    return CSRGraph(indptr=indptr, indices=indices, weights=weights, labels=edges.labels,
                    report=edges.report)
