"""Sub-step 4: commercial impressions, pushes, invitations and the chat menu's gift entry
bring active, unmuted users to a page they can gift from (:class:`Visits`).

Each such user sees Poisson(feed_impressions * commercial_share * s) commercial
impressions, s the user's ``per_active_step`` (1 with daily steps, so that the daily total
does not depend on the step length); the policy's shares split all of them among active
merchants (multinomial); merchant m's impressions are clicked with probability
click_through * appeal_m, and the clicks are matched to impression slots, hence users,
uniformly at random. Once the chat entry exists (``gifts.chat_entry_from``, or always for
cash gifts), each such user who sees the gift button opens it with probability
``chat_entry_rate * s``, landing on a product drawn by the policy's shares (merchant -1
for cash). Every pending invitation of an active user is seen and ends in the invitation
log (visited, declined, muted or unavailable).

Merchants in their own mini program (:mod:`sim.model.market`) take no part in the
organic split nor in pushes (their shares go to the shop merchants); with
``policy.paid_traffic`` on, merchants' bought impressions come last
(:mod:`sim.model.steps.paid`).
Impressions seen, pushes received and invitations seen (by unmuted users) are stimuli of
the users' response (:mod:`sim.model.response`, weights in ``population.response``).

The generator is drawn in this order: impressions, the policy's weights, the split,
clicks, click slots; pushes, their clicks, their products; invitation clicks; chat
entries, their products; paid impressions' viewers, their clicks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ...calendar import push_event_on
from ...policies import AllocationPolicy, MerchantView, normalise
from ...scenario.schema import MerchantConfig, Scenario
from .. import fast_random
from ..merchants import DemandWindow, MerchantTable
from ..states import GiftSource, InvitationOutcome
from .carriers import Traffic, Visits
from .paid import paid_visits
from .world import Now, World

__all__ = ["allocate_traffic", "merchant_view", "draw_impressions", "click_visits", "push_visits",
           "invitation_visits", "chat_visits"]


def allocate_traffic(world: World, now: Now, sc: Scenario, policy: AllocationPolicy, active: np.ndarray,
                     chat_open: bool) -> Traffic:
    """The step's visits, from every channel, in the order impressions, pushes,
    invitations, chat entry.

    Parameters
    ----------
    active : ndarray of bool, shape (n_users,)
    chat_open : bool
        Whether the chat entry exists in this step (the item may still close it).
    """
    pop = world.population
    users = np.flatnonzero(active & ~pop.muted)
    k = draw_impressions(world, now, sc, users)
    pop.annoyance[users] += k * sc.policy.ad_annoyance
    if world.response.enabled:
        seen = k > 0
        world.response.stimulate(users[seen], k[seen] * world.response.cfg.impression_weight, now.step)
    total = int(k.sum())
    view = merchant_view(world.merchants, world.demand, now, total, sc.merchants)
    weights = policy.weights(view, world.rng)
    shares = normalise(weights, world.merchants.active)
    market = world.merchants.market
    feed = normalise(weights, market.organic(world.merchants.active)) if market.mini_program.any() else shares
    parts = [click_visits(world, sc.gifts.click_through, users, k, feed)]
    pushed, pushes = push_visits(world, now, sc, users, feed)
    parts += [pushed, invitation_visits(world, now, sc, active)]
    if chat_open and world.item.chat_open():
        parts.append(chat_visits(world, now, sc.gifts.chat_entry_rate, users, shares))
    parts.append(paid_visits(world, now, sc, users)[0])
    return Traffic(visits=Visits.concat([p for p in parts if p is not None]),
                   commercial_impressions=total, pushes=pushes, shares=shares)


def merchant_view(table: MerchantTable, demand: DemandWindow, now: Now, expected_impressions: float,
                  kinds: MerchantConfig) -> MerchantView:
    """The merchants' public state for the traffic policy (copies of the mutable arrays),
    with the kind names and head kinds of ``kinds`` (the scenario's ``merchants`` table)."""
    t = table
    return MerchantView(
        day=now.step, step_days=now.step_days, active=t.active.copy(),
        kind=t.kind, followers=t.followers.copy(), joined_day=t.joined_step.copy(),
        recent_orders=demand.recent_orders, total_orders=t.orders.copy(),
        total_impressions=t.impressions.copy(), quality=t.quality,
        expected_impressions=float(expected_impressions),
        kind_names=kinds.kind_names, head_kinds=kinds.head_kinds(),
    )


def draw_impressions(world: World, now: Now, sc: Scenario, users: np.ndarray) -> np.ndarray:
    """Commercial impressions of each of ``users`` (int64, (k,)): Poisson with mean
    ``feed_impressions * commercial_share`` (times ``per_active_step`` with sub-daily
    steps); no draw when the mean is 0."""
    lam = sc.population.feed_impressions * sc.policy.commercial_share
    if now.steps_per_day > 1:
        lam = lam * world.population.per_active_step[users]  # a day's impressions over its active steps
    if not np.any(lam):
        return np.zeros(users.size, dtype=np.int64)
    return fast_random.poisson(world.rng, lam, users.size) if np.ndim(lam) == 0 else world.rng.poisson(lam)


def click_visits(world: World, click_through: float, users: np.ndarray, k: np.ndarray,
                 shares: np.ndarray) -> Visits | None:
    """Split the ``k.sum()`` impressions among merchants by ``shares`` (multinomial; adds
    to ``impressions``), click each merchant's with probability click_through * appeal,
    and match the clicks to impression slots uniformly at random. None without clicks."""
    mt, rng = world.merchants, world.rng
    total = int(k.sum())
    if total == 0 or not shares.any():  # no merchant to show (none active, or all in mini programs)
        return None
    per_m = rng.multinomial(total, shares)
    mt.impressions += per_m
    clicks = rng.binomial(per_m, np.clip(click_through * mt.appeal, 0.0, 1.0))
    n_clicks = int(clicks.sum())
    if not n_clicks:
        return None
    slots = rng.choice(total, size=n_clicks, replace=False)  # random order
    owner = np.searchsorted(np.cumsum(k), slots, side="right")
    return Visits.of(users[owner], np.repeat(np.arange(mt.n_merchants), clicks), GiftSource.IMPRESSION)


def push_visits(world: World, now: Now, sc: Scenario, users: np.ndarray,
                shares: np.ndarray) -> tuple[Visits | None, int]:
    """Pushes reach each of ``users`` with probability ``reach * s`` (adding annoyance);
    each is clicked with probability ``click_through`` and lands on a product drawn by
    ``shares``. On the date of a ``push.events`` campaign its reach and click-through
    apply, pushes on or off; a campaign's click on a cash gift opens the chat's gift entry
    (the 2015 gala "shake"; the visit's source is push, its merchant -1). Returns the
    visits (None when pushes are off) and the pushes sent."""
    push, pop, rng = sc.policy.push, world.population, world.rng
    event = push_event_on(push.events, sc.time.start + dt.timedelta(days=now.step // now.steps_per_day)) \
        if push.events else None
    on, reach, click = (True, event.reach, event.click_through) if event else (push.enabled, push.reach,
                                                                                 push.click_through)
    to_chat = event is not None and world.item.cash
    if not (on and users.size and (to_chat or shares.any())):
        return None, 0
    pushed = users[rng.random(users.size) < reach * now.per_step(pop, users)]
    pop.annoyance[pushed] += push.annoyance
    world.response.stimulate(pushed, world.response.cfg.push_weight, now.step)
    clicked = pushed[rng.random(pushed.size) < click]
    if to_chat:
        clicked = clicked[now.sees_button(pop, clicked)]
        # the push opens the chat's red-envelope entry: a gift it leads to is a push's (trigger push)
        chat = Visits.of(clicked, world.item.chat_merchants(clicked.size, shares, rng), GiftSource.PUSH)
        return chat, int(pushed.size)
    merchant = rng.choice(world.merchants.n_merchants, size=clicked.size, p=shares)
    return Visits.of(clicked, merchant, GiftSource.PUSH), int(pushed.size)


def invitation_visits(world: World, now: Now, sc: Scenario, active: np.ndarray) -> Visits | None:
    """Active users see their pending invitation (induced sharing only): unmuted users
    whose product is still sold click with probability ``click_through``. Every seen
    invitation ends in the log (visited, declined, muted or unavailable)."""
    pop, log = world.population, world.invitations
    if not sc.policy.induced_sharing.enabled:  # invitations exist only then: skip the scan
        return None
    invited = np.flatnonzero(active & (pop.invite_id >= 0))
    if not invited.size:
        return None
    inv = pop.invite_id[invited]
    inv_m = log.column("merchant")[inv].astype(np.int64)
    muted = pop.muted[invited]
    sold = world.merchants.active[inv_m]
    clicked = world.rng.random(invited.size) < sc.policy.induced_sharing.click_through
    keep = ~muted & sold & clicked
    outcome = np.where(muted, InvitationOutcome.MUTED,
                       np.where(~sold, InvitationOutcome.UNAVAILABLE,
                                np.where(clicked, InvitationOutcome.VISITED,
                                         InvitationOutcome.DECLINED))).astype(np.int8)
    log.end(inv, outcome, now.step)
    world.response.stimulate(invited[~muted], world.response.cfg.invitation_weight, now.step)
    pop.invite_id[invited] = -1
    return Visits.of(invited[keep], inv_m[keep], GiftSource.INVITE,
                     parent=log.column("inviter")[inv[keep]], invitation=inv[keep])


def chat_visits(world: World, now: Now, rate: float, users: np.ndarray, shares: np.ndarray) -> Visits:
    """The chat menu's gift entry: each of ``users`` who sees the gift button opens it
    with probability ``rate * s``; the product comes from the item (by ``shares``)."""
    pop = world.population
    chat = users[world.rng.random(users.size) < rate * now.per_step(pop, users)]
    chat = chat[now.sees_button(pop, chat)]
    return Visits.of(chat, world.item.chat_merchants(chat.size, shares, world.rng), GiftSource.CHAT)
