"""The interactive graph view of the explorer: sigma.js (WebGL) in an anywidget, for graphs up
to :data:`SIGMA_CAP` drawn users. Zoom with the wheel, pan by dragging, hover a user for its id,
state, gifts sent and received and cascade size, click a user to ring its cascade.

The graph (positions and friendships) is sent once per layout as binary buffers; each frame
sends only per-user arrays of the drawn users (state, gifts sent and received, cascade size),
the recent gifts and the ringed cascade, so that a step costs little to show. The front end is
``static/sigma_view.js``, built from ``js/src/sigma_view.js`` by ``js/build.mjs`` (sigma.js,
graphology and @sigma/node-border bundled in, MIT; their licences in
``static/sigma_view.LICENSES.txt``): nothing is fetched from the internet.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import anywidget
import numpy as np
import traitlets

from ..graph import CSRGraph
from .state import OUTCOME_COLOURS, STATE_COLOURS, UserState

if TYPE_CHECKING:  # the session imports SIGMA_CAP from here
    from .session import Frame

__all__ = ["SIGMA_CAP", "SigmaView", "friend_pairs"]

SIGMA_CAP = 10_000
"""Most drawn users the interactive view takes (the explorer shows larger views otherwise)."""

STATIC = Path(__file__).resolve().parent / "static"


def friend_pairs(graph: CSRGraph, nodes: np.ndarray) -> np.ndarray:
    """Friendships among ``nodes``, each once, as rows of ``nodes`` (positions in the array).

    Parameters
    ----------
    graph : CSRGraph
    nodes : ndarray of int64, shape (k,)
        The drawn users, ascending.

    Returns
    -------
    ndarray of int32, shape (m, 2)
        ``[a, b]`` with ``a < b``, indices into ``nodes``.
    """
    slot = np.full(graph.n_users, -1, dtype=np.int64)
    slot[nodes] = np.arange(nodes.size)
    src = slot[graph.row_of_entry.astype(np.int64)]
    dst = slot[graph.indices.astype(np.int64)]
    keep = (src >= 0) & (dst >= 0) & (src < dst)
    return np.stack([src[keep], dst[keep]], axis=1).astype(np.int32)


def _bytes(a: np.ndarray, dtype) -> bytes:
    return np.ascontiguousarray(a, dtype=dtype).tobytes()


class SigmaView(anywidget.AnyWidget):
    """The graph as a sigma.js WebGL view, updated in place frame by frame.

    Create it once, call :meth:`set_graph` when the layout is known (and again when it may
    have changed: the same layout is not sent twice), then :meth:`show` after every step.

    Parameters
    ----------
    height : int, default 640
        Height of the view, CSS pixels (the width follows the page).

    Attributes
    ----------
    clicked : int
        The chosen user (-1: none): set by a click on a user in the browser, and by
        :meth:`show` to the frame's chosen user, so the two always agree. Observe it
        (``view.observe(fn, "clicked")``) to act on clicks.
    frame : int
        Number of frames sent; the browser sets ``data-frame`` to it once drawn.
    nodes : ndarray of int64, shape (k,)
        The users drawn (empty before :meth:`set_graph`).
    """

    _esm = STATIC / "sigma_view.js"

    graph_key = traitlets.Unicode("").tag(sync=True)
    x = traitlets.Bytes(b"").tag(sync=True)  # float32 (k,)
    y = traitlets.Bytes(b"").tag(sync=True)  # float32 (k,)
    ids = traitlets.Bytes(b"").tag(sync=True)  # int32 (k,): user id of each drawn node
    edges = traitlets.Bytes(b"").tag(sync=True)  # int32 (m, 2): friendships, as node rows
    node_size = traitlets.Float(2.0).tag(sync=True)
    height = traitlets.Int(640).tag(sync=True)
    palette = traitlets.List(traitlets.Unicode()).tag(sync=True)
    state_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    gift_palette = traitlets.List(traitlets.Unicode()).tag(sync=True)

    frame = traitlets.Int(0).tag(sync=True)
    states = traitlets.Bytes(b"").tag(sync=True)  # uint8 (k,)
    sent = traitlets.Bytes(b"").tag(sync=True)  # int32 (k,)
    received = traitlets.Bytes(b"").tag(sync=True)  # int32 (k,)
    cascade_size = traitlets.Bytes(b"").tag(sync=True)  # int32 (k,)
    gifts = traitlets.Bytes(b"").tag(sync=True)  # int32 (g, 2): sender, recipient rows
    gift_outcomes = traitlets.Bytes(b"").tag(sync=True)  # uint8 (g,)
    ring = traitlets.Bytes(b"").tag(sync=True)  # int32 (c,): rows of the ringed cascade's members
    ring_parent = traitlets.Bytes(b"").tag(sync=True)  # int32 (c,): row of each one's parent, -1 if none
    clicked = traitlets.Int(-1).tag(sync=True)

    def __init__(self, height: int = 640, **kwargs) -> None:
        super().__init__(height=height, palette=[STATE_COLOURS[s] for s in UserState],
                         state_names=[s.name.lower() for s in UserState],
                         gift_palette=[OUTCOME_COLOURS[o] for o in sorted(OUTCOME_COLOURS)], **kwargs)
        self.nodes = np.zeros(0, dtype=np.int64)
        self._slot = np.zeros(0, dtype=np.int64)

    def set_graph(self, graph: CSRGraph, nodes: np.ndarray, xy: np.ndarray, key: str) -> bool:
        """Send the drawn graph, unless the layout ``key`` is the one already shown.

        Parameters
        ----------
        graph : CSRGraph
        nodes : ndarray of int64, shape (k,)
            The users drawn, ascending; at most :data:`SIGMA_CAP`.
        xy : ndarray of float64, shape (k, 2)
            Their positions (any units: the view fits them to its box).
        key : str
            Names the layout (:attr:`sim.viz.layout.Layout.key`).

        Returns
        -------
        bool
            Whether the graph was sent (False: the same key was already shown).

        Raises
        ------
        ValueError
            If more than :data:`SIGMA_CAP` users are given, or ``xy`` is not of shape (k, 2).
        """
        nodes = np.asarray(nodes, dtype=np.int64)
        xy = np.asarray(xy, dtype=np.float64)
        if nodes.size > SIGMA_CAP:
            raise ValueError(f"the interactive view draws at most {SIGMA_CAP:,} users, got {nodes.size:,}")
        if xy.shape != (nodes.size, 2):
            raise ValueError(f"xy must have shape ({nodes.size}, 2), got {xy.shape}")
        if key == self.graph_key and np.array_equal(nodes, self.nodes):
            return False
        self.nodes = nodes
        self._slot = np.full(graph.n_users, -1, dtype=np.int64)
        self._slot[nodes] = np.arange(nodes.size)
        with self.hold_sync():
            self.x = _bytes(xy[:, 0], np.float32)
            self.y = _bytes(xy[:, 1], np.float32)
            self.ids = _bytes(nodes, np.int32)
            self.edges = _bytes(friend_pairs(graph, nodes), np.int32)
            self.node_size = float(np.clip(200.0 / np.sqrt(max(1, nodes.size)), 2.0, 10.0))
            self.graph_key = key
        return True

    def rows(self, users: np.ndarray) -> np.ndarray:
        """Row of each user among the drawn nodes (-1 if not drawn), int64 of the input's shape."""
        users = np.asarray(users, dtype=np.int64)
        out = np.full(users.shape, -1, dtype=np.int64)
        ok = (users >= 0) & (users < self._slot.size)
        out[ok] = self._slot[users[ok]]
        return out

    def show(self, frame: Frame) -> int:
        """Send one frame: the drawn users' states, gift counts and cascade sizes, the recent
        gifts with both ends drawn, and the chosen user's cascade (ringed, with who told whom).

        Parameters
        ----------
        frame : Frame
            Its per-user arrays cover the whole population (shape (n_users,)).

        Returns
        -------
        int
            Gifts drawn (both ends among the drawn users).

        Raises
        ------
        RuntimeError
            If :meth:`set_graph` was not called first.
        """
        if not self.graph_key:
            raise RuntimeError("SigmaView.show before set_graph: the graph is not known yet")
        n = self.nodes
        a, b = self.rows(frame.gifts["sender"].to_numpy()), self.rows(frame.gifts["recipient"].to_numpy())
        ok = (a >= 0) & (b >= 0)
        ring = parent = np.zeros(0, dtype=np.int64)
        if frame.cascade is not None:
            rows = self.rows(frame.cascade.members)
            drawn = rows >= 0
            ring, parent = rows[drawn], self.rows(frame.cascade.parent[drawn])
        with self.hold_sync():
            self.states = _bytes(frame.states[n], np.uint8)
            self.sent = _bytes(frame.sent[n], np.int32)
            self.received = _bytes(frame.received[n], np.int32)
            self.cascade_size = _bytes(frame.cascade_sizes[n], np.int32)
            self.gifts = _bytes(np.stack([a[ok], b[ok]], axis=1), np.int32)
            self.gift_outcomes = _bytes(frame.gifts["outcome"].to_numpy()[ok], np.uint8)
            self.ring = _bytes(ring, np.int32)
            self.ring_parent = _bytes(parent, np.int32)
            self.clicked = -1 if frame.chosen is None else int(frame.chosen)
            self.frame += 1
        return int(ok.sum())
