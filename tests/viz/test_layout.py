"""The graph layout (networkit PivotMDS plus grid-force refinement): seeded, cached, in the
unit square, components packed apart, and friends drawn closer than strangers."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from sim.graph import read_edgelist
from sim.graph.csr import clean_edges, to_csr
from sim.viz.force_layout import force_layout
from sim.viz.layout import graph_layout, store_layout, subgraph_matrix

from ..conftest import FACEBOOK


def _graph(a, b, n):
    e = clean_edges(np.asarray(a), np.asarray(b), n_users=n, relabel=False)
    return to_csr(e, np.ones(e.a.size))


def _holme_kim(n=600, seed=3):
    import networkx as nx

    e = np.array(nx.powerlaw_cluster_graph(n, 3, 0.3, seed=seed).edges())
    return _graph(e[:, 0], e[:, 1], n)


def _friend_ratio(g, xy) -> float:
    """Mean distance of random pairs over mean distance of friends."""
    rows = g.row_of_entry
    keep = rows < g.indices
    friends = np.linalg.norm(xy[rows[keep]] - xy[g.indices[keep]], axis=1).mean()
    rng = np.random.default_rng(0)
    i, j = rng.integers(0, g.n_users, 20_000), rng.integers(0, g.n_users, 20_000)
    return float(np.linalg.norm(xy[i] - xy[j], axis=1).mean() / friends)


def test_same_seed_same_layout_and_another_seed_another(tmp_path):
    g = _holme_kim()
    a = graph_layout(g, seed=1, cache=tmp_path / "a")
    b = graph_layout(g, seed=1, cache=tmp_path / "b")
    c = graph_layout(g, seed=2, cache=tmp_path / "c")
    assert not a.cached and not b.cached
    np.testing.assert_array_equal(a.xy, b.xy)
    assert not np.allclose(a.xy, c.xy)


def test_second_call_is_a_cache_hit(tmp_path):
    g = _holme_kim()
    a = graph_layout(g, seed=0, cache=tmp_path)
    b = graph_layout(g, seed=0, cache=tmp_path)
    assert b.cached and b.key == a.key
    np.testing.assert_array_equal(a.xy, b.xy)
    assert len(list(tmp_path.glob("*.npy"))) == 1


def test_a_stored_layout_is_drawn_for_its_seed_only_and_bad_ones_are_refused(tmp_path):
    g = _holme_kim()
    mine = np.random.default_rng(5).random((g.n_users, 2))
    path = store_layout(g, mine, seed=4, cache=tmp_path)
    hit = graph_layout(g, seed=4, cache=tmp_path)
    assert hit.cached and hit.key == path.stem
    np.testing.assert_array_equal(hit.xy, mine)
    other = graph_layout(g, seed=5, cache=tmp_path)
    assert not other.cached and not np.allclose(other.xy, mine)
    part = np.arange(0, g.n_users, 2)
    store_layout(g, mine[part], part, seed=4, cache=tmp_path)
    np.testing.assert_array_equal(graph_layout(g, part, seed=4, cache=tmp_path).xy, mine[part])
    for bad in (mine[:-1], np.full_like(mine, np.nan)):
        with pytest.raises(ValueError, match=f"{g.n_users:,} users"):
            store_layout(g, bad, cache=tmp_path)


def test_positions_are_finite_in_the_unit_square(tmp_path):
    g = _holme_kim()
    xy = graph_layout(g, cache=tmp_path).xy
    assert xy.shape == (600, 2) and np.all(np.isfinite(xy))
    assert xy.min() >= 0.0 and xy.max() <= 1.0
    assert np.isclose(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1])), 1.0)  # fills the square one way
    assert np.unique(np.round(xy, 6), axis=0).shape[0] == 600  # no two users on one point


def test_friends_are_drawn_closer_than_strangers(tmp_path):
    g = _holme_kim()
    xy = graph_layout(g, cache=tmp_path).xy
    assert _friend_ratio(g, xy) > 1.8  # a small-world graph without communities: about 2.1
    random = np.random.default_rng(5).random((600, 2))
    assert _friend_ratio(g, random) < 1.2  # the check fails for a random layout


def test_facebook_graph_layout_is_readable(tmp_path):
    e = read_edgelist(FACEBOOK)
    g = to_csr(e, np.ones(e.a.size))
    xy = graph_layout(g, cache=tmp_path).xy
    assert xy.shape == (4039, 2) and np.all(np.isfinite(xy))
    assert _friend_ratio(g, xy) > 4.0


def test_disconnected_graph_components_are_packed_apart(tmp_path):
    # two Holme-Kim components of 300 and 200 users, a path of 5, a pair and 3 isolated users
    import networkx as nx

    e1 = np.array(nx.powerlaw_cluster_graph(300, 3, 0.3, seed=1).edges())
    e2 = np.array(nx.powerlaw_cluster_graph(200, 3, 0.3, seed=2).edges()) + 300
    path = np.array([[500, 501], [501, 502], [502, 503], [503, 504]])
    pair = np.array([[505, 506]])
    e = np.vstack([e1, e2, path, pair])
    g = _graph(e[:, 0], e[:, 1], 510)
    xy = graph_layout(g, cache=tmp_path).xy
    assert xy.shape == (510, 2) and np.all(np.isfinite(xy)) and xy.min() >= 0 and xy.max() <= 1
    groups = [np.arange(300), np.arange(300, 500), np.arange(500, 505), np.arange(505, 507)]
    boxes = [(xy[m].min(axis=0), xy[m].max(axis=0)) for m in groups]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            (lo1, hi1), (lo2, hi2) = boxes[i], boxes[j]
            overlap = np.all(lo1 < hi2) and np.all(lo2 < hi1)
            assert not overlap, (i, j)
    iso = xy[507:]
    assert np.unique(np.round(iso, 6), axis=0).shape[0] == 3  # isolated users apart
    big = np.ptp(xy[:300], axis=0).max()
    assert big > np.ptp(xy[300:500], axis=0).max() > np.ptp(xy[500:505], axis=0).max()  # area follows size
    assert _friend_ratio(g, xy) > 1.8


def test_force_layout_of_an_empty_and_a_one_user_graph():
    assert force_layout(sp.csr_array((0, 0))).shape == (0, 2)
    xy = force_layout(sp.csr_array((1, 1)))
    assert xy.shape == (1, 2) and np.all(np.isfinite(xy)) and xy.min() >= 0 and xy.max() <= 1


def test_layout_of_an_ego_subgraph_uses_its_own_edges(tmp_path):
    g = _holme_kim()
    nodes = np.arange(0, 600, 2)
    lay = graph_layout(g, nodes, cache=tmp_path)
    assert lay.xy.shape == (300, 2)
    assert subgraph_matrix(g, nodes).shape == (300, 300)
