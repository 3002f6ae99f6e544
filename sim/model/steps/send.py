"""Sub-step 5: gift intents become gifts, at most one gift per sender per step.

Intents, by priority: reciprocity from gifts accepted in this step (on the gift's product
page), pay-it-forward intents kept from earlier steps and due now, pay-it-forward from gifts
accepted in this step, then visits (invitation, chat entry, push, impression; in random
order among visits of one source), each sending with probability send_probability *
propensity * occasion lift (* send_boost under induced sharing) * the product category's
``gift_suitability`` (1 for a merchant without category) * response, capped at 1.

Sending back and paying forward are two independent decisions of the recipient of an
accepted gift, with probabilities ``reciprocity * response`` and ``pay_forward * response``
(response: :meth:`sim.model.response.Response.multiplier`, 1 unless
``population.response.enabled``). One who decides only to pay forward does it now; one who
decides both sends back now and keeps the pay-forward intent (:class:`PendingForwards`) for
a step drawn uniformly from the next ``pay_forward_days`` days, acted on at the first active
step from then on and dropped after the last. The sender must see the
gift button and not be muted. A visitor who sees the button becomes aware (a cascade root,
or the inviter's child). The recipient is a friend drawn by tie strength (pay-it-forward
excludes the giver; reciprocity returns to the giver). The gift needs price <= remaining
budget and a unit of available stock; buyers reach the stock in random order and the rest
are lost sales (stockouts). What differs for cash gifts (amounts, no stock, only the chat
entry sends) is the item's (:mod:`sim.model.steps.item`). Under induced sharing each
sender invites ``fanout`` friends to the product page (the invitation log).

The generator is drawn in this order: reciprocity, pay-it-forward, the due steps of kept
pay-forward intents; visits' send draws, their order; recipients; cash amounts; the order
buyers reach the stock; invited friends.
"""

from __future__ import annotations

import numpy as np

from ...scenario.schema import Scenario
from ..states import AwareVia, GiftSource, InvitationOutcome
from .carriers import Intents, Sent, Visits
from .world import Now, World

__all__ = ["send_gifts", "intents_from_accepted", "intents_from_visits", "first_per_sender", "keep_forwards",
           "draw_recipients", "afford_and_stock", "write_gifts", "induced_invitations", "invite",
           "AWARE_VIA", "VISIT_PRIORITY"]

AWARE_VIA = np.full(max(GiftSource) + 1, AwareVia.IMPRESSION, dtype=np.int8)
AWARE_VIA[GiftSource.PUSH] = AwareVia.PUSH
AWARE_VIA[GiftSource.INVITE] = AwareVia.INVITE
AWARE_VIA[GiftSource.CHAT] = AwareVia.CHAT
"""How a visitor learns of the feature, by the source of their visit (int8, by GiftSource)."""

VISIT_PRIORITY = np.zeros(max(GiftSource) + 1, dtype=np.int8)
VISIT_PRIORITY[[GiftSource.INVITE, GiftSource.CHAT, GiftSource.PUSH, GiftSource.IMPRESSION]] = [0, 1, 2, 3]
"""Which visit a user acts on when several lead to a gift in one step: a friend's invitation,
then the chat entry, then a push, then an ad (lower first)."""


def send_gifts(world: World, now: Now, sc: Scenario, visits: Visits, accepted: np.ndarray,
               expiry_steps: int, active: np.ndarray | None = None, occasion: Intents | None = None) -> Sent:
    """Turn the step's accepted gifts (ids, int64), ``occasion`` intents (birthday gifts,
    :mod:`sim.model.steps.occasions`; after reciprocity and pay-it-forward, before visits)
    and ``visits`` into gifts; gifts sent in step t can be accepted until step t +
    ``expiry_steps``. ``active`` (bool (n_users,), default everyone): who can act on a kept
    pay-forward intent in this step."""
    from_gifts = intents_from_accepted(world, now, sc, accepted, active)
    from_visits, newly_aware = intents_from_visits(world, now, sc, visits)
    parts = [from_gifts, occasion, from_visits] if occasion is not None and occasion.size else [from_gifts, from_visits]
    intents = first_per_sender(world, now, Intents.concat(parts))
    intents, unaffordable, lost = afford_and_stock(world, now, draw_recipients(world, intents))
    new_senders = write_gifts(world, now, intents, expiry_steps)
    invites = induced_invitations(world, now, sc, intents)
    return Sent(gifts_sent=intents.size, new_senders=new_senders, newly_aware=newly_aware,
                unaffordable=unaffordable, stockouts=lost, invites=invites,
                paid_rmb=float(intents.price.sum()))


def _fill(n: int, value, dtype) -> np.ndarray:
    return np.full(n, value, dtype=dtype)


