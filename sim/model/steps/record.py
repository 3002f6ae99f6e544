"""Sub-step 8: the step's counts, gathered from what each sub-step returned, into one
:class:`~sim.model.recorder.StepCounts` row; and the run's cumulative tallies."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..recorder import StepCounts
from .carriers import DayValues, MerchantMoves, Sent, Settled, Traffic

__all__ = ["Tally", "gather"]

TOTAL_KEYS = ("paid", "gmv", "cash", "refunded", "returns", "commission", "merchant_revenue")
"""Keys of :attr:`Tally.totals`: money flows since the start, RMB."""


@dataclass
class Tally:
    """Cumulative counts kept as users change state, so that a step need not scan
    everyone: ``aware``, ``senders``, ``muted`` users and the money ``totals`` (RMB:
    ``paid``, ``gmv`` accepted products, ``cash`` accepted cash gifts, ``refunded``
    expired gifts, ``returns``, ``commission`` and ``merchant_revenue`` net of returns)."""

    aware: int = 0
    senders: int = 0
    muted: int = 0
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(TOTAL_KEYS, 0.0))

    def add(self, settled: Settled, sent: Sent, newly_muted: int) -> None:
        """Add one step's changes."""
        self.aware += settled.newly_aware + sent.newly_aware
        self.senders += sent.new_senders
        self.muted += newly_muted
        tot = self.totals
        tot["cash"] += settled.cash_rmb
        tot["gmv"] += settled.gmv_rmb
        tot["returns"] += settled.returns_rmb
        tot["merchant_revenue"] += settled.revenue_rmb
        tot["commission"] += settled.commission_rmb
        tot["refunded"] += settled.refunded_rmb
        tot["paid"] += sent.paid_rmb


def gather(day: DayValues, active_users: int, settled: Settled, traffic: Traffic, sent: Sent,
           moves: MerchantMoves, tally: Tally, *, gifts_pending: int, active_merchants: int) -> StepCounts:
    """The row of the daily series for one step (``tally`` already updated)."""
    return StepCounts(
        active_users=active_users, aware_users=tally.aware, senders=tally.senders,
        new_senders=sent.new_senders, button_share=day.button_share, occasion_lift=day.occasion_lift,
        commercial_impressions=traffic.commercial_impressions, product_visits=traffic.visits.size,
        pushes=traffic.pushes, invites=sent.invites, gifts_sent=sent.gifts_sent,
        gifts_accepted=settled.gifts_accepted, gifts_expired=settled.gifts_expired,
        gifts_returned=settled.gifts_returned, gifts_pending=gifts_pending, paid_rmb=sent.paid_rmb,
        gmv_rmb=settled.gmv_rmb, cash_rmb=settled.cash_rmb, refunded_rmb=settled.refunded_rmb,
        returns_rmb=settled.returns_rmb, stockouts=sent.stockouts, unaffordable=sent.unaffordable,
        active_merchants=active_merchants, merchants_joined=moves.joined, merchants_left=moves.left,
        muted_users=tally.muted,
    )
