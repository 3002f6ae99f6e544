"""The drawing algorithm: each connected component placed by networkit's PivotMDS, refined by a
force-directed pass whose long-range repulsion is computed on a grid by FFT (so a step costs
O(users + friendships) instead of O(users^2)), then the components packed side by side.

Why not networkit's MaxentStress for small graphs: measured here it lays out the 4,039-user
Facebook graph in 2-4 s but takes 25 s for a 2,000-user Barabási-Albert graph and 50-85 s
for a 5,000-user Holme-Kim one (each of its 250 Laplacian solves is slow on such graphs), and
fails with ``bad_alloc`` at 10^5 users. PivotMDS alone is fast but draws every group of users
with the same distances to the pivots on one point (the Facebook graph's circles collapse to
lines); the force pass spreads them and pulls friends together.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = ["force_layout", "iterations_for", "PIVOTS", "SMALL_COMPONENT"]

PIVOTS = 30
"""Pivots of networkit's PivotMDS (breadth-first searches from that many users)."""

SMALL_COMPONENT = 8
"""Components of at most this many users are drawn as a ring (no layout run)."""

GRAVITY = 0.3
"""Pull of every user towards the component's centre of mass (keeps loose users near)."""

Progress = Callable[[int, int], None]


def iterations_for(n: int) -> int:
    """Force steps for a component of ``n`` users: 150 up to 50,000 users, then 80."""
    return 150 if n <= 50_000 else 80


def _grid_size(n: int) -> int:
    """Cells per side of the repulsion grid: a power of two near 4 sqrt(n), in 128..512."""
    return int(np.clip(2 ** np.round(np.log2(4 * np.sqrt(n))), 128, 512))


def _kernels(g: int) -> tuple[np.ndarray, np.ndarray]:
    """FFTs of the two components of the kernel offset / |offset|^2 (in cells, softened by
    half a cell) on the zero-padded 2g x 2g grid (offsets 0..g-1, -g..-1: no wrap-around)."""
    off = np.fft.fftfreq(2 * g, 1.0 / (2 * g))
    ox, oy = np.meshgrid(off, off, indexing="ij")
    r2 = ox * ox + oy * oy + 0.25
    return np.fft.rfft2(ox / r2), np.fft.rfft2(oy / r2)


