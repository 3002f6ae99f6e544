"""The invitation log: every induced-sharing invitation of a run in columnar, growable
numpy buffers (the invitation counterpart of :mod:`sim.model.gifts`)."""

from __future__ import annotations

import numpy as np

from .columns import ColumnBuffer
from .states import InvitationOutcome

__all__ = ["InvitationLog", "INVITATION_COLUMNS"]

INVITATION_COLUMNS: dict[str, np.dtype] = {
    "inviter": np.dtype(np.int32),  # the sender induced to share the product link
    "invitee": np.dtype(np.int32),  # the friend who received it
    "merchant": np.dtype(np.int32),  # the product the link leads to
    "step_sent": np.dtype(np.int32),
    "outcome": np.dtype(np.int8),  # InvitationOutcome
    "step_ended": np.dtype(np.int32),  # when the outcome was decided; -1 while pending
    "made_aware": np.dtype(np.bool_),  # the visit made the invitee aware (parent = inviter)
}
"""Columns of the log and their dtypes."""


class InvitationLog(ColumnBuffer):
    """Append-only columnar record of invitations.

    Invitation ids are row numbers, in the order invitations were sent (within a step, in
    the order of the senders' gifts in the ledger, ``fanout`` per sender). Columns are
    :data:`INVITATION_COLUMNS`; read them with :meth:`column` (a view of the filled rows).

    Notes
    -----
    Appending k invitations is amortised O(k) (capacity doubles); ending k is O(k).
    Nothing here draws a random number: the log only records what the model decided.
    """

    def __init__(self, capacity: int = 1024) -> None:
        super().__init__(INVITATION_COLUMNS, capacity, id_column="invitation_id")

    def append(self, *, inviter, invitee, merchant, step: int) -> np.ndarray:
        """Record new pending invitations (arrays of shape (k,)); return their ids (int64, (k,))."""
        return self.add_rows(int(np.shape(inviter)[0]), dict(
            inviter=inviter, invitee=invitee, merchant=merchant, step_sent=step,
            outcome=InvitationOutcome.PENDING, step_ended=-1, made_aware=False))

    def end(self, ids: np.ndarray, outcome, step: int) -> None:
        """Give pending invitations ``ids`` their ``outcome`` (one InvitationOutcome, or an
        int8 array of shape (k,)) on ``step``.

        Raises
        ------
        ValueError
            If an invitation is not pending (an invitation ends exactly once), or an
            outcome is PENDING.
        """
        if ids.size == 0:
            return
        if np.any(self._cols["outcome"][ids] != InvitationOutcome.PENDING):
            raise ValueError("an invitation can end only once")
        if np.any(np.asarray(outcome) == InvitationOutcome.PENDING):
            raise ValueError("an invitation cannot end as pending")
        self._cols["outcome"][ids] = outcome
        self._cols["step_ended"][ids] = step

    def mark_made_aware(self, ids: np.ndarray) -> None:
        """Record that the visits of invitations ``ids`` (visited) made their invitees aware.

        Raises
        ------
        ValueError
            If an invitation was not visited (only a visit can make its invitee aware).
        """
        if ids.size == 0:
            return
        if np.any(self._cols["outcome"][ids] != InvitationOutcome.VISITED):
            raise ValueError("only a visited invitation can make its invitee aware")
        self._cols["made_aware"][ids] = True
