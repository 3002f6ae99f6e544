"""The gift ledger: every gift of a run in columnar, growable numpy buffers."""

from __future__ import annotations

import numpy as np

from .states import GiftOutcome

__all__ = ["GiftLedger", "GIFT_COLUMNS"]

GIFT_COLUMNS: dict[str, np.dtype] = {
    "sender": np.dtype(np.int32),
    "recipient": np.dtype(np.int32),
    "merchant": np.dtype(np.int32),
    "price": np.dtype(np.float64),  # RMB
    "tie": np.dtype(np.float32),  # tie strength of the sender-recipient friendship
    "source": np.dtype(np.int8),  # GiftSource
    "step_sent": np.dtype(np.int32),
    "deadline": np.dtype(np.int32),  # last step on which it can be accepted
    "outcome": np.dtype(np.int8),  # GiftOutcome
    "step_settled": np.dtype(np.int32),  # -1 while pending
    "seen": np.dtype(np.bool_),  # the recipient opened the gift box
    "returned": np.dtype(np.bool_),  # accepted, then returned to the merchant
}
"""Columns of the ledger and their dtypes."""


class GiftLedger:
    """Append-only columnar record of gifts, with the index of those still pending.

    Gift ids are row numbers, in the order gifts were sent. Columns are
    :data:`GIFT_COLUMNS`; read them with :meth:`column` (a view of the filled rows).

    Notes
    -----
    Appending k gifts is amortised O(k) (capacity doubles); a step touches only its
    new and pending gifts.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._cap = max(16, int(capacity))
        self._n = 0
        self._cols = {k: np.empty(self._cap, dtype=dt) for k, dt in GIFT_COLUMNS.items()}
        self.pending = np.empty(0, dtype=np.int64)
        """Ids of gifts still pending, ascending (int64)."""

    def __len__(self) -> int:
        return self._n

    def column(self, name: str) -> np.ndarray:
        """The filled part of column ``name`` (a view; do not resize)."""
        return self._cols[name][: self._n]

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

    def append(self, *, sender, recipient, merchant, price, tie, source, step: int,
               deadline: int) -> np.ndarray:
        """Record new pending gifts; return their ids (int64, shape (k,))."""
        k = int(np.shape(sender)[0])
        lo, hi = self._n, self._n + k
        self._grow(hi)
        c = self._cols
        c["sender"][lo:hi] = sender
        c["recipient"][lo:hi] = recipient
        c["merchant"][lo:hi] = merchant
        c["price"][lo:hi] = price
        c["tie"][lo:hi] = tie
        c["source"][lo:hi] = source
        c["step_sent"][lo:hi] = step
        c["deadline"][lo:hi] = deadline
        c["outcome"][lo:hi] = GiftOutcome.PENDING
        c["step_settled"][lo:hi] = -1
        c["seen"][lo:hi] = False
        c["returned"][lo:hi] = False
        self._n = hi
        ids = np.arange(lo, hi, dtype=np.int64)
        self.pending = np.concatenate([self.pending, ids])
        return ids

    def settle(self, ids: np.ndarray, outcome: GiftOutcome, step: int) -> None:
        """Mark pending gifts ``ids`` as ended with ``outcome`` on ``step``.

        Raises
        ------
        ValueError
            If a gift is not pending (a gift ends exactly once).
        """
        if ids.size == 0:
            return
        if np.any(self._cols["outcome"][ids] != GiftOutcome.PENDING):
            raise ValueError("a gift can end only once")
        self._cols["outcome"][ids] = outcome
        self._cols["step_settled"][ids] = step

    def drop_settled(self) -> None:
        """Remove ended gifts from :attr:`pending`."""
        still = self._cols["outcome"][self.pending] == GiftOutcome.PENDING
        self.pending = self.pending[still]

    def set(self, name: str, ids: np.ndarray, values) -> None:
        """Write ``values`` to column ``name`` at ``ids``."""
        self._cols[name][ids] = values

    def to_columns(self) -> dict[str, np.ndarray]:
        """Copies of all filled columns, plus ``gift_id``."""
        out = {"gift_id": np.arange(self._n, dtype=np.int64)}
        out.update({k: v[: self._n].copy() for k, v in self._cols.items()})
        return out
