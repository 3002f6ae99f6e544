"""The explorer's whole-graph view in the browser: an anywidget showing :class:`~sim.viz.
raster_view.GraphRaster`'s pictures, for graphs of 10^4 to 10^6 users. The mouse wheel zooms
about the cursor, dragging pans, a double-click shows the whole graph again; the browser sends
the window it wants and the server draws it at the view's pixel size. Resting the pointer on a
user shows its state, gifts sent and received and cascade size.

The front end is ``static/raster_view.js`` (hand-written, no dependency, nothing fetched).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from .raster_view import GraphRaster
from .state import UserState

__all__ = ["RasterView", "HOVER_PX"]

STATIC = Path(__file__).resolve().parent / "static"

HOVER_PX = 8
"""Farthest the pointer may rest from a user to show it, CSS pixels."""


class RasterView(anywidget.AnyWidget):
    """The whole graph as a server-drawn picture, zoomable, updated in place frame by frame.

    Create it once; call :meth:`show` after every step (and with a new raster when the
    layout changed).

    Parameters
    ----------
    raster : GraphRaster, optional
        What to draw (nothing is shown before one is given).
    states : ndarray of int, shape (n_users,), optional
        :class:`~sim.viz.state.UserState` of every user (default: all unaware).
    details : callable(int) -> dict, optional
        The details of a user shown on hover (e.g. :class:`~sim.viz.user_info.UserInfo`);
        default its id and state only.
    size_px : int, default 800
        Side of the first picture, pixels, until the browser reports the view's size.

    Attributes
    ----------
    viewport : list of 4 float
        ``[x0, x1, y0, y1]`` of the picture shown, in layout coordinates; the browser sets
        it to the window it wants (``[]``: the whole graph) and the view answers with the
        window drawn (clipped, :meth:`GraphRaster.clip`).
    size : list of 2 int
        ``[width, height]`` of the view in CSS pixels, set by the browser.
    hover : list of 2 float
        ``[x, y]`` of the pointer in layout coordinates (``[]``: not over the view), set by
        the browser; answered in ``details``.
    details : dict
        The user nearest the pointer (within :data:`HOVER_PX` pixels), ``{}`` for none.
    users_drawn : int
        Users inside the window shown (all drawn).
    answered : int
        Window requests answered so far (the browser sends one at a time).
    """

    _esm = STATIC / "raster_view.js"

    image = traitlets.Bytes(b"").tag(sync=True)
    viewport = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    size = traitlets.List(traitlets.Int(), default_value=[800, 800]).tag(sync=True)
    hover = traitlets.List(traitlets.Float(), default_value=[]).tag(sync=True)
    details = traitlets.Dict().tag(sync=True)
    users_drawn = traitlets.Int(0).tag(sync=True)
    n_users = traitlets.Int(0).tag(sync=True)
    answered = traitlets.Int(0).tag(sync=True)
    render_ms = traitlets.Float(0.0).tag(sync=True)

    def __init__(self, raster: GraphRaster | None = None, states: np.ndarray | None = None,
                 details: Callable[[int], dict[str, Any]] | None = None, size_px: int = 800, **kwargs) -> None:
        super().__init__(size=[int(size_px), int(size_px)], **kwargs)
        self._lock = threading.RLock()
        self._drawing = False
        self.raster: GraphRaster | None = None
        self.states = np.zeros(0, dtype=np.int8)
        self._details = details
        self.observe(self._on_viewport, "viewport")
        self.observe(self._on_size, "size")
        self.observe(self._on_hover, "hover")
        if raster is not None:
            self.show(np.zeros(raster.n_users, dtype=np.int8) if states is None else states, raster, details)

    def show(self, states: np.ndarray, raster: GraphRaster | None = None,
             details: Callable[[int], dict[str, Any]] | None = None) -> None:
        """Draw a new frame: the window shown, with ``states``.

        Parameters
        ----------
        states : ndarray of int, shape (n_users,)
        raster : GraphRaster, optional
            A different raster (a new graph or layout) starts from the whole graph; the same
            one (or None) keeps the window.
        details : callable(int) -> dict, optional
            Replaces the hover details' source (e.g. for a new model).

        Raises
        ------
        ValueError
            If no raster was ever given, or ``states`` is not one per user.
        """
        with self._lock:
            if details is not None:
                self._details = details
            window = self.viewport
            if raster is not None and raster is not self.raster:
                self.raster, window = raster, []
            if self.raster is None:
                raise ValueError("RasterView.show: no raster to draw")
            self.states = np.asarray(states)
            self._draw(window)

    def zoom(self, factor: float, about: tuple[float, float] | None = None) -> None:
        """Zoom the window ``factor`` times about ``about`` (default its centre), as the
        mouse wheel does.

        Raises
        ------
        ValueError
            If nothing is drawn yet or ``factor`` is not positive.
        """
        with self._lock:
            if self.raster is None or len(self.viewport) != 4:
                raise ValueError("RasterView.zoom: nothing drawn yet")
            x0, x1, y0, y1 = self.viewport
            about = ((x0 + x1) / 2.0, (y0 + y1) / 2.0) if about is None else about
            self._draw(list(self.raster.zoom(self.viewport, factor, about, *self.size)))

    def _draw(self, window) -> None:
        f = self.raster.render(self.states, window or None, *self.size)
        self._drawing = True  # our own viewport change is no request
        try:
            with self.hold_sync():
                self.image = f.image
                self.viewport = list(f.viewport)
                self.users_drawn = f.users_drawn
                self.n_users = self.raster.n_users
                self.render_ms = round(f.seconds * 1000.0, 1)
                self.answered += 1
        finally:
            self._drawing = False

    def _on_viewport(self, change: dict) -> None:
        with self._lock:
            if self.raster is not None and not self._drawing:
                self._draw(change["new"])

    def _on_size(self, change: dict) -> None:
        with self._lock:
            if self.raster is not None:
                was_full = len(change["old"]) == 2 and np.allclose(self.viewport, self.raster.full(*change["old"]))
                self._draw([] if was_full else self.viewport)  # the whole graph stays whole

    def _on_hover(self, change: dict) -> None:
        self.details = self.at(*change["new"]) if len(change["new"]) == 2 else {}

    def at(self, x: float, y: float) -> dict[str, Any]:
        """The details of the user within :data:`HOVER_PX` pixels of the layout point
        (x, y) at the current zoom (``{}`` if none): its id and state, and what ``details``
        gives."""
        with self._lock:
            if self.raster is None or len(self.viewport) != 4:
                return {}
            radius = HOVER_PX * (self.viewport[1] - self.viewport[0]) / max(1, self.size[0])
            user = self.raster.nearest(float(x), float(y), radius)
            if user is None:
                return {}
            if self._details is not None:
                return dict(self._details(user))
            return {"user": user, "state": UserState(int(self.states[user])).name.lower()}
