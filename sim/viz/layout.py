"""Where to draw each user: a seeded layout (:mod:`sim.viz.force_layout`), computed once per
graph and cached on disk, and the subgraph to draw when a graph is bigger than the node cap."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..graph import CSRGraph
from ..results.atomic import atomic_path
from .force_layout import PIVOTS, force_layout

__all__ = ["DEFAULT_NODE_CAP", "ViewNodes", "view_nodes", "Layout", "graph_layout", "cache_dir", "store_layout"]

DEFAULT_NODE_CAP = 10_000
"""Most users the interactive view draws one by one (:data:`sim.viz.sigma_view.SIGMA_CAP`, the
highest allowed): a graph of up to 10,000 users with more than the node cap shows an ego subgraph;
larger graphs are shown whole by the raster view (charts always count everyone)."""

LAYOUT_VERSION = 2
"""Bumped when the layout algorithm or its parameters change (part of the cache key).
Version 1 was networkx's spring layout; 2 is PivotMDS plus grid-force refinement."""

PROGRESS_ABOVE = 20_000
"""A layout of more users than this shows a progress bar on the terminal (stderr)."""


def cache_dir() -> Path:
    """Folder of cached layouts: ``$GIFTSIM_CACHE`` or ``$XDG_CACHE_HOME/giftsim`` (default
    ``~/.cache/giftsim``), then ``layouts/``."""
    root = os.environ.get("GIFTSIM_CACHE")
    if not root:
        root = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "giftsim")
    return Path(root) / "layouts"


@dataclass(frozen=True)
class ViewNodes:
    """The users drawn: all of them, or an ego subgraph when the graph exceeds the cap.

    Attributes
    ----------
    nodes : ndarray of int64, shape (k,)
        User ids drawn, ascending.
    n_users : int
        Users in the whole graph.
    centre : int or None
        Centre of the ego subgraph (None when every user is drawn).
    """

    nodes: np.ndarray
    n_users: int
    centre: int | None = None

    @property
    def sampled(self) -> bool:
        """Whether only part of the graph is drawn (fewer nodes than users)."""
        return self.nodes.size < self.n_users

    @property
    def message(self) -> str:
        """What is on screen, in words ('' when every user is drawn)."""
        if not self.sampled:
            return ""
        return (f"Showing {self.nodes.size:,} of {self.n_users:,} users: the ego subgraph around "
                f"user {self.centre} (breadth-first up to the node cap). Charts count all users.")


def _neighbours(graph: CSRGraph, users: np.ndarray) -> np.ndarray:
    """All friends of ``users`` (with repeats), int64."""
    starts = graph.indptr[users]
    lens = graph.indptr[users + 1] - starts
    if lens.sum() == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(np.r_[0, lens[:-1]]), lens)
    return graph.indices[offsets + np.arange(lens.sum())].astype(np.int64)


def view_nodes(graph: CSRGraph, cap: int = DEFAULT_NODE_CAP, centre: int | None = None) -> ViewNodes:
    """The users to draw: everyone if ``n_users <= cap``, else the first ``cap`` users met
    by a breadth-first walk from ``centre`` (default: the user with most friends), moving
    on to the next best-connected unreached user if the component runs out.

    Raises
    ------
    ValueError
        If ``cap < 1`` or ``centre`` is not a user.

    Notes
    -----
    O(edges of the reached users).
    """
    n = graph.n_users
    if cap < 1:
        raise ValueError(f"node cap must be >= 1, got {cap}")
    if n <= cap:
        return ViewNodes(np.arange(n, dtype=np.int64), n)
    deg = graph.degree
    if centre is None:
        centre = int(np.argmax(deg))
    if not 0 <= centre < n:
        raise ValueError(f"centre {centre} is not a user (0..{n - 1})")
    seen = np.zeros(n, dtype=bool)
    order: list[np.ndarray] = []
    count = 0
    frontier = np.array([centre], dtype=np.int64)
    by_degree = np.argsort(-deg, kind="stable")
    next_seed = 0
    while count < cap:
        if frontier.size == 0:  # component exhausted: start from the best-connected unseen user
            while seen[by_degree[next_seed]]:
                next_seed += 1
            frontier = by_degree[next_seed: next_seed + 1].astype(np.int64)
        frontier = frontier[~seen[frontier]][: cap - count]
        seen[frontier] = True
        order.append(frontier)
        count += frontier.size
        nb = np.unique(_neighbours(graph, frontier))
        frontier = nb[~seen[nb]]
    return ViewNodes(np.sort(np.concatenate(order)), n, centre)


@dataclass(frozen=True)
class Layout:
    """Positions of drawn users in the unit square.

    Attributes
    ----------
    xy : ndarray of float64, shape (k, 2)
        Position of ``nodes[i]``, in [0, 1] (aspect kept).
    key : str
        Content hash the cache file is named by.
    seconds : float
        Time to compute or load it.
    cached : bool
        Loaded from the disk cache.
    """

    xy: np.ndarray
    key: str
    seconds: float
    cached: bool


