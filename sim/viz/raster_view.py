"""The whole social graph as a picture drawn on the server with datashader, for graphs too
large for the browser to draw (10^4 to 10^6 users): any window of the layout, at the pixel
size asked, with every user in it.

The friendships never change, so each window's friendship layer is aggregated once (in
chunks of the CSR arrays: memory bounded whatever the number of edges) and kept in a small
cache; each frame aggregates only the users' states over it. A pixel holding several users
shows the highest state among them (a sender over the unaware around it), in the colours of
:data:`~sim.viz.state.STATE_COLOURS`, so a few senders among a million users stay visible and
every coloured pixel means what the legend says.

datashader (and numba under it) is imported on first use: the first picture of a process
also compiles datashader's aggregation loops (a few seconds, see :meth:`GraphRaster.warm_up`).
"""

from __future__ import annotations

import io
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.spatial import cKDTree

from ..graph import CSRGraph
from .state import STATE_COLOURS, UserState

__all__ = ["RASTER_FROM", "EDGE_CHUNK", "MAX_ZOOM", "RasterFrame", "GraphRaster", "state_palette"]

RASTER_FROM = 10_001
"""Fewest users drawn by :class:`GraphRaster` in the explorer (smaller graphs are drawn by
the browser, or as an ego subgraph)."""

EDGE_CHUNK = 1 << 20
"""Directed CSR entries aggregated at a time (about 50 MB of temporary arrays at most,
plus the entries of one user beyond it)."""

MAX_ZOOM = 4096.0
"""Narrowest window: the layout's width divided by this."""

MAX_SIDE_PX = 2048
"""Largest picture side, pixels."""

_EDGE_RGB = np.array([140, 140, 153], dtype=np.float64)
_EDGE_ALPHA = (0.15, 0.6)  # one friendship through a pixel .. the busiest pixel of the window


def state_palette() -> np.ndarray:
    """RGB colour of each :class:`~sim.viz.state.UserState`, uint8 of shape (n_states, 3),
    from :data:`~sim.viz.state.STATE_COLOURS`."""
    return np.array([[int(STATE_COLOURS[s][i:i + 2], 16) for i in (1, 3, 5)] for s in UserState],
                    dtype=np.uint8)


@dataclass(frozen=True, eq=False)
class RasterFrame:
    """One picture of a window of the graph.

    Attributes
    ----------
    image : bytes
        Lossless WebP, ``width`` x ``height`` pixels.
    viewport : tuple of float
        ``(x0, x1, y0, y1)``: the window drawn, in layout coordinates (after clipping).
    width, height : int
        Pixels.
    users_drawn : int
        Users inside the window (every one of them is drawn).
    edges_cached : bool
        The friendship layer came from the cache.
    seconds : float
        Time to make the picture.
    """

    image: bytes
    viewport: tuple[float, float, float, float]
    width: int
    height: int
    users_drawn: int
    edges_cached: bool
    seconds: float