def intents_from_accepted(world: World, now: Now, sc: Scenario, accepted: np.ndarray,
                          active: np.ndarray | None = None) -> Intents:
    """Recipients of the accepted gifts decide, independently, to send a gift back to the
    giver (probability ``reciprocity`` x response) and to pass one on to another friend
    (``pay_forward`` x response), on the same product. Intents in priority order: sending
    back, kept pay-forward intents due now (of ``active`` users), paying forward now (those
    who do not send back); those who do both keep the pay-forward for later."""
    led, pop, rng = world.ledger, world.population, world.rng
    r = led.column("recipient")[accepted].astype(np.int64)
    giver = led.column("sender")[accepted].astype(np.int64)
    gm = led.column("merchant")[accepted].astype(np.int64)
    resp = world.response.multiplier(r, now.step)
    back = rng.random(accepted.size) < pop.reciprocity[r] * resp
    fwd_draw = rng.random(accepted.size) < pop.pay_forward[r] * resp
    fwd, later = fwd_draw & ~back, fwd_draw & back
    keep_forwards(world, now, sc, r[later], gm[later], giver[later])
    due_u, due_m, due_g = world.forwards.take_due(active, now.step)
    fu, fm, fg = np.concatenate([due_u, r[fwd]]), np.concatenate([due_m, gm[fwd]]), np.concatenate([due_g, giver[fwd]])
    nb, nf = int(back.sum()), fu.size
    return Intents(
        user=np.concatenate([r[back], fu]), merchant=np.concatenate([gm[back], fm]),
        source=np.concatenate([_fill(nb, GiftSource.RECIPROCITY, np.int8), _fill(nf, GiftSource.PAY_FORWARD, np.int8)]),
        recipient=np.concatenate([giver[back], _fill(nf, -1, np.int64)]),
        exclude=np.concatenate([_fill(nb, -1, np.int64), fg]),
        tie=np.concatenate([led.column("tie")[accepted][back], np.zeros(nf, dtype=np.float32)]),
        price=np.zeros(nb + nf),
    )


def keep_forwards(world: World, now: Now, sc: Scenario, user: np.ndarray, merchant: np.ndarray,
                  giver: np.ndarray) -> None:
    """Keep pay-forward intents (int64 arrays (k,)) for a step drawn uniformly among the
    next ``population.pay_forward_days`` days' steps (no draw when k = 0)."""
    if user.size == 0:
        return
    window = sc.population.pay_forward_days * now.steps_per_day
    due = now.step + world.rng.integers(1, window + 1, size=user.size)
    world.forwards.add(user, merchant, giver, due, now.step + window)


def intents_from_visits(world: World, now: Now, sc: Scenario, visits: Visits) -> tuple[Intents, int]:
    """Visitors who see the button (and are not muted) become aware; each such visit
    leads to an intent with probability send_probability * propensity * lift (* boost) *
    the product category's gift suitability (1 without categories), capped at 1.
    Intents are ordered by source priority, in random order within a source.

    Returns
    -------
    (Intents, int)
        The intents and the number of visitors newly aware.
    """
    pop, rng, vu = world.population, world.rng, visits.user
    vis = now.sees_button(pop, vu) & ~pop.muted[vu] & world.item.sends_from(visits.source, visits.merchant)
    via = AWARE_VIA[visits.source]
    newly_aware = pop.make_aware(vu[vis], visits.parent[vis], via[vis], now.step).size
    induced = sc.policy.induced_sharing
    if induced.enabled:
        # the invitation visits that made their visitor aware (a visitor has at most one
        # invitation visit per step, and only that visit can set aware_via = INVITE)
        by_invite = np.flatnonzero((visits.invitation >= 0) & vis)
        by_invite = by_invite[(pop.aware_step[vu[by_invite]] == now.step)
                              & (pop.aware_via[vu[by_invite]] == AwareVia.INVITE)]
        world.invitations.mark_made_aware(visits.invitation[by_invite])
    boost = induced.send_boost if induced.enabled else 1.0
    suits = world.item.gift_suitability(visits.merchant)
    p_send = (sc.gifts.send_probability * pop.propensity[vu] * now.lift * boost * suits
              * world.response.multiplier(vu, now.step))
    p_send = np.clip(p_send, 0.0, 1.0)
    go = np.flatnonzero(vis & (rng.random(vu.size) < p_send))
    go = go[rng.permutation(go.size)]
    go = go[np.argsort(VISIT_PRIORITY[visits.source[go]], kind="stable")]
    n = go.size
    return Intents(user=vu[go], merchant=visits.merchant[go], source=visits.source[go],
                   recipient=_fill(n, -1, np.int64), exclude=_fill(n, -1, np.int64),
                   tie=np.zeros(n, dtype=np.float32), price=np.zeros(n)), int(newly_aware)


