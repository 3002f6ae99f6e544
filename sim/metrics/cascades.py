"""Cascade trees: depth, size and structural virality of forests given by parent arrays.

A forest is an int array ``parent`` of shape (n,): ``parent[v]`` is the node that v
learned from, or -1 for a root. Nodes excluded from the forest have ``parent[v] == -2``
(see :func:`restrict`). All functions are vectorised: O(n log depth) or O(n + depth).

References
----------
Goel, Anderson, Hofman & Watts (2016), "The structural virality of online diffusion",
Management Science 62(1): structural virality is the mean shortest-path distance over
all pairs of nodes of a cascade tree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "EXCLUDED",
    "restrict",
    "forest_depth",
    "forest_roots",
    "subtree_sizes",
    "structural_virality",
    "cascade_table",
]

EXCLUDED = -2
"""``parent`` value of a node that is not in the forest."""


def restrict(parent: np.ndarray, members: np.ndarray) -> np.ndarray:
    """The forest induced on ``members``: others get :data:`EXCLUDED`.

    Parameters
    ----------
    parent : ndarray of int, shape (n,)
    members : ndarray of bool, shape (n,)
        Must be closed under parents (a member's parent is a member or -1).

    Raises
    ------
    ValueError
        If a member's parent is not a member.
    """
    parent = np.asarray(parent, dtype=np.int64)
    out = np.where(members, parent, EXCLUDED)
    has = out >= 0
    if np.any(~members[out[has]]):
        raise ValueError("members are not closed under parents")
    return out


def _check(parent: np.ndarray) -> np.ndarray:
    parent = np.asarray(parent, dtype=np.int64)
    if parent.size and (parent.min() < EXCLUDED or parent.max() >= parent.size):
        raise ValueError("parent ids must be -2, -1 or a node index")
    return parent


def forest_depth(parent: np.ndarray) -> np.ndarray:
    """Depth of each node (roots 0; excluded nodes -1), int64 of shape (n,).

    Raises
    ------
    ValueError
        If ``parent`` has a cycle.

    Notes
    -----
    Pointer jumping: O(n log d) for maximum depth d.
    """
    parent = _check(parent)
    depth = (parent >= 0).astype(np.int64)
    anc = parent.copy()
    for _ in range(64):
        live = np.flatnonzero(anc >= 0)
        if live.size == 0:
            break
        a = anc[live]
        depth_next = depth[live] + depth[a]
        anc_next = anc[a]
        depth[live] = depth_next
        anc[live] = anc_next
    else:
        raise ValueError("parent array has a cycle")
    depth[parent == EXCLUDED] = -1
    return depth


def forest_roots(parent: np.ndarray) -> np.ndarray:
    """Root of each node's tree (itself for a root; -1 if excluded), int64 of shape (n,).

    Raises
    ------
    ValueError
        If ``parent`` has a cycle.
    """
    parent = _check(parent)
    root = np.where(parent == -1, np.arange(parent.size), parent)
    for _ in range(64):
        live = np.flatnonzero(root >= 0)
        nxt = np.where(parent[root[live]] >= 0, root[root[live]], root[live])
        if np.array_equal(nxt, root[live]):
            break
        root[live] = nxt
    else:
        raise ValueError("parent array has a cycle")
    live = np.flatnonzero(root >= 0)
    if np.any(parent[root[live]] >= 0):  # pointer jumping settles inside a cycle, not on a root
        raise ValueError("parent array has a cycle")
    root[parent == EXCLUDED] = -1
    return root


def subtree_sizes(parent: np.ndarray, depth: np.ndarray | None = None) -> np.ndarray:
    """Number of nodes in each node's subtree (itself included; 0 if excluded), int64 (n,).

    Notes
    -----
    Children are added to parents level by level from the deepest: O(n + d).
    """
    parent = _check(parent)
    depth = forest_depth(parent) if depth is None else depth
    size = (parent != EXCLUDED).astype(np.int64)
    if parent.size == 0:
        return size
    order = np.argsort(-depth, kind="stable")
    d_sorted = depth[order]
    bounds = np.flatnonzero(np.r_[True, d_sorted[1:] != d_sorted[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        if d_sorted[lo] <= 0:
            continue
        nodes = order[lo:hi]
        np.add.at(size, parent[nodes], size[nodes])
    return size


def structural_virality(parent: np.ndarray) -> float:
    """Structural virality of a single tree: mean distance over all pairs of its nodes.

    Parameters
    ----------
    parent : ndarray of int, shape (n,)
        One tree (exactly one root); nodes may be listed in any order.

    Returns
    -------
    float
        2 W / (n (n - 1)) with the Wiener index W = sum over edges of s (n - s), s the
        size of the subtree below the edge; 0.0 for a single node.

    Raises
    ------
    ValueError
        If ``parent`` is not one tree.

    Examples
    --------
    A star of n nodes has 2 (n - 1) / n; a path has (n + 1) / 3.

    >>> structural_virality(np.array([-1, 0, 0, 0]))
    1.5
    >>> structural_virality(np.array([-1, 0, 1, 2]))  # doctest: +ELLIPSIS
    1.666...
    """
    parent = _check(parent)
    if int((parent == -1).sum()) != 1 or np.any(parent == EXCLUDED):
        raise ValueError("structural_virality needs exactly one tree")
    n = parent.size
    if n < 2:
        return 0.0
    s = subtree_sizes(parent)
    edges = parent >= 0
    wiener = float(np.sum(s[edges] * (n - s[edges])))
    return 2.0 * wiener / (n * (n - 1.0))


def cascade_table(parent: np.ndarray) -> pd.DataFrame:
    """One row per tree of the forest: root, size, depth and structural virality.

    Parameters
    ----------
    parent : ndarray of int, shape (n,)
        A forest (excluded nodes -2).

    Returns
    -------
    pandas.DataFrame
        Columns ``root`` (int64), ``size`` (int64, nodes), ``depth`` (int64, edges on
        the longest root-leaf path), ``structural_virality`` (float64; 0 for size 1),
        sorted by size descending then root.

    Notes
    -----
    All trees at once in O(n log d): Wiener indices are summed per root.
    """
    parent = _check(parent)
    depth = forest_depth(parent)
    root = forest_roots(parent)
    size = subtree_sizes(parent, depth)
    inside = parent != EXCLUDED
    roots = np.flatnonzero(parent == -1)
    n_by_root = size[roots]
    tree_n = np.zeros(parent.size, dtype=np.int64)
    tree_n[inside] = size[root[inside]]
    edges = parent >= 0
    wiener = np.zeros(parent.size, dtype=np.float64)
    np.add.at(wiener, root[edges], (size[edges] * (tree_n[edges] - size[edges])).astype(np.float64))
    maxdepth = np.zeros(parent.size, dtype=np.int64)
    np.maximum.at(maxdepth, root[inside], depth[inside])
    n = n_by_root.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        sv = np.where(n > 1, 2.0 * wiener[roots] / (n * (n - 1.0)), 0.0)
    df = pd.DataFrame({
        "root": roots.astype(np.int64),
        "size": n_by_root.astype(np.int64),
        "depth": maxdepth[roots],
        "structural_virality": sv,
    })
    return df.sort_values(["size", "root"], ascending=[False, True], kind="stable").reset_index(drop=True)
