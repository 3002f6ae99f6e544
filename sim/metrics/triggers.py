"""Triggers of gifts and of every sender's first gift: what R and the first-gift counts are
reported by.

A gift's trigger is :data:`sim.model.states.TRIGGER_OF_SOURCE` of its source (a received
gift for reciprocity and pay-forward, an invitation, the feed, a push, the chat entry, a
group, an occasion). A sender's first gift is their earliest row of the ledger (gift ids
are in sending order).
"""

from __future__ import annotations

import numpy as np

from ..model.states import TRIGGER_OF_SOURCE, GiftSource, Trigger

__all__ = ["TRIGGER_CODES", "TRIGGER_NAMES", "gift_triggers", "first_gift_triggers", "first_gifts_by_trigger"]

TRIGGER_CODES = np.array([TRIGGER_OF_SOURCE[GiftSource(s)] for s in range(max(GiftSource) + 1)], dtype=np.int8)
"""The :class:`Trigger` code of each :class:`GiftSource` code (int8, indexed by source)."""

TRIGGER_NAMES: tuple[str, ...] = tuple(t.name.lower() for t in Trigger)
"""Trigger names in code order (``received_gift``, ``invitation``, ``feed``, ``push``,
``chat_entry``, ``group``, ``occasion``): the suffixes of the summary's ``first_gifts_*`` keys."""


def gift_triggers(source: np.ndarray) -> np.ndarray:
    """The trigger code of each gift, int8 of the shape of ``source`` (GiftSource codes).

    Raises
    ------
    ValueError
        If a source code is not a :class:`GiftSource`.
    """
    source = np.asarray(source, dtype=np.int64)
    if source.size and (source.min() < 0 or source.max() >= TRIGGER_CODES.size):
        raise ValueError(f"gift source codes must be in 0..{TRIGGER_CODES.size - 1}")
    return TRIGGER_CODES[source]


def first_gift_triggers(sender: np.ndarray, source: np.ndarray, n_users: int) -> np.ndarray:
    """The trigger of each user's first gift.

    Parameters
    ----------
    sender, source : ndarray of int, shape (n_gifts,)
        The ledger's columns, in sending order.
    n_users : int

    Returns
    -------
    ndarray of int8, shape (n_users,)
        Trigger code of the user's first gift; -1 for users who never sent.
    """
    sender = np.asarray(sender, dtype=np.int64)
    first = np.full(n_users, sender.size, dtype=np.int64)
    np.minimum.at(first, sender, np.arange(sender.size, dtype=np.int64))  # each sender's earliest row
    out = np.full(n_users, -1, dtype=np.int8)
    sent = first < sender.size
    out[sent] = gift_triggers(np.asarray(source)[first[sent]])
    return out


def first_gifts_by_trigger(first_triggers: np.ndarray) -> dict[str, int]:
    """Senders by the trigger of their first gift: name (:data:`TRIGGER_NAMES`) -> count.

    Parameters
    ----------
    first_triggers : ndarray of int8, shape (n_users,)
        :func:`first_gift_triggers` (-1 for non-senders, not counted).
    """
    counts = np.bincount(first_triggers[first_triggers >= 0].astype(np.int64), minlength=len(TRIGGER_NAMES))
    return {name: int(c) for name, c in zip(TRIGGER_NAMES, counts, strict=True)}
