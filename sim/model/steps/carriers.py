"""Small typed carriers passed between the sub-steps of a day.

Each sub-step returns what it produced (visits, intents, accepted gifts) and the counts
the daily series records; :class:`~sim.model.recorder.StepCounts` gathers the counts.
Every array carrier holds parallel arrays of one shape ``(k,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..states import GiftSource

__all__ = ["Visits", "Intents", "Traffic", "Settled", "Sent", "MerchantMoves", "DayValues"]


def _take(obj, index):
    """A copy of the array carrier ``obj`` with every array indexed by ``index``."""
    return type(obj)(**{f.name: getattr(obj, f.name)[index] for f in fields(obj)})


@dataclass(frozen=True)
class Visits:
    """Users brought to a page they can gift from, one row a visit.

    Attributes
    ----------
    user : ndarray of int64
    merchant : ndarray of int64
        The product's merchant, -1 for a cash gift (red envelope).
    source : ndarray of int8
        :class:`~sim.model.states.GiftSource` of the visit.
    parent : ndarray of int64
        The inviter for an invitation visit, else -1.
    invitation : ndarray of int64
        The invitation's id in the invitation log for an invitation visit, else -1.
    """

    user: np.ndarray
    merchant: np.ndarray
    source: np.ndarray
    parent: np.ndarray
    invitation: np.ndarray

    @classmethod
    def of(cls, user: np.ndarray, merchant: np.ndarray, source: GiftSource,
           parent: np.ndarray | None = None, invitation: np.ndarray | None = None) -> Visits:
        """Visits of one ``source``; ``parent`` and ``invitation`` default to -1."""
        n = int(np.shape(user)[0])
        none = np.full(n, -1, dtype=np.int64)
        return cls(user=np.asarray(user, dtype=np.int64), merchant=np.asarray(merchant, dtype=np.int64),
                   source=np.full(n, source, dtype=np.int8),
                   parent=none if parent is None else np.asarray(parent, dtype=np.int64),
                   invitation=none if invitation is None else np.asarray(invitation, dtype=np.int64))

    @classmethod
    def concat(cls, parts: list[Visits]) -> Visits:
        """The visits of ``parts`` one after the other (empty when there are none)."""
        if not parts:
            return cls.of(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), GiftSource.IMPRESSION)
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    @property
    def size(self) -> int:
        """Number of visits."""
        return int(self.user.shape[0])


@dataclass(frozen=True)
class Intents:
    """Wishes to send a gift, in priority order (the first of a sender wins).

    Attributes
    ----------
    user : ndarray of int64
        The would-be sender.
    merchant : ndarray of int64
        The product's merchant, -1 for cash.
    source : ndarray of int8
        :class:`~sim.model.states.GiftSource`.
    recipient : ndarray of int64
        The recipient when known (reciprocity returns to the giver), else -1 (a friend
        is drawn).
    exclude : ndarray of int64
        A friend not to draw (pay-it-forward excludes the giver), else -1.
    tie : ndarray of float32
        Tie strength to the recipient when known, else 0.
    price : ndarray of float64
        RMB, once priced (zeros before).
    """

    user: np.ndarray
    merchant: np.ndarray
    source: np.ndarray
    recipient: np.ndarray
    exclude: np.ndarray
    tie: np.ndarray
    price: np.ndarray

    @classmethod
    def concat(cls, parts: list[Intents]) -> Intents:
        """The intents of ``parts`` one after the other, priority order kept."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def take(self, index) -> Intents:
        """The intents selected by ``index`` (a mask or ids), in that order."""
        return _take(self, index)

    @property
    def size(self) -> int:
        """Number of intents."""
        return int(self.user.shape[0])


@dataclass(frozen=True)
class DayValues:
    """The calendar's values for the step: ``button_share`` [0, 1] of the staged rollout
    and ``occasion_lift`` (>= 1)."""

    button_share: float
    occasion_lift: float


@dataclass(frozen=True)
class Traffic:
    """What the traffic sub-step brought: the ``visits`` and its counts
    (``commercial_impressions`` shown, ``pushes`` sent), and the policy's ``shares`` of the
    step (float64, (n_merchants,), None if not computed; products of the chat entry, birthday and
    group gifts)."""

    visits: Visits
    commercial_impressions: int = 0
    pushes: int = 0
    shares: np.ndarray | None = None


@dataclass(frozen=True)
class Settled:
    """What settling the gift boxes did in a step.

    Attributes
    ----------
    accepted : ndarray of int64
        Ids of the gifts accepted, ascending.
    gifts_accepted, gifts_returned, gifts_expired : int
    newly_aware : int
        Recipients who learnt of the feature by opening a gift.
    units_kept : int
        Product gifts accepted and not returned (the period's sales).
    cash_rmb, gmv_rmb, returns_rmb, refunded_rmb, revenue_rmb, commission_rmb : float
        Money of the step, RMB: cash gifts accepted, product gifts accepted, returned,
        refunded on expiry; merchants' revenue and the platform's commission (net of
        returns).
    """

    accepted: np.ndarray
    gifts_accepted: int = 0
    gifts_returned: int = 0
    gifts_expired: int = 0
    newly_aware: int = 0
    units_kept: int = 0
    cash_rmb: float = 0.0
    gmv_rmb: float = 0.0
    returns_rmb: float = 0.0
    refunded_rmb: float = 0.0
    revenue_rmb: float = 0.0
    commission_rmb: float = 0.0


@dataclass(frozen=True)
class Sent:
    """What the send sub-step did: ``gifts_sent``, ``new_senders`` (first gift ever),
    ``newly_aware`` visitors, ``unaffordable`` intents, ``stockouts`` (lost sales),
    ``invites`` (induced sharing) and ``paid_rmb`` (RMB)."""

    gifts_sent: int = 0
    new_senders: int = 0
    newly_aware: int = 0
    unaffordable: int = 0
    stockouts: int = 0
    invites: int = 0
    paid_rmb: float = 0.0


@dataclass(frozen=True)
class MerchantMoves:
    """Merchants that ``joined`` and ``left`` the platform in the step."""

    joined: int = 0
    left: int = 0
