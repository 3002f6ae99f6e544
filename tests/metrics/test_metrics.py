"""Cascade and concentration metrics against closed forms."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.metrics import (
    cascade_table,
    forest_depth,
    forest_roots,
    gini,
    hhi,
    lorenz_curve,
    restrict,
    structural_virality,
    subtree_sizes,
    top_k_share,
)


@pytest.mark.parametrize("n", [2, 3, 10, 101])
def test_structural_virality_star_and_path(n):
    star = np.r_[-1, np.zeros(n - 1, dtype=np.int64)]
    path = np.r_[-1, np.arange(n - 1)]
    assert structural_virality(star) == pytest.approx(2 * (n - 1) / n)
    assert structural_virality(path) == pytest.approx((n + 1) / 3)


def test_structural_virality_matches_networkx_on_random_trees():
    rng = np.random.default_rng(0)
    for n in (5, 40, 300):
        parent = np.r_[-1, [rng.integers(0, i) for i in range(1, n)]]
        perm = rng.permutation(n)  # node labels in any order
        inv = np.argsort(perm)
        relabelled = np.where(parent[inv] >= 0, perm[parent[inv].clip(0)], -1)
        g = nx.Graph([(int(perm[i]), int(perm[parent[i]])) for i in range(1, n)])
        assert structural_virality(relabelled) == pytest.approx(nx.average_shortest_path_length(g))


def test_forest_functions():
    parent = np.array([-1, 0, 0, 1, -1, 4, -2, 5])
    assert forest_depth(parent).tolist() == [0, 1, 1, 2, 0, 1, -1, 2]
    assert forest_roots(parent).tolist() == [0, 0, 0, 0, 4, 4, -1, 4]
    assert subtree_sizes(parent).tolist() == [4, 2, 1, 1, 3, 2, 0, 1]
    t = cascade_table(parent)
    assert t["root"].tolist() == [0, 4] and t["size"].tolist() == [4, 3] and t["depth"].tolist() == [2, 2]
    assert t["structural_virality"].tolist() == pytest.approx([10 / 6, 4 / 3])
    with pytest.raises(ValueError, match="cycle"):
        forest_depth(np.array([1, 0]))
    with pytest.raises(ValueError, match="closed"):
        restrict(np.array([-1, 0]), np.array([False, True]))


def test_concentration_closed_forms():
    assert hhi(np.ones(8)) == pytest.approx(1 / 8)
    assert hhi(np.r_[1.0, np.zeros(7)]) == 1.0
    assert gini(np.ones(8)) == pytest.approx(0.0)
    assert gini(np.r_[1.0, np.zeros(7)]) == pytest.approx(1 - 1 / 8)
    assert gini(np.array([1.0, 2.0, 3.0, 4.0])) == pytest.approx(0.25)
    assert top_k_share(np.arange(1, 11.0), 3) == pytest.approx(27 / 55)
    # no GMV: no shares, so concentration is undefined (NaN), not "perfectly even" (0)
    for f in (hhi, gini, lambda v: top_k_share(v, 10)):
        assert np.isnan(f(np.zeros(4))) and np.isnan(f(np.array([])))
    x, y = lorenz_curve(np.array([1.0, 3.0]))
    assert x.tolist() == [0, 0.5, 1] and y.tolist() == [0, 0.25, 1]
    with pytest.raises(ValueError):
        hhi(np.array([1.0, -1.0]))


def test_days_to_half_adoption():
    from sim.metrics.summary import _half_adoption_days

    assert _half_adoption_days(np.array([0, 1, 2, 9]), 1) == 2.0  # 2 of 4 had sent by the end of day 2
    assert _half_adoption_days(np.array([5, 0, 3]), 1) == 4.0
    assert _half_adoption_days(np.array([0, 1, 2, 9]), 24) == pytest.approx(2 / 24)
    assert np.isnan(_half_adoption_days(np.array([], dtype=np.int32), 1))


def test_outcome_interval_uses_the_defined_runs_and_clips():
    from scipy import stats

    from sim.metrics import clip_interval, outcome_interval

    x = np.array([0.7, np.nan, 0.9, 0.8, np.nan])
    m, lo, hi, n = outcome_interval(x, "acceptance_rate")
    d = np.array([0.7, 0.9, 0.8])
    want_lo, want_hi = stats.t.interval(0.95, 2, loc=d.mean(), scale=stats.sem(d))
    assert n == 3 and m == pytest.approx(0.8)
    assert lo == pytest.approx(want_lo) and hi == 1.0 < want_hi  # clipped to the share's range
    one = outcome_interval([np.nan, 0.5], "acceptance_rate")
    assert one.n == 1 and one.mean == 0.5 and np.isnan(one.lo) and np.isnan(one.hi)
    none = outcome_interval([np.nan, np.nan], "acceptance_rate")
    assert none.n == 0 and np.isnan(none.mean) and np.isnan(none.lo)
    assert clip_interval("gmv_rmb", -5.0, 7.0) == (0.0, 7.0)
    assert clip_interval("not_an_outcome", -5.0, 7.0) == (-5.0, 7.0)
    lo, hi = clip_interval("hhi", np.nan, np.nan)
    assert np.isnan(lo) and np.isnan(hi)


def test_gifts_per_visit_is_not_clipped_to_one():
    # gifts sent back or paid forward need no product-page visit, so the ratio can pass 1
    from sim.metrics import OUTCOME_RANGE

    assert OUTCOME_RANGE["gifts_per_visit"] == (0.0, float("inf"))
    assert OUTCOME_RANGE["acceptance_rate"] == (0.0, 1.0)


@pytest.mark.parametrize("parent", [[0], [1, 0], [-1, 2, 1]])
def test_forest_roots_refuses_a_cycle(parent):
    from sim.metrics.cascades import forest_roots

    with pytest.raises(ValueError, match="cycle"):
        forest_roots(np.array(parent))


def test_concentration_inputs_are_checked_alike():
    from sim.metrics import lorenz_curve

    for bad in ([-1.0, 2.0], [np.nan, 1.0]):
        for fn in (hhi, gini, top_k_share, lorenz_curve):
            with pytest.raises(ValueError, match="finite and >= 0"):
                fn(np.array(bad))
    with pytest.raises(ValueError, match="one-dimensional"):
        hhi(np.ones((2, 2)))
    with pytest.raises(ValueError, match="k must be >= 1"):
        top_k_share(np.array([1.0, 2.0]), k=-1)
