"""GiftModel: one Mesa model step per time step (a day by default).

:meth:`GiftModel.step` is the day's order in one list; each sub-step is a short function
in its own module under :mod:`sim.model.steps` (see ``docs/model.md`` for the rules):

1. ``begin_step``       calendar (date, occasion lift, rollout share; monthly budgets renewed);
                        restock deliveries
2. ``draw_activity``    who opens WeChat in this step
3. ``settle_gifts``     recipients open gift boxes and accept; expired gifts are refunded
4. ``allocate_traffic`` the policy splits commercial impressions among merchants; clicks,
                        pushes, invitations and the chat entry become visits
   ``birthday_gifts``   friends of the day's birthday users intend gifts to them (when on)
5. ``send_gifts``       reciprocity, pay-it-forward, birthday gifts and visits become gifts (budget, stock);
                        under induced sharing senders invite friends (the invitation log);
                        with ``groups.enabled``, ``group_gifts``: chat groups' gift boxes
6. ``update_annoyance`` annoyance fades; users past their threshold mute
7. ``update_merchants`` restock; periodic review: leave, enter (both decided by the
                        merchant agents, :mod:`sim.model.merchants`)
8. ``record``           the step's counts, returned by the sub-steps, into the daily series
                        (and Mesa's ``datacollector`` reads that row)

All randomness comes from ``self.rng``, one ``numpy.random.Generator`` seeded from the
run's seed, drawn in the order of the list above.
"""

from __future__ import annotations

import os

import mesa
import numpy as np
from mesa.agentset import AgentSet

from ..calendar import Calendar, run_occasions
from ..experiments.seeds import seed_streams
from ..graph import CSRGraph, build_graph
from ..policies import MerchantView, make_policy
from ..scenario.errors import ScenarioError
from ..scenario.schema import Scenario
from . import steps
from .gifts import GiftLedger
from .invitations import InvitationLog
from .merchants import DemandWindow, Merchant, MerchantTable, ProfitHistory
from .mesa_args import GiftRun, check_merchant_class, resolve_scenario, resolve_seed
from .mesa_data import make_datacollector
from .population import Population
from .recorder import Recorder
from .response import Response
from .states import GiftOutcome
from .steps.record import Tally, gather

__all__ = ["GiftModel", "RunModel", "run_graph", "seed_streams", "check_pool"]


def check_pool(scenario: Scenario, n_users: int) -> None:
    """Refuse merchant pools (``per_10k_users``) too large for the graph's ``n_users``
    users, before any merchant is drawn.

    Raises
    ------
    ScenarioError
        Naming the key and the allowed total.
    """
    problem = scenario.merchants.pool_problem(n_users)
    if problem is not None:
        raise ScenarioError(f"{problem[0]}: {problem[1]}")


def run_graph(scenario: Scenario, streams: dict[str, np.random.SeedSequence]) -> CSRGraph:
    """The run's social graph: from ``scenario.graph.seed`` when set (one graph for every
    replicate), else from the run's ``graph`` stream (see :func:`seed_streams`)."""
    gseed = (np.random.SeedSequence(scenario.graph.seed)
             if scenario.graph.seed is not None else streams["graph"])
    return build_graph(scenario.graph, rng=np.random.default_rng(gseed))


