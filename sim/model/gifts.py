"""The gift ledger: every gift of a run in columnar, growable numpy buffers."""

from __future__ import annotations

import numpy as np

from .columns import ColumnBuffer
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
    "withheld": np.dtype(np.bool_),  # not delivered (a paired run's treatment): never seen, expires, refunded
    "group": np.dtype(np.int32),  # the chat group of a group gift's unit, -1 for a person-to-person gift
}
"""Columns of the ledger and their dtypes."""


class GiftLedger(ColumnBuffer):
    """Append-only columnar record of gifts, with the index of those still pending.

    Gift ids are row numbers, in the order gifts were sent. Columns are
    :data:`GIFT_COLUMNS`; read them with :meth:`column` (a view of the filled rows).
    A group gift is one row per claimable unit (share), ``group`` >= 0, recipient -1 until
    claimed; its pending units are not in :attr:`pending` but kept by the groups sub-step
    (:mod:`sim.model.steps.groups`).

    Notes
    -----
    Appending k gifts is amortised O(k) (capacity doubles); a step touches only its
    new and pending gifts.
    """

    def __init__(self, capacity: int = 1024) -> None:
        super().__init__(GIFT_COLUMNS, capacity, id_column="gift_id")
        self.pending = np.empty(0, dtype=np.int64)
        """Ids of gifts still pending, ascending (int64)."""

    def append(self, *, sender, recipient, merchant, price, tie, source, step: int,
               deadline: int, group=-1, index_pending: bool = True) -> np.ndarray:
        """Record new pending gifts; return their ids (int64, shape (k,)). ``group``: the
        chat group of group-gift units (-1: person to person); ``index_pending`` False leaves
        them out of :attr:`pending` (group units: their sub-step keeps them)."""
        ids = self.add_rows(int(np.shape(sender)[0]), dict(
            sender=sender, recipient=recipient, merchant=merchant, price=price, tie=tie, source=source,
            step_sent=step, deadline=deadline, outcome=GiftOutcome.PENDING, step_settled=-1, seen=False,
            returned=False, withheld=False, group=group))
        if index_pending:
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