class GraphRaster:
    """Draws a whole graph with a fixed layout, any window of it, frame after frame.

    Parameters
    ----------
    graph : CSRGraph
    xy : ndarray of float, shape (n_users, 2)
        Position of every user (any units; the explorer's layouts lie in the unit square).
    cache_size : int, default 16
        Friendship layers kept (one per window and picture size).

    Attributes
    ----------
    bounds : tuple of float
        ``(x0, x1, y0, y1)``: the square holding the layout with a 2% margin.
    min_span : float
        Narrowest window width, ``bounds`` width / :data:`MAX_ZOOM`.
    edge_renders : int
        Friendship layers aggregated so far (the cache's misses).

    Raises
    ------
    ValueError
        If ``xy`` is not of shape (n_users, 2) or holds a non-finite value.
    """

    def __init__(self, graph: CSRGraph, xy: np.ndarray, *, cache_size: int = 16) -> None:
        xy = np.asarray(xy, dtype=np.float64)
        if xy.shape != (graph.n_users, 2):
            raise ValueError(f"positions of shape {xy.shape} for a graph of {graph.n_users} users "
                             f"(expected ({graph.n_users}, 2))")
        if not np.isfinite(xy).all():
            raise ValueError("positions hold NaN or infinite values")
        self.graph = graph
        self.n_users = graph.n_users
        self._x = np.ascontiguousarray(xy[:, 0])
        self._y = np.ascontiguousarray(xy[:, 1])
        lo = xy.min(axis=0) if xy.size else np.zeros(2)
        hi = xy.max(axis=0) if xy.size else np.ones(2)
        half = float((hi - lo).max() or 1.0) * 0.52
        cx, cy = (lo + hi) / 2.0
        self.bounds = (float(cx - half), float(cx + half), float(cy - half), float(cy + half))
        self.min_span = 2.0 * half / MAX_ZOOM
        self.cache_size = int(cache_size)
        self.edge_renders = 0
        self._edges: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._tree: cKDTree | None = None
        self._palette = state_palette()

    @property
    def xy(self) -> np.ndarray:
        """Position of every user, float64 of shape (n_users, 2) (a copy)."""
        return np.column_stack([self._x, self._y])

    # ------------------------------------------------------------------ windows
    def full(self, width: int, height: int) -> tuple[float, float, float, float]:
        """The window showing the whole layout in a ``width`` x ``height`` picture (the
        square ``bounds``, widened along the longer side)."""
        x0, x1, y0, y1 = self.bounds
        side = x1 - x0
        xs, ys = (side * width / height, side) if width >= height else (side, side * height / width)
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        return (cx - xs / 2.0, cx + xs / 2.0, cy - ys / 2.0, cy + ys / 2.0)

    def clip(self, viewport, width: int, height: int) -> tuple[float, float, float, float]:
        """The window drawn for a requested one: its width kept between :attr:`min_span` and
        the full view's, its height following the picture's aspect, its centre moved so that
        it stays inside the full view. An empty, inverted or non-finite request gives the
        full view.

        Parameters
        ----------
        viewport : sequence of 4 float or None
            ``(x0, x1, y0, y1)`` requested.
        width, height : int
            The picture's pixels.
        """
        full = self.full(width, height)
        v = np.asarray(viewport if viewport is not None else (), dtype=np.float64).ravel()
        if v.size != 4 or not np.isfinite(v).all() or v[1] <= v[0]:
            return full
        fw, fh = full[1] - full[0], full[3] - full[2]
        xs = float(np.clip(v[1] - v[0], min(self.min_span, fw), fw))
        ys = xs * fh / fw
        cx = float(np.clip((v[0] + v[1]) / 2.0, full[0] + xs / 2.0, full[1] - xs / 2.0))
        cy = float(np.clip((v[2] + v[3]) / 2.0, full[2] + ys / 2.0, full[3] - ys / 2.0))
        return (cx - xs / 2.0, cx + xs / 2.0, cy - ys / 2.0, cy + ys / 2.0)

    def zoom(self, viewport, factor: float, about: tuple[float, float], width: int, height: int
             ) -> tuple[float, float, float, float]:
        """The window ``factor`` times narrower (``factor`` < 1 widens), keeping the layout
        point ``about`` where it is on screen, then clipped (:meth:`clip`).

        Raises
        ------
        ValueError
            If ``factor`` is not a positive number.
        """
        if not factor > 0:
            raise ValueError(f"zoom factor must be > 0, got {factor}")
        x0, x1, y0, y1 = self.clip(viewport, width, height)
        ax, ay = about
        return self.clip((ax + (x0 - ax) / factor, ax + (x1 - ax) / factor,
                          ay + (y0 - ay) / factor, ay + (y1 - ay) / factor), width, height)

    # ------------------------------------------------------------------ pictures
    def render(self, states: np.ndarray, viewport=None, width: int = 800, height: int = 800) -> RasterFrame:
        """A picture of the window ``viewport`` (clipped first, see :meth:`clip`).

        Parameters
        ----------
        states : ndarray of int, shape (n_users,)
            :class:`~sim.viz.state.UserState` of every user.
        viewport : sequence of 4 float or None
            ``(x0, x1, y0, y1)``; None draws the whole layout.
        width, height : int
            Pixels, each clipped to 16 .. :data:`MAX_SIDE_PX`.

        Raises
        ------
        ValueError
            If ``states`` is not one state per user.

        Notes
        -----
        O(n_users) per frame plus, on a cache miss, O(friendships + pixels the friendships
        cross in the window).
        """
        start = time.perf_counter()
        states = np.asarray(states)
        if states.shape != (self.n_users,):
            raise ValueError(f"states of shape {states.shape} for {self.n_users} users")
        w, h = (int(np.clip(s, 16, MAX_SIDE_PX)) for s in (width, height))
        vp = self.clip(viewport, w, h)
        key = (vp, w, h)
        cached = key in self._edges
        rgb = self._edge_layer(vp, w, h).copy()
        top, drawn = self._state_layer(states, vp, w, h)
        shown = top >= 0
        rgb[shown] = self._palette[top[shown]]
        buf = io.BytesIO()
        Image.fromarray(rgb[::-1]).save(buf, "WEBP", lossless=True, method=0, quality=0)  # row 0 at the top
        return RasterFrame(buf.getvalue(), vp, w, h, drawn, cached, time.perf_counter() - start)

    def _canvas(self, vp, w: int, h: int):
        import datashader as ds

        return ds.Canvas(plot_width=w, plot_height=h, x_range=(vp[0], vp[1]), y_range=(vp[2], vp[3]))

    def _state_layer(self, states: np.ndarray, vp, w: int, h: int) -> tuple[np.ndarray, int]:
        """Highest state in each pixel (-1: no user), int64 of shape (h, w) with row 0 at
        the bottom, spread by a pixel or two when few users are in the window; and the
        number of users in the window."""
        import datashader as ds
        import pandas as pd

        df = pd.DataFrame({"x": self._x, "y": self._y, "s": states.astype(np.float64)}, copy=False)
        agg = self._canvas(vp, w, h).points(df, "x", "y", ds.summary(n=ds.count(), top=ds.max("s")))
        drawn = int(np.asarray(agg["n"].values, dtype=np.int64).sum())
        top = np.nan_to_num(np.asarray(agg["top"].values, dtype=np.float64), nan=-1.0).astype(np.int64)
        px = _spread_px(drawn, w * h)
        if px:
            yy, xx = np.mgrid[-px:px + 1, -px:px + 1]
            top = ndimage.maximum_filter(top, footprint=(xx * xx + yy * yy) <= px * px + px,
                                         mode="constant", cval=-1)
        return top, drawn

    def _edge_layer(self, vp, w: int, h: int) -> np.ndarray:
        """The friendships crossing the window over white, RGB uint8 of shape (h, w, 3),
        row 0 at the bottom; cached per window and size (least recently used dropped)."""
        key = (vp, w, h)
        hit = self._edges.get(key)
        if hit is not None:
            self._edges.move_to_end(key)
            return hit
        counts = self._edge_counts(vp, w, h)
        rgb = np.full((h, w, 3), 255, dtype=np.uint8)
        if counts.any():
            c = counts.astype(np.float64)
            a_lo, a_hi = _EDGE_ALPHA
            alpha = np.where(c > 0, a_lo + (a_hi - a_lo) * np.log1p(c) / np.log1p(c.max()), 0.0)
            rgb[:] = np.rint(255.0 - alpha[..., None] * (255.0 - _EDGE_RGB)).astype(np.uint8)
        self._edges[key] = rgb
        self.edge_renders += 1
        while len(self._edges) > self.cache_size:
            self._edges.popitem(last=False)
        return rgb

    def _edge_counts(self, vp, w: int, h: int) -> np.ndarray:
        """Friendships through each pixel, uint32 of shape (h, w), row 0 at the bottom:
        datashader's line aggregation over :data:`EDGE_CHUNK` CSR entries at a time, each
        friendship once (from its lower id), only those whose bounding box meets the window."""
        cvs = self._canvas(vp, w, h)
        total = np.zeros((h, w), dtype=np.uint32)
        indptr, indices, n = self.graph.indptr, self.graph.indices, self.n_users
        row = 0
        while row < n:
            stop = int(np.searchsorted(indptr, indptr[row] + EDGE_CHUNK, side="right")) - 1
            stop = min(n, max(stop, row + 1))
            src = np.repeat(np.arange(row, stop, dtype=np.int64), np.diff(indptr[row:stop + 1]))
            dst = indices[indptr[row]:indptr[stop]]
            keep = src < dst
            src, dst = src[keep], dst[keep]
            x0, x1, y0, y1 = self._x[src], self._x[dst], self._y[src], self._y[dst]
            meets = ((np.minimum(x0, x1) <= vp[1]) & (np.maximum(x0, x1) >= vp[0])
                     & (np.minimum(y0, y1) <= vp[3]) & (np.maximum(y0, y1) >= vp[2]))
            if meets.any():
                total += _line_counts(cvs, x0[meets], x1[meets], y0[meets], y1[meets])
            row = stop
        return total

    def warm_up(self) -> float:
        """Compile datashader's aggregations (the first picture of a process pays it) on a
        tiny window; returns the seconds it took."""
        start = time.perf_counter()
        vp = self.full(16, 16)
        self._canvas(vp, 16, 16)  # imports datashader
        self._state_layer(np.zeros(self.n_users, dtype=np.int8), vp, 16, 16)
        one = np.array([vp[0]]), np.array([vp[1]])
        _line_counts(self._canvas(vp, 16, 16), *one, *one)
        return time.perf_counter() - start

    # ------------------------------------------------------------------ hover
    def nearest(self, x: float, y: float, radius: float) -> int | None:
        """The user drawn nearest to the layout point (x, y), if within ``radius`` (layout
        units); None otherwise. The k-d tree over the positions is built on first use
        (about 1 s for 10^6 users)."""
        if self.n_users == 0 or not (np.isfinite(x) and np.isfinite(y) and radius > 0):
            return None
        if self._tree is None:
            self._tree = cKDTree(np.column_stack([self._x, self._y]))
        d, i = self._tree.query([x, y], distance_upper_bound=radius)
        return None if not np.isfinite(d) else int(i)


def _line_counts(cvs, x0: np.ndarray, x1: np.ndarray, y0: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """Segments (x0, y0)-(x1, y1) through each pixel of the canvas ``cvs``, uint32 of shape
    (height, width); float64 columns (one compiled aggregation for every call)."""
    import datashader as ds
    import pandas as pd

    df = pd.DataFrame({"x0": x0, "x1": x1, "y0": y0, "y1": y1}, dtype=np.float64)
    agg = cvs.line(df, x=["x0", "x1"], y=["y0", "y1"], axis=1, agg=ds.count())
    return np.asarray(agg.values, dtype=np.uint32)


def _spread_px(users: int, pixels: int) -> int:
    """Pixels to widen each user by: 2 below one user per 100 pixels, 1 below one per 20."""
    density = users / max(1, pixels)
    return 2 if density < 0.01 else 1 if density < 0.05 else 0
