"""The lift from receiving a gift to giving one, measured as Kizilcec et al. (CHI 2018) did.

For each day d, the treated cohort is the users whose FIRST received gift was delivered on
day d (sent to them that day and not withheld); their giving rate is the share who send at
least one gift on days d+1 .. d+N. The control group of day d is every user who had
received nothing by the end of day d+N; their giving rate is the share who send on the same
days d+1 .. d+N. Only cohorts whose window lies inside the run (d + N <= last complete day)
count. The rates are pooled over d with the treated cohort sizes as weights (a
Mantel-Haenszel-style standardisation to the treated): treated rate = sum_d a_d / sum_d n_d,
control rate = sum_d n_d (c_d / m_d) / sum_d n_d, lift = treated rate / control rate
(a_d, n_d: treated givers and users of day d; c_d, m_d: control givers and users).

A gift delivered on day d can be opened from day d+1 on (gifts are opened before they are
sent in a step), so sending back and paying forward fall inside the window. Counting a
gift as received on the day it is opened or accepted instead (``receipt_day``) leaves them
out: the model sends back and pays forward in the very step a gift is accepted, so the
window d+1 .. d+N then misses the direct response (on the default WeChat scenario, seeds
1-3, the lift falls from about 9x to about 2.5x).

Everything is counted from the gifts with difference arrays over days: O(n_gifts log
n_gifts + n_users + n_days), never users x days.

References
----------
Kizilcec, Bakshy, Eckles & Burke (2018), "Social influence and reciprocity in online gift
giving", CHI 2018: giving within the window after a first gift received, against users who
had received none, 1.56x.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["LIFT_WINDOW_DAYS", "ReceiveGiveLift", "receive_give_lift", "first_received_day"]

LIFT_WINDOW_DAYS = 30
"""N, the days after a first received gift in which giving counts (Kizilcec et al. used 30)."""

_NEVER = np.iinfo(np.int64).max // 4


@dataclass(frozen=True)
class ReceiveGiveLift:
    """The pooled lift and its parts (:func:`receive_give_lift`).

    Attributes
    ----------
    lift : float
        treated_rate / control_rate; NaN without a treated cohort or when no control user gave.
    treated_rate, control_rate : float
        Pooled giving rates within the window (NaN without a treated cohort).
    treated_users : int
        Users in the cohorts counted (first gift received on a day whose window is inside the run).
    cohorts : int
        Days with a treated cohort and at least one control user.
    """

    lift: float
    treated_rate: float
    control_rate: float
    treated_users: int
    cohorts: int


def first_received_day(recipient: np.ndarray, day: np.ndarray, n_users: int) -> np.ndarray:
    """Day of each user's first received gift, int64 of shape (n_users,); a large sentinel
    (> any day) for users who received nothing.

    Parameters
    ----------
    recipient, day : ndarray of int, shape (k,)
        The delivered gifts' recipients and days.
    """
    first = np.full(n_users, _NEVER, dtype=np.int64)
    np.minimum.at(first, np.asarray(recipient, dtype=np.int64), np.asarray(day, dtype=np.int64))
    return first


def _distinct(a: np.ndarray) -> np.ndarray:
    """The distinct values of ``a``, ascending (a sort; faster than ``np.unique``'s hashing
    on millions of int64)."""
    a = np.sort(a)
    return a[np.r_[True, a[1:] != a[:-1]]] if a.size else a


def _treated_givers(sender: np.ndarray, day: np.ndarray, first: np.ndarray, last_d: int, n: int) -> np.ndarray:
    """a_d: users first receiving on day d (<= last_d) who send on days d+1 .. d+n."""
    r = first[sender]
    hit = (r <= last_d) & (day > r) & (day <= r + n)
    givers = _distinct(sender[hit])
    return np.bincount(first[givers], minlength=last_d + 1)[:last_d + 1]


def _control_givers(sender: np.ndarray, day: np.ndarray, first: np.ndarray, last_d: int, n: int) -> np.ndarray:
    """c_d: users who received nothing by day d+n and send on days d+1 .. d+n.

    A gift on day t puts its sender among the givers of the days [t-n, t-1]; a sender's
    days are the union of those intervals over their distinct gift days, cut at
    first received day - n - 1. Sorted by sender and day, each interval adds only the days
    after the previous one's end (difference array), so each (user, d) counts once.
    """
    span = int(day.max()) + 1 if day.size else 1
    key = _distinct(sender * span + day)  # distinct (sender, day), sorted by sender then day
    s, t = key // span, key % span
    prev = np.where(np.r_[False, s[1:] == s[:-1]], np.r_[0, t[:-1]], np.iinfo(np.int64).min // 4)
    start = np.maximum(np.maximum(t - n, prev), 0)
    end = np.minimum(np.minimum(t - 1, first[s] - n - 1), last_d)
    keep = start <= end
    diff = np.zeros(last_d + 2, dtype=np.int64)
    np.add.at(diff, start[keep], 1)
    np.add.at(diff, end[keep] + 1, -1)
    return np.cumsum(diff)[:last_d + 1]


def receive_give_lift(sender: np.ndarray, recipient: np.ndarray, day: np.ndarray, n_users: int, n_days: int, *,
                      delivered: np.ndarray | None = None, receipt_day: np.ndarray | None = None,
                      window_days: int = LIFT_WINDOW_DAYS) -> ReceiveGiveLift:
    """The lift from receiving to giving (see the module doc).

    Parameters
    ----------
    sender, recipient : ndarray of int, shape (n_gifts,)
        Every gift's sender and recipient (user ids in 0 .. n_users-1).
    day : ndarray of int, shape (n_gifts,)
        The day each gift was sent (0 = first day of the run).
    n_users : int
    n_days : int
        Complete days run; windows must end by day n_days - 1.
    delivered : ndarray of bool, shape (n_gifts,), optional
        Gifts the recipient could see (default all); a withheld gift is not a receipt but
        still counts as its sender's giving.
    receipt_day : ndarray of int, shape (n_gifts,), optional
        The day each gift counts as received (default ``day``, the day it was delivered);
        e.g. the day it was accepted, with ``delivered`` the accepted gifts. Giving is
        always counted on ``day``.
    window_days : int, default :data:`LIFT_WINDOW_DAYS`
        N, >= 1.

    Returns
    -------
    ReceiveGiveLift

    Raises
    ------
    ValueError
        If ``window_days`` < 1.
    """
    if window_days < 1:
        raise ValueError(f"window_days must be >= 1, got {window_days}")
    sender = np.asarray(sender, dtype=np.int64)
    recipient = np.asarray(recipient, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    ok = np.ones(sender.size, dtype=bool) if delivered is None else np.asarray(delivered, dtype=bool)
    ok = ok & (recipient >= 0)  # a group gift's unit nobody claimed was received by nobody
    last_d = n_days - 1 - window_days
    nan = math.nan
    if last_d < 0:
        return ReceiveGiveLift(nan, nan, nan, 0, 0)
    rday = day if receipt_day is None else np.asarray(receipt_day, dtype=np.int64)
    first = first_received_day(recipient[ok], rday[ok], n_users)
    treated_n = np.bincount(first[first <= last_d], minlength=last_d + 1)
    received_by = np.cumsum(np.bincount(first[first < n_days], minlength=n_days))
    control_n = n_users - received_by[np.arange(last_d + 1) + window_days]
    a = _treated_givers(sender, day, first, last_d, window_days)
    c = _control_givers(sender, day, first, last_d, window_days)
    use = (treated_n > 0) & (control_n > 0)
    w = treated_n[use].astype(np.float64)
    if w.sum() == 0:
        return ReceiveGiveLift(nan, nan, nan, 0, 0)
    treated_rate = float(a[use].sum() / w.sum())
    control_rate = float((w * c[use] / control_n[use]).sum() / w.sum())
    lift = treated_rate / control_rate if control_rate > 0 else nan
    return ReceiveGiveLift(lift, treated_rate, control_rate, int(w.sum()), int(use.sum()))
