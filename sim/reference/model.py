"""ReferenceModel: the gift rules as plain per-agent Mesa code, the oracle for the engine.

One :class:`~sim.reference.agents.User` per person and one
:class:`~sim.reference.agents.Shop` per merchant; each day (step) runs the engine's
sub-steps in the engine's order, agent by agent:

1. ``open_day``        calendar (occasion lift, rollout share); shops receive deliveries
2. ``wake``            each user is active or not
3. ``settle_gifts``    recipients open gift boxes and accept; expired gifts are refunded
4. ``show_ads``        commercial impressions, split by the traffic policy; clicks are visits
5. ``send_gifts``      reciprocity, pay-it-forward and visits become gifts
6. ``calm_down``       users past their annoyance threshold mute; annoyance fades
7. ``update_shops``    restock; periodic review: leave, then join
8. the day's counts

Rules covered: everything the default WeChat scenario uses (activity, commercial
impressions, any registered allocation policy, clicks and visits, one gift per sender
per step by priority, recipients by tie strength, budgets, stock with reservation and
stockouts, logistic acceptance, expiry and refunds, returns, reciprocity and
pay-it-forward as two independent decisions (after sending back, paying forward later),
awareness and cascade parents, annoyance and muting, occasions and the staged rollout,
merchants' restock, review, exit and entry with the onboarding cap).
Not covered (refused with ValueError): platform push, induced sharing, the chat-menu
entry, cash gifts, the response to stimuli (``population.response``), and the classic modes.

It trades speed for clarity (one Python object per person, one call per person
per sub-step) and is meant for a few thousand users: it checks the vectorised engine
statistically (``tests/reference/test_reference.py``) and measures its speed-up
(``benchmarks/reference.py``).
"""

from __future__ import annotations

import datetime as dt

import mesa
import numpy as np
from mesa.agentset import AgentSet

from ..calendar import run_occasions
from ..graph import CSRGraph, build_graph
from ..model.states import GiftOutcome
from ..policies import MerchantView, make_policy, normalise
from ..scenario.schema import Occasion, RolloutConfig, Scenario
from .agents import Gift, Shop, User

__all__ = ["ReferenceModel", "unsupported", "occasion_lift_on", "rollout_share_on"]


def unsupported(scenario: Scenario) -> list[str]:
    """The scenario's features the reference model does not implement (empty if none)."""
    out = []
    if scenario.mode.kind != "gift":
        out.append(f"mode.kind = {scenario.mode.kind!r}")
    if scenario.policy.push.enabled:
        out.append("policy.push.enabled")
    if scenario.policy.induced_sharing.enabled:
        out.append("policy.induced_sharing.enabled")
    if scenario.gifts.chat_entry_from is not None:
        out.append("gifts.chat_entry_from")
    if scenario.gifts.item != "product":
        out.append(f"gifts.item = {scenario.gifts.item!r}")
    if scenario.time.step_hours != 24:
        out.append("time.step_hours other than 24")
    out += [f"merchants.{name}.categories" for name, t in scenario.merchants.kinds().items() if t.categories]
    if scenario.population.response.enabled:
        out.append("population.response.enabled")
    if scenario.calendar.birthday_gift_rate > 0:
        out.append("calendar.birthday_gift_rate")
    if scenario.policy.push.events:
        out.append("policy.push.events")
    if scenario.groups.enabled:
        out.append("groups.enabled")
    if scenario.policy.paid_traffic.enabled:
        out.append("policy.paid_traffic.enabled")
    out += [f"merchants.{name}.{key}" for name, t in scenario.merchants.kinds().items()
            for key, on in (("per_10k_users", t.per_10k_users is not None), ("channel", t.channel != "shop")) if on]
    market = scenario.merchants.market
    if market.visibility_weight > 0 or market.reentry_after_days is not None:
        out.append("merchants.market")
    return out


def occasion_lift_on(day: dt.date, occasions: list[Occasion]) -> float:
    """1 + the sum over occasions of lift times a bump that is 1 on the date and falls
    linearly to 0 over ``lead_days + 1`` days before and ``lag_days + 1`` days after."""
    lift = 1.0
    for occ in occasions:
        x = (day - occ.date).days
        bump = 1.0 + x / (occ.lead_days + 1) if x <= 0 else 1.0 - x / (occ.lag_days + 1)
        lift += occ.lift * min(1.0, max(0.0, bump))
    return lift


def rollout_share_on(day: dt.date, rollout: RolloutConfig) -> float:
    """Share of users in the staged rollout: linear between schedule points, flat outside."""
    points = rollout.schedule
    if day <= points[0].date:
        return points[0].share
    for before, after in zip(points, points[1:]):
        if day <= after.date:
            span = (after.date - before.date).days
            return before.share + (after.share - before.share) * (day - before.date).days / span
    return points[-1].share


