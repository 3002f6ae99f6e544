"""The classic modes: the engine reduced to independent cascade or Bass diffusion.

:class:`ClassicModel` reuses the gift model's graph, population arrays, recorder,
calendar and cascade parents (so :func:`sim.runner.collect`, the summary, the cascade
table and ``giftsim run`` work unchanged) and switches every other mechanism off:
no merchants, stock, budgets, expiry, occasions, rollout, activity or annoyance. The
step logic lives in :mod:`sim.model.ic` and :mod:`sim.model.bass`; :func:`make_model`
picks the model class for a scenario's ``mode``.

What the shared outputs mean here: an adopter (IC: an active user) is aware and a
sender (``aware_via`` = ``gift`` when a friend caused it, else ``impression``), its
cascade parent is who activated it, and it sends no gifts. Series filled:
``active_users`` (IC: users passing the feature on in the step; Bass: users still able
to adopt), ``aware_users`` and ``senders`` (adopters so far), ``new_senders`` (adopters
in the step), ``button_share`` and ``occasion_lift`` (1); the others are 0. In IC mode
``aware_step`` dates a user by generation (seeds 0), and series row t, the end of step t,
holds generation t + 1 (the seeds are in no row's ``new_senders``).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..calendar import Calendar
from ..graph import CSRGraph
from ..scenario import ScenarioError
from ..scenario.schema import BassMode, IndependentCascadeMode, Scenario
from .bass import add_to_friends, bass_step
from .gifts import GiftLedger
from .ic import ic_step
from .merchants import MerchantTable
from .model import GiftModel, RunModel
from .population import Population
from .recorder import Recorder
from .states import AwareVia

__all__ = ["ClassicModel", "make_model"]


class ClassicModel(RunModel):
    """Independent cascade or Bass diffusion on the scenario's graph.

    Parameters
    ----------
    scenario : Scenario
        With ``mode.kind`` ``independent_cascade`` or ``bass``.
    seed : int or numpy.random.SeedSequence, default 0
        The run's seed: the graph comes from its ``graph`` stream (as in gift mode, so
        the same seed gives the same graph in every mode), every other draw from its
        ``dynamics`` stream.
    graph : CSRGraph, optional
        A prebuilt graph to use instead of ``scenario.graph``.

    Attributes
    ----------
    gift_scenario (also ``config``), graph, calendar, population, merchant_table (empty), ledger (empty),
    recorder, step_index, n_steps, steps_per_day, totals (0.0 for any key)
        As in :class:`sim.model.GiftModel`.
    frontier : ndarray of int64
        Users activated in the last step (IC) or adopters of the last step (Bass).
    n_adopted : int
        Adopters so far (IC: active users), counted as they adopt.

    Notes
    -----
    ``population.senders`` is ``population.aware`` and ``population.first_send_step`` is
    ``population.aware_step`` (the same arrays): here an adopter is both at once.

    Raises
    ------
    ValueError
        If the mode is ``gift``, or ``mode.seeds`` exceeds the number of users.
    """

    def __init__(self, scenario: Scenario, *, seed: int | np.random.SeedSequence = 0,
                 graph: CSRGraph | None = None) -> None:
        mode = scenario.mode
        if not isinstance(mode, (IndependentCascadeMode, BassMode)):
            raise ValueError(f"ClassicModel runs mode kinds independent_cascade and bass, not {mode.kind!r}")
        super().__init__(scenario, seed=seed, graph=graph)
        self.mode = mode
        streams, graph, time = self.streams, self.graph, scenario.time
        self.calendar = Calendar.build(time, scenario.rollout, [])
        n = graph.n_users
        self.population = Population.blank(n)
        # an adopter is aware and a sender at once: one array for both, one for both dates
        self.population.senders = self.population.aware
        self.population.first_send_step = self.population.aware_step
        self.merchant_table = MerchantTable.draw(
            scenario.merchants.emptied(), price_cap=scenario.gifts.price_cap, steps_per_day=self.steps_per_day,
            rng=np.random.default_rng(streams["merchants"]),
        )
        self.ledger = GiftLedger(capacity=16)
        self.recorder = Recorder(self.n_steps)
        self.totals: dict[str, float] = defaultdict(float)  # no money moves: every total is 0
        self.step_index = 0
        self.running = self.n_steps > 0
        self.frontier = np.empty(0, dtype=np.int64)
        self.n_adopted = 0
        if isinstance(mode, IndependentCascadeMode):
            if mode.seeds > n:  # a graph file: its size is known only now
                raise ScenarioError(
                    f"mode.seeds = {mode.seeds}: is more than the graph's {n:,} users; "
                    f"allowed: 1 <= seeds <= {n}"
                )
            seeds = np.sort(self.rng.choice(n, size=mode.seeds, replace=False)).astype(np.int64)
            self._adopt(seeds, np.full(seeds.size, -1, dtype=np.int64), step=0, via=AwareVia.IMPRESSION)
            self.frontier = seeds
        else:
            self._adopted_friends = np.zeros(n, dtype=np.int64)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance one step: one generation (IC) or ``time.step_hours`` (Bass).

        IC: the cost follows the frontier (its friendship entries and the users it
        activates), never the population: the adopter count is kept as users adopt.
        Bass: every non-adopter may innovate, so a step costs O(users).
        """
        if not self.running:
            return
        g, pop, t = self.graph, self.population, self.step_index
        ic = isinstance(self.mode, IndependentCascadeMode)
        if ic:
            active = self.frontier.size
            new, parent = ic_step(g.indptr, g.indices, self.frontier, pop.aware, self.mode.p, self.rng)
            # the IC seeds are activated before step 0, so IC activations are dated t + 1
            self._adopt(new, parent, step=t + 1, via=AwareVia.GIFT)
        else:
            active = pop.n_users - self.n_adopted
            new, parent = bass_step(g.indptr, g.indices, pop.senders, self._adopted_friends,
                                    self.mode.p * self.step_days, self.mode.q * self.step_days,
                                    self.rng)
            add_to_friends(g.indptr, g.indices, new, self._adopted_friends)
            self._adopt(new, parent, step=t, via=np.where(parent >= 0, AwareVia.GIFT, AwareVia.IMPRESSION))
        self.frontier = new
        cols = self.recorder.columns  # the other series stay 0
        cols["button_share"][t] = 1.0
        cols["occasion_lift"][t] = 1.0
        cols["active_users"][t] = active
        cols["new_senders"][t] = new.size
        cols["aware_users"][t] = self.n_adopted
        cols["senders"][t] = self.n_adopted
        self.step_index += 1
        self.running = self.step_index < self.n_steps and not (ic and new.size == 0)

    def run(self) -> None:
        """Run until the end of the period (IC: or until the cascade stops)."""
        while self.running:
            self.step()

    def _adopt(self, users: np.ndarray, parents: np.ndarray, step: int, via: np.ndarray | int) -> None:
        """Mark ``users`` (distinct, none adopted yet) as adopters: O(len(users))."""
        pop = self.population
        pop.aware[users] = True  # also pop.senders: the same array
        pop.aware_step[users] = step  # also pop.first_send_step
        pop.parent[users] = parents
        pop.aware_via[users] = via
        self.n_adopted += int(users.size)


def make_model(scenario: Scenario, *, seed: int | np.random.SeedSequence = 0,
               graph: CSRGraph | None = None) -> GiftModel | ClassicModel:
    """The model for ``scenario.mode``: :class:`GiftModel` for ``gift``, else
    :class:`ClassicModel` (same arguments)."""
    if scenario.mode.kind == "gift":
        return GiftModel(scenario, seed=seed, graph=graph)
    return ClassicModel(scenario, seed=seed, graph=graph)
