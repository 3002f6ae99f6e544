"""The interactive graph view's Python side without a browser: what SigmaView sends (the graph
once, then only small per-frame arrays), what a click rings, and the frames' per-user arrays."""

from __future__ import annotations

import re

import numpy as np
import pytest

import sim.viz.session as session_module
from sim.viz.session import ExplorerSession
from sim.viz.sigma_view import SIGMA_CAP, STATIC, SigmaView, friend_pairs
from sim.viz.state import OUTCOME_COLOURS, STATE_COLOURS, UserState, cascade_of, gift_counts, user_states

from ..conftest import small_scenario

GRAPH_TRAITS = {"x", "y", "ids", "edges", "node_size", "graph_key"}
FRAME_TRAITS = {"states", "sent", "received", "cascade_size", "gifts", "gift_outcomes", "ring", "ring_parent",
                "clicked", "frame"}


def _recorded(view: SigmaView) -> list[tuple[dict, list]]:
    """Every update message the widget sends from now on, with its binary buffers."""
    sent: list[tuple[dict, list]] = []
    view.comm.send = lambda data=None, buffers=None, **_: sent.append((data, list(buffers or [])))
    return sent


def _decode(view: SigmaView, name: str, dtype) -> np.ndarray:
    return np.frombuffer(getattr(view, name), dtype=dtype)


def _stepped(days: int, node_cap: int = 5000, seed: int = 1, tmp_path=None) -> ExplorerSession:
    s = ExplorerSession(small_scenario(), seed=seed, node_cap=node_cap, cache=tmp_path)
    s.step(days)
    return s


def _view_of(s: ExplorerSession) -> SigmaView:
    v = SigmaView()
    v.set_graph(s.model.graph, s.view.nodes, s.layout.xy, s.layout.key)
    return v


def test_the_front_end_and_its_licences_are_package_data():
    js = (STATIC / "sigma_view.js").read_text(encoding="utf-8")
    assert "export" in js and "giftsim-hover" in js and "giftsimPosition" in js
    # every module bundled (no import statement left), nothing fetched from the internet
    assert re.search(r"(^|[;}])\s*import\s*[{*\w]", js, re.MULTILINE) is None and "https://" not in js
    licences = (STATIC / "sigma_view.LICENSES.txt").read_text(encoding="utf-8")
    for package in ("sigma 3.0.3 (MIT)", "graphology 0.26.0 (MIT)", "@sigma/node-border 3.0.0 (MIT)"):
        assert package in licences
    assert str(SigmaView._esm) == js


def test_graph_buffers_have_the_drawn_users_and_each_friendship_once(tmp_path):
    s = _stepped(0, tmp_path=tmp_path)
    g = s.model.graph
    v = SigmaView()
    sent = _recorded(v)
    assert v.set_graph(g, s.view.nodes, s.layout.xy, s.layout.key) is True
    k = s.view.nodes.size
    assert len(sent) == 1 and set(sent[0][0]["state"]) | set(sent[0][0]["buffer_paths"] and
                                                           [p[0] for p in sent[0][0]["buffer_paths"]]) >= GRAPH_TRAITS
    np.testing.assert_array_equal(_decode(v, "x", np.float32), s.layout.xy[:, 0].astype(np.float32))
    np.testing.assert_array_equal(_decode(v, "y", np.float32), s.layout.xy[:, 1].astype(np.float32))
    np.testing.assert_array_equal(_decode(v, "ids", np.int32), np.arange(k))
    pairs = _decode(v, "edges", np.int32).reshape(-1, 2)
    assert pairs.shape[0] == g.indices.size // 2  # an undirected friendship is stored twice in the CSR
    src = g.row_of_entry.astype(np.int64)
    want = {(int(a), int(b)) for a, b in zip(src, g.indices) if a < b}
    assert {(int(a), int(b)) for a, b in pairs} == want
    # the same layout is never sent twice
    assert v.set_graph(g, s.view.nodes, s.layout.xy, s.layout.key) is False and len(sent) == 1


def test_a_frame_sends_only_small_per_user_arrays_in_one_message(tmp_path):
    s = _stepped(8, tmp_path=tmp_path)
    v = _view_of(s)
    sent = _recorded(v)
    f = s.frame()
    drawn = v.show(f)
    assert len(sent) == 1  # one message (hold_sync), and no graph in it
    msg, buffers = sent[0]
    names = set(msg["state"]) | {p[0] for p in msg["buffer_paths"]}
    assert names <= FRAME_TRAITS and not names & GRAPH_TRAITS, names
    k = s.view.nodes.size
    assert sum(len(b) for b in buffers) < k * 20 + 12 * len(f.gifts) + 8 * f.counts["aware"] + 64
    states = _decode(v, "states", np.uint8)
    np.testing.assert_array_equal(states, user_states(s.model))
    sent_n, received_n = gift_counts(s.model)
    np.testing.assert_array_equal(_decode(v, "sent", np.int32), sent_n)
    np.testing.assert_array_equal(_decode(v, "received", np.int32), received_n)
    assert sent_n.sum() == s.model.ledger.column("sender").size > 0
    gifts = _decode(v, "gifts", np.int32).reshape(-1, 2)
    assert drawn == len(f.gifts) == gifts.shape[0] == f.gifts_drawn > 0
    np.testing.assert_array_equal(gifts[:, 0], f.gifts["sender"])  # every user drawn: rows are ids
    assert set(_decode(v, "gift_outcomes", np.uint8)) <= {int(o) for o in OUTCOME_COLOURS}
    assert v.palette == [STATE_COLOURS[u] for u in UserState] and v.state_names[UserState.SENDER] == "sender"
    before = v.frame
    v.show(s.frame())
    assert v.frame == before + 1  # the browser redraws on a new frame number