class RunModel(mesa.Model):
    """What every model of a run shares: the seed's streams, the dynamics generator
    (``self.rng``), giftsim's scenario (``gift_scenario``), the graph and the clock.

    Attributes
    ----------
    gift_scenario : Scenario
        giftsim's scenario of the run (``model.scenario`` is Mesa's, a
        :class:`~sim.model.mesa_args.GiftRun` pointing at it).
    seed : int or numpy.random.SeedSequence
        The run's seed.
    streams : dict of str to numpy.random.SeedSequence
        :func:`seed_streams` of the seed.
    n_steps, steps_per_day : int
    step_days : float
        Length of a step in days.
    invitations : InvitationLog
        Every induced-sharing invitation sent (empty unless the gift model runs with
        ``policy.induced_sharing`` on).
    """

    def __init__(self, scenario: Scenario, *, seed: int | np.random.SeedSequence = 0,
                 graph: CSRGraph | None = None) -> None:
        self.streams = seed_streams(seed)
        dynamics = np.random.default_rng(self.streams["dynamics"])
        super().__init__(scenario=GiftRun(rng=dynamics, seed=seed, gift_scenario=scenario))
        self.gift_scenario = scenario
        self.seed = seed
        self.graph = graph if graph is not None else run_graph(scenario, self.streams)
        self.n_steps = scenario.time.n_steps
        self.steps_per_day = scenario.time.steps_per_day
        self.step_days = scenario.time.step_hours / 24.0
        self.invitations = InvitationLog(capacity=16)

    @property
    def config(self) -> Scenario:
        """The giftsim scenario: the former name of :attr:`gift_scenario`, kept for existing code."""
        return self.gift_scenario