class ReferenceModel(mesa.Model):
    """The gift model written agent by agent (see the module docstring for the rules).

    Parameters
    ----------
    scenario : Scenario
        Without push, induced sharing, chat entry or cash gifts.
    seed : int, default 0
        Seed of the run's generator; every draw comes from it (``self.rng`` for numpy
        draws, Mesa's ``self.random``, itself seeded from ``self.rng``, for the rest).
    graph : CSRGraph, optional
        The social graph with tie strengths; built from ``scenario.graph`` otherwise.

    Attributes
    ----------
    users : list of User
        Indexed by node id.
    people : mesa.agentset.AgentSet
        The same users, activated in index order by ``do`` for each per-user sub-step.
    shops : list of Shop
        Indexed by merchant id.
    pending : list of Gift
        Gifts not yet ended, in sending order.
    counts : dict of str to float
        Totals since the start (see :data:`sim.reference.oracle.OUTCOMES`).

    Raises
    ------
    ValueError
        If the scenario uses a feature listed by :func:`unsupported`.
    """

    user_class: type[User] = User
    """The class of the users (a subclass can change one rule, as the oracle test does)."""

    def __init__(self, scenario: Scenario, *, seed: int = 0, graph: CSRGraph | None = None) -> None:
        missing = unsupported(scenario)
        if missing:
            raise ValueError("the reference model does not implement: " + ", ".join(missing))
        super().__init__(rng=np.random.default_rng(seed))
        self.config = scenario
        if graph is None:
            gseed = scenario.graph.seed if scenario.graph.seed is not None else seed
            graph = build_graph(scenario.graph, rng=np.random.default_rng(gseed))
        time = scenario.time
        self.n_steps = time.n_steps
        self.steps_per_day = time.steps_per_day
        self.step_days = time.step_hours / 24.0
        self.expiry_steps = scenario.gifts.expiry_hours // time.step_hours
        self.review_days = scenario.merchants.review_days
        self.review_steps = self.review_days * self.steps_per_day
        self.demand_window_steps = scenario.merchants.demand_window_days * self.steps_per_day
        pop = scenario.population
        self.impressions_per_user = pop.feed_impressions * self.step_days * scenario.policy.commercial_share
        self.annoyance_fade = (1.0 - pop.annoyance_decay) ** self.step_days
        self.policy = make_policy(scenario.policy.allocation)
        self.occasions = run_occasions(scenario)  # the dated occasions, or the yearly calendar's
        self.users = self._make_users(graph)
        self.shops = self._make_shops()
        self.people = AgentSet(self.users, random=self.random)  # Mesa activates users through it
        self.pending: list[Gift] = []
        self.n_gifts = 0
        self.kept_forwards: list[tuple] = []  # (user, shop, giver, due step, last step)
        self.period_sales = 0  # units accepted and kept since the last review
        self.merchants_left = 0
        self.counts: dict[str, float] = dict.fromkeys((
            "gifts_sent", "gifts_accepted", "gifts_expired", "gifts_returned", "paid_rmb", "gmv_rmb",
            "refunded_rmb", "returns_rmb", "stockouts", "unaffordable", "commercial_impressions",
            "product_visits", "merchants_joined"), 0)
        self.step_index = 0
        self.lift = 1.0
        self.rollout_share = 0.0
        self.running = self.n_steps > 0

    def _make_users(self, graph: CSRGraph) -> list[User]:
        cfg, n, rng = self.config.population, graph.n_users, self.rng
        daily = np.clip(cfg.activity.sample(rng, n), 0.0, 1.0)
        traits = {
            "activity": 1.0 - (1.0 - daily) ** self.step_days,
            "propensity": cfg.shopping_propensity.sample(rng, n),
            "reciprocity": cfg.reciprocity.sample(rng, n),
            "pay_forward": cfg.pay_forward.sample(rng, n),
            "mute_threshold": cfg.mute_threshold.sample(rng, n),
            "rollout_rank": rng.random(n),
            "budget": cfg.budget.sample(rng, n),
        }
        users = [self.user_class(self, i, **{k: float(v[i]) for k, v in traits.items()}) for i in range(n)]
        indptr, indices, weights = graph.indptr.tolist(), graph.indices.tolist(), graph.weights.tolist()
        for i, user in enumerate(users):
            for e in range(indptr[i], indptr[i + 1]):
                user.befriend(users[indices[e]], weights[e])
        return users

    def _make_shops(self) -> list[Shop]:
        cfg, rng = self.config.merchants, self.rng
        cap = self.config.gifts.price_cap
        shops: list[Shop] = []
        for kind, t in enumerate(cfg.types()):
            n = t.count
            quality = t.quality.sample(rng, n)
            price = np.clip(t.price.sample(rng, n), 0.01, cap)
            appeal = t.appeal.sample(rng, n)
            followers = np.floor(t.followers.sample(rng, n))
            starts = set(rng.permutation(n)[: int(round(n * t.joined_at_start))].tolist())
            for j in range(n):
                shops.append(Shop(
                    self, len(shops), kind, price=float(price[j]), quality=float(quality[j]),
                    appeal=float(appeal[j]), followers=float(followers[j]), commission=t.commission,
                    unit_cost_share=t.unit_cost_share, fixed_cost_per_week=t.fixed_cost_per_week,
                    reorder_point=t.reorder_point, restock_quantity=t.restock_quantity,
                    lead_steps=t.lead_days * self.steps_per_day,
                    return_prob=t.return_rate * (1.0 - float(quality[j])), expectation=t.expectation,
                    stock=t.initial_stock, on_platform=j in starts))
        return shops

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        """One step (a day by default)."""
        if not self.running:
            return
        self.open_day()
        self.people.do("wake")
        accepted = self.settle_gifts()
        self.show_ads()
        self.send_gifts(accepted)
        self.people.do("calm_down")
        self.update_shops()
        self.step_index += 1
        self.running = self.step_index < self.n_steps

    def run(self) -> None:
        """Run all remaining steps."""
        while self.running:
            self.step()

    def open_day(self) -> None:
        """The day's occasion lift and rollout share; shops receive deliveries."""
        day = self.config.time.start + dt.timedelta(days=self.step_index // self.steps_per_day)
        self.lift = occasion_lift_on(day, self.occasions)
        self.rollout_share = rollout_share_on(day, self.config.rollout)
        if (self.config.population.budget_period == "month" and day.day == 1 and self.step_index > 0
                and self.step_index % self.steps_per_day == 0):
            for user in self.users:  # a new month's budget: what is left of the last one lapses
                user.budget = user.monthly_budget
        for shop in self.shops:
            shop.open_day()

    def settle_gifts(self) -> list[Gift]:
        """Active recipients open unopened gift boxes, oldest first, and accept or ignore;
        then every gift past its deadline expires and is refunded. Returns the gifts
        accepted in this step, oldest first."""
        accepted = []
        for gift in self.pending:
            if gift.recipient.active and not gift.seen and gift.recipient.open_gift(gift):
                gift.outcome = GiftOutcome.ACCEPTED
                gift.shop.ship(gift)
                accepted.append(gift)
                self.counts["gifts_accepted"] += 1
                self.counts["gmv_rmb"] += gift.price
                if gift.returned:
                    self.counts["gifts_returned"] += 1
                    self.counts["returns_rmb"] += gift.price
        still = []
        for gift in self.pending:
            if gift.outcome != GiftOutcome.PENDING:
                continue
            if gift.deadline <= self.step_index:
                gift.outcome = GiftOutcome.EXPIRED
                gift.sender.budget += gift.price
                gift.shop.release()
                self.counts["gifts_expired"] += 1
                self.counts["refunded_rmb"] += gift.price
            else:
                still.append(gift)
        self.pending = still
        return accepted

    def merchant_view(self, expected_impressions: int) -> MerchantView:
        """The shops' public state, as the traffic policy sees it."""
        s = self.shops
        return MerchantView(
            day=self.step_index, step_days=self.step_days,
            active=np.array([x.on_platform for x in s], dtype=bool),
            kind=np.array([x.kind for x in s], dtype=np.int8),
            followers=np.array([x.followers for x in s], dtype=np.float64),
            joined_day=np.array([x.joined_step for x in s], dtype=np.int32),
            recent_orders=np.array([x.recent_orders for x in s], dtype=np.float64),
            total_orders=np.array([x.orders for x in s], dtype=np.float64),
            total_impressions=np.array([x.impressions for x in s], dtype=np.float64),
            quality=np.array([x.quality for x in s], dtype=np.float64),
            expected_impressions=float(expected_impressions),
            kind_names=self.config.merchants.kind_names, head_kinds=self.config.merchants.head_kinds(),
        )

    def show_ads(self) -> None:
        """Users see their commercial impressions; the policy's shares say whose ads."""
        self.people.do("open_feed")
        total = sum(user.impressions for user in self.users)
        self.counts["commercial_impressions"] += total
        view = self.merchant_view(total)
        shares = normalise(self.policy.weights(view, self.rng), view.active)
        cum_shares = np.cumsum(shares).tolist() if view.active.any() else []
        self.people.do("see_ads", self.shops, cum_shares)
        self.counts["product_visits"] += sum(len(user.visits) for user in self.users)

    def send_gifts(self, accepted: list[Gift]) -> None:
        """Gift intents by priority (sending back, kept pay-forward intents due now, paying
        forward, product-page visits);
        each user sends at most one gift per step, the first intent they can act on."""
        giving_back, paying_forward = [], []  # (user, shop, recipient or None, tie, giver)
        window, t = self.config.population.pay_forward_days * self.steps_per_day, self.step_index
        for gift in accepted:  # two independent decisions; both: back now, forward later
            r = gift.recipient
            back = self.random.random() < r.reciprocity
            forward = self.random.random() < r.pay_forward
            if back:
                giving_back.append((r, gift.shop, gift.sender, gift.tie, None))
            if forward and not back:
                paying_forward.append((r, gift.shop, None, 0.0, gift.sender))
            elif forward:
                self.kept_forwards.append((r, gift.shop, gift.sender, t + self.random.randint(1, window), t + window))
        due = [k for k in self.kept_forwards if k[3] <= t and k[0].active]
        self.kept_forwards = [k for k in self.kept_forwards if not (k[3] <= t and k[0].active) and k[4] > t]
        paying_forward = [(u, shop, None, 0.0, giver) for u, shop, giver, _, _ in due] + paying_forward
        visiting = []
        for user in self.users:
            shop = user.visit_intent()
            if shop is not None:
                visiting.append((user, shop, None, 0.0, None))
        chosen, buyers = set(), []
        for user, shop, to, tie, giver in giving_back + paying_forward + visiting:
            if user in chosen or user.muted or not user.sees_button() or not shop.on_platform:
                continue
            chosen.add(user)
            if to is None:
                pick = user.choose_friend(exclude=giver)
                if pick is None:
                    continue
                to, tie = pick
            if shop.price > user.budget:
                self.counts["unaffordable"] += 1
                continue
            buyers.append((user, shop, to, tie))
        # buyers reach the shops' last units in random order
        order = list(range(len(buyers)))
        self.random.shuffle(order)
        in_stock = [False] * len(buyers)
        for i in order:
            in_stock[i] = buyers[i][1].sell()
        for (user, shop, to, tie), ok in zip(buyers, in_stock):
            if not ok:
                self.counts["stockouts"] += 1
                continue
            self.pending.append(Gift(self.n_gifts, user, to, shop, shop.price, tie, self.step_index,
                                     self.step_index + self.expiry_steps))
            self.n_gifts += 1
            user.budget -= shop.price
            if not user.has_sent:
                user.has_sent = True
                user.first_send_step = self.step_index
            self.counts["gifts_sent"] += 1
            self.counts["paid_rmb"] += shop.price

    def update_shops(self) -> None:
        """Shops restock; at each review, shops on the platform may leave, then shops never
        on it join, best expected profit first, while entry pays and the cap allows."""
        for shop in self.shops:
            shop.restock()
        if (self.step_index + 1) % self.review_steps:
            return
        for shop in self.shops:
            shop.review()
        sold, self.period_sales = self.period_sales, 0
        n_on = sum(shop.on_platform for shop in self.shops)
        cap = self.config.merchants.max_admissions_per_week
        room = None if cap is None else int(cap * self.review_days / 7)
        first = sold / (n_on + 1)
        pool = [s for s in self.shops if not s.on_platform and not s.left]
        pool.sort(key=lambda s: (-s.expected_profit(first), s.index))
        for shop in pool:
            if room is not None and room <= 0:
                break
            if shop.expected_profit(sold / (n_on + 1)) <= 0:
                continue
            shop.on_platform = True
            shop.joined_step = self.step_index
            self.counts["merchants_joined"] += 1
            n_on += 1
            if room is not None:
                room -= 1

    # ------------------------------------------------------------------ results
    def outcomes(self) -> dict[str, float]:
        """Totals of the run so far, keyed as :data:`sim.reference.oracle.OUTCOMES`."""
        out = dict(self.counts)
        out["gifts_pending"] = len(self.pending)
        out["senders"] = sum(u.has_sent for u in self.users)
        out["aware_users"] = sum(u.aware for u in self.users)
        out["aware_by_gift"] = sum(u.parent is not None for u in self.users)
        out["muted_users"] = sum(u.muted for u in self.users)
        out["merchants_left"] = self.merchants_left
        out["active_merchants"] = sum(s.on_platform for s in self.shops)
        return out