def test_a_click_rings_the_cascade_of_the_clicked_user(tmp_path):
    s = _stepped(10, tmp_path=tmp_path)
    v = _view_of(s)
    v.show(s.frame())

    def on_click(change):  # the explorer's wiring: choose the clicked user, show the new frame
        s.choose(None if change["new"] < 0 else change["new"])
        v.show(s.frame())

    v.observe(on_click, "clicked")
    child = int(np.flatnonzero(s.model.population.parent >= 0)[0])
    v.clicked = child  # as the browser sets it
    c = cascade_of(s.model, child)
    ring = _decode(v, "ring", np.int32)
    parent = _decode(v, "ring_parent", np.int32)
    np.testing.assert_array_equal(np.sort(ring), np.sort(c.members))
    np.testing.assert_array_equal(parent, c.parent)  # every user drawn: rows are ids
    assert s.chosen == child and ring.size == c.size >= 2
    sizes = _decode(v, "cascade_size", np.int32)
    assert np.all(sizes[c.members] == c.size) and sizes[child] == c.size
    unaware = int(np.flatnonzero(~s.model.population.aware)[0])
    assert sizes[unaware] == 0
    v.clicked = unaware  # not in a cascade: nothing ringed
    assert s.chosen == unaware and _decode(v, "ring", np.int32).size == 0
    s.choose(child)  # the cascade panel's choice reaches the view too
    v.show(s.frame())
    assert v.clicked == child and _decode(v, "ring", np.int32).size == c.size


def test_an_ego_subgraph_sends_only_drawn_users_gifts_and_members(tmp_path):
    s = _stepped(12, node_cap=120, tmp_path=tmp_path)
    v = _view_of(s)
    nodes = s.view.nodes
    f = s.frame()
    drawn = v.show(f)
    assert _decode(v, "ids", np.int32).tolist() == nodes.tolist()
    np.testing.assert_array_equal(_decode(v, "states", np.uint8), f.states[nodes])
    inside = np.isin(f.gifts["sender"], nodes) & np.isin(f.gifts["recipient"], nodes)
    assert drawn == int(inside.sum()) == f.gifts_drawn and drawn < len(f.gifts)
    rows = _decode(v, "gifts", np.int32).reshape(-1, 2)
    np.testing.assert_array_equal(nodes[rows[:, 0]], f.gifts["sender"].to_numpy()[inside])
    assert np.all(v.rows(np.setdiff1d(np.arange(400), nodes)) == -1)


def test_bad_graphs_and_early_frames_are_refused(tmp_path):
    s = _stepped(0, tmp_path=tmp_path)
    v = SigmaView()
    with pytest.raises(RuntimeError, match="before set_graph"):
        v.show(s.frame())
    with pytest.raises(ValueError, match="xy must have shape"):
        v.set_graph(s.model.graph, s.view.nodes, s.layout.xy[:10], s.layout.key)
    with pytest.raises(ValueError, match="at most 10,000 users"):
        v.set_graph(s.model.graph, np.arange(SIGMA_CAP + 1), np.zeros((SIGMA_CAP + 1, 2)), "big")


def test_friend_pairs_of_a_subset_are_the_induced_edges(tmp_path):
    g = _stepped(0, tmp_path=tmp_path).model.graph
    nodes = np.arange(0, 400, 3)
    pairs = friend_pairs(g, nodes)
    assert pairs.dtype == np.int32 and np.all(pairs[:, 0] < pairs[:, 1])
    got = {(int(nodes[a]), int(nodes[b])) for a, b in pairs}
    src = g.row_of_entry.astype(np.int64)
    keep = np.isin(src, nodes) & np.isin(g.indices, nodes) & (src < g.indices)
    assert got == {(int(a), int(b)) for a, b in zip(src[keep], g.indices[keep])}


def test_frames_carry_per_user_arrays_and_the_node_cap_is_the_interactive_views(tmp_path, monkeypatch):
    s = _stepped(5, tmp_path=tmp_path)
    f = s.frame()
    assert s.raster is None  # the browser draws it
    assert f.states.shape == f.sent.shape == f.received.shape == f.cascade_sizes.shape == (400,)
    np.testing.assert_array_equal(f.sent, gift_counts(s.model)[0])
    for bad in (0, SIGMA_CAP + 1, True, 1.5):
        with pytest.raises(ValueError, match=f"node cap must be an integer in 1..{SIGMA_CAP:,}"):
            _stepped(0, node_cap=bad, tmp_path=tmp_path)
    monkeypatch.setattr(session_module, "RASTER_FROM", 300)  # as if 400 users were above the view's most
    big = _stepped(5, node_cap=SIGMA_CAP, tmp_path=tmp_path)
    assert big.raster is not None and big.view.nodes.size == 400 and big.frame().sent.size == 0
