"""Driving the whole-graph view in a Playwright page (tests/viz/test_raster_browser.py and
docs/img/raster_screenshot.py): where the view is, layout points on screen, waiting for a
new picture, and a user that is easy to point at."""

from __future__ import annotations

import json

import numpy as np
from scipy.spatial import cKDTree

from sim.viz.state import UserState, user_states


def view(page) -> dict:
    """The view's window (``vp``: x0, x1, y0, y1), the window of the picture on screen
    (``shown``, a JSON string), users drawn and its box on the page."""
    return page.evaluate("""() => {
        const r = document.querySelector('.giftsim-raster');
        const b = r.getBoundingClientRect();
        return {vp: JSON.parse(r.dataset.viewport), shown: r.dataset.shown || '', drawn: +r.dataset.usersDrawn,
                left: b.left, top: b.top, width: b.width, height: b.height};
    }""")


def screen(v: dict, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of the layout point (x, y) in the view ``v``."""
    x0, x1, y0, y1 = v["vp"]
    return v["left"] + (x - x0) / (x1 - x0) * v["width"], v["top"] + (y1 - y) / (y1 - y0) * v["height"]


def wait_shown(page, before: str, timeout: int = 60_000) -> None:
    """Until a new picture is on screen (its window differs from ``before``)."""
    page.wait_for_function(
        f"(document.querySelector('.giftsim-raster').dataset.shown || '') !== {json.dumps(before)}", timeout=timeout)


def zoom_about(page, x: float, y: float, times: int, delta: int = -600) -> dict:
    """Wheel ``times`` times over the layout point (x, y), each time waiting for the new
    picture; returns the view after."""
    for _ in range(times):
        v = view(page)
        page.mouse.move(*screen(v, x, y))
        page.mouse.wheel(0, delta)
        wait_shown(page, v["shown"])
        page.wait_for_timeout(300)
    return view(page)


def isolated_sender(model, xy: np.ndarray) -> int:
    """A sender away from the layout's edge whose nearest other user is farthest (unambiguous to point at)."""
    senders = np.flatnonzero(user_states(model) == UserState.SENDER)
    senders = senders[np.hypot(xy[senders, 0] - 0.5, xy[senders, 1] - 0.5) < 0.4]
    d, _ = cKDTree(xy).query(xy[senders], k=2)
    return int(senders[np.argmax(d[:, 1])])