def first_per_sender(world: World, now: Now, intents: Intents) -> Intents:
    """The intents that can go ahead: the sender sees the button, is not muted, the
    product is still sold, and it is the sender's first such intent (priority order)."""
    pop, u = world.population, intents.user
    ok = now.sees_button(pop, u) & ~pop.muted[u] & world.item.sold(intents.merchant)
    idx = np.flatnonzero(ok)
    _, pos = np.unique(u[idx], return_index=True)
    first = np.zeros(ok.size, dtype=bool)
    first[idx[pos]] = True
    return intents.take(np.flatnonzero(ok & first))


def draw_recipients(world: World, intents: Intents) -> Intents:
    """Draw a friend by tie strength for each intent without a recipient (``exclude``
    left out); -1 where none is eligible."""
    need = intents.recipient < 0
    to, tie = intents.recipient.copy(), intents.tie.copy()
    if need.any():
        g = world.graph
        e = g.sample_friends(intents.user[need], world.rng, exclude=intents.exclude[need])
        got = e >= 0
        to_need = np.full(e.size, -1, dtype=np.int64)
        to_need[got] = g.indices[e[got]]
        tie_need = np.zeros(e.size, dtype=np.float32)
        tie_need[got] = g.weights[e[got]]
        to[need] = to_need
        tie[need] = tie_need
    return Intents(user=intents.user, merchant=intents.merchant, source=intents.source, recipient=to,
                   exclude=intents.exclude, tie=tie, price=intents.price)


def afford_and_stock(world: World, now: Now, intents: Intents) -> tuple[Intents, int, int]:
    """Price each intent (the item's), keep those with a recipient and within the sender's
    budget, then those that get a unit of stock (buyers in random order; the rest are lost
    sales, booked by the item).

    Returns
    -------
    (Intents, int, int)
        The gifts to send (priority order kept), intents over budget, lost sales.
    """
    price = world.item.price(intents.merchant, world.rng)
    afford = price <= world.population.budget[intents.user]
    keep = intents.recipient >= 0
    unaffordable = int((keep & ~afford).sum())
    priced = Intents(user=intents.user, merchant=intents.merchant, source=intents.source,
                     recipient=intents.recipient, exclude=intents.exclude, tie=intents.tie, price=price)
    buyers = priced.take(keep & afford)
    in_stock = world.item.in_stock(buyers.merchant, world.rng.permutation(buyers.size))
    world.item.book_lost(buyers.merchant[~in_stock], world.demand, now.step)
    return buyers.take(in_stock), unaffordable, int((~in_stock).sum())


def write_gifts(world: World, now: Now, gifts: Intents, expiry_steps: int) -> int:
    """Append ``gifts`` to the ledger, charge their senders, book them (the item's) and
    mark senders. Returns the number of first-time senders."""
    pop, t = world.population, now.step
    world.ledger.append(sender=gifts.user, recipient=gifts.recipient, merchant=gifts.merchant, price=gifts.price,
                        tie=gifts.tie, source=gifts.source, step=t, deadline=t + expiry_steps)
    np.subtract.at(pop.budget, gifts.user, gifts.price)
    world.response.sent(gifts.user, t)
    world.item.book_sent(gifts.merchant, world.demand, t)
    first_time = ~pop.senders[gifts.user]
    pop.senders[gifts.user] = True
    pop.first_send_step[gifts.user[first_time]] = t
    return int(np.count_nonzero(first_time))


def induced_invitations(world: World, now: Now, sc: Scenario, gifts: Intents) -> int:
    """Under induced sharing each sender invites ``fanout`` friends (drawn by tie
    strength) to the gift's product page, annoying the unmuted ones. Returns the
    invitations sent."""
    ind, pop, g = sc.policy.induced_sharing, world.population, world.graph
    if not (ind.enabled and ind.fanout > 0 and gifts.size):
        return 0
    inviter = np.repeat(gifts.user, ind.fanout)
    e = g.sample_friends(inviter, world.rng)
    okf = e >= 0
    friends = g.indices[e[okf]].astype(np.int64)
    invite(world, now.step, inviter[okf], friends, np.repeat(gifts.merchant, ind.fanout)[okf])
    np.add.at(pop.annoyance, friends[~pop.muted[friends]], ind.annoyance)
    return int(friends.size)


def invite(world: World, step: int, inviter: np.ndarray, friends: np.ndarray, merchant: np.ndarray) -> None:
    """Record invitations (int64 arrays of shape (k,), in sending order) and make each
    friend's latest one their pending invitation: an older one still pending, from an
    earlier step or earlier in this step, is superseded."""
    pop, log = world.population, world.invitations
    ids = log.append(inviter=inviter, invitee=friends, merchant=merchant, step=step)
    _, from_end = np.unique(friends[::-1], return_index=True)
    last = friends.size - 1 - from_end  # each friend's last invitation in the step
    latest = np.zeros(friends.size, dtype=bool)
    latest[last] = True
    older = pop.invite_id[friends[last]]
    log.end(np.concatenate([older[older >= 0], ids[~latest]]), InvitationOutcome.SUPERSEDED, step)
    pop.invite_id[friends[last]] = ids[last]