def subgraph_matrix(graph: CSRGraph, nodes: np.ndarray) -> sp.csr_array:
    """Adjacency (0/1, symmetric) of the subgraph induced on ``nodes``, in their order."""
    n = graph.n_users
    adj = sp.csr_array((np.ones(graph.indices.size, dtype=np.float32), graph.indices, graph.indptr),
                       shape=(n, n))
    if nodes.size == n:
        return adj
    return adj[nodes][:, nodes].tocsr()


def _key(adj: sp.csr_array, seed: int) -> str:
    h = hashlib.sha256()
    h.update(f"giftsim-layout v{LAYOUT_VERSION} pivotmds={PIVOTS} grid-force seed={seed} "
             f"n={adj.shape[0]};".encode())
    h.update(np.ascontiguousarray(adj.indptr, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(adj.indices, dtype=np.int64).tobytes())
    return h.hexdigest()[:32]


def _compute(adj: sp.csr_array, seed: int, progress: bool) -> np.ndarray:
    if not progress:
        return force_layout(adj, seed)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(f"[bold]layout[/] of {adj.shape[0]:,} users"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("steps"), TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("layout", total=None)
        return force_layout(adj, seed, lambda done, total: bar.update(task, completed=done, total=total))


def graph_layout(graph: CSRGraph, nodes: np.ndarray | None = None, *, seed: int = 0,
                 cache: Path | None = None, progress: bool | None = None) -> Layout:
    """Positions of ``nodes`` (default all users) for drawing, cached on disk.

    The layout is :func:`sim.viz.force_layout.force_layout` (networkit's PivotMDS per
    connected component, a force-directed refinement, components packed side by side;
    seeded, so the same graph always gets the same picture), computed on the subgraph
    induced by ``nodes``. The cache file is named by a hash of that subgraph's edges, the
    seed and the algorithm's version, so it is shared by every scenario and run seed on the
    same graph, and never reused for a different one.

    Parameters
    ----------
    graph : CSRGraph
    nodes : ndarray of int, shape (k,), optional
        Users to lay out (default all).
    seed : int
        Layout seed.
    cache : Path, optional
        Cache folder (default :func:`cache_dir`).
    progress : bool, optional
        Show a progress bar on stderr while computing (default: above
        :data:`PROGRESS_ABOVE` users).

    Returns
    -------
    Layout
        ``xy`` of float64, shape (k, 2), in the unit square.

    Notes
    -----
    Computing costs O(users + friendships) per force step (docs/performance.md: a few
    seconds for the 4,039-user Facebook graph); loading the cache costs milliseconds.
    """
    start = time.perf_counter()
    nodes, adj, path = _cache_entry(graph, nodes, seed, cache)
    key = path.stem
    if path.exists():
        try:
            xy = np.load(path)
            if xy.shape == (nodes.size, 2):
                return Layout(xy, key, time.perf_counter() - start, True)
        except (OSError, ValueError):
            pass  # unreadable cache file: compute again and replace it
    xy = _compute(adj, seed, nodes.size > PROGRESS_ABOVE if progress is None else progress)
    try:
        _save(path, xy)
    except OSError:
        pass  # a read-only cache only costs time
    return Layout(xy, key, time.perf_counter() - start, False)


def _cache_entry(graph: CSRGraph, nodes: np.ndarray | None, seed: int,
                 cache: Path | None) -> tuple[np.ndarray, sp.csr_array, Path]:
    """The users laid out, their subgraph's adjacency and the cache file of their layout."""
    nodes = np.arange(graph.n_users, dtype=np.int64) if nodes is None else np.asarray(nodes, dtype=np.int64)
    adj = subgraph_matrix(graph, nodes)
    folder = cache if cache is not None else cache_dir()
    return nodes, adj, folder / f"{_key(adj, seed)}.npy"


def _save(path: Path, xy: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        np.save(tmp, xy)


def store_layout(graph: CSRGraph, xy: np.ndarray, nodes: np.ndarray | None = None, *, seed: int = 0,
                 cache: Path | None = None) -> Path:
    """Store positions of one's own (e.g. exported from Gephi, or a generator's geometry) as the
    cached layout of ``nodes`` (default all users), so that :func:`graph_layout` with the same
    ``seed`` and ``cache`` (and ``giftsim viz``) draws them instead of computing a layout.

    Parameters
    ----------
    graph : CSRGraph
    xy : ndarray of float, shape (k, 2)
        Positions of ``nodes``, in their order, finite (:func:`graph_layout`'s own are in the unit square).
    nodes : ndarray of int, shape (k,), optional
        Users laid out (default all).
    seed : int
        The layout seed it stands for.
    cache : Path, optional
        Cache folder (default :func:`cache_dir`).

    Returns
    -------
    Path
        The cache file written.

    Raises
    ------
    ValueError
        If ``xy`` is not (k, 2) or not finite.
    OSError
        If the cache folder cannot be written.
    """
    nodes, _, path = _cache_entry(graph, nodes, seed, cache)
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape != (nodes.size, 2) or not np.isfinite(xy).all():
        raise ValueError(f"a layout of {nodes.size:,} users must be a finite ({nodes.size}, 2) array, got shape "
                         f"{xy.shape}")
    _save(path, xy)
    return path
