"""The user population: per-user state in numpy arrays (no per-user Python objects)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.schema import PopulationConfig
from .arrays import first_occurrence
from .states import AwareVia

__all__ = ["Population"]


@dataclass(eq=False)
class Population:
    """Per-user traits and state; every array has shape (n_users,).

    Traits (drawn once from the scenario's distributions)
    -----------------------------------------------------
    activity : float64
        Probability of being active in one step (from the daily probability p).
    per_active_step : float64
        Share of a per-active-day amount that falls in one active step: p / (steps per
        day x activity), 1 with daily steps.
    propensity : float64
        Shopping propensity in [0, 1], multiplies the chance to gift on a visit.
    reciprocity, pay_forward : float64
        Chances, on accepting a gift, of sending one back / on to another friend: two
        independent decisions (:mod:`sim.model.steps.send`), each multiplied by the
        user's response to stimuli (:mod:`sim.model.response`) when it is on.
    mute_threshold : float64
        Annoyance at which the user mutes.
    rollout_rank : float64
        Uniform in [0, 1): the user sees the button once the rollout share exceeds it,
        so the rollout only ever grows.

    State
    -----
    budget : float64
        Remaining gift budget, RMB.
    start_budget : float64
        Budget at the start of the run, RMB (a copy of the draw, never changed): at every
        step ``budget == grants * start_budget - prices of the user's gifts not refunded
        - lapsed``.
    grants : int
        Budgets granted so far: 1, plus one per monthly renewal (:meth:`renew_budgets`).
    lapsed : float64
        Unspent budget lost at monthly renewals, RMB (0 with one budget for the run).
    birthday : int16
        Day of a common year, 0-364, of the user's birthday; -1 when birthdays are off
        (:meth:`draw_birthdays`).
    unlocked : bool
        Sees the gift button because they received a gift.
    aware : bool
        Knows the feature; ``aware_step`` (int32, -1), ``aware_via`` (int8,
        :class:`AwareVia`) and ``parent`` (int32, -1 for a cascade root) say when, how
        and from whom.
    senders : bool
        Has sent at least one gift; ``first_send_step`` (int32, -1).
    annoyance : float64; muted : bool; muted_step : int32 (-1 while not muted)
    invite_id : int64
        Pending induced-sharing invitation: its id in the model's
        :class:`~sim.model.invitations.InvitationLog` (product and inviter there), -1 for none.
    """

    activity: np.ndarray
    per_active_step: np.ndarray
    propensity: np.ndarray
    reciprocity: np.ndarray
    pay_forward: np.ndarray
    mute_threshold: np.ndarray
    rollout_rank: np.ndarray
    budget: np.ndarray
    start_budget: np.ndarray
    unlocked: np.ndarray
    aware: np.ndarray
    aware_step: np.ndarray
    aware_via: np.ndarray
    parent: np.ndarray
    senders: np.ndarray
    first_send_step: np.ndarray
    annoyance: np.ndarray
    muted: np.ndarray
    muted_step: np.ndarray
    invite_id: np.ndarray
    lapsed: np.ndarray
    birthday: np.ndarray
    grants: int = 1

    @classmethod
    def blank(cls, n_users: int) -> Population:
        """A population of ``n_users`` nobody in it aware, every trait 0 (no random draws;
        the classic modes use it as is, :meth:`draw` fills in the traits)."""
        def zeros() -> np.ndarray:  # np.zeros each: memory is not touched until written
            return np.zeros(n_users, dtype=np.float64)

        return cls(
            activity=zeros(), per_active_step=np.ones(n_users, dtype=np.float64), propensity=zeros(),
            reciprocity=zeros(), pay_forward=zeros(), mute_threshold=zeros(), rollout_rank=zeros(),
            budget=zeros(), start_budget=zeros(),
            unlocked=np.zeros(n_users, dtype=bool),
            aware=np.zeros(n_users, dtype=bool),
            aware_step=np.full(n_users, -1, dtype=np.int32),
            aware_via=np.full(n_users, AwareVia.UNAWARE, dtype=np.int8),
            parent=np.full(n_users, -1, dtype=np.int32),
            senders=np.zeros(n_users, dtype=bool),
            first_send_step=np.full(n_users, -1, dtype=np.int32),
            annoyance=zeros(),
            muted=np.zeros(n_users, dtype=bool),
            muted_step=np.full(n_users, -1, dtype=np.int32),
            invite_id=np.full(n_users, -1, dtype=np.int64),
            lapsed=zeros(),
            birthday=np.full(n_users, -1, dtype=np.int16),
        )

    @classmethod
    def draw(cls, cfg: PopulationConfig, n_users: int, *, step_hours: int,
             rng: np.random.Generator) -> Population:
        """Draw a population of ``n_users`` from the scenario's distributions.

        ``activity`` is converted from a daily probability p to a per-step one,
        1 - (1 - p) ** (step_hours / 24), so that the chance of being active at least once
        in a day stays p; ``per_active_step`` then scales per-day amounts so that their
        expected daily totals (p times the amount) stay the same too.
        """
        pop = cls.blank(n_users)
        daily = np.clip(cfg.activity.sample(rng, n_users), 0.0, 1.0)
        pop.activity = 1.0 - (1.0 - daily) ** (step_hours / 24.0)
        if step_hours < 24:
            # a user active on a day is active in 24 / step_hours * activity steps of it on
            # average; per-day amounts (impressions, pushes, chat-entry visits) are shared
            # among those steps so that their daily totals do not depend on the step length
            with np.errstate(invalid="ignore", divide="ignore"):
                share = daily / ((24 // step_hours) * pop.activity)
            pop.per_active_step = np.where(pop.activity > 0, share, 0.0)
        pop.propensity = cfg.shopping_propensity.sample(rng, n_users)
        pop.reciprocity = cfg.reciprocity.sample(rng, n_users)
        pop.pay_forward = cfg.pay_forward.sample(rng, n_users)
        pop.mute_threshold = cfg.mute_threshold.sample(rng, n_users)
        pop.rollout_rank = rng.random(n_users)
        pop.budget = cfg.budget.sample(rng, n_users)
        pop.start_budget = pop.budget.copy()
        return pop

    def draw_birthdays(self, rng: np.random.Generator) -> None:
        """Give each user a birthday, uniform over the 365 days of a common year
        (``birthday``, int16 in 0-364), drawn from ``rng``."""
        self.birthday = rng.integers(0, 365, size=self.n_users, dtype=np.int16)

    def renew_budgets(self) -> None:
        """A new budget period: unspent budget lapses (into ``lapsed``), every user's budget
        becomes their draw (``start_budget``) again; refunds of earlier gifts go to the
        new budget. O(n_users), once a month."""
        self.lapsed += self.budget
        self.budget[:] = self.start_budget
        self.grants += 1

    @property
    def n_users(self) -> int:
        """Number of users."""
        return int(self.activity.shape[0])

    def sees_button(self, users: np.ndarray, share: float) -> np.ndarray:
        """Whether each of ``users`` sees the gift button when the staged rollout has
        reached ``share`` (or they unlocked it by receiving a gift), bool (k,)."""
        return (self.rollout_rank[users] < share) | self.unlocked[users]

    def make_aware(self, users: np.ndarray, parents: np.ndarray, via: np.ndarray | int,
                   step: int) -> np.ndarray:
        """Mark users aware if they were not; return those newly aware (int64, unique).

        ``users`` may repeat: the first occurrence wins (callers order by priority).
        """
        users = np.asarray(users, dtype=np.int64)
        if users.size == 0:
            return users
        first = first_occurrence(users)
        first.sort()
        u = users[first]
        new = ~self.aware[u]
        u = u[new]
        self.aware[u] = True
        self.aware_step[u] = step
        self.parent[u] = np.asarray(parents)[first][new] if np.ndim(parents) else parents
        self.aware_via[u] = np.asarray(via)[first][new] if np.ndim(via) else via
        return u
