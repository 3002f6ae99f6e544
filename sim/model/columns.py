"""Append-only columnar buffers: the storage shared by the gift ledger and the
invitation log (and any later event record), growable numpy columns of fixed dtypes."""

from __future__ import annotations

import numpy as np

__all__ = ["ColumnBuffer"]


class ColumnBuffer:
    """Growable numpy columns of the dtypes in ``columns``; row numbers are ids.

    Parameters
    ----------
    columns : dict of str to numpy.dtype
        The column names and dtypes.
    capacity : int
        Rows allocated at first (at least 16); capacity doubles as rows are added, so
        adding k rows is amortised O(k).
    id_column : str
        Name given to the row numbers (int64) by :meth:`to_columns`.
    """

    def __init__(self, columns: dict[str, np.dtype], capacity: int = 1024, *, id_column: str = "id") -> None:
        self._cap = max(16, int(capacity))
        self._n = 0
        self._id_column = id_column
        self._cols = {k: np.empty(self._cap, dtype=dt) for k, dt in columns.items()}

    def __len__(self) -> int:
        return self._n

    def column(self, name: str) -> np.ndarray:
        """The filled part of column ``name`` (a view; do not resize)."""
        return self._cols[name][: self._n]

    def set(self, name: str, ids: np.ndarray, values) -> None:
        """Write ``values`` to column ``name`` at rows ``ids``."""
        self._cols[name][ids] = values

    def add_rows(self, k: int, values: dict[str, object]) -> np.ndarray:
        """Add ``k`` rows holding ``values`` (a scalar or a (k,) array per column; every
        column must be given); return their ids (int64, shape (k,))."""
        lo, hi = self._n, self._n + k
        self._grow(hi)
        for name, col in self._cols.items():
            col[lo:hi] = values[name]
        self._n = hi
        return np.arange(lo, hi, dtype=np.int64)

    def to_columns(self) -> dict[str, np.ndarray]:
        """Copies of all filled columns, after the row ids (int64) under ``id_column``."""
        out = {self._id_column: np.arange(self._n, dtype=np.int64)}
        out.update({k: v[: self._n].copy() for k, v in self._cols.items()})
        return out

    def _grow(self, need: int) -> None:
        if need <= self._cap:
            return
        cap = self._cap
        while cap < need:
            cap *= 2
        for k, arr in self._cols.items():
            new = np.empty(cap, dtype=arr.dtype)
            new[: self._n] = arr[: self._n]
            self._cols[k] = new
        self._cap = cap