class GiftModel(RunModel):
    """Social gift virality on a social graph, with merchants and a traffic policy.

    Built from keyword arguments, as Mesa's tools build models: ``mesa.batch_run(GiftModel,
    parameters={"scenario": "my.toml", "policy.commercial_share": [0.02, 0.2]}, ...)`` calls
    ``GiftModel(scenario="my.toml", **{"policy.commercial_share": 0.02}, seed=...)``.

    Parameters
    ----------
    scenario : Scenario, str, path-like or None, default None
        giftsim's scenario: a validated :class:`~sim.scenario.Scenario`, the path of a
        scenario file, or None for every key at its default on a generated 1,000-user
        graph (:data:`sim.model.mesa_args.DEFAULT_SCENARIO`). In ``mesa.batch_run``'s
        ``parameters`` it is a fixed parameter: a path string is passed as it is, while
        batch_run iterates any other iterable value (a Scenario object too), so put a
        Scenario object in a one-item list (``"scenario": [sc]``).
    seed : int or numpy.random.SeedSequence, optional
        The run's seed, 0 to 2**63 - 1; every random draw derives from it. With neither
        ``seed`` nor ``rng``, a fresh seed from the operating system (``model.seed`` holds it).
    rng : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Mesa's name for the seed (a Generator gives one); not with ``seed``.
    graph : CSRGraph, optional
        A prebuilt graph (tie strengths included) to use instead of ``scenario.graph``.
    merchant_class : type, default Merchant
        The merchants' agent class: :class:`~sim.model.Merchant` or a user's subclass
        whose ``restock``, ``review`` or ``expected_profit`` replace the built-in decisions,
        called per merchant (see :class:`~sim.model.Merchant` and ``docs/extending.md``).
    **overrides
        Dotted scenario keys and values, e.g. ``**{"policy.commercial_share": 0.05}``,
        applied as ``giftsim run --set`` applies them.

    Raises
    ------
    sim.scenario.ScenarioError
        If the file cannot be loaded or an override names an unknown key or a value the
        key does not allow (the message names the key and what is allowed).
    TypeError, ValueError
        For a ``scenario`` of another type, a seed that is not a non-negative 63-bit
        integer, both ``seed`` and ``rng``, or a ``merchant_class`` that is not a
        subclass of :class:`~sim.model.Merchant`.

    Attributes
    ----------
    gift_scenario : Scenario
        giftsim's scenario (``config`` is its former name; ``scenario`` is Mesa's own,
        a :class:`~sim.model.mesa_args.GiftRun`).
    seed : int or numpy.random.SeedSequence
    graph : CSRGraph
    calendar : Calendar
    population : Population
    merchant_table : MerchantTable
    ledger : GiftLedger
    invitations : InvitationLog
        Every induced-sharing invitation and how it ended (see :class:`RunModel`).
    recorder : Recorder
    datacollector : mesa.DataCollector
        The daily series for Mesa's tools (``mesa.batch_run``, SolaraViz plots): one row
        per step, collected at the end of :meth:`step` and read from the recorder's columns
        (:func:`sim.model.mesa_data.make_datacollector`).
    groups : steps.groups.GroupState or None
        The chat groups and the group gifts in flight; None without ``groups.enabled``.
    world : steps.World
        The state the sub-steps work on (the objects above, the item and the generator).
    demand : DemandWindow
        Orders and demand per merchant over ``merchants.demand_window_days``.
    tally : steps.record.Tally
        Cumulative user counts and money totals.
    step_index : int
        Number of steps completed (the next step to run).
    totals : dict of str to float
        Money flows since the start, RMB: ``paid``, ``gmv`` (accepted products), ``cash``
        (accepted cash gifts), ``refunded`` (expired gifts), ``returns`` (returned gifts),
        ``commission`` and ``merchant_revenue`` (both net of returns).
    """

    def __init__(self, scenario: Scenario | str | os.PathLike | None = None, *,
                 seed: int | np.random.SeedSequence | None = None, rng=None, graph: CSRGraph | None = None,
                 merchant_class: type[Merchant] = Merchant, **overrides) -> None:
        check_merchant_class(merchant_class)
        scenario = resolve_scenario(scenario, overrides)
        super().__init__(scenario, seed=resolve_seed(seed, rng), graph=graph)
        streams, graph, time = self.streams, self.graph, scenario.time
        self.calendar = Calendar.build(time, scenario.rollout, run_occasions(scenario))
        prng = np.random.default_rng(streams["population"])
        self.population = Population.draw(scenario.population, graph.n_users, step_hours=time.step_hours, rng=prng)
        self.birthdays = None  # users by birthday, drawn (after the traits) only with birthday gifts on
        if scenario.calendar.birthday_gift_rate > 0:
            self.population.draw_birthdays(prng)
            self.birthdays = steps.occasions.BirthdayBook.of(self.population.birthday)
        check_pool(scenario, graph.n_users)
        self.merchant_table = MerchantTable.draw(
            scenario.merchants, price_cap=scenario.gifts.price_cap,
            steps_per_day=self.steps_per_day, rng=np.random.default_rng(streams["merchants"]),
            n_users=graph.n_users, paid=scenario.policy.paid_traffic, categories=scenario.categories,
        )
        self.merchant_class = merchant_class
        self.merchant_agents = [merchant_class(self, i) for i in range(self.merchant_table.n_merchants)]
        self.merchants = AgentSet(self.merchant_agents, random=self.random)
        self.profit_history = ProfitHistory(self.merchant_table.n_merchants, scenario.merchants.exit_after)
        self.policy = make_policy(scenario.policy.allocation)
        self.ledger = GiftLedger()
        self.recorder = Recorder(self.n_steps)
        self.expiry_steps = scenario.gifts.expiry_hours // time.step_hours
        self.review_days = scenario.merchants.review_days
        self.review_steps = self.review_days * self.steps_per_day
        self.demand_window_steps = scenario.merchants.demand_window_days * self.steps_per_day
        self.demand = DemandWindow(self.demand_window_steps, self.merchant_table.n_merchants)
        self.item = steps.make_item(scenario.gifts, self.merchant_table)
        self.groups = steps.groups.build_groups(scenario, graph, streams["groups"])
        self.chat_from_step = self.item.chat_from_step(scenario.gifts, time.start, self.steps_per_day)
        self.world = steps.World(
            population=self.population, merchants=self.merchant_table, ledger=self.ledger,
            invitations=self.invitations, graph=graph, item=self.item, demand=self.demand, rng=self.rng,
            response=Response(scenario.population.response, graph.n_users, self.step_days))
        self.period_sales = 0.0  # units accepted and kept since the last review
        pop = self.population
        self.tally = Tally(aware=int(np.count_nonzero(pop.aware)), senders=int(np.count_nonzero(pop.senders)),
                           muted=int(np.count_nonzero(pop.muted)))
        self.totals = self.tally.totals
        self.step_index = 0
        self.running = self.n_steps > 0
        self.datacollector = make_datacollector()

    # ------------------------------------------------------------------ helpers
    @property
    def recent_orders(self) -> np.ndarray:
        """Gift orders per merchant over the demand window, float64 of shape (n_merchants,)."""
        return self.demand.recent_orders

    @property
    def recent_demand(self) -> np.ndarray:
        """Orders plus lost sales per merchant over the demand window, float64 (n_merchants,)."""
        return self.demand.recent_demand

    @property
    def now(self) -> steps.Now:
        """The step being run (after the end: the last step's calendar)."""
        t = min(self.step_index, self.n_steps - 1)
        return steps.Now(step=self.step_index, button_share=self.calendar.rollout[t], lift=self.calendar.lift[t],
                         steps_per_day=self.steps_per_day, step_days=self.step_days)

    def button_visible(self, users: np.ndarray) -> np.ndarray:
        """Whether each user sees the gift button now (rollout or unlocked), bool (k,)."""
        return self.now.sees_button(self.population, users)

    def withhold(self, ids: np.ndarray) -> None:
        """Do not deliver gifts ``ids`` (int64): their recipients never see them; they expire
        at their deadline and are refunded (a paired run's treatment, :mod:`sim.metrics.causal`).

        Raises
        ------
        ValueError
            If a gift is not pending or was already seen.
        """
        ids = np.asarray(ids, dtype=np.int64)
        led = self.ledger
        if ids.size and (np.any(led.column("outcome")[ids] != GiftOutcome.PENDING) or np.any(led.column("seen")[ids])):
            raise ValueError("only pending gifts not yet seen can be withheld")
        led.set("withheld", ids, True)

    def merchant_view(self, expected_impressions: float) -> MerchantView:
        """The merchants' public state for the traffic policy."""
        return steps.traffic.merchant_view(self.merchant_table, self.demand, self.now, expected_impressions,
                                           self.gift_scenario.merchants)

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance one time step (a day by default): the day's order."""
        if not self.running:
            return
        day = self.begin_step()
        active = self.draw_activity()
        settled = self.settle_gifts(active)
        traffic = self.allocate_traffic(active)
        sent = self.send_gifts(traffic.visits, settled.accepted, active, self.birthday_gifts(active, traffic.shares))
        if self.groups is not None:
            settled, sent = self.group_gifts(active, traffic, settled, sent)
        newly_muted = self.update_annoyance()
        moves = self.update_merchants(settled.units_kept)
        self.record(day, active, settled, traffic, sent, newly_muted, moves)
        self.step_index += 1
        self.running = self.step_index < self.n_steps
        self.datacollector.collect(self)

    def run(self) -> None:
        """Run all remaining steps."""
        while self.running:
            self.step()

    def begin_step(self) -> steps.DayValues:
        """Calendar values of the step (monthly budgets renewed on a month's first day);
        restock orders that arrived go into stock."""
        if self.gift_scenario.population.budget_period == "month" and self.calendar.month_start[self.step_index]:
            self.population.renew_budgets()
        return steps.begin.begin_step(self.step_index, self.calendar, self.demand, self.merchant_table,
                                      self.merchant_agents)

    def draw_activity(self) -> np.ndarray:
        """Who is active in this step: bool of shape (n_users,)."""
        return steps.activity.draw_activity(self.population, self.rng)

    def settle_gifts(self, active: np.ndarray) -> steps.Settled:
        """Recipients open their gift boxes and accept or not; expired gifts are refunded
        (:func:`sim.model.steps.settle.settle_gifts`)."""
        return steps.settle.settle_gifts(self.world, self.step_index, self.gift_scenario.gifts, active)

    def allocate_traffic(self, active: np.ndarray) -> steps.Traffic:
        """The step's visits from impressions, pushes, invitations and the chat entry
        (:func:`sim.model.steps.traffic.allocate_traffic`)."""
        chat_open = self.chat_from_step is not None and self.step_index >= self.chat_from_step
        return steps.traffic.allocate_traffic(self.world, self.now, self.gift_scenario, self.policy, active, chat_open)

    def birthday_gifts(self, active: np.ndarray, shares: np.ndarray | None) -> steps.Intents:
        """The step's birthday-gift intents (:func:`sim.model.steps.occasions.birthday_intents`)."""
        return steps.occasions.birthday_intents(self.world, self.now, self.gift_scenario.calendar.birthday_gift_rate,
                                                self.birthdays, int(self.calendar.birthday[self.step_index]),
                                                active, shares)

    def send_gifts(self, visits: steps.Visits, accepted: np.ndarray, active: np.ndarray | None = None,
                   occasion: steps.Intents | None = None) -> steps.Sent:
        """Gift intents become gifts (:func:`sim.model.steps.send.send_gifts`); ``active``
        (bool (n_users,), default everyone) can act on kept pay-forward intents; ``occasion``:
        the step's birthday-gift intents."""
        return steps.send.send_gifts(self.world, self.now, self.gift_scenario, visits, accepted, self.expiry_steps,
                                     active, occasion)

    def group_gifts(self, active: np.ndarray, traffic: steps.Traffic, settled: steps.Settled,
                    sent: steps.Sent) -> tuple[steps.Settled, steps.Sent]:
        """Chat groups' gift boxes (:func:`sim.model.steps.groups.group_gifts`); returns
        ``settled`` and ``sent`` with the group gifts' counts added."""
        chat_open = self.chat_from_step is not None and self.step_index >= self.chat_from_step
        g_settled, g_sent = steps.groups.group_gifts(self.world, self.now, self.gift_scenario, self.groups, active,
                                                     traffic.shares, chat_open, self.expiry_steps)
        return steps.groups.merge_counts(settled, g_settled), steps.groups.merge_counts(sent, g_sent)

    def update_annoyance(self) -> int:
        """Users past their threshold mute; annoyance fades. Returns the users who muted."""
        return steps.annoyance.update_annoyance(self.population, step=self.step_index,
                                                decay=self.gift_scenario.population.annoyance_decay,
                                                step_days=self.step_days)

    def update_merchants(self, units_kept: int) -> steps.MerchantMoves:
        """Restock; at a review, merchants leave and enter (:mod:`sim.model.steps.merchants`).
        ``units_kept``: units accepted and not returned in this step."""
        sales = self.period_sales + units_kept
        review = steps.merchants.is_review_step(self.step_index, self.review_steps)
        moves = steps.merchants.update_merchants(
            self.merchant_table, self.merchant_agents, self.gift_scenario.merchants, step=self.step_index,
            review_steps=self.review_steps, period_sales=sales, demand=self.demand, history=self.profit_history,
            paid=self.gift_scenario.policy.paid_traffic, ledger=self.ledger,
            aware_share=self.tally.aware / self.graph.n_users, steps_per_day=self.steps_per_day)
        self.period_sales = 0.0 if review else sales
        return moves

    def record(self, day: steps.DayValues, active: np.ndarray, settled: steps.Settled, traffic: steps.Traffic,
               sent: steps.Sent, newly_muted: int, moves: steps.MerchantMoves) -> None:
        """Add the step's changes to the tallies and write its row of the daily series."""
        self.tally.add(settled, sent, newly_muted)
        self.recorder.record(self.step_index, gather(
            day, int(np.count_nonzero(active)), settled, traffic, sent, moves, self.tally,
            gifts_pending=int(self.ledger.pending.size) + (0 if self.groups is None else int(self.groups.units.size)),
            active_merchants=int(self.merchant_table.active.sum())))
