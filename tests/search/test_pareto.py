"""Pareto fronts of a search (sim.search.pareto): dominance with constraints, exact
hypervolume of known sets (and against Optuna's own on random ones), and the noise flags
of a re-evaluated front on constructed runs."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments import Direction
from sim.search.pareto import (
    constrained_ranks,
    dominates,
    front_mask,
    hypervolume,
    interval,
    minimisation_form,
    noise_peers,
    normalised_hypervolume,
)


def test_dominance_and_fronts_with_constraints():
    assert dominates(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert not dominates(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert not dominates(np.array([0.0, 3.0]), np.array([1.0, 2.0]))
    values = np.array([[1.0, 1.0],   # infeasible, would dominate everything
                       [2.0, 2.0],   # feasible: front
                       [3.0, 1.5],   # feasible: front
                       [3.0, 3.0],   # feasible, dominated by 1
                       [0.5, 0.5],   # infeasible, less violation than 0
                       [np.nan, 0.0]])
    violation = np.array([2.0, 0.0, -1.0, 0.0, 1.0, 0.0])
    ranks = constrained_ranks(values, violation)
    assert ranks.tolist() == [3, 0, 0, 1, 2, 4]
    assert front_mask(values, violation <= 0).tolist() == [False, True, True, False, False, False]
    # maximised objectives are negated
    assert minimisation_form(np.array([[1.0, 2.0]]), [Direction.MAXIMIZE, Direction.MINIMIZE]).tolist() == [[-1.0, 2.0]]


def test_hypervolume_of_known_sets():
    assert hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), np.array([4.0, 4.0])) == pytest.approx(6.0)
    # a dominated point and one beyond the reference add nothing
    pts = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0], [5.0, 0.0]])
    assert hypervolume(pts, np.array([4.0, 4.0])) == pytest.approx(6.0)
    assert hypervolume(np.array([[0.0, 0.0, 0.0]]), np.array([1.0, 2.0, 3.0])) == pytest.approx(6.0)
    # two boxes of 4 and 2 overlapping in 1
    assert hypervolume(np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]), np.array([2.0, 2.0, 2.0])) == pytest.approx(5.0)
    assert hypervolume(np.zeros((0, 2)), np.array([1.0, 1.0])) == 0.0
    # normalised: the ideal corner alone fills the box; scale-free
    assert normalised_hypervolume(np.array([[0.0, 10.0]]), np.array([0.0, 10.0]), np.array([1.0, 20.0])) == 1.0
    assert normalised_hypervolume(np.array([[1.0, 20.0]]), np.array([0.0, 10.0]),
                                  np.array([1.0, 20.0])) == pytest.approx(0.01 / 1.21)
    assert np.isnan(normalised_hypervolume(np.zeros((0, 2)), np.zeros(2), np.ones(2)))


@pytest.mark.parametrize("k", [2, 3])
def test_hypervolume_matches_optunas_on_random_sets(k):
    from optuna._hypervolume import compute_hypervolume  # a reference implementation, for this test only

    rng = np.random.default_rng(k)
    for _ in range(20):
        pts = rng.random((12, k))
        ref = np.full(k, 1.2)
        mask = front_mask(pts, np.ones(len(pts), bool))
        assert hypervolume(pts, ref) == pytest.approx(compute_hypervolume(pts[mask], ref), rel=1e-12)


def test_interval_is_students_t():
    m, lo, hi = interval(np.array([1.0, 2.0, 3.0, 4.0]))
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2.0
    assert (m, lo, hi) == pytest.approx((2.5, 2.5 - half, 2.5 + half))
    assert np.isnan(interval(np.array([1.0]))[1])


def test_noise_flags_on_constructed_runs():
    rng = np.random.default_rng(0)
    n = 40
    base = rng.normal(0.0, 1.0, (n, 2))  # common random numbers: every policy shares these
    a = base + [0.0, 1.0]
    b = base + [1.0, 0.0]            # worse than a on objective 0, better on 1: both resolved
    c = a + rng.normal(0.0, 0.01, (n, 2))  # a within noise: neither significantly worse anywhere
    d = base + [3.0, 3.0]            # worse than all on both
    peers = noise_peers(np.stack([a, b, c, d]))
    assert peers == [[2], [], [0], [0, 1, 2]]
