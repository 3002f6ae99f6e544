"""What the explorer shows, read from a model's public state: each user's display state,
the recent gifts, the calendar line and the cascade a user belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pandas as pd

from ..metrics import cascade_table, forest_depth, forest_roots, restrict
from ..model import GiftModel
from ..model.states import GiftOutcome

__all__ = [
    "UserState", "STATE_COLOURS", "STATE_LABELS", "user_states", "state_counts", "recent_gifts", "Calendar",
    "calendar_line", "Cascade", "cascade_of", "largest_cascades", "gift_counts", "cascade_sizes",
]


class UserState(IntEnum):
    """Display state of a user; a user shows the highest that applies."""

    UNAWARE = 0  # does not know the feature, no gift button
    BUTTON = 1  # sees the gift button (rollout or unlocked), not yet aware
    AWARE = 2  # knows the feature
    RECIPIENT = 3  # has been sent a gift, has not sent one
    SENDER = 4  # has sent a gift
    MUTED = 5  # muted commerce, pushes and invitations


STATE_COLOURS: dict[UserState, str] = {
    UserState.UNAWARE: "#d4d4d4",
    UserState.BUTTON: "#8ecae6",
    UserState.AWARE: "#ffb703",
    UserState.RECIPIENT: "#2a9d8f",
    UserState.SENDER: "#d62828",
    UserState.MUTED: "#6a4c93",
}
"""Hex colours (CSS names and hex render the same in matplotlib and Vega)."""

STATE_LABELS: dict[UserState, str] = {
    UserState.UNAWARE: "unaware", UserState.BUTTON: "gift button visible", UserState.AWARE: "aware",
    UserState.RECIPIENT: "recipient", UserState.SENDER: "sender", UserState.MUTED: "muted",
}
"""What the legends call each state."""

OUTCOME_COLOURS = {GiftOutcome.PENDING: "#f77f00", GiftOutcome.ACCEPTED: "#e63946",
                   GiftOutcome.EXPIRED: "#6c757d"}


def _button_visible(model: GiftModel) -> np.ndarray:
    return model.button_visible(np.arange(model.population.n_users))


def user_states(model: GiftModel) -> np.ndarray:
    """Display state of every user, int8 of shape (n_users,) (:class:`UserState` values).

    Notes
    -----
    O(n_users + gifts sent).
    """
    p = model.population
    s = np.zeros(p.n_users, dtype=np.int8)
    s[_button_visible(model)] = UserState.BUTTON
    s[p.aware] = UserState.AWARE
    rec = model.ledger.column("recipient")
    s[rec[rec >= 0]] = UserState.RECIPIENT  # an unclaimed group-gift unit has no recipient (-1)
    s[p.senders] = UserState.SENDER
    s[p.muted] = UserState.MUTED
    return s


def state_counts(states: np.ndarray) -> dict[str, int]:
    """Users in each state, by lower-case state name, in :class:`UserState` order."""
    c = np.bincount(states, minlength=len(UserState))
    return {u.name.lower(): int(c[u]) for u in UserState}


def gift_counts(model: GiftModel) -> tuple[np.ndarray, np.ndarray]:
    """Gifts each user has sent and received so far (a group gift counts once per unit; an
    unclaimed unit has no recipient yet).

    Returns
    -------
    sent, received : ndarray of int64, shape (n_users,)

    Notes
    -----
    O(n_users + gifts sent).
    """
    n = model.population.n_users
    led = model.ledger
    rec = led.column("recipient")
    return (np.bincount(led.column("sender"), minlength=n)[:n],
            np.bincount(rec[rec >= 0], minlength=n)[:n])


def recent_gifts(model: GiftModel, days: float = 3.0) -> pd.DataFrame:
    """Gifts sent in the last ``days`` days: ``sender``, ``recipient``, ``outcome`` (int8),
    ``step_sent``; units of a group gift not (yet) claimed have no recipient and are left out."""
    led = model.ledger
    steps = max(1, int(round(days * model.steps_per_day)))
    sent = led.column("step_sent")
    lo = model.step_index - steps
    idx = np.flatnonzero((sent >= lo) & (led.column("recipient") >= 0))
    return pd.DataFrame({
        "sender": led.column("sender")[idx], "recipient": led.column("recipient")[idx],
        "outcome": led.column("outcome")[idx], "step_sent": sent[idx],
    })


@dataclass(frozen=True)
class Calendar:
    """The calendar line: ``day`` steps done of ``n_steps``, the date of the last one
    simulated (the start date before any), its occasion and rollout share."""

    day: int
    n_steps: int
    date: str
    occasion: str
    rollout: float

    def text(self) -> str:
        """``Day d of n · date · occasion · rollout r%`` (``before <start>`` on day 0), for the status bar."""
        when = f"{self.date}" if self.day else f"before {self.date}"
        occ = f" · {self.occasion}" if self.occasion else ""
        return f"Day {self.day} of {self.n_steps} · {when}{occ} · rollout {self.rollout:.0%}"


def calendar_line(model: GiftModel) -> Calendar:
    """Where the model is in its calendar: the last step done (day 0 shows the start date and
    the first step's rollout share)."""
    cal = model.calendar
    i = max(0, min(model.step_index, model.n_steps) - 1)
    return Calendar(day=model.step_index, n_steps=model.n_steps, date=str(cal.dates[i]),
                    occasion=cal.occasion[i] if model.step_index else "",
                    rollout=float(cal.rollout[i]) if model.step_index else float(cal.rollout[0]))


@dataclass(frozen=True)
class Cascade:
    """The adoption cascade a user belongs to.

    Attributes
    ----------
    user, root : int
    members : ndarray of int64
        Users of the cascade (aware users whose chain of parents reaches ``root``).
    parent : ndarray of int64
        Parent of each member (-1 for the root), aligned with ``members``.
    depth : int
    structural_virality : float
    """

    user: int
    root: int
    members: np.ndarray
    parent: np.ndarray
    depth: int
    structural_virality: float

    @property
    def size(self) -> int:
        """Number of users in the cascade."""
        return int(self.members.size)


def _forest(model: GiftModel) -> np.ndarray:
    p = model.population
    return restrict(p.parent, p.aware)


def cascade_of(model: GiftModel, user: int) -> Cascade | None:
    """The cascade ``user`` belongs to, or None if the user is not aware (yet).

    Raises
    ------
    ValueError
        If ``user`` is not a user id.
    """
    n = model.population.n_users
    if not 0 <= user < n:
        raise ValueError(f"user {user} is not a user (0..{n - 1})")
    if not model.population.aware[user]:
        return None
    forest = _forest(model)
    roots = forest_roots(forest)
    root = int(roots[user])
    members = np.flatnonzero(roots == root)
    tree = np.where(roots == root, forest, -2)
    table = cascade_table(tree)
    row = table.iloc[0]
    depth = forest_depth(tree)
    assert int(row["root"]) == root and int(depth.max()) == int(row["depth"])
    return Cascade(user=int(user), root=root, members=members, parent=forest[members],
                   depth=int(row["depth"]), structural_virality=float(row["structural_virality"]))


def cascade_sizes(model: GiftModel) -> np.ndarray:
    """Size of the cascade each user belongs to (the size :func:`cascade_of` gives), 0 for a
    user not aware yet; int64 of shape (n_users,).

    Notes
    -----
    O(n_users log depth).
    """
    roots = forest_roots(_forest(model))
    inside = roots >= 0
    out = np.zeros(roots.size, dtype=np.int64)
    out[inside] = np.bincount(roots[inside], minlength=roots.size)[roots[inside]]
    return out


def largest_cascades(model: GiftModel, k: int = 10) -> pd.DataFrame:
    """The ``k`` largest cascades so far: ``root``, ``size``, ``depth``, ``structural_virality``."""
    if not model.population.aware.any():
        return pd.DataFrame(columns=["root", "size", "depth", "structural_virality"])
    return cascade_table(_forest(model)).head(k).reset_index(drop=True)
