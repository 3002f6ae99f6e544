"""Pay-forward intents kept for later: a recipient who sends a gift back and also decides
to pay the gift forward pays it forward at a later active step (issue 14, Kizilcec et al.
2018: most receivers pay forward rather than reciprocate)."""

from __future__ import annotations

import numpy as np

__all__ = ["PendingForwards"]


class PendingForwards:
    """Pending pay-forward intents, one row each (int64 arrays of equal length).

    Attributes
    ----------
    user, merchant, giver : ndarray of int64
        Who pays forward, the product (the gift received; -1 for cash) and the friend the
        gift came from (not drawn as the recipient).
    due, deadline : ndarray of int64
        The first step at which the intent may be acted on, and the last.
    """

    def __init__(self) -> None:
        empty = np.zeros(0, dtype=np.int64)
        self.user, self.merchant, self.giver, self.due, self.deadline = (empty.copy() for _ in range(5))

    @property
    def size(self) -> int:
        """Number of pending intents."""
        return int(self.user.size)

    def add(self, user: np.ndarray, merchant: np.ndarray, giver: np.ndarray, due: np.ndarray,
            deadline: np.ndarray | int) -> None:
        """Keep intents (int64 arrays of shape (k,); ``deadline`` may be a scalar)."""
        k = np.asarray(user).size
        if k == 0:
            return
        self.user = np.concatenate([self.user, np.asarray(user, dtype=np.int64)])
        self.merchant = np.concatenate([self.merchant, np.asarray(merchant, dtype=np.int64)])
        self.giver = np.concatenate([self.giver, np.asarray(giver, dtype=np.int64)])
        self.due = np.concatenate([self.due, np.asarray(due, dtype=np.int64)])
        self.deadline = np.concatenate([self.deadline, np.broadcast_to(np.asarray(deadline, dtype=np.int64), k)])

    def take_due(self, active: np.ndarray | None, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Remove and return (user, merchant, giver) of the intents due at ``step`` whose user
        is active (``active``: bool (n_users,); None: everyone), in the order they were kept; intents past
        their deadline are dropped."""
        if self.size == 0:
            return self.user, self.merchant, self.giver
        go = self.due <= step
        if active is not None:
            go &= active[self.user]
        keep = ~go & (self.deadline > step)
        out = self.user[go], self.merchant[go], self.giver[go]
        self.user, self.merchant, self.giver = self.user[keep], self.merchant[keep], self.giver[keep]
        self.due, self.deadline = self.due[keep], self.deadline[keep]
        return out
