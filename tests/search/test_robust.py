"""Robust measures of a search (sim.search.robust) on constructed per-draw values."""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments import Direction
from sim.search import Constraint, RobustnessMeasure
from sim.search.robust import (
    INFEASIBLE,
    constraint_value,
    draw_means,
    regret_reference,
    robust_value,
    told_direction,
    violations,
)

DRAWS = np.array([[1.0, 2.0, 3.0, 4.0, 5.0],
                  [5.0, 5.0, 5.0, 5.0, 0.0]])


def test_mean_and_worst_side_percentile():
    assert robust_value(DRAWS, Direction.MAXIMIZE, RobustnessMeasure()).tolist() == [3.0, 4.0]
    p10 = RobustnessMeasure("percentile", 10.0)
    # maximised: the 10th percentile (the bad tail is low); minimised: the 90th
    assert robust_value(DRAWS, Direction.MAXIMIZE, p10) == pytest.approx([1.4, 2.0])
    assert robust_value(DRAWS, Direction.MINIMIZE, p10) == pytest.approx([4.6, 5.0])


def test_regret_against_a_fixed_reference():
    ref = regret_reference(DRAWS, Direction.MAXIMIZE)
    assert ref.tolist() == [5.0, 5.0, 5.0, 5.0, 5.0]
    regret = RobustnessMeasure("regret")
    assert robust_value(DRAWS, Direction.MAXIMIZE, regret, ref).tolist() == [4.0, 5.0]
    # a later policy better than the reference in a draw has a negative shortfall there
    assert robust_value(np.array([[6.0, 6.0, 6.0, 6.0, 6.0]]), Direction.MAXIMIZE, regret, ref).tolist() == [-1.0]
    ref_min = regret_reference(DRAWS, Direction.MINIMIZE)
    assert ref_min.tolist() == [1.0, 2.0, 3.0, 4.0, 0.0]
    assert robust_value(DRAWS, Direction.MINIMIZE, regret, ref_min).tolist() == [5.0, 4.0]
    assert told_direction(Direction.MAXIMIZE, regret) is Direction.MINIMIZE
    with pytest.raises(ValueError, match="reference"):
        robust_value(DRAWS, Direction.MAXIMIZE, regret)


def test_constraints_use_the_side_towards_the_bound():
    p10 = RobustnessMeasure("percentile", 10.0)
    v = constraint_value(DRAWS, Constraint("x", high=4.0), p10)
    assert v[:, 1] == pytest.approx([4.6, 5.0]) and v[:, 0] == pytest.approx([1.4, 2.0])
    viol = violations({"x": DRAWS}, (Constraint("x", low=1.0, high=4.5),), p10)
    assert viol == pytest.approx(np.array([[1.0 - 1.4, 4.6 - 4.5], [1.0 - 2.0, 5.0 - 4.5]]))
    viol = violations({"x": np.array([[np.nan, 1.0]])}, (Constraint("x", high=4.5),), RobustnessMeasure())
    assert viol.tolist() == [[INFEASIBLE]]


def test_draw_means_ignore_undefined_runs():
    runs = np.array([[[1.0], [np.nan]], [[np.nan], [np.nan]]])  # (draws, replicates, outcomes)
    out = draw_means(runs)
    assert out[0, 0] == 1.0 and np.isnan(out[1, 0])
