"""The daily series of a run, recorded into preallocated columns (one row per step)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["SERIES", "Recorder", "StepCounts"]

SERIES: dict[str, tuple[np.dtype, str]] = {
    "active_users": (np.dtype(np.int64), "users active in the step"),
    "aware_users": (np.dtype(np.int64), "users who know the gift feature (cumulative)"),
    "senders": (np.dtype(np.int64), "users who have sent at least one gift (cumulative)"),
    "new_senders": (np.dtype(np.int64), "users who sent their first gift in the step"),
    "button_share": (np.dtype(np.float64), "share of users in the staged rollout, [0, 1]"),
    "occasion_lift": (np.dtype(np.float64), "gifting-intent multiplier of the occasions, >= 1"),
    "commercial_impressions": (np.dtype(np.int64), "commercial impressions shown"),
    "product_visits": (np.dtype(np.int64),
                       "visits to a page to gift from: impressions, pushes, invitations, chat entry"),
    "pushes": (np.dtype(np.int64), "platform push notifications sent"),
    "invites": (np.dtype(np.int64), "induced-sharing invitations sent"),
    "gifts_sent": (np.dtype(np.int64), "gifts bought and sent"),
    "gifts_accepted": (np.dtype(np.int64), "gifts accepted by their recipient"),
    "gifts_expired": (np.dtype(np.int64), "gifts cancelled after the expiry window"),
    "gifts_returned": (np.dtype(np.int64), "accepted gifts returned to the merchant"),
    "gifts_pending": (np.dtype(np.int64), "gifts sent and not yet ended, at the end of the step"),
    "paid_rmb": (np.dtype(np.float64), "money paid by senders, RMB"),
    "gmv_rmb": (np.dtype(np.float64), "GMV: value of product gifts accepted, RMB"),
    "cash_rmb": (np.dtype(np.float64), "value of cash gifts (red envelopes) accepted, RMB"),
    "refunded_rmb": (np.dtype(np.float64), "refunds of expired gifts, RMB"),
    "returns_rmb": (np.dtype(np.float64), "refunds of returned gifts, RMB"),
    "stockouts": (np.dtype(np.int64), "purchases lost to an empty stock"),
    "unaffordable": (np.dtype(np.int64), "gift intents above the sender's remaining budget"),
    "active_merchants": (np.dtype(np.int64), "merchants on the platform"),
    "merchants_joined": (np.dtype(np.int64), "merchants that joined in the step"),
    "merchants_left": (np.dtype(np.int64), "merchants that left in the step"),
    "muted_users": (np.dtype(np.int64), "users who muted commerce, pushes and invitations (cumulative)"),
}
"""Series name -> (dtype, meaning). Counts are per step unless marked cumulative."""


@dataclass(frozen=True)
class StepCounts:
    """One step's row of the daily series: a field per :data:`SERIES` entry, same order."""

    active_users: int = 0
    aware_users: int = 0
    senders: int = 0
    new_senders: int = 0
    button_share: float = 0.0
    occasion_lift: float = 0.0
    commercial_impressions: int = 0
    product_visits: int = 0
    pushes: int = 0
    invites: int = 0
    gifts_sent: int = 0
    gifts_accepted: int = 0
    gifts_expired: int = 0
    gifts_returned: int = 0
    gifts_pending: int = 0
    paid_rmb: float = 0.0
    gmv_rmb: float = 0.0
    cash_rmb: float = 0.0
    refunded_rmb: float = 0.0
    returns_rmb: float = 0.0
    stockouts: int = 0
    unaffordable: int = 0
    active_merchants: int = 0
    merchants_joined: int = 0
    merchants_left: int = 0
    muted_users: int = 0


class Recorder:
    """Preallocated columns for :data:`SERIES`, one row per step."""

    def __init__(self, n_steps: int) -> None:
        self.n_steps = n_steps
        self.columns = {k: np.zeros(n_steps, dtype=dt) for k, (dt, _) in SERIES.items()}

    def record(self, step: int, counts: StepCounts) -> None:
        """Write one step's row."""
        for f in fields(counts):
            self.columns[f.name][step] = getattr(counts, f.name)

