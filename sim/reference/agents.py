"""The reference model's agents: one :class:`User` per person, one :class:`Shop` per
merchant, and the :class:`Gift` they exchange. Plain Python, one object each.

Every rule here is the same rule as in :mod:`sim.model` (see ``docs/model.md`` §7),
written for one agent at a time; the comments name the engine method that applies it
to arrays.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from dataclasses import dataclass

import mesa

from ..model.states import AwareVia, GiftOutcome

__all__ = ["Gift", "Shop", "User"]


@dataclass(eq=False, slots=True)
class Gift:
    """One gift: who sent what to whom, and how it ended.

    Attributes
    ----------
    id : int
        Order of sending (the earliest gift a recipient opens makes them aware).
    sender, recipient : User
    shop : Shop
        The merchant whose product it is.
    price : float
        RMB, paid by the sender when sending.
    tie : float
        Tie strength of the friendship it travels along, in (0, 1].
    sent, deadline : int
        Step sent; last step on which it can be opened and accepted.
    seen : bool
        The recipient opened the gift box (an ignored gift stays pending until expiry).
    outcome : GiftOutcome
    returned : bool
        Accepted, then returned to the merchant.
    """

    id: int
    sender: User
    recipient: User
    shop: Shop
    price: float
    tie: float
    sent: int
    deadline: int
    seen: bool = False
    outcome: GiftOutcome = GiftOutcome.PENDING
    returned: bool = False


class User(mesa.Agent):
    """A person on the social graph.

    Parameters
    ----------
    model : ReferenceModel
    index : int
        Node id in the graph.
    activity : float
        Probability of opening the app in one step.
    propensity, reciprocity, pay_forward : float in [0, 1]
        Shopping propensity; chances, on accepting a gift, of sending one back / on.
    mute_threshold : float
        Annoyance at which the user mutes commerce.
    rollout_rank : float in [0, 1)
        The user sees the gift button once the rollout share exceeds it.
    budget : float
        Gift budget left, RMB: of the whole run, or of the month with monthly budgets
        (``monthly_budget``, the draw, is then granted again on each month's first day).
    """

    def __init__(self, model, index: int, *, activity: float, propensity: float, reciprocity: float,
                 pay_forward: float, mute_threshold: float, rollout_rank: float, budget: float) -> None:
        super().__init__(model)
        self.index = index
        self.activity = activity
        self.propensity = propensity
        self.reciprocity = reciprocity
        self.pay_forward = pay_forward
        self.mute_threshold = mute_threshold
        self.rollout_rank = rollout_rank
        self.budget = budget
        self.monthly_budget = budget
        self.friends: list[User] = []
        self.ties: list[float] = []
        self.cum_ties: list[float] = []  # running sum of ties, for drawing a friend
        self.active = False
        self.unlocked = False  # received a gift, so sees the button
        self.aware = False
        self.aware_step = -1
        self.aware_via = AwareVia.UNAWARE
        self.parent: User | None = None  # who made them aware (None for a cascade root)
        self.has_sent = False
        self.first_send_step = -1
        self.annoyance = 0.0
        self.muted = False
        self.muted_step = -1
        self.impressions = 0  # commercial impressions in the current step
        self.visits: list[Shop] = []  # product pages reached in the current step

    def befriend(self, friend: User, tie: float) -> None:
        """Add one friendship (called once per direction)."""
        self.friends.append(friend)
        self.ties.append(tie)
        self.cum_ties.append((self.cum_ties[-1] if self.cum_ties else 0.0) + tie)

    # ------------------------------------------------------------ a day, in order
    def wake(self) -> None:
        """Open the app in this step or not (engine: ``draw_activity``)."""
        self.active = self.random.random() < self.activity
        self.visits = []
        self.impressions = 0

    def sees_button(self) -> bool:
        """In the staged rollout, or unlocked by a received gift."""
        return self.rollout_rank < self.model.rollout_share or self.unlocked

    def learn(self, parent: User | None, via: AwareVia) -> None:
        """Become aware of the feature, once: the first source counts."""
        if not self.aware:
            self.aware = True
            self.aware_step = self.model.step_index
            self.aware_via = via
            self.parent = parent

    def open_gift(self, gift: Gift) -> bool:
        """Open a gift box: learn of the feature from the sender, unlock the button, and
        accept with probability logistic(intercept + tie weight * tie + quality weight *
        quality). Returns whether the gift is accepted (engine: ``settle_gifts``)."""
        cfg = self.model.config.gifts
        gift.seen = True
        self.learn(gift.sender, AwareVia.GIFT)
        if cfg.unlock_on_receive:
            self.unlocked = True
        logit = cfg.accept_intercept + cfg.accept_tie * gift.tie + cfg.accept_quality * gift.shop.quality
        return self.random.random() < 1.0 / (1.0 + math.exp(-logit))

    def open_feed(self) -> None:
        """An active, unmuted user sees Poisson(feed impressions * commercial share)
        commercial impressions, each adding annoyance (engine: ``allocate_traffic``)."""
        if not self.active or self.muted:
            return
        self.impressions = int(self.model.rng.poisson(self.model.impressions_per_user))
        self.annoyance += self.impressions * self.model.config.policy.ad_annoyance

    def see_ads(self, shops: list[Shop], cum_shares: list[float]) -> None:
        """Each impression shows merchant m with the policy's share; it is clicked with
        probability min(1, click_through * appeal_m), and a click is a product-page visit."""
        if not self.impressions or not cum_shares or cum_shares[-1] <= 0:
            return
        for _ in range(self.impressions):
            shop = shops[bisect_right(cum_shares, self.random.random() * cum_shares[-1])]
            shop.impressions += 1
            if self.random.random() < shop.click_prob:
                self.visits.append(shop)
        # competing visits are tried in random order, as in the engine
        self.random.shuffle(self.visits)

    def visit_intent(self) -> Shop | None:
        """On each product page: learn of the feature if the button shows (a cascade root),
        and gift from it with probability min(1, send_probability * propensity * occasion
        lift); the first page the user decides to gift from (engine: ``send_gifts``)."""
        if not self.visits or self.muted or not self.sees_button():
            return None
        self.learn(None, AwareVia.IMPRESSION)
        p_send = min(1.0, self.model.config.gifts.send_probability * self.propensity * self.model.lift)
        chosen = None
        for shop in self.visits:
            if self.random.random() < p_send and chosen is None:
                chosen = shop
        return chosen

    def choose_friend(self, exclude: User | None = None, tries: int = 8) -> tuple[User, float] | None:
        """A friend drawn with probability proportional to tie strength; ``exclude`` is
        redrawn up to ``tries`` times. None if there is no eligible friend."""
        if not self.friends:
            return None
        for _ in range(tries):
            i = bisect_right(self.cum_ties, self.random.random() * self.cum_ties[-1])
            i = min(i, len(self.friends) - 1)
            if self.friends[i] is not exclude:
                return self.friends[i], self.ties[i]
            if len(self.friends) == 1:
                return None
        return None

    def calm_down(self) -> None:
        """Mute once annoyance reaches the threshold; then annoyance fades
        (engine: ``update_annoyance``)."""
        if not self.muted and self.annoyance >= self.mute_threshold:
            self.muted = True
            self.muted_step = self.model.step_index
        self.annoyance *= self.model.annoyance_fade


class Shop(mesa.Agent):
    """A merchant: its product, stock, sales and decisions to restock, stay or join.

    Parameters
    ----------
    model : ReferenceModel
    index : int
        Merchant id (kinds in ``MerchantConfig.kind_names`` order, as in the engine).
    kind : int
        Kind code: the position of the shop's kind in ``MerchantConfig.kind_names``.
    traits : float
        ``price`` (RMB), ``quality`` [0, 1], ``appeal``, ``followers``, ``commission``,
        ``unit_cost_share``, ``fixed_cost_per_week`` (RMB), ``reorder_point``,
        ``restock_quantity`` (units), ``lead_steps``, ``return_prob``, ``expectation``,
        ``stock`` (initial units), ``on_platform`` (bool).
    """

    def __init__(self, model, index: int, kind: int, *, price: float, quality: float,
                 appeal: float, followers: float, commission: float, unit_cost_share: float,
                 fixed_cost_per_week: float, reorder_point: int, restock_quantity: int,
                 lead_steps: int, return_prob: float, expectation: float, stock: int,
                 on_platform: bool) -> None:
        super().__init__(model)
        self.index = index
        self.kind = kind
        self.price = price
        self.quality = quality
        self.appeal = appeal
        self.click_prob = min(1.0, max(0.0, model.config.gifts.click_through * appeal))
        self.followers = followers
        self.commission = commission
        self.unit_cost_share = unit_cost_share
        self.fixed_cost_per_week = fixed_cost_per_week
        self.reorder_point = reorder_point
        self.restock_quantity = restock_quantity
        self.lead_steps = lead_steps
        self.return_prob = return_prob
        self.expectation = expectation
        self.on_platform = on_platform
        self.left = False
        self.joined_step = 0 if on_platform else -1
        self.stock = stock
        self.reserved = 0  # units promised to pending gifts
        self.incoming = 0  # units ordered, not arrived
        self.deliveries: deque[tuple[int, int]] = deque()  # (arrival step, units)
        self.window: deque[list[int]] = deque(maxlen=model.demand_window_steps)  # [orders, lost] per step
        self.profits: deque[float] = deque()  # profit of recent review periods
        self.orders = self.accepted = self.returned = self.stockouts = self.impressions = 0
        self.gmv = self.revenue = self.period_revenue = self.period_cogs = 0.0

    @property
    def available(self) -> int:
        """Units in stock not promised to pending gifts."""
        return self.stock - self.reserved

    @property
    def recent_orders(self) -> int:
        """Orders over the demand window (the last ``demand_window_steps`` steps, today included)."""
        return sum(day[0] for day in self.window)

    @property
    def recent_demand(self) -> int:
        """Orders plus lost sales over the demand window."""
        return sum(day[0] + day[1] for day in self.window)

    def open_day(self) -> None:
        """Start the step's demand record; put arrived deliveries into stock."""
        self.window.append([0, 0])
        step = self.model.step_index
        while self.deliveries and self.deliveries[0][0] <= step:
            _, units = self.deliveries.popleft()
            self.stock += units
            self.incoming -= units

    def sell(self) -> bool:
        """A buyer reaches the shop: reserve a unit if one is available, else a lost sale."""
        if self.available > 0:
            self.reserved += 1
            self.orders += 1
            self.window[-1][0] += 1
            return True
        self.stockouts += 1
        self.window[-1][1] += 1
        return False

    def ship(self, gift: Gift) -> None:
        """An accepted gift leaves the warehouse; some are returned (refunded to the sender)."""
        model = self.model
        self.reserved -= 1
        self.stock -= 1
        self.accepted += 1
        self.gmv += gift.price
        self.period_cogs += gift.price * self.unit_cost_share
        if self.random.random() < self.return_prob:
            gift.returned = True
            gift.sender.budget += gift.price
            self.returned += 1
        else:
            net = gift.price * (1.0 - self.commission)
            self.revenue += net
            self.period_revenue += net
            model.period_sales += 1
        if self.random.random() < model.config.gifts.follow_probability:
            self.followers += 1

    def release(self) -> None:
        """An expired gift's reserved unit goes back on sale."""
        self.reserved -= 1

    def restock(self) -> None:
        """Order max(restock quantity, recent demand per step * (lead + review steps))
        units when available plus incoming units fall to the reorder point."""
        if not self.on_platform or self.available + self.incoming > self.reorder_point:
            return
        model = self.model
        per_step = self.recent_demand / model.demand_window_steps
        units = max(self.restock_quantity, math.ceil(per_step * (self.lead_steps + model.review_steps)))
        self.incoming += units
        self.deliveries.append((model.step_index + max(1, self.lead_steps), units))

    @property
    def period_fixed_cost(self) -> float:
        """Fixed cost of one review period, RMB: the weekly fixed cost times ``review_days / 7``."""
        return self.fixed_cost_per_week * self.model.review_days / 7.0

    def review(self) -> None:
        """On the platform: record the period's profit and leave for good when the last
        ``exit_after`` periods sum to a loss. Every shop starts a new period."""
        if self.on_platform:
            horizon = self.model.config.merchants.exit_after
            self.profits.append(self.period_revenue - self.period_cogs - self.period_fixed_cost)
            if len(self.profits) > horizon:
                self.profits.popleft()
            if len(self.profits) == horizon and sum(self.profits) < 0:
                self.on_platform = False
                self.left = True
                self.model.merchants_left += 1
        self.period_revenue = 0.0
        self.period_cogs = 0.0

    def expected_profit(self, orders: float) -> float:
        """Profit expected from a period on the platform if the average merchant sells ``orders``."""
        margin = self.price * (1.0 - self.commission - self.unit_cost_share)
        return orders * self.expectation * margin - self.period_fixed_cost
