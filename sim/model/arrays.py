"""Whole-array helpers the sub-steps share, faster than their numpy equivalents and with
the same results."""

from __future__ import annotations

import numpy as np

__all__ = ["first_occurrence"]

_ID_LIMIT = 2**31  # ids and positions packed into one int64 key: id << 32 | position
_SMALL = 256  # below, np.unique is as fast


def first_occurrence(values: np.ndarray) -> np.ndarray:
    """Position of the first occurrence of each distinct value, ordered by value: exactly
    ``np.unique(values, return_index=True)[1]``.

    numpy finds them with a stable argsort of ``values``; here one unstable sort of
    int64 keys ``value << 32 | position`` does (the smallest key of a value holds its
    first position), several times faster. Fewer than 256 values, values outside
    ``[0, 2**31)`` or more than ``2**31`` of them use ``np.unique``.

    Parameters
    ----------
    values : ndarray of int, shape (k,)

    Returns
    -------
    ndarray of int64, shape (number of distinct values,)
    """
    values = np.asarray(values)
    n = values.size
    if n < _SMALL or n >= _ID_LIMIT or values.dtype.kind not in "iu" or values.min() < 0 or values.max() >= _ID_LIMIT:
        return np.unique(values, return_index=True)[1].astype(np.int64, copy=False)
    key = values.astype(np.int64) << 32
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    head = np.empty(n, dtype=bool)
    head[0] = True
    hi = key >> 32
    np.not_equal(hi[1:], hi[:-1], out=head[1:])
    return key[head] & 0xFFFFFFFF
