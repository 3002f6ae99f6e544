"""Graph input: edge lists, GraphML/GML, counted clean-ups, generators, CSR and sampling."""

from __future__ import annotations

import gzip

import networkx as nx
import numpy as np
import pytest
from scipy import stats

from sim.graph import CSRGraph, GraphConfigError, GraphFileError, build_graph, clean_edges, read_edgelist, to_csr
from sim.scenario import ScenarioError, validate_scenario

from ..conftest import FACEBOOK


def graph_of(cfg: dict, seed: int = 0) -> CSRGraph:
    sc = validate_scenario({"name": "g", "graph": cfg})
    return build_graph(sc.graph, rng=np.random.default_rng(seed))


def test_facebook_graph_matches_snap_figures():
    e = read_edgelist(FACEBOOK)
    assert e.n_users == 4039 and e.a.size == 88234
    assert e.report.self_loops == 0 and e.report.duplicates == 0 and not e.report.relabelled
    g = graph_of({"kind": "edgelist", "path": str(FACEBOOK)})
    k = g.degree.astype(np.float64)
    # ../shared/data/README.md: mean degree 43.69, mean squared degree 4656.14
    assert round(k.mean(), 2) == 43.69 and round((k**2).mean(), 2) == 4656.14
    assert g.indptr.dtype == np.int64 and g.indices.dtype == np.int32 and g.weights.dtype == np.float32
    assert g.indptr.shape == (4040,) and g.indices.shape == (2 * 88234,)


def test_email_eu_core_directed_cleanup_is_counted(shared_data):
    e = read_edgelist(shared_data / "email-Eu-core.txt.gz")
    # 25,571 directed lines, 642 self-loops (../shared/data/README.md)
    assert e.report.edges_read == 25571 and e.report.self_loops == 642
    assert e.report.duplicates == 25571 - 642 - e.a.size  # reciprocated pairs merged
    g = nx.read_edgelist(gzip.open(shared_data / "email-Eu-core.txt.gz", "rt"), nodetype=int)
    g.remove_edges_from(nx.selfloop_edges(g))
    assert e.a.size == g.number_of_edges() and e.n_users == g.number_of_nodes() == 1005
    lines = " ".join(e.report.lines())
    assert "642 self-loops dropped" in lines and "duplicate edges dropped" in lines