def _cic(xy: np.ndarray, lo: np.ndarray, h: float, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left grid cell (int64, shape (k, 2)) and fractional offset of each point."""
    u = (xy - lo) / h - 0.5
    cell = np.clip(np.floor(u).astype(np.int64), 0, g - 2)
    return cell, np.clip(u - cell, 0.0, 1.0)


def _repulsion_field(xy: np.ndarray, mass: np.ndarray, kernels: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Field sum_j mass_j (x - x_j) / |x - x_j|^2 at every point (float64, shape (k, 2)),
    by cloud-in-cell deposit on a grid, FFT convolution with ``kernels`` (:func:`_kernels`),
    and interpolation."""
    g = kernels[0].shape[0] // 2
    lo = xy.min(axis=0)
    span = float((xy.max(axis=0) - lo).max()) or 1.0
    h = span * 1.04 / (g - 2)
    lo = lo - 0.02 * span
    cell, f = _cic(xy, lo, h, g)
    corners = [((cell[:, 0] + dx) * g + cell[:, 1] + dy,
                (f[:, 0] if dx else 1 - f[:, 0]) * (f[:, 1] if dy else 1 - f[:, 1]))
               for dx in (0, 1) for dy in (0, 1)]
    grid = np.zeros(g * g)
    for idx, wt in corners:
        grid += np.bincount(idx, weights=mass * wt, minlength=g * g)
    m = np.fft.rfft2(grid.reshape(g, g), s=(2 * g, 2 * g))
    out = np.zeros_like(xy)
    for d, k in enumerate(kernels):
        field = np.fft.irfft2(m * k, s=(2 * g, 2 * g))[:g, :g].ravel() / h
        for idx, wt in corners:
            out[:, d] += wt * field[idx]
    return out


def _refine(adj: sp.csr_array, xy: np.ndarray, iterations: int, progress: Progress | None) -> np.ndarray:
    """Force-directed steps from ``xy``: linear springs along friendships, repulsion
    proportional to (friends + 1) of both users over their distance (ForceAtlas2's), gravity;
    each user moves along its force by at most a temperature falling linearly from 5% to
    0.1% of the start's span."""
    deg = np.asarray(adj.sum(axis=1)).ravel().astype(np.float64)
    mass = deg + 1.0
    total = float(mass.sum())
    xy = xy - xy.mean(axis=0)
    xy = xy / (float((xy.max(axis=0) - xy.min(axis=0)).max()) or 1.0)
    kernels = _kernels(_grid_size(xy.shape[0]))
    t0, t1 = 0.05, 0.001
    for it in range(iterations):
        t = t0 + (t1 - t0) * it / max(1, iterations - 1)
        pull = (adj @ xy - deg[:, None] * xy) / mass[:, None]
        centre = (xy * mass[:, None]).sum(axis=0) / total
        force = pull + _repulsion_field(xy, mass, kernels) / total - GRAVITY * (xy - centre)
        length = np.linalg.norm(force, axis=1) + 1e-12
        xy = xy + force * (np.minimum(length, t) / length)[:, None]
        if progress is not None:
            progress(it + 1, iterations)
    return xy


def _pivot_mds(adj: sp.csr_array, seed: int) -> np.ndarray:
    """PivotMDS (networkit) of one connected component (one thread, seeded)."""
    import networkit as nk

    k = adj.shape[0]
    coo = sp.triu(adj, k=1).tocoo()
    graph = nk.Graph(k)
    graph.addEdges((coo.row.astype(np.uint64), coo.col.astype(np.uint64)))
    threads = nk.engineering.getCurrentNumberOfThreads()
    nk.engineering.setNumberOfThreads(1)  # two threads on a busy 2-core machine ran 5-10x slower
    try:
        nk.engineering.setSeed(seed, True)
        mds = nk.viz.PivotMDS(graph, 2, min(PIVOTS, k))
        mds.run()
        return np.asarray(mds.getCoordinates(), dtype=np.float64).reshape(k, 2)
    finally:
        nk.engineering.setNumberOfThreads(threads)


def _component(adj: sp.csr_array, seed: int, rng: np.random.Generator, progress: Progress | None) -> np.ndarray:
    xy = _pivot_mds(adj, seed)
    if not np.all(np.isfinite(xy)):
        xy = np.zeros_like(xy)
    scale = float(xy.std()) or 1.0
    xy = xy + rng.normal(0.0, 1e-3 * scale, xy.shape)  # split users PivotMDS puts on one point
    return _refine(adj, xy, iterations_for(adj.shape[0]), progress)


def _ring(sizes: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Member ``rank`` of a component of ``sizes`` users on a ring of radius 0.5 (a single user at 0)."""
    angle = 2 * np.pi * rank / np.maximum(sizes, 1)
    radius = np.where(sizes > 1, 0.5, 0.0)
    return np.c_[radius * np.cos(angle), radius * np.sin(angle)]


def _pack(sizes: np.ndarray) -> np.ndarray:
    """Lower-left corner (float64, shape (c, 2)) of a square of side sqrt(size) per component,
    placed on shelves, largest first, in a strip as wide as the square root of the total area
    (or the largest square)."""
    side = np.sqrt(sizes.astype(np.float64)) * 1.1
    order = np.argsort(-sizes, kind="stable")
    width = max(float(np.sqrt((side ** 2).sum())), float(side.max()))
    corner = np.zeros((sizes.size, 2))
    x = y = shelf = 0.0
    for c in order.tolist():
        if x > 0 and x + side[c] > width + 1e-9:
            x, y, shelf = 0.0, y + shelf, 0.0
        corner[c] = (x, y)
        x += side[c]
        shelf = max(shelf, side[c])
    return corner


def _fit(xy: np.ndarray) -> np.ndarray:
    """``xy`` scaled into [0, 1]^2, aspect kept, centred."""
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = float((hi - lo).max()) or 1.0
    return (xy - lo) / span + (1.0 - (hi - lo) / span) / 2.0


def force_layout(adj: sp.csr_array, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """Positions for drawing a graph, in the unit square.

    Parameters
    ----------
    adj : scipy.sparse.csr_array, shape (k, k)
        Symmetric adjacency (non-zero = friends), no self-loops.
    seed : int
        Seeds networkit's random choices and the numpy Generator of the small jitter, so
        the same graph and seed always give the same positions.
    progress : callable, optional
        Called as ``progress(done, total)`` with force steps done over all components.

    Returns
    -------
    ndarray of float64, shape (k, 2)
        Position of each row of ``adj``, in [0, 1] (aspect kept, centred).

    Notes
    -----
    Each component of more than :data:`SMALL_COMPONENT` users: PivotMDS (O(pivots x
    friendships)), then :func:`iterations_for` force steps of O(users + friendships + grid
    log grid) each. Components are drawn in squares of area proportional to their users and
    packed on shelves, largest first.
    """
    k = adj.shape[0]
    if k == 0:
        return np.zeros((0, 2))
    rng = np.random.default_rng(seed)
    n_comp, label = connected_components(adj, directed=False)
    sizes = np.bincount(label, minlength=n_comp)
    order = np.argsort(label, kind="stable")
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k) - np.repeat(starts, sizes)
    local = _ring(sizes[label], rank)  # components of up to SMALL_COMPONENT users
    big = np.flatnonzero(sizes > SMALL_COMPONENT)
    total = int(sum(iterations_for(int(sizes[c])) for c in big))
    done = 0
    for c in big.tolist():
        members = order[starts[c]: starts[c] + sizes[c]]
        sub = adj if members.size == k else adj[members][:, members].tocsr()
        step = None if progress is None else (lambda i, _n, d=done: progress(d + i, total))
        xy = _component(sub, seed, rng, step)
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        local[members] = (xy - (lo + hi) / 2) / (float((hi - lo).max()) or 1.0)
        done += iterations_for(int(sizes[c]))
    side = np.sqrt(sizes.astype(np.float64))
    corner = _pack(sizes)
    centre = corner + 0.55 * side[:, None]  # the middle of its square (side 1.1 sqrt(size))
    return _fit(centre[label] + local * side[label, None])
