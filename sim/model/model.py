"""GiftModel: one Mesa model step per time step (a day by default).

Sub-steps, in order (each a method; see ``docs/model.md`` for the rules):

1. ``begin_step``      calendar (date, occasion lift, rollout share); restock deliveries
2. ``draw_activity``   who opens WeChat in this step
3. ``settle_gifts``    recipients open gift boxes and accept; expired gifts are refunded
4. ``allocate_traffic`` the policy splits commercial impressions among merchants; clicks,
                       pushes, invitations and the chat entry become visits
5. ``send_gifts``      reciprocity, pay-it-forward and visits become gifts (budget, stock);
                       under induced sharing senders invite friends (the invitation log)
6. ``update_annoyance`` annoyance fades; users past their threshold mute
7. ``update_merchants`` restock; periodic review: leave, apply, admit
8. ``record``          the step's row of the daily series

All randomness comes from ``self.rng``, one ``numpy.random.Generator`` seeded from the
run's seed.
"""

from __future__ import annotations

import mesa
import numpy as np
from mesa.agentset import AgentSet

from ..experiments.seeds import seed_streams
from ..graph import CSRGraph, build_graph
from ..policies import MerchantView, make_policy, normalise
from ..scenario.schema import Scenario
from .calendar import Calendar
from .gifts import GiftLedger
from .invitations import InvitationLog
from .merchants import Merchant, MerchantTable
from .population import Population
from .recorder import Recorder
from .states import AwareVia, GiftOutcome, GiftSource, InvitationOutcome

__all__ = ["GiftModel", "RunModel", "run_graph", "seed_streams"]


_AWARE_VIA = np.full(max(GiftSource) + 1, AwareVia.IMPRESSION, dtype=np.int8)
_AWARE_VIA[GiftSource.PUSH] = AwareVia.PUSH
_AWARE_VIA[GiftSource.INVITE] = AwareVia.INVITE
_AWARE_VIA[GiftSource.CHAT] = AwareVia.CHAT
"""How a visitor learns of the feature, by the source of their visit."""

_VISIT_PRIORITY = np.zeros(max(GiftSource) + 1, dtype=np.int8)
_VISIT_PRIORITY[[GiftSource.INVITE, GiftSource.CHAT, GiftSource.PUSH, GiftSource.IMPRESSION]] = [0, 1, 2, 3]
"""Which visit a user acts on when several lead to a gift in one step: a friend's invitation,
then the chat entry, then a push, then an ad (lower first)."""


def _per_merchant(values: np.ndarray, merchant: np.ndarray, default) -> np.ndarray:
    """``values[merchant]``, with ``default`` where the merchant is -1 (a cash gift)."""
    out = np.full(merchant.shape[0], default, dtype=values.dtype)
    has = merchant >= 0
    out[has] = values[merchant[has]]
    return out


def run_graph(scenario: Scenario, streams: dict[str, np.random.SeedSequence]) -> CSRGraph:
    """The run's social graph: from ``scenario.graph.seed`` when set (one graph for every
    replicate), else from the run's ``graph`` stream (see :func:`seed_streams`)."""
    gseed = (np.random.SeedSequence(scenario.graph.seed)
             if scenario.graph.seed is not None else streams["graph"])
    return build_graph(scenario.graph, rng=np.random.default_rng(gseed))