def test_edgelist_cleanup_counts_and_relabels(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("# comment\n10 20\n20 10\n10 10\n% other comment\n30 20 \n\n10 20\n")
    e = read_edgelist(p)
    assert (e.report.edges_read, e.report.self_loops, e.report.duplicates) == (5, 1, 2)
    assert e.report.relabelled and e.labels.tolist() == [10, 20, 30]
    assert sorted(zip(e.a.tolist(), e.b.tolist())) == [(0, 1), (1, 2)]


def test_weight_column_becomes_tie_strength(tmp_path):
    p = tmp_path / "w.txt.gz"
    with gzip.open(p, "wt") as fh:
        fh.write("0 1 2.0\n1 2 4.0\n2 0 1.0\n")
    g = graph_of({"kind": "edgelist", "path": str(p), "tie_strength": "file"})
    w = {(int(u), int(v)): float(x) for u, v, x in zip(g.row_of_entry, g.indices, g.weights)}
    assert w[(0, 1)] == w[(1, 0)] == 0.5 and w[(1, 2)] == 1.0 and w[(0, 2)] == 0.25


def test_file_weights_required_for_file_ties(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("0 1\n")
    with pytest.raises(GraphFileError, match="no weights"):
        graph_of({"kind": "edgelist", "path": str(p), "tie_strength": "file"})


@pytest.mark.parametrize("content, fragment", [
    ("0 1\n1 x\n", "line 2: node id 'x' is not an integer"),
    ("0 1\n1 2 3 4\n", "line 2: 4 columns"),
    ("0 1\n1 2 0.5\n", "line 2: 3 columns, but earlier lines have 2"),
    ("0 1\n-1 2\n", "line 2: node id -1 out of range"),
    ("0 1\n1 99999999999999999999\n", "line 2: node id 99999999999999999999 out of range"),
    ("0 1 1.0\n1 2 -2\n", "line 2: weight -2 must be a finite number > 0"),
    ("# only comments\n\n", "no edges"),
    ("", "no edges"),
])
def test_bad_edgelists_name_the_line(tmp_path, content, fragment):
    p = tmp_path / "bad.txt"
    p.write_text(content)
    with pytest.raises(GraphFileError) as info:
        read_edgelist(p)
    assert str(p) in str(info.value) and fragment in str(info.value)


def test_missing_and_truncated_files(tmp_path):
    with pytest.raises(GraphFileError, match="no such graph file"):
        read_edgelist(tmp_path / "nope.txt")
    data = gzip.compress(b"0 1\n" * 10000)
    p = tmp_path / "cut.txt.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(GraphFileError, match="truncated gzip"):
        read_edgelist(p)


@pytest.mark.parametrize("kind", ["graphml", "gml"])
def test_networkx_formats(tmp_path, kind):
    g = nx.DiGraph()
    g.add_weighted_edges_from([("a", "b", 2.0), ("b", "a", 2.0), ("b", "c", 1.0), ("c", "c", 1.0)])
    p = tmp_path / f"g.{kind}"
    (nx.write_graphml if kind == "graphml" else nx.write_gml)(g, p)
    csr = graph_of({"kind": kind, "path": str(p), "tie_strength": "file"})
    assert csr.n_users == 3 and csr.n_friendships == 2
    assert csr.report.directed and csr.report.self_loops == 1 and csr.report.duplicates == 1


def test_generators_are_seeded_and_have_the_right_size():
    ba = graph_of({"kind": "barabasi_albert", "n": 500, "m": 3})
    assert ba.n_users == 500 and ba.n_friendships == 3 * (500 - 3)
    assert np.array_equal(ba.indices, graph_of({"kind": "barabasi_albert", "n": 500, "m": 3}).indices)
    assert not np.array_equal(ba.indices, graph_of({"kind": "barabasi_albert", "n": 500, "m": 3}, seed=1).indices)
    ws = graph_of({"kind": "watts_strogatz", "n": 300, "k": 6, "p": 0.1})
    assert ws.n_friendships == 300 * 3
    hk = graph_of({"kind": "holme_kim", "n": 300, "m": 3, "p": 0.5})
    assert hk.n_users == 300
    assert nx.average_clustering(hk.to_networkx()) > 3 * nx.average_clustering(
        graph_of({"kind": "barabasi_albert", "n": 300, "m": 3}).to_networkx())
    sbm = graph_of({"kind": "sbm", "sizes": [100, 100], "p_in": 0.2, "p_out": 0.0})
    assert sbm.n_users == 200 and np.all((sbm.row_of_entry < 100) == (sbm.indices < 100))
    k = graph_of({"kind": "complete", "n": 20})
    assert k.n_friendships == 190 and np.all(k.degree == 19)


def test_configuration_model_counts_what_it_drops():
    g = graph_of({"kind": "configuration", "n": 2000, "degree": "poisson", "mean_degree": 4.0})
    r = g.report
    assert g.n_users == 2000
    stubs = r.edges_read * 2
    assert g.n_friendships == r.edges_read - r.self_loops - r.duplicates
    assert abs(stubs / 2000 - 4.0) < 0.2
    seq = graph_of({"kind": "configuration", "degree_sequence": [3, 3, 2, 2, 2]})
    assert seq.n_users == 5
    # a degree above n - 1 is lowered, and the report says so
    clipped = graph_of({"kind": "configuration", "degree_sequence": [5, 1]})
    assert clipped.n_friendships == 1
    assert "1 degree(s) above n - 1 = 1 lowered to 1" in clipped.report.notes


def test_generator_parameter_errors():
    # the schema refuses them, naming the key ...
    with pytest.raises(ScenarioError, match=r"graph\.m = 5: must be below n = 3, the number of users; "
                       r"allowed: 1 <= m < n"):
        graph_of({"kind": "barabasi_albert", "n": 3, "m": 5})
    # ... and the generator still does for a config built without validation
    from sim.graph import generate
    from sim.scenario.schema import BarabasiAlbert

    with pytest.raises(GraphConfigError, match="m < n"):
        generate(BarabasiAlbert.model_construct(kind="barabasi_albert", n=3, m=5, engine="auto"),
                 rng=np.random.default_rng(0))


def test_sample_friends_is_proportional_to_tie_strength():
    e = clean_edges(np.array([0, 0, 0]), np.array([1, 2, 3]), relabel=False)
    g = to_csr(e, np.array([0.1, 0.3, 0.6]))
    rng = np.random.default_rng(3)
    picks = g.sample_friends(np.zeros(60_000, dtype=np.int64), rng)
    counts = np.bincount(g.indices[picks], minlength=4)[1:]
    assert stats.chisquare(counts, 60_000 * np.array([0.1, 0.3, 0.6])).pvalue > 0.001
    excl = g.sample_friends(np.zeros(5000, dtype=np.int64), rng, exclude=np.full(5000, 3))
    assert np.all(g.indices[excl] != 3)
    leaf = g.sample_friends(np.array([1]), rng, exclude=np.array([0]))
    assert leaf[0] == -1  # user 1's only friend is excluded


def test_csr_is_symmetric_with_sorted_rows():
    g = graph_of({"kind": "barabasi_albert", "n": 200, "m": 2})
    pairs = set(zip(g.row_of_entry.tolist(), g.indices.tolist()))
    assert all((v, u) in pairs for u, v in pairs)
    for u in range(g.n_users):
        row = g.indices[g.indptr[u]:g.indptr[u + 1]]
        assert np.all(np.diff(row) > 0)
    w = dict(zip(zip(g.row_of_entry.tolist(), g.indices.tolist()), g.weights.tolist()))
    assert all(w[(u, v)] == w[(v, u)] for u, v in pairs)
    assert g.weights.min() > 0 and g.weights.max() <= 1


def test_numpy_barabasi_albert_matches_the_degree_law():
    # BA degree distribution: P(k >= K) = m (m + 1) / (K (K + 1)) for K >= m (Bollobás et al. 2001)
    g = graph_of({"kind": "barabasi_albert", "n": 200_000, "m": 5, "engine": "numpy"}, seed=4)
    k = g.degree
    assert g.n_users == 200_000
    assert g.n_friendships == 200_000 * 5 - g.report.self_loops - g.report.duplicates
    assert g.report.self_loops + g.report.duplicates < 0.001 * 200_000 * 5
    assert abs(k.mean() - 10) < 0.05
    for big_k in (20, 50):
        expected = 5 * 6 / (big_k * (big_k + 1))
        assert abs((k >= big_k).mean() / expected - 1) < 0.15, big_k
    assert "numpy Batagelj-Brandes" in " ".join(g.report.lines())


def test_numpy_watts_strogatz():
    g0 = graph_of({"kind": "watts_strogatz", "n": 1000, "k": 6, "p": 0.0, "engine": "numpy"})
    assert g0.n_friendships == 3000 and np.all(g0.degree == 6)
    g = graph_of({"kind": "watts_strogatz", "n": 50_000, "k": 10, "p": 0.2, "engine": "numpy"})
    assert g.n_friendships == 250_000 - g.report.self_loops - g.report.duplicates
    assert abs(g.degree.mean() - 10) < 0.05
