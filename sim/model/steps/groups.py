"""Sub-step 5b (only with ``groups.enabled``): chat groups' gifts, after the
person-to-person gifts of the day.

A group gift is a box sent to one chat group with k units, ceil(unit_share * (members -
1)) (at least 1); each unit is one ledger row (``group`` >= 0, recipient -1 until claimed,
source GROUP). A product box holds k units of one product (k limited by the sender's budget
and the merchant's available stock); a cash box (a group red envelope) holds an amount from
``gifts.cash_amount``, rounded to the cent, split at random into k shares of at least one
cent (a uniform broken stick: the shares are exchangeable, Dirichlet(1, ..., 1) above the
cents); its largest share is the "luckiest draw".

Claims, first come first served: from the step after it was sent until its deadline (the
expiry rule of person-to-person gifts), each active member of the group other than the
sender who has not yet claimed from the box opens the chat with probability
``claim_probability`` (times ``per_active_step``), in random order; the first ones take the
box's remaining units, one each. A claim accepts the unit (the recipient becomes aware,
parent the sender, via GROUP; ``unlock_on_receive`` shows the button; products ship and may
be returned, as accepted person-to-person gifts). Units unclaimed at the deadline expire and
are refunded to the sender. Group claims do not lead to person-to-person reciprocity or
pay-it-forward: their norm is the send-back.

Send-back (Yuan et al.): a claimer of amount a sends a box back to the same group on the
step of the claim (so within 24 hours) with probability 1 - exp(-(send_back_base +
send_back_per_rmb * a) * L), L = ``send_back_luckiest`` for the luckiest draw, else 1; its
product is the claimed one's (cash: a new amount). Starters: each active, unmuted user in
a group who sees the button starts a box, once the chat entry exists, with probability
``group_gift_rate`` * occasion lift (* ``per_active_step``), in a group of theirs drawn
uniformly, on a product drawn by the policy's shares (as the chat entry); they become
aware (via CHAT, a root). A user sends at most one box per step (send-backs first).

The generator is drawn in this order: chat opens, arrival order, the accepted units'
returns and follows, send-back draws; starters, their groups, their products; cash amounts;
the order buyers reach the stock; cash splits.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from ...graph import CSRGraph, GroupTable, generate_groups, read_groups_file
from ...scenario.schema import Scenario
from ..states import AwareVia, GiftSource
from .carriers import Sent, Settled
from .settle import accept, expire
from .world import Now, World

__all__ = ["GroupState", "Launches", "build_groups", "group_gifts", "claim_units", "expire_units",
           "start_boxes", "send_boxes", "split_cash", "stock_limited", "merge_counts"]

_E = np.empty(0, dtype=np.int64)


@dataclass
class GroupState:
    """The run's groups and the group gifts in flight.

    Attributes
    ----------
    table : GroupTable
    units, box : ndarray of int64
        Ids of the pending group-gift units (ascending) and the box of each.
    lucky : ndarray of bool
        Whether each pending unit is its box's luckiest draw (cash only).
    claim_keys : ndarray of int64
        ``box * n_users + user`` of each claim from a box with units still pending.
    next_box : int
    boxes, send_backs, claims : int
        Boxes sent, of which by the send-back rule; units claimed (since the start).
    claimed_rmb, send_back_rmb : float
        RMB claimed; RMB of the boxes a user sent to a group on a step on which they claimed
        from it (the send-backs, and a started box that happens to go to that group: as
        Yuan et al. count RMB sent to the group within 24 hours, whatever the motive).
    step_claims : ndarray of int64
        ``user * n_groups + group`` of the step's claims.
    rule_back_rmb : float
        RMB of the boxes sent by the send-back rule only.
    """

    table: GroupTable
    units: np.ndarray = field(default_factory=lambda: _E)
    box: np.ndarray = field(default_factory=lambda: _E)
    lucky: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    claim_keys: np.ndarray = field(default_factory=lambda: _E)
    next_box: int = 0
    boxes: int = 0
    send_backs: int = 0
    claims: int = 0
    claimed_rmb: float = 0.0
    send_back_rmb: float = 0.0
    step_claims: np.ndarray = field(default_factory=lambda: _E)
    rule_back_rmb: float = 0.0

    def keep(self, mask: np.ndarray) -> None:
        """Keep the pending units where ``mask`` (bool over :attr:`units`) holds."""
        self.units, self.box, self.lucky = self.units[mask], self.box[mask], self.lucky[mask]


@dataclass(frozen=True)
class Launches:
    """Boxes to send, in priority order: ``user``, ``group``, ``merchant`` (int64; -1 for
    cash) and ``send_back`` (bool), arrays of shape (k,)."""

    user: np.ndarray
    group: np.ndarray
    merchant: np.ndarray
    send_back: np.ndarray

    @classmethod
    def empty(cls) -> Launches:
        """No launches."""
        return cls(_E, _E, _E, np.empty(0, dtype=bool))

    @classmethod
    def concat(cls, parts: list[Launches]) -> Launches:
        """``parts`` one after the other."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})

    def take(self, index) -> Launches:
        """The launches selected by ``index``."""
        return Launches(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def build_groups(sc: Scenario, graph: CSRGraph, seed: np.random.SeedSequence) -> GroupState | None:
    """The run's groups (from ``groups.file`` or generated from the ``groups`` stream ``seed``);
    None when ``groups.enabled`` is false (nothing is drawn)."""
    cfg = sc.groups
    if not cfg.enabled:
        return None
    table = (read_groups_file(cfg.file, graph) if cfg.file is not None
             else generate_groups(graph, cfg, np.random.default_rng(seed)))
    return GroupState(table=table)


def merge_counts(a, b):
    """The sum of two count carriers of one type (:class:`Settled` or :class:`Sent`):
    numbers added, arrays taken from ``a``."""
    return type(a)(**{f.name: getattr(a, f.name) if isinstance(getattr(a, f.name), np.ndarray)
                      else getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})


def group_gifts(world: World, now: Now, sc: Scenario, state: GroupState, active: np.ndarray,
                shares: np.ndarray | None, chat_open: bool, expiry_steps: int) -> tuple[Settled, Sent]:
    """The step's group gifts: claims, expiry, send-backs and new boxes (module docstring).

    Parameters
    ----------
    active : ndarray of bool, shape (n_users,)
    shares : ndarray of float64, shape (n_merchants,), or None
        The traffic policy's shares of the step (products of new boxes).
    chat_open : bool
        Whether the chat entry exists in this step.

    Returns
    -------
    (Settled, Sent)
        The counts and money of the step's group gifts (``accepted`` empty).
    """
    settled, back = claim_units(world, now, sc, state, active)
    exp, refunded = expire_units(world, now, state)
    settled = merge_counts(settled, Settled(accepted=_E, gifts_expired=exp, refunded_rmb=refunded))
    starters, newly_aware = start_boxes(world, now, sc, state, active, shares, chat_open)
    sent = send_boxes(world, now, sc, state, Launches.concat([back, starters]), expiry_steps)
    return settled, merge_counts(sent, Sent(newly_aware=newly_aware))


def _runs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start of each run of equal ``keys`` (sorted) and each element's rank in its run."""
    if keys.size == 0:
        return _E, _E
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    lens = np.diff(np.r_[starts, keys.size])
    return starts, np.arange(keys.size) - np.repeat(starts, lens)


def claim_units(world: World, now: Now, sc: Scenario, state: GroupState,
                active: np.ndarray) -> tuple[Settled, Launches]:
    """First-come-first-served claims of the claimable units, and the claimers' send-backs."""
    led, pop, rng, cfg = world.ledger, world.population, world.rng, sc.groups
    claimable = led.column("step_sent")[state.units] < now.step
    u_ids, u_box, u_lucky = state.units[claimable], state.box[claimable], state.lucky[claimable]
    state.step_claims = _E
    if u_ids.size == 0:
        return Settled(accepted=_E), Launches.empty()
    starts, _ = _runs(u_box)
    remaining = np.diff(np.r_[starts, u_box.size])
    grp = led.column("group")[u_ids[starts]].astype(np.int64)
    sender = led.column("sender")[u_ids[starts]].astype(np.int64)
    pos, member = state.table.members_of(grp)
    n = pop.n_users
    cand = active[member] & (member != sender[pos]) & ~np.isin(u_box[starts][pos] * n + member, state.claim_keys)
    idx = np.flatnonzero(cand)
    idx = idx[rng.random(idx.size) < cfg.claim_probability * now.per_step(pop, member[idx])]
    idx = idx[np.lexsort((rng.random(idx.size), pos[idx]))]  # by box, in order of arrival
    _, rank = _runs(pos[idx])
    win = rank < remaining[pos[idx]]
    idx, rank = idx[win], rank[win]
    bpos, claimer = pos[idx], member[idx]
    at = starts[bpos] + rank
    ids = u_ids[at]
    led.set("recipient", ids, claimer)
    led.set("seen", ids, True)
    booked = accept(world, ids, now.step, sc.gifts.follow_probability)
    newly_aware = pop.make_aware(claimer, sender[bpos], AwareVia.GROUP, now.step).size
    if sc.gifts.unlock_on_receive:
        pop.unlocked[claimer] = True
    amount = led.column("price")[ids]
    hazard = (cfg.send_back_base + cfg.send_back_per_rmb * amount) * np.where(u_lucky[at], cfg.send_back_luckiest, 1.0)
    back = rng.random(ids.size) < -np.expm1(-hazard)
    state.keep(~np.isin(state.units, ids))
    state.claim_keys = np.concatenate([state.claim_keys, u_box[at] * n + claimer])
    state.step_claims = np.unique(claimer * state.table.n_groups + grp[bpos])
    state.claims += int(ids.size)
    state.claimed_rmb += float(amount.sum())
    settled = Settled(accepted=_E, gifts_accepted=int(ids.size), gifts_returned=booked.returned,
                      newly_aware=int(newly_aware), units_kept=booked.units_kept, cash_rmb=booked.cash_rmb,
                      gmv_rmb=booked.gmv_rmb, returns_rmb=booked.returns_rmb, revenue_rmb=booked.revenue_rmb,
                      commission_rmb=booked.commission_rmb)
    launches = Launches(user=claimer[back], group=grp[bpos[back]],
                        merchant=led.column("merchant")[ids[back]].astype(np.int64),
                        send_back=np.ones(int(back.sum()), dtype=bool))
    return settled, launches


def expire_units(world: World, now: Now, state: GroupState) -> tuple[int, float]:
    """Units at their deadline expire and are refunded (:func:`sim.model.steps.settle.expire`);
    claims of finished boxes are forgotten. Returns (units expired, RMB refunded)."""
    due = world.ledger.column("deadline")[state.units] <= now.step
    ids = state.units[due]
    refunded = expire(world, ids, now.step)
    state.keep(~due)
    if ids.size:
        state.claim_keys = state.claim_keys[np.isin(state.claim_keys // world.population.n_users, state.box)]
    return int(ids.size), refunded


def start_boxes(world: World, now: Now, sc: Scenario, state: GroupState, active: np.ndarray,
                shares: np.ndarray | None, chat_open: bool) -> tuple[Launches, int]:
    """New boxes from the chat entry (module docstring). Returns them and the starters
    newly aware."""
    cfg, pop, rng = sc.groups, world.population, world.rng
    if not (chat_open and cfg.group_gift_rate > 0 and world.item.chat_open()):
        return Launches.empty(), 0
    users = np.flatnonzero(active & ~pop.muted & state.table.in_group)
    p = cfg.group_gift_rate * now.lift * now.per_step(pop, users)
    users = users[rng.random(users.size) < p]
    users = users[now.sees_button(pop, users)]
    newly_aware = pop.make_aware(users, -1, AwareVia.CHAT, now.step).size
    group = state.table.random_group_of(users, rng)
    merchant = world.item.chat_merchants(users.size, shares, rng)
    return Launches(user=users, group=group, merchant=np.asarray(merchant, dtype=np.int64),
                    send_back=np.zeros(users.size, dtype=bool)), int(newly_aware)


def stock_limited(available: np.ndarray, merchant: np.ndarray, k: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Units each box gets when boxes reach their merchant's ``available`` stock in
    ``order`` (a permutation of the boxes), each wanting ``k`` (int64 arrays (b,))."""
    om = merchant[order]
    by_m = np.argsort(om, kind="stable")
    sm, sk = om[by_m], k[order][by_m]
    starts, _ = _runs(sm)
    cs = np.cumsum(sk)
    base = np.repeat(cs[starts] - sk[starts], np.diff(np.r_[starts, sm.size])) if sm.size else _E
    before = cs - sk - base
    out = np.empty(merchant.size, dtype=np.int64)
    out[order[by_m]] = np.clip(available[sm] - before, 0, sk)
    return out


def split_cash(cents: np.ndarray, k: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split each box's ``cents`` (int64, >= k) into ``k`` shares of at least one cent at
    random (a uniform broken stick over the cents above k). Returns the shares in RMB
    (float64, sum(k); box by box, each box's adding up to its cents / 100) and whether each
    is its box's largest (the luckiest draw; the first of equal largest)."""
    nb = k.size
    free = cents - k
    box_c = np.repeat(np.arange(nb), k - 1)
    cuts = np.minimum(np.floor(rng.random(box_c.size) * (free[box_c] + 1)).astype(np.int64), free[box_c])
    cuts = cuts[np.lexsort((cuts, box_c))]
    off = np.cumsum(k + 1) - (k + 1)
    pts = np.empty(int((k + 1).sum()), dtype=np.int64)
    pts[off] = 0
    pts[off + k] = free
    _, rank = _runs(box_c)
    pts[off[box_c] + 1 + rank] = cuts
    unit_box = np.repeat(np.arange(nb), k)
    _, urank = _runs(unit_box)
    at = off[unit_box] + urank
    shares = (pts[at + 1] - pts[at] + 1).astype(np.float64) / 100.0
    best = np.lexsort((-shares, unit_box))
    first, _ = _runs(unit_box[best])
    lucky = np.zeros(shares.size, dtype=bool)
    lucky[best[first]] = True
    return shares, lucky


def send_boxes(world: World, now: Now, sc: Scenario, state: GroupState, launches: Launches,
               expiry_steps: int) -> Sent:
    """Send the boxes of ``launches`` (module docstring): one per user, the sender sees the
    button and is not muted, the product is sold; priced, within budget, in stock."""
    pop, rng, item, cfg = world.population, world.rng, world.item, sc.groups
    _, first = np.unique(launches.user, return_index=True)
    launches = launches.take(np.sort(first))
    ok = now.sees_button(pop, launches.user) & ~pop.muted[launches.user] & item.sold(launches.merchant)
    launches = launches.take(ok)
    if launches.user.size == 0:
        return Sent()
    want = np.maximum(1, np.ceil(cfg.unit_share * (state.table.sizes[launches.group] - 1))).astype(np.int64)
    price = item.price(launches.merchant, rng)
    budget = pop.budget[launches.user]
    lost = 0
    if item.cash:
        cents = np.rint(price * 100.0).astype(np.int64)
        price = cents / 100.0
    unaffordable = int((price > budget).sum())
    if item.cash:
        k = np.where(price <= budget, np.minimum(want, cents), 0)
    else:
        k = np.minimum(want, np.floor(budget / price + 1e-9).astype(np.int64))
        got = stock_limited(world.merchants.available, launches.merchant, k, rng.permutation(k.size))
        item.book_lost(np.repeat(launches.merchant, k - got), world.demand, now.step)
        lost, k = int((k - got).sum()), got
    go = k > 0
    launches, k, price = launches.take(go), k[go], price[go]
    if item.cash:
        unit_price, lucky = split_cash(np.rint(price * 100.0).astype(np.int64), k, rng)
    else:
        unit_price, lucky = np.repeat(price, k), np.zeros(int(k.sum()), dtype=bool)
    return _write(world, now, state, launches, k, unit_price, lucky, expiry_steps,
                  Sent(unaffordable=unaffordable, stockouts=lost))


def _write(world: World, now: Now, state: GroupState, launches: Launches, k: np.ndarray, unit_price: np.ndarray,
           lucky: np.ndarray, expiry_steps: int, base: Sent) -> Sent:
    """Append the boxes' units to the ledger, charge and book them, mark senders."""
    pop, t = world.population, now.step
    sender, merchant = np.repeat(launches.user, k), np.repeat(launches.merchant, k)
    n = int(k.sum())
    ids = world.ledger.append(sender=sender, recipient=np.full(n, -1, dtype=np.int64), merchant=merchant,
                              price=unit_price, tie=np.zeros(n, dtype=np.float32),
                              source=np.full(n, GiftSource.GROUP, dtype=np.int8), step=t, deadline=t + expiry_steps,
                              group=np.repeat(launches.group, k), index_pending=False)
    np.subtract.at(pop.budget, sender, unit_price)
    world.item.book_sent(merchant, world.demand, t)
    boxes = np.arange(state.next_box, state.next_box + k.size, dtype=np.int64)
    state.next_box += int(k.size)
    state.units = np.concatenate([state.units, ids])
    state.box = np.concatenate([state.box, np.repeat(boxes, k)])
    state.lucky = np.concatenate([state.lucky, lucky])
    totals = np.bincount(np.repeat(np.arange(k.size), k), weights=unit_price, minlength=k.size)
    state.boxes += int(k.size)
    state.send_backs += int(launches.send_back.sum())
    back = np.isin(launches.user * state.table.n_groups + launches.group, state.step_claims)
    state.send_back_rmb += float(totals[back].sum())
    state.rule_back_rmb += float(totals[launches.send_back].sum())
    first_time = ~pop.senders[launches.user]
    pop.senders[launches.user] = True
    pop.first_send_step[launches.user[first_time]] = t
    return merge_counts(base, Sent(gifts_sent=n, new_senders=int(first_time.sum()), paid_rmb=float(unit_price.sum())))
