"""What every sub-step works on: the run's state (:class:`World`) and the step's clock
(:class:`Now`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...graph import CSRGraph
from ..forwards import PendingForwards
from ..gifts import GiftLedger
from ..invitations import InvitationLog
from ..merchants import DemandWindow, MerchantTable
from ..population import Population
from ..response import Response
from .item import GiftItem

__all__ = ["World", "Now"]


@dataclass(frozen=True)
class World:
    """The state a day changes, shared by the sub-steps (the objects, not copies).

    Attributes
    ----------
    population : Population
    merchants : MerchantTable
    ledger : GiftLedger
    invitations : InvitationLog
    graph : CSRGraph
    item : GiftItem
        Products or cash (:mod:`sim.model.steps.item`).
    demand : DemandWindow
    rng : numpy.random.Generator
        The run's dynamics generator: every draw of a day, in a fixed order.
    response : Response
        The users' response to stimuli (off by default: multiplier 1).
    forwards : PendingForwards
        Pay-forward intents kept for a later step.
    """

    population: Population
    merchants: MerchantTable
    ledger: GiftLedger
    invitations: InvitationLog
    graph: CSRGraph
    item: GiftItem
    demand: DemandWindow
    rng: np.random.Generator
    response: Response = field(default_factory=Response.off)
    forwards: PendingForwards = field(default_factory=PendingForwards)


@dataclass(frozen=True)
class Now:
    """The step being run.

    Attributes
    ----------
    step : int
        Index of the step (0-based).
    button_share : float
        Share of users the staged rollout shows the gift button to, [0, 1].
    lift : float
        The occasions' gifting-intent multiplier, >= 1.
    steps_per_day : int, default 1
    step_days : float, default 1.0
        Length of a step in days.
    """

    step: int
    button_share: float
    lift: float
    steps_per_day: int = 1
    step_days: float = 1.0

    def per_step(self, population: Population, users: np.ndarray) -> np.ndarray | float:
        """Share of a per-active-day rate that applies in this step to each of ``users``
        (1.0 with daily steps)."""
        return 1.0 if self.steps_per_day == 1 else population.per_active_step[users]

    def sees_button(self, population: Population, users: np.ndarray) -> np.ndarray:
        """Whether each of ``users`` sees the gift button now, bool (k,)."""
        return population.sees_button(users, self.button_share)
