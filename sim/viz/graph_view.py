"""Drawing the social graph: users as dots coloured by state, the last days' gifts as
highlighted edges, and a chosen cascade; drawn with matplotlib, sent as lossless WebP.

The friendships (tens of thousands of lines) never change, so they are drawn once into a
background image; each frame draws only the dots and the gifts over it.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import to_rgba_array  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from ..graph import CSRGraph  # noqa: E402
from ..model.states import GiftOutcome  # noqa: E402
from .state import OUTCOME_COLOURS, STATE_COLOURS, UserState  # noqa: E402

__all__ = ["GraphPicture"]

_BG_EDGE = (0.55, 0.55, 0.6, 1.0)


class GraphPicture:
    """Renders frames of one drawn subgraph with a fixed layout.

    Parameters
    ----------
    graph : CSRGraph
    nodes : ndarray of int64, shape (k,)
        Users drawn (ascending).
    xy : ndarray of float64, shape (k, 2)
        Their positions in the unit square.
    size_px : int
        Width and height of the picture, pixels.
    """

    def __init__(self, graph: CSRGraph, nodes: np.ndarray, xy: np.ndarray, size_px: int = 720) -> None:
        self.nodes = np.asarray(nodes, dtype=np.int64)
        self.xy = np.asarray(xy, dtype=np.float64)
        self.size_px = size_px
        self.n_users = graph.n_users
        self._slot = np.full(graph.n_users, -1, dtype=np.int64)  # user id -> row in nodes
        self._slot[self.nodes] = np.arange(self.nodes.size)
        k = max(1, self.nodes.size)
        self.dot = float(np.clip(20000.0 / k, 5.0, 60.0))  # marker area, points^2
        self._background = self._draw_background(graph)
        self._fig, self._ax = self._new_axes()
        self._ax.imshow(self._background, extent=(0, 1, 0, 1), origin="upper", interpolation="none",
                        zorder=0)
        self._gifts = LineCollection([], linewidths=1.4, zorder=2)
        self._ax.add_collection(self._gifts)
        self._tree = LineCollection([], linewidths=1.6, colors="#111111", zorder=4)
        self._ax.add_collection(self._tree)
        self._dots = self._ax.scatter(self.xy[:, 0], self.xy[:, 1], s=self.dot, linewidths=0, zorder=3)
        self._ring = self._ax.scatter([], [], s=self.dot * 3.0, facecolors="none",
                                      edgecolors="#111111", linewidths=0.9, zorder=5)
        self._palette = to_rgba_array([STATE_COLOURS[s] for s in UserState])
        self._gift_palette = np.zeros((3, 4))
        for o, c in OUTCOME_COLOURS.items():
            self._gift_palette[int(o)] = to_rgba_array([c])[0]

    def _new_axes(self):
        dpi = 100
        fig = Figure(figsize=(self.size_px / dpi, self.size_px / dpi), dpi=dpi)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_axis_off()
        return fig, ax

    def _draw_background(self, graph: CSRGraph) -> np.ndarray:
        """Friendships among drawn users as faint lines, an RGBA image in axes coordinates."""
        fig, ax = self._new_axes()
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        src = graph.row_of_entry.astype(np.int64)
        dst = graph.indices.astype(np.int64)
        keep = (src < dst) & (self._slot[src] >= 0) & (self._slot[dst] >= 0)
        seg = np.stack([self.xy[self._slot[src[keep]]], self.xy[self._slot[dst[keep]]]], axis=1)
        n_edges = max(1, seg.shape[0])
        alpha = float(np.clip(20.0 / np.sqrt(n_edges), 0.04, 0.5))
        ax.add_collection(LineCollection(seg, linewidths=0.3, colors=[(*_BG_EDGE[:3], alpha)],
                                         antialiased=True))
        fig.canvas.draw()
        img = np.asarray(fig.canvas.buffer_rgba()).copy()
        return img

    def slots(self, users: np.ndarray) -> np.ndarray:
        """Row of each user in the drawn nodes (-1 if not drawn)."""
        return self._slot[np.asarray(users, dtype=np.int64)]

    def render(self, states: np.ndarray, gifts_from: np.ndarray | None = None,
               gifts_to: np.ndarray | None = None, gifts_outcome: np.ndarray | None = None,
               cascade_members: np.ndarray | None = None, cascade_parent: np.ndarray | None = None
               ) -> bytes:
        """One frame as lossless WebP bytes.

        Parameters
        ----------
        states : ndarray of int8, shape (n_users,)
            :class:`UserState` of every user.
        gifts_from, gifts_to, gifts_outcome : ndarray, shape (g,)
            Recent gifts: sender, recipient, :class:`GiftOutcome`; drawn where both ends are drawn.
        cascade_members, cascade_parent : ndarray, shape (c,)
            A cascade to outline: members ringed, parent-child links in black.
        """
        s = states[self.nodes]
        order = np.argsort(s, kind="stable")  # busier states on top
        self._dots.set_offsets(self.xy[order])
        self._dots.set_facecolors(self._palette[s[order]])
        segs = np.zeros((0, 2, 2))
        cols = np.zeros((0, 4))
        if gifts_from is not None and len(gifts_from):
            a, b = self.slots(gifts_from), self.slots(gifts_to)
            ok = (a >= 0) & (b >= 0)
            segs = np.stack([self.xy[a[ok]], self.xy[b[ok]]], axis=1)
            cols = self._gift_palette[np.asarray(gifts_outcome)[ok].astype(np.int64)]
        self._gifts.set_segments(segs)
        self._gifts.set_colors(cols)
        tree = np.zeros((0, 2, 2))
        ring = np.zeros((0, 2))
        if cascade_members is not None and len(cascade_members):
            m = self.slots(cascade_members)
            p = self.slots(np.where(cascade_parent >= 0, cascade_parent, 0))
            ok = (m >= 0) & (p >= 0) & (np.asarray(cascade_parent) >= 0)
            tree = np.stack([self.xy[p[ok]], self.xy[m[ok]]], axis=1)
            ring = self.xy[m[m >= 0]]
        self._tree.set_segments(tree)
        self._ring.set_offsets(ring)
        self._fig.canvas.draw()
        rgba = self._fig.canvas.buffer_rgba()
        buf = io.BytesIO()
        # lossless WebP: exact colours, about half the bytes and encoding time of PNG here
        Image.frombuffer("RGBA", self._fig.canvas.get_width_height(), rgba).convert("RGB").save(
            buf, "WEBP", lossless=True, method=0, quality=0)
        return buf.getvalue()


def outcome_name(o: int) -> str:
    return GiftOutcome(o).name.lower()