class RunModel(mesa.Model):
    """What every model of a run shares: the seed's streams, the dynamics generator
    (``self.rng``), the scenario (``config``), the graph and the clock.

    Attributes
    ----------
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
        super().__init__(rng=np.random.default_rng(self.streams["dynamics"]))
        self.config = scenario
        self.seed = seed
        self.graph = graph if graph is not None else run_graph(scenario, self.streams)
        self.n_steps = scenario.time.n_steps
        self.steps_per_day = scenario.time.steps_per_day
        self.step_days = scenario.time.step_hours / 24.0
        self.invitations = InvitationLog(capacity=16)


class GiftModel(RunModel):
    """Social gift virality on a social graph, with merchants and a traffic policy.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seed : int or numpy.random.SeedSequence, default 0
        The run's seed; every random draw derives from it.
    graph : CSRGraph, optional
        A prebuilt graph (tie strengths included) to use instead of ``scenario.graph``.

    Attributes
    ----------
    config : Scenario
    graph : CSRGraph
    calendar : Calendar
    population : Population
    merchant_table : MerchantTable
    ledger : GiftLedger
    invitations : InvitationLog
        Every induced-sharing invitation and how it ended (see :class:`RunModel`).
    recorder : Recorder
    step_index : int
        Number of steps completed (the next step to run).
    totals : dict of str to float
        Money flows since the start, RMB: ``paid``, ``gmv`` (accepted products), ``cash``
        (accepted cash gifts), ``refunded`` (expired gifts), ``returns`` (returned gifts),
        ``commission`` and ``merchant_revenue`` (both net of returns).
    """

    def __init__(self, scenario: Scenario, *, seed: int | np.random.SeedSequence = 0,
                 graph: CSRGraph | None = None) -> None:
        super().__init__(scenario, seed=seed, graph=graph)
        streams, graph, time = self.streams, self.graph, scenario.time
        self.calendar = Calendar.build(time, scenario.rollout, scenario.occasions)
        self.population = Population.draw(
            scenario.population, graph.n_users, step_hours=time.step_hours,
            rng=np.random.default_rng(streams["population"]),
        )
        self.merchant_table = MerchantTable.draw(
            scenario.merchants, price_cap=scenario.gifts.price_cap,
            steps_per_day=self.steps_per_day, rng=np.random.default_rng(streams["merchants"]),
        )
        self.merchant_agents = [Merchant(self, i) for i in range(self.merchant_table.n_merchants)]
        self.merchants = AgentSet(self.merchant_agents, random=self.random)
        self.policy = make_policy(scenario.policy.allocation)
        self.ledger = GiftLedger()
        self.recorder = Recorder(self.n_steps)
        self.expiry_steps = scenario.gifts.expiry_hours // time.step_hours
        self.review_days = scenario.merchants.review_days
        self.review_steps = self.review_days * self.steps_per_day
        self.demand_window_steps = scenario.merchants.demand_window_days * self.steps_per_day
        m = self.merchant_table.n_merchants
        self._orders_ring = np.zeros((self.demand_window_steps, m), dtype=np.float64)
        self._demand_ring = np.zeros((self.demand_window_steps, m), dtype=np.float64)
        self.totals = dict.fromkeys(
            ("paid", "gmv", "cash", "refunded", "returns", "commission", "merchant_revenue"), 0.0
        )
        self.cash = scenario.gifts.item == "cash"
        chat_from = scenario.gifts.chat_entry_from
        self._chat_from_step = (0 if self.cash else None if chat_from is None
                                else ((chat_from - time.start).days * self.steps_per_day))
        self._period_sales = 0.0  # units accepted and kept since the last review
        # cumulative counts kept as users change state, so that a step need not scan everyone
        pop = self.population
        self._n_aware = int(np.count_nonzero(pop.aware))
        self._n_senders = int(np.count_nonzero(pop.senders))
        self._n_muted = int(np.count_nonzero(pop.muted))
        self.step_index = 0
        self.running = self.n_steps > 0
        self._row: dict[str, float] = {}

    # ------------------------------------------------------------------ helpers
    @property
    def recent_orders(self) -> np.ndarray:
        """Gift orders per merchant over the demand window, float64 of shape (n_merchants,)."""
        return self._orders_ring.sum(axis=0)

    @property
    def recent_demand(self) -> np.ndarray:
        """Orders plus lost sales per merchant over the demand window, float64 (n_merchants,)."""
        return self._demand_ring.sum(axis=0)

    def _per_step(self, users: np.ndarray) -> np.ndarray | float:
        """Share of a per-active-day rate that applies in this step to each of ``users``."""
        return 1.0 if self.steps_per_day == 1 else self.population.per_active_step[users]

    def _chat_open(self) -> bool:
        return self._chat_from_step is not None and self.step_index >= self._chat_from_step

    def button_visible(self, users: np.ndarray) -> np.ndarray:
        """Whether each user sees the gift button now (rollout or unlocked), bool (k,)."""
        p = self.population
        share = self.calendar.rollout[min(self.step_index, self.n_steps - 1)]  # after the end: the last day's
        return (p.rollout_rank[users] < share) | p.unlocked[users]

    def merchant_view(self, expected_impressions: float) -> MerchantView:
        """The merchants' public state for the traffic policy."""
        t = self.merchant_table
        return MerchantView(
            day=self.step_index, step_days=self.step_days, active=t.active.copy(),
            kind=t.kind, followers=t.followers.copy(), joined_day=t.joined_step.copy(),
            recent_orders=self.recent_orders, total_orders=t.orders.copy(),
            total_impressions=t.impressions.copy(), quality=t.quality,
            expected_impressions=float(expected_impressions),
        )

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """Advance one time step (a day by default)."""
        if not self.running:
            return
        self.begin_step()
        active = self.draw_activity()
        accepted = self.settle_gifts(active)
        visits = self.allocate_traffic(active)
        self.send_gifts(visits, accepted)
        self.update_annoyance()
        self.update_merchants()
        self.record()
        self.step_index += 1
        self.running = self.step_index < self.n_steps

    def run(self) -> None:
        """Run all remaining steps."""
        while self.running:
            self.step()

    def begin_step(self) -> None:
        """Calendar values of the step; restock orders that arrived go into stock."""
        self._row = dict.fromkeys(self.recorder.columns, 0)
        t = self.step_index
        self._row["button_share"] = float(self.calendar.rollout[t])
        self._row["occasion_lift"] = float(self.calendar.lift[t])
        self._orders_ring[t % self.demand_window_steps] = 0.0
        self._demand_ring[t % self.demand_window_steps] = 0.0
        # only merchants with units on order have deliveries (incoming > 0 exactly then)
        for i in np.flatnonzero(self.merchant_table.incoming > 0):
            self.merchant_agents[i].receive_deliveries()

    def draw_activity(self) -> np.ndarray:
        """Who is active in this step: bool of shape (n_users,)."""
        active = self.rng.random(self.population.n_users) < self.population.activity
        self._row["active_users"] = int(np.count_nonzero(active))
        return active

    def settle_gifts(self, active: np.ndarray) -> np.ndarray:
        """Recipients active now open their gift boxes and accept or ignore; gifts at their
        deadline and still pending expire and are refunded.

        A gift sent in step s can be opened in steps s+1 .. s+E (E = expiry_hours /
        step_hours) and expires at the end of step s+E. Opening makes the recipient aware
        (parent = sender of the earliest gift opened) and, with ``unlock_on_receive``,
        shows them the gift button. The accept decision is made once, on opening:
        logit P = accept_intercept + accept_tie * tie + accept_quality * quality (quality 1
        for cash gifts).

        Returns
        -------
        ndarray of int64
            Ids of the gifts accepted in this step, ascending.
        """
        led, pop, mt = self.ledger, self.population, self.merchant_table
        cfg = self.config.gifts
        t = self.step_index
        pend = led.pending
        if pend.size == 0:
            return pend
        rec = led.column("recipient")[pend]
        opened = active[rec] & ~led.column("seen")[pend]
        ids = pend[opened]
        led.set("seen", ids, True)
        senders = led.column("sender")[ids]
        merch = led.column("merchant")[ids]
        self._n_aware += pop.make_aware(rec[opened], senders, AwareVia.GIFT, t).size
        if cfg.unlock_on_receive:
            pop.unlocked[rec[opened]] = True
        quality = _per_merchant(mt.quality, merch, default=1.0)  # cash is always "as described"
        logit = (cfg.accept_intercept + cfg.accept_tie * led.column("tie")[ids]
                 + cfg.accept_quality * quality)
        accept = self.rng.random(ids.size) < 1.0 / (1.0 + np.exp(-logit))
        acc = ids[accept]
        self._accept(acc)
        # expiry: still pending at the end of their last step
        pend_now = pend[led.column("outcome")[pend] == GiftOutcome.PENDING]
        exp = pend_now[led.column("deadline")[pend_now] <= t]
        self._expire(exp)
        led.drop_settled()
        return acc

    def _accept(self, ids: np.ndarray) -> None:
        led, pop, mt = self.ledger, self.population, self.merchant_table
        t = self.step_index
        led.settle(ids, GiftOutcome.ACCEPTED, t)
        if ids.size == 0:
            return
        price = led.column("price")[ids]
        self._row["gifts_accepted"] = int(ids.size)
        cash = led.column("merchant")[ids] < 0
        if cash.any():  # a red envelope: the money goes to the recipient, nobody ships
            self.totals["cash"] += float(price[cash].sum())
            self._row["cash_rmb"] = float(price[cash].sum())
            ids, price = ids[~cash], price[~cash]
        m = led.column("merchant")[ids]
        np.subtract.at(mt.reserved, m, 1)
        np.subtract.at(mt.stock, m, 1)
        np.add.at(mt.accepted, m, 1)
        np.add.at(mt.gmv, m, price)
        np.add.at(mt.period_cogs, m, price * mt.unit_cost_share[m])
        ret = self.rng.random(ids.size) < mt.return_prob[m]
        led.set("returned", ids[ret], True)
        kept = ~ret
        net = price * (1.0 - mt.commission[m])
        np.add.at(mt.revenue, m[kept], net[kept])
        np.add.at(mt.period_revenue, m[kept], net[kept])
        np.add.at(mt.returned, m[ret], 1)
        self._period_sales += float(kept.sum())
        np.add.at(pop.budget, led.column("sender")[ids[ret]], price[ret])
        follow = self.rng.random(ids.size) < self.config.gifts.follow_probability
        np.add.at(mt.followers, m[follow], 1)
        self.totals["gmv"] += float(price.sum())
        self.totals["returns"] += float(price[ret].sum())
        self.totals["merchant_revenue"] += float(net[kept].sum())
        self.totals["commission"] += float((price - net)[kept].sum())
        self._row["gifts_returned"] = int(ret.sum())
        self._row["gmv_rmb"] = float(price.sum())
        self._row["returns_rmb"] = float(price[ret].sum())

    def _expire(self, ids: np.ndarray) -> None:
        led, pop, mt = self.ledger, self.population, self.merchant_table
        led.settle(ids, GiftOutcome.EXPIRED, self.step_index)
        if ids.size == 0:
            return
        price = led.column("price")[ids]
        np.add.at(pop.budget, led.column("sender")[ids], price)
        m = led.column("merchant")[ids]
        np.subtract.at(mt.reserved, m[m >= 0], 1)
        self.totals["refunded"] += float(price.sum())
        self._row["gifts_expired"] = int(ids.size)
        self._row["refunded_rmb"] = float(price.sum())

    def allocate_traffic(self, active: np.ndarray) -> dict[str, np.ndarray]:
        """Commercial impressions, pushes, invitations and the chat menu's gift entry bring
        active, unmuted users to a page they can gift from.

        Each such user sees Poisson(feed_impressions * commercial_share * s) commercial
        impressions, s the user's ``per_active_step`` (1 with daily steps, so that the daily
        total does not depend on the step length); the policy's shares split all of them among active
        merchants (multinomial); merchant m's impressions are clicked with probability
        click_through * appeal_m, and the clicks are matched to impression slots, hence
        users, uniformly at random. Once the chat entry exists (``gifts.chat_entry_from``,
        or always for cash gifts), each such user who sees the gift button opens it with
        probability ``chat_entry_rate * s``, landing on a product drawn by the policy's
        shares (merchant -1 for cash).

        Every pending invitation of an active user is seen and ends in the invitation
        log (visited, declined, muted or unavailable).

        Returns
        -------
        dict of arrays, shape (k,)
            ``user``, ``merchant`` (int64), ``source`` (int8, GiftSource), ``parent``
            (int64: the inviter for invitations, else -1), ``invitation`` (int64: the
            invitation's id in :attr:`invitations` for invitations, else -1).
        """
        pop, mt, rng = self.population, self.merchant_table, self.rng
        sc = self.config
        users = np.flatnonzero(active & ~pop.muted)
        lam = sc.population.feed_impressions * sc.policy.commercial_share
        if self.steps_per_day > 1:
            lam = lam * pop.per_active_step[users]  # a day's impressions over its active steps
        if np.any(lam):
            k = rng.poisson(lam, users.size) if np.ndim(lam) == 0 else rng.poisson(lam)
        else:
            k = np.zeros(users.size, dtype=np.int64)
        pop.annoyance[users] += k * sc.policy.ad_annoyance
        total = int(k.sum())
        self._row["commercial_impressions"] = total
        view = self.merchant_view(expected_impressions=total)
        shares = normalise(self.policy.weights(view, rng), mt.active)
        parts_u, parts_m, parts_s, parts_p, parts_i = [], [], [], [], []
        if total > 0 and mt.active.any():
            per_m = rng.multinomial(total, shares)
            mt.impressions += per_m
            ctr = np.clip(sc.gifts.click_through * mt.appeal, 0.0, 1.0)
            clicks = rng.binomial(per_m, ctr)
            n_clicks = int(clicks.sum())
            if n_clicks:
                slots = rng.choice(total, size=n_clicks, replace=False)  # random order
                owner = np.searchsorted(np.cumsum(k), slots, side="right")
                parts_u.append(users[owner])
                parts_m.append(np.repeat(np.arange(mt.n_merchants), clicks))
                parts_s.append(np.full(n_clicks, GiftSource.IMPRESSION, dtype=np.int8))
                parts_p.append(np.full(n_clicks, -1, dtype=np.int64))
                parts_i.append(np.full(n_clicks, -1, dtype=np.int64))
        push = sc.policy.push
        if push.enabled and users.size and mt.active.any():
            pushed = users[rng.random(users.size) < push.reach * self._per_step(users)]
            pop.annoyance[pushed] += push.annoyance
            self._row["pushes"] = int(pushed.size)
            clicked = pushed[rng.random(pushed.size) < push.click_through]
            parts_u.append(clicked)
            parts_m.append(rng.choice(mt.n_merchants, size=clicked.size, p=shares))
            parts_s.append(np.full(clicked.size, GiftSource.PUSH, dtype=np.int8))
            parts_p.append(np.full(clicked.size, -1, dtype=np.int64))
            parts_i.append(np.full(clicked.size, -1, dtype=np.int64))
        # invitations exist only under induced sharing: skip the scan otherwise
        invited = (np.flatnonzero(active & (pop.invite_id >= 0))
                   if sc.policy.induced_sharing.enabled else np.empty(0, dtype=np.int64))
        if invited.size:
            log = self.invitations
            inv = pop.invite_id[invited]
            inv_m = log.column("merchant")[inv].astype(np.int64)
            muted = pop.muted[invited]
            sold = mt.active[inv_m]
            clicked = rng.random(invited.size) < sc.policy.induced_sharing.click_through
            keep = ~muted & sold & clicked
            parts_u.append(invited[keep])
            parts_m.append(inv_m[keep])
            parts_s.append(np.full(int(keep.sum()), GiftSource.INVITE, dtype=np.int8))
            parts_p.append(log.column("inviter")[inv[keep]].astype(np.int64))
            parts_i.append(inv[keep])
            outcome = np.where(muted, InvitationOutcome.MUTED,
                               np.where(~sold, InvitationOutcome.UNAVAILABLE,
                                        np.where(clicked, InvitationOutcome.VISITED,
                                                 InvitationOutcome.DECLINED))).astype(np.int8)
            log.end(inv, outcome, self.step_index)
            pop.invite_id[invited] = -1
        if self._chat_open() and (self.cash or mt.active.any()):
            # the chat menu's gift entry, shown to everyone who sees the gift button
            chat = users[rng.random(users.size) < self.config.gifts.chat_entry_rate * self._per_step(users)]
            chat = chat[self.button_visible(chat)]
            parts_u.append(chat)
            parts_m.append(np.full(chat.size, -1, dtype=np.int64) if self.cash
                           else rng.choice(mt.n_merchants, size=chat.size, p=shares))
            parts_s.append(np.full(chat.size, GiftSource.CHAT, dtype=np.int8))
            parts_p.append(np.full(chat.size, -1, dtype=np.int64))
            parts_i.append(np.full(chat.size, -1, dtype=np.int64))
        if not parts_u:
            empty = np.empty(0, dtype=np.int64)
            return {"user": empty, "merchant": empty, "source": empty.astype(np.int8), "parent": empty,
                    "invitation": empty}
        visits = {
            "user": np.concatenate(parts_u).astype(np.int64),
            "merchant": np.concatenate(parts_m).astype(np.int64),
            "source": np.concatenate(parts_s),
            "parent": np.concatenate(parts_p),
            "invitation": np.concatenate(parts_i),
        }
        self._row["product_visits"] = int(visits["user"].size)
        return visits

    def send_gifts(self, visits: dict[str, np.ndarray], accepted: np.ndarray) -> None:
        """Turn gift intents into gifts: at most one gift per sender per step.

        Intents, by priority: reciprocity and pay-it-forward from gifts accepted in this
        step (on the gift's product page), then visits (invitation, chat entry, push,
        impression; in random order among visits of one source), each sending with
        probability send_probability * propensity * occasion lift (* send_boost under
        induced sharing). The sender must see the gift
        button and not be muted. A visitor who sees the button becomes aware (a cascade
        root, or the inviter's child). The recipient is a friend drawn by tie strength
        (pay-it-forward excludes the giver; reciprocity returns to the giver). The gift
        needs price <= remaining budget and a unit of available stock; buyers reach the
        stock in random order and the rest are lost sales (stockouts). Cash gifts (red
        envelopes) draw their amount from ``gifts.cash_amount`` and need no stock; with
        cash gifts only the chat entry sends.
        """
        pop, mt, led, rng = self.population, self.merchant_table, self.ledger, self.rng
        sc = self.config
        t = self.step_index
        # --- intents from accepted gifts
        r = led.column("recipient")[accepted].astype(np.int64)
        giver = led.column("sender")[accepted].astype(np.int64)
        gm = led.column("merchant")[accepted].astype(np.int64)
        u = rng.random(accepted.size)
        back = u < pop.reciprocity[r]
        fwd = ~back & (rng.random(accepted.size) < pop.pay_forward[r])
        # --- intents from visits
        vu, vm = visits["user"], visits["merchant"]
        vis = self.button_visible(vu) & ~pop.muted[vu]
        if self.cash:  # product pages have no gift button: only the chat entry sends cash
            vis &= visits["source"] == GiftSource.CHAT
        via = _AWARE_VIA[visits["source"]]
        self._n_aware += pop.make_aware(vu[vis], visits["parent"][vis], via[vis], t).size
        # the invitation visits that made their visitor aware (a visitor has at most one
        # invitation visit per step, and only that visit can set aware_via = INVITE)
        if sc.policy.induced_sharing.enabled:
            inv = visits["invitation"]
            by_invite = np.flatnonzero((inv >= 0) & vis)
            by_invite = by_invite[(pop.aware_step[vu[by_invite]] == t)
                                  & (pop.aware_via[vu[by_invite]] == AwareVia.INVITE)]
            self.invitations.mark_made_aware(inv[by_invite])
        boost = sc.policy.induced_sharing.send_boost if sc.policy.induced_sharing.enabled else 1.0
        p_send = np.clip(sc.gifts.send_probability * pop.propensity[vu] * self.calendar.lift[t] * boost,
                         0.0, 1.0)
        go = np.flatnonzero(vis & (rng.random(vu.size) < p_send))
        # a user's competing visits: by source priority, in random order within a source
        go = go[rng.permutation(go.size)]
        go = go[np.argsort(_VISIT_PRIORITY[visits["source"][go]], kind="stable")]
        # --- candidates, by priority
        cand_u = np.concatenate([r[back], r[fwd], vu[go]])
        cand_m = np.concatenate([gm[back], gm[fwd], vm[go]])
        cand_src = np.concatenate([
            np.full(int(back.sum()), GiftSource.RECIPROCITY, dtype=np.int8),
            np.full(int(fwd.sum()), GiftSource.PAY_FORWARD, dtype=np.int8),
            visits["source"][go],
        ])
        cand_to = np.concatenate([giver[back], np.full(int(fwd.sum()) + go.size, -1, dtype=np.int64)])
        cand_excl = np.concatenate([np.full(int(back.sum()), -1, dtype=np.int64), giver[fwd],
                                    np.full(go.size, -1, dtype=np.int64)])
        cand_tie = np.concatenate([led.column("tie")[accepted][back],
                                   np.zeros(int(fwd.sum()) + go.size, dtype=np.float32)])
        ok = self.button_visible(cand_u) & ~pop.muted[cand_u]
        ok &= _per_merchant(mt.active, cand_m, default=True)  # the product is still sold
        if ok.size:
            # one gift per sender: keep the first intent by priority order
            first = np.zeros(ok.size, dtype=bool)
            idx = np.flatnonzero(ok)
            _, pos = np.unique(cand_u[idx], return_index=True)
            first[idx[pos]] = True
            ok &= first
        sel = np.flatnonzero(ok)
        cu, cm, csrc = cand_u[sel], cand_m[sel], cand_src[sel]
        to, excl, tie = cand_to[sel], cand_excl[sel], cand_tie[sel]
        # --- recipients
        need = to < 0
        if need.any():
            e = self.graph.sample_friends(cu[need], rng, exclude=excl[need])
            got = e >= 0
            to_need = np.full(e.size, -1, dtype=np.int64)
            to_need[got] = self.graph.indices[e[got]]
            tie_need = np.zeros(e.size, dtype=np.float32)
            tie_need[got] = self.graph.weights[e[got]]
            to[need] = to_need
            tie[need] = tie_need
        keep = to >= 0
        # --- budget
        price = _per_merchant(mt.price, cm, default=0.0)
        cash = cm < 0
        if cash.any():
            price[cash] = np.clip(sc.gifts.cash_amount.sample(rng, int(cash.sum())), 0.01, sc.gifts.price_cap)
        afford = price <= pop.budget[cu]
        self._row["unaffordable"] = int((keep & ~afford).sum())
        keep &= afford
        cu, cm, csrc, to, tie, price = (a[keep] for a in (cu, cm, csrc, to, tie, price))
        # --- stock, first come first served in random order (cash needs none)
        order = rng.permutation(cu.size)
        om = cm[order]
        by_m = np.argsort(om, kind="stable")
        sm = om[by_m]
        starts = np.flatnonzero(np.r_[True, sm[1:] != sm[:-1]]) if sm.size else np.empty(0, np.int64)
        rank = np.arange(sm.size) - np.repeat(starts, np.diff(np.r_[starts, sm.size]))
        in_stock = np.empty(cu.size, dtype=bool)
        in_stock[order[by_m]] = (sm < 0) | (rank < _per_merchant(mt.available, sm, default=0))
        lost = cm[~in_stock]
        np.add.at(mt.stockouts, lost, 1)
        np.add.at(self._demand_ring[t % self.demand_window_steps], lost, 1)
        self._row["stockouts"] = int(lost.size)
        # keep the intents' priority order for the ledger
        cu, cm, csrc, to, tie, price = (a[in_stock] for a in (cu, cm, csrc, to, tie, price))
        ids = led.append(sender=cu, recipient=to, merchant=cm, price=price, tie=tie,
                         source=csrc, step=t, deadline=t + self.expiry_steps)
        np.subtract.at(pop.budget, cu, price)
        pm = cm[cm >= 0]
        np.add.at(mt.reserved, pm, 1)
        np.add.at(mt.orders, pm, 1)
        np.add.at(self._orders_ring[t % self.demand_window_steps], pm, 1)
        np.add.at(self._demand_ring[t % self.demand_window_steps], pm, 1)
        first_time = ~pop.senders[cu]
        pop.senders[cu] = True
        pop.first_send_step[cu[first_time]] = t
        self.totals["paid"] += float(price.sum())
        self._row["gifts_sent"] = int(ids.size)
        self._row["new_senders"] = int(np.count_nonzero(first_time))
        self._n_senders += self._row["new_senders"]
        self._row["paid_rmb"] = float(price.sum())
        # --- induced sharing: each sender invites `fanout` friends to the product page
        ind = sc.policy.induced_sharing
        if ind.enabled and ind.fanout > 0 and cu.size:
            inviter = np.repeat(cu, ind.fanout)
            e = self.graph.sample_friends(inviter, rng)
            okf = e >= 0
            friends = self.graph.indices[e[okf]].astype(np.int64)
            inviter = inviter[okf]
            self._invite(inviter, friends, np.repeat(cm, ind.fanout)[okf])
            np.add.at(pop.annoyance, friends[~pop.muted[friends]], ind.annoyance)
            self._row["invites"] = int(friends.size)

    def _invite(self, inviter: np.ndarray, friends: np.ndarray, merchant: np.ndarray) -> None:
        """Record the step's invitations (int64 arrays of shape (k,), in sending order) and
        make each friend's latest one their pending invitation: an older one still
        pending, from an earlier step or earlier in this step, is superseded."""
        pop, log, t = self.population, self.invitations, self.step_index
        ids = log.append(inviter=inviter, invitee=friends, merchant=merchant, step=t)
        _, from_end = np.unique(friends[::-1], return_index=True)
        last = friends.size - 1 - from_end  # each friend's last invitation in the step
        latest = np.zeros(friends.size, dtype=bool)
        latest[last] = True
        older = pop.invite_id[friends[last]]
        log.end(np.concatenate([older[older >= 0], ids[~latest]]), InvitationOutcome.SUPERSEDED, t)
        pop.invite_id[friends[last]] = ids[last]

    def update_annoyance(self) -> None:
        """Users whose annoyance reached their threshold mute; then annoyance fades."""
        pop = self.population
        newly = ~pop.muted & (pop.annoyance >= pop.mute_threshold)
        pop.muted |= newly
        self._n_muted += int(np.count_nonzero(newly))
        pop.muted_step[newly] = self.step_index
        pop.annoyance *= (1.0 - self.config.population.annoyance_decay) ** self.step_days

    def update_merchants(self) -> None:
        """Restock; at each review, merchants on the platform may leave, then merchants off
        it join while entry pays (free entry).

        Entry: candidates (never on the platform, or not yet joined) are taken in order of
        the profit they would expect as the next entrant (ties by index). Each joins if
        its expected profit is positive when the units sold on the platform in the last
        review period (accepted, not returned) are shared among the active merchants plus
        itself, until the onboarding cap (``max_admissions_per_week``) is reached.
        """
        mt = self.merchant_table
        t = self.step_index
        before_active = mt.active.copy()
        # the agents whose restock rule fires (each touches only its own row)
        low = mt.active & (mt.stock - mt.reserved + mt.incoming <= mt.reorder_point)
        for i in np.flatnonzero(low):
            self.merchant_agents[i].restock()
        if (t + 1) % self.review_steps == 0:
            self.merchants.do("review")
            orders = self._period_sales
            self._period_sales = 0.0
            n_active = int(mt.active.sum())
            cap = self.config.merchants.max_admissions_per_week
            room = None if cap is None else int(cap * self.review_days / 7)
            pool = [a for a in self.merchant_agents if not mt.active[a.index] and not mt.left[a.index]]
            pool.sort(key=lambda a: (-a.expected_profit(orders / (n_active + 1)), a.index))
            for agent in pool:
                if room is not None and room <= 0:
                    break
                if agent.expected_profit(orders / (n_active + 1)) <= 0:
                    continue
                i = agent.index
                mt.active[i] = True
                mt.joined_step[i] = t
                n_active += 1
                if room is not None:
                    room -= 1
        self._row["merchants_joined"] = int((mt.active & ~before_active).sum())
        self._row["merchants_left"] = int((~mt.active & before_active).sum())

    def record(self) -> None:
        """Write the step's row of the daily series (cumulative user counts are kept
        incrementally as users change state, not recounted)."""
        row = self._row
        row["aware_users"] = self._n_aware
        row["senders"] = self._n_senders
        row["gifts_pending"] = int(self.ledger.pending.size)
        row["active_merchants"] = int(self.merchant_table.active.sum())
        row["muted_users"] = self._n_muted
        self.recorder.record(self.step_index, row)
