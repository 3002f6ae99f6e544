"""sim.model.arrays.first_occurrence is np.unique(..., return_index=True)[1] exactly."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.arrays import first_occurrence


@pytest.mark.parametrize("n, high, dtype", [(1, 5, np.int64), (50, 5, np.int64), (256, 5, np.int64),
                                            (10_000, 1_000, np.int64),
                                            (10_000, 2**31 - 1, np.int64), (5_000, 300, np.int32),
                                            (5_000, 300, np.uint16)])
def test_matches_numpy_unique(n, high, dtype):
    v = np.random.default_rng(n).integers(0, high, n).astype(dtype)
    expected = np.unique(v, return_index=True)[1]
    got = first_occurrence(v)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("v", [np.array([], dtype=np.int64), np.array([3, -1, 3, -1, 0]),
                               np.array([2**40, 5, 2**40]), np.array([1.0, 0.0, 1.0])])
def test_outside_the_packed_range_falls_back(v):
    np.testing.assert_array_equal(first_occurrence(v), np.unique(v, return_index=True)[1])


def test_first_of_repeats_wins():
    """The earliest position of each value, whatever the order of the later ones (a block
    of 300 values, past the small-array shortcut)."""
    v = np.tile(np.array([7, 3, 7, 7, 3, 1, 9, 1]), 40)[:300]
    np.testing.assert_array_equal(first_occurrence(v), [5, 1, 0, 6])
