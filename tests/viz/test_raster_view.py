"""The whole-graph raster view without a browser: every user drawn in its state's colour,
windows, zoom clipping, the friendship layer's cache and chunks, hover lookup, the widget's
traitlet protocol, and the explorer session above the raster threshold."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from sim.graph import clean_edges, to_csr
from sim.model import GiftModel
from sim.viz import raster_view
from sim.viz.raster_view import MAX_ZOOM, GraphRaster, state_palette
from sim.viz.raster_widget import HOVER_PX, RasterView
from sim.viz.state import STATE_COLOURS, UserState, cascade_of, user_states
from sim.viz.user_info import UserInfo

from ..conftest import small_scenario

W = H = 200


def _graph(n: int, u=(), v=()):
    e = clean_edges(np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64), n_users=n, relabel=False)
    return to_csr(e, np.ones(e.a.size))


def _rgb(frame) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(frame.image)).convert("RGB")).astype(int)


def _pixels_of(img: np.ndarray, hexc: str) -> int:
    rgb = np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(img - rgb).sum(axis=2) == 0).sum())


def _grid(n_side: int) -> np.ndarray:
    """Users on a regular grid in [0.1, 0.9]^2 (row-major from the bottom left)."""
    t = np.linspace(0.1, 0.9, n_side)
    gx, gy = np.meshgrid(t, t)
    return np.column_stack([gx.ravel(), gy.ravel()])


def test_every_user_is_drawn_in_the_colour_of_its_state():
    xy = _grid(6)  # 36 users, 6 of each state, far apart
    states = np.repeat(np.arange(len(UserState)), 6).astype(np.int8)
    r = GraphRaster(_graph(36), xy)
    f = r.render(states, None, W, H)
    img = _rgb(f)
    assert f.users_drawn == 36 and (f.width, f.height) == (W, H) and img.shape == (H, W, 3)
    for s in UserState:
        assert _pixels_of(img, STATE_COLOURS[s]) > 0, s
    assert (state_palette()[UserState.SENDER] == [0xd6, 0x28, 0x28]).all()


def test_up_is_up_and_the_highest_state_of_a_pixel_is_shown():
    # user 0 at the top left, users 1 and 2 on the same spot at the bottom right
    xy = np.array([[0.1, 0.9], [0.9, 0.1], [0.9, 0.1]])
    r = GraphRaster(_graph(3), xy)
    f = r.render(np.array([UserState.SENDER, UserState.AWARE, UserState.RECIPIENT], dtype=np.int8), None, W, H)
    img = _rgb(f)
    x0, x1, y0, y1 = f.viewport

    def px(x, y):
        return img[int((y1 - y) / (y1 - y0) * H), int((x - x0) / (x1 - x0) * W)]

    red = [0xd6, 0x28, 0x28]
    assert (px(0.1, 0.9) == red).all()
    assert (px(0.9, 0.1) == [0x2a, 0x9d, 0x8f]).all()  # the recipient over the aware user
    assert _pixels_of(img, STATE_COLOURS[UserState.AWARE]) == 0


def test_a_window_draws_only_the_users_inside_it():
    xy = np.array([[0.2, 0.2], [0.3, 0.25], [0.9, 0.9]])
    states = np.array([UserState.AWARE, UserState.AWARE, UserState.SENDER], dtype=np.int8)
    r = GraphRaster(_graph(3), xy)
    whole = r.render(states, None, W, H)
    assert whole.users_drawn == 3 and _pixels_of(_rgb(whole), STATE_COLOURS[UserState.SENDER]) > 0
    part = r.render(states, (0.19, 0.5, 0.19, 0.5), W, H)  # inside the layout's bounds (0.186 .. 0.914)
    assert part.viewport == pytest.approx((0.19, 0.5, 0.19, 0.5))
    img = _rgb(part)
    assert part.users_drawn == 2 and _pixels_of(img, STATE_COLOURS[UserState.SENDER]) == 0
    assert _pixels_of(img, STATE_COLOURS[UserState.AWARE]) > 0


def test_windows_are_clipped_to_the_layout_and_zoom_keeps_the_point_under_the_cursor():
    r = GraphRaster(_graph(4), np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    full = r.full(W, H)
    assert full == r.bounds and full[0] < 0.0 and full[1] > 1.0
    assert r.clip(None, W, H) == full and r.clip([], W, H) == full
    assert r.clip((0.5, 0.2, 0, 1), W, H) == full and r.clip((0, np.nan, 0, 1), W, H) == full
    assert r.clip((-50, 50, -50, 50), W, H) == pytest.approx(full)  # no wider than the whole
    narrow = r.clip((0.5, 0.5 + 1e-9, 0.5, 0.5 + 1e-9), W, H)
    assert narrow[1] - narrow[0] == pytest.approx((full[1] - full[0]) / MAX_ZOOM)
    shifted = r.clip((0.9, 1.9, 0.0, 1.0), W, H)  # pushed back inside
    assert shifted[1] == pytest.approx(full[1]) and shifted[1] - shifted[0] == pytest.approx(1.0)
    wide = r.clip((0.0, 1.0, 0.0, 1.0), 2 * W, H)  # the height follows the picture's aspect
    assert wide[3] - wide[2] == pytest.approx(0.5)
    z = r.zoom((0.0, 1.0, 0.0, 1.0), 4.0, (0.25, 0.75), W, H)
    assert z == pytest.approx((0.1875, 0.4375, 0.5625, 0.8125))  # (0.25, 0.75) stays where it was on screen
    assert r.zoom(z, 0.001, (0.3, 0.8), W, H) == pytest.approx(full)
    with pytest.raises(ValueError, match="zoom factor"):
        r.zoom(z, 0.0, (0.3, 0.8), W, H)


def test_friendships_are_drawn_once_per_window_and_size():
    # one friendship crossing the middle: a window holding neither end still shows it
    r = GraphRaster(_graph(2, [0], [1]), np.array([[0.0, 0.5], [1.0, 0.5]]))
    states = np.zeros(2, dtype=np.int8)
    a = r.render(states, (0.4, 0.6, 0.4, 0.6), W, H)
    img = _rgb(a)
    assert a.users_drawn == 0 and not a.edges_cached and r.edge_renders == 1
    assert (img[H // 2 - 1:H // 2 + 1, :].min(axis=2) < 250).any(axis=0).all()  # a line across the window
    assert (img[:H // 4] == 255).all()  # nothing else
    b = r.render(np.ones(2, dtype=np.int8), (0.4, 0.6, 0.4, 0.6), W, H)  # a new frame: states only
    assert b.edges_cached and r.edge_renders == 1
    r.render(states, (0.4, 0.6, 0.4, 0.6), W + 1, H)  # another size
    r.render(states, (0.4, 0.6, 0.6, 0.8), W, H)  # another window: the friendship is not in it
    assert r.edge_renders == 3
    assert (_rgb(r.render(states, (0.4, 0.6, 0.6, 0.8), W, H)) == 255).all()
    r2 = GraphRaster(_graph(2, [0], [1]), np.array([[0.0, 0.5], [1.0, 0.5]]), cache_size=1)
    r2.render(states, None, W, H)
    r2.render(states, (0.4, 0.6, 0.4, 0.6), W, H)
    assert not r2.render(states, None, W, H).edges_cached and r2.edge_renders == 3  # least recently used dropped


def test_friendships_are_aggregated_in_bounded_chunks(monkeypatch):
    rng = np.random.default_rng(5)
    n = 300
    u, v = rng.integers(0, n, 3000), rng.integers(0, n, 3000)
    g = _graph(n, u, v)
    xy = rng.random((n, 2))
    whole = GraphRaster(g, xy)._edge_counts(GraphRaster(g, xy).full(W, H), W, H)
    assert whole.sum() > 0
    sizes: list[int] = []
    real = raster_view._line_counts

    def spy(cvs, x0, *rest):
        sizes.append(x0.size)
        return real(cvs, x0, *rest)

    monkeypatch.setattr(raster_view, "EDGE_CHUNK", 64)
    monkeypatch.setattr(raster_view, "_line_counts", spy)
    r = GraphRaster(g, xy)
    chunked = r._edge_counts(r.full(W, H), W, H)
    assert len(sizes) > 20 and max(sizes) <= 64 + int(g.degree.max())
    assert sum(sizes) == g.n_friendships
    np.testing.assert_array_equal(chunked, whole)


def test_hover_finds_the_nearest_user_within_a_few_pixels():
    xy = np.array([[0.2, 0.2], [0.21, 0.2], [0.8, 0.8]])
    r = GraphRaster(_graph(3), xy)
    assert r.nearest(0.203, 0.2, 0.01) == 0 and r.nearest(0.208, 0.201, 0.01) == 1
    assert r.nearest(0.5, 0.5, 0.05) is None and r.nearest(np.nan, 0.5, 1.0) is None
    asked: list[int] = []
    w = RasterView(r, np.array([1, 2, 4], dtype=np.int8), size_px=W,
                   details=lambda u: asked.append(u) or {"user": u, "sent": 7})
    px = (w.viewport[1] - w.viewport[0]) / W
    assert w.at(0.8 + 0.5 * HOVER_PX * px, 0.8) == {"user": 2, "sent": 7} and asked == [2]
    w.hover = [0.8, 0.8 + 2 * HOVER_PX * px]
    assert w.details == {}
    w.hover = [0.8, 0.8]
    assert w.details == {"user": 2, "sent": 7}
    w.hover = []
    assert w.details == {}
    w.zoom(8.0, (0.8, 0.8))  # the same distance is now many pixels
    assert w.at(0.8 + 0.5 * HOVER_PX * px, 0.8) == {}
    plain = RasterView(r, np.array([1, 2, 4], dtype=np.int8), size_px=W)
    assert plain.at(0.2, 0.2) == {"user": 0, "state": "button"}


def test_the_widget_answers_window_requests_and_keeps_its_window_between_frames():
    xy = _grid(10)
    r = GraphRaster(_graph(100), xy)
    w = RasterView(r, np.zeros(100, dtype=np.int8), size_px=W)
    assert w.viewport == pytest.approx(list(r.full(W, H))) and w.users_drawn == w.n_users == 100
    assert w.answered == 1 and w.image.startswith(b"RIFF")
    first = w.image
    w.viewport = [0.09, 0.5, 0.09, 0.5]  # as the browser sets it
    assert w.answered == 2 and w.viewport == pytest.approx([0.09, 0.5, 0.09, 0.5])
    assert w.users_drawn == 25 and w.image != first
    w.viewport = [-100.0, 100.0, -100.0, 100.0]  # answered clipped
    assert w.answered == 3 and w.viewport == pytest.approx(list(r.full(W, H)))
    w.viewport = [0.09, 0.5, 0.09, 0.5]
    w.show(np.full(100, 4, dtype=np.int8))  # next frame: same window, new colours
    assert w.viewport == pytest.approx([0.09, 0.5, 0.09, 0.5]) and w.users_drawn == 25
    img = np.asarray(Image.open(io.BytesIO(w.image)).convert("RGB")).astype(int)
    assert _pixels_of(img, STATE_COLOURS[UserState.SENDER]) > 0
    w.viewport = []  # double-click: the whole graph
    assert w.viewport == pytest.approx(list(r.full(W, H)))
    w.size = [2 * W, H]  # resized at the whole view: still the whole graph
    assert w.viewport == pytest.approx(list(r.full(2 * W, H))) and w.users_drawn == 100
    other = GraphRaster(_graph(4), np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    w.viewport = [0.09, 0.5, 0.09, 0.5]
    w.show(np.zeros(4, dtype=np.int8), other)  # a new layout starts whole
    assert w.n_users == 4 and w.viewport == pytest.approx(list(other.full(2 * W, H)))
    with pytest.raises(ValueError, match="no raster"):
        RasterView().show(np.zeros(4, dtype=np.int8))


def test_bad_positions_and_states_are_refused():
    g = _graph(3)
    with pytest.raises(ValueError, match=r"shape \(2, 2\).*3 users"):
        GraphRaster(g, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        GraphRaster(g, np.array([[0, 0], [1, 1], [np.nan, 0]]))
    with pytest.raises(ValueError, match="states of shape"):
        GraphRaster(g, np.zeros((3, 2))).render(np.zeros(4, dtype=np.int8))


def test_user_info_agrees_with_the_ledger_and_the_cascade():
    m = GiftModel(small_scenario(), seed=2)
    for _ in range(8):
        m.step()
    info = UserInfo(m)
    led = m.ledger
    sender = led.column("sender")
    rec = led.column("recipient")
    states = user_states(m)
    u = int(sender[0])
    d = info(u)
    assert d == {"user": u, "state": UserState(int(states[u])).name.lower(),
                 "sent": int((sender == u).sum()), "received": int((rec == u).sum()),
                 "cascade": cascade_of(m, u).size}
    assert d["sent"] > 0 and d["cascade"] > 1
    quiet = int(np.flatnonzero(~m.population.aware)[0])
    assert info(quiet)["cascade"] == 0 and info(quiet)["sent"] == 0
    m.step()  # a new step is read afresh
    assert info(u)["sent"] == int((m.ledger.column("sender") == u).sum())
    with pytest.raises(ValueError, match="not a user"):
        info(m.population.n_users)


def test_a_session_above_the_threshold_shows_every_user_through_the_raster(tmp_path, monkeypatch):
    from sim.viz import session as session_module
    from sim.viz.session import ExplorerSession

    sc = small_scenario()  # 400 users
    below = ExplorerSession(sc, seed=1, node_cap=50, cache=tmp_path)
    assert below.raster is None and below.view.sampled  # an ego subgraph (drawn by the interactive view)
    monkeypatch.setattr(session_module, "RASTER_FROM", 300)  # as if 400 users were above the interactive view's
    s = ExplorerSession(sc, seed=1, node_cap=500 // 10, cache=tmp_path)
    assert ExplorerSession(sc, seed=1, node_cap=10_000, cache=tmp_path).raster is not None  # whatever the cap
    assert s.raster is not None and s.raster.n_users == 400 and not s.view.sampled
    raster = s.raster
    s.step(6)
    f = s.frame()
    assert f.states.shape == (400,) and sum(f.counts.values()) == 400
    np.testing.assert_array_equal(f.states, user_states(s.model))
    w = RasterView(s.raster, f.states, details=s.user_details, size_px=W)
    assert w.users_drawn == 400
    sender = int(s.model.ledger.column("sender")[0])
    x, y = s.raster.xy[sender]
    d = w.at(x, y)
    assert d["user"] == sender and d["state"] == UserState(int(f.states[sender])).name.lower() and d["sent"] >= 1
    s.set_seed(2)  # a new model on the same graph: the same raster, fresh details
    assert s.raster is raster and s.frame().states.sum() <= f.states.sum()
    assert s.user_details(sender)["sent"] == 0
