"""Sub-step 4b: birthday gifts (on with ``calendar.birthday_gift_rate`` > 0).

On a user's birthday each friend who knows the feature, sees the gift button, is active
and not muted sends them a gift with probability ``birthday_gift_rate`` * shopping
propensity (per active step: times the share of a day's rate in the step), source
``GiftSource.OCCASION``, on a product drawn by the policy's shares (as the chat entry).
The intents join the day's others in :func:`sim.model.steps.send.send_gifts`, after
reciprocity and pay-it-forward, before visits. The cost follows the edges of the day's
birthday users: users are grouped by birthday once (:class:`BirthdayBook`).

The generator is drawn in this order: the send draws (one per eligible friend edge, in
order of the birthday users and their CSR rows), then the products.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..states import GiftSource
from .carriers import Intents
from .world import Now, World

__all__ = ["BirthdayBook", "birthday_intents", "NO_INTENTS"]

NO_INTENTS = Intents(user=np.zeros(0, dtype=np.int64), merchant=np.zeros(0, dtype=np.int64),
                     source=np.zeros(0, dtype=np.int8), recipient=np.zeros(0, dtype=np.int64),
                     exclude=np.zeros(0, dtype=np.int64), tie=np.zeros(0, dtype=np.float32), price=np.zeros(0))
"""No intents (the value on days without birthday gifts)."""


@dataclass(frozen=True)
class BirthdayBook:
    """Users grouped by birthday.

    Attributes
    ----------
    order : ndarray of int64, shape (n_users,)
        Users sorted by birthday (stable: by id within a day).
    offsets : ndarray of int64, shape (366,)
        The users born on day ``d`` (0-364) are ``order[offsets[d]:offsets[d + 1]]``.
    """

    order: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, birthday: np.ndarray) -> BirthdayBook:
        """Group users by ``birthday`` (int16 (n_users,), 0-364)."""
        order = np.argsort(birthday, kind="stable").astype(np.int64)
        counts = np.bincount(birthday.astype(np.int64), minlength=365)
        offsets = np.zeros(366, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        return cls(order=order, offsets=offsets)

    def born_on(self, day: int) -> np.ndarray:
        """Users whose birthday is ``day`` (0-364; -1, 29 February, gives none), int64 (k,)."""
        if day < 0:
            return self.order[:0]
        return self.order[self.offsets[day]:self.offsets[day + 1]]


def _edges_of(indptr: np.ndarray, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every CSR edge of ``users``: (owner, edge index), int64 (k,) each, by owner then row."""
    start, stop = indptr[users], indptr[users + 1]
    counts = stop - start
    owner = np.repeat(users, counts)
    first = np.repeat(start - np.cumsum(counts) + counts, counts)
    return owner, first + np.arange(owner.size, dtype=np.int64)


def birthday_intents(world: World, now: Now, rate: float, book: BirthdayBook | None, day: int,
                     active: np.ndarray, shares: np.ndarray) -> Intents:
    """The birthday gifts intended in this step.

    Parameters
    ----------
    rate : float
        ``calendar.birthday_gift_rate``, in [0, 1].
    book : BirthdayBook or None
        The users by birthday (None: birthdays off, no intents and no draws).
    day : int
        The step's day of a common year, 0-364 (-1 on 29 February: no birthdays).
    active : ndarray of bool, shape (n_users,)
    shares : ndarray of float64, shape (n_merchants,)
        The policy's shares of the step (products are drawn by them, as the chat entry).

    Returns
    -------
    Intents
        Sender = the friend, recipient = the birthday user, tie = the friendship's strength,
        source OCCASION; in order of the birthday users.
    """
    if book is None or rate <= 0.0:
        return NO_INTENTS
    pop, g, rng = world.population, world.graph, world.rng
    owner, e = _edges_of(g.indptr, book.born_on(day))
    friend = g.indices[e].astype(np.int64)
    ok = np.flatnonzero(pop.aware[friend] & active[friend] & ~pop.muted[friend] & now.sees_button(pop, friend))
    p = rate * pop.propensity[friend[ok]] * now.per_step(pop, friend[ok])
    go = ok[rng.random(ok.size) < p]
    if go.size == 0 or not (world.item.cash or shares.sum() > 0):  # nobody, or no merchant on the platform
        return NO_INTENTS
    n = go.size
    return Intents(user=friend[go], merchant=np.asarray(world.item.chat_merchants(n, shares, rng), dtype=np.int64),
                   source=np.full(n, GiftSource.OCCASION, dtype=np.int8), recipient=owner[go],
                   exclude=np.full(n, -1, dtype=np.int64), tie=g.weights[e[go]].astype(np.float32),
                   price=np.zeros(n))
