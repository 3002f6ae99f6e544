"""The day's sub-steps (sim/model/steps/) on tiny hand-made worlds: a 4-user graph, two
merchants, probabilities set to 0 or 1 so that every count can be worked out by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.graph import CSRGraph
from sim.model import SERIES, GiftModel, GiftSource, InvitationOutcome, Recorder
from sim.model.gifts import GiftLedger
from sim.model.invitations import InvitationLog
from sim.model.merchants import DemandWindow, MerchantTable, admit_entrants
from sim.model.population import Population
from sim.model.recorder import StepCounts
from sim.model.states import AwareVia, GiftOutcome
from sim.model.steps import (
    Cash,
    Intents,
    MerchantMoves,
    Now,
    Products,
    Sent,
    Settled,
    Traffic,
    Visits,
    World,
    activity,
    annoyance,
    record,
    send,
    settle,
    traffic,
)
from sim.model.steps.carriers import DayValues
from sim.model.steps.merchants import admission_room, is_review_step
from sim.policies import make_policy

from ..conftest import small_scenario

# the graph: 0 - 1 - 2 - 3, plus 0 - 2; tie strengths below
EDGES = [(0, 1, 0.5), (0, 2, 0.25), (1, 2, 1.0), (2, 3, 0.75)]


def tiny_graph() -> CSRGraph:
    """The 4-user graph of :data:`EDGES` as CSR (friends of each user ascending)."""
    rows: dict[int, list[tuple[int, float]]] = {u: [] for u in range(4)}
    for u, v, w in EDGES:
        rows[u].append((v, w))
        rows[v].append((u, w))
    indptr = np.cumsum([0] + [len(rows[u]) for u in range(4)]).astype(np.int64)
    pairs = [p for u in range(4) for p in sorted(rows[u])]
    return CSRGraph(indptr=indptr, indices=np.array([p[0] for p in pairs], dtype=np.int32),
                    weights=np.array([p[1] for p in pairs], dtype=np.float32))


def tiny_table(n: int = 2, **values) -> MerchantTable:
    """``n`` active merchants: price 10, quality 1, appeal 1, stock 5, no returns."""
    f64 = {"price": 10.0, "quality": 1.0, "appeal": 1.0, "commission": 0.1, "unit_cost_share": 0.5,
           "fixed_cost_per_week": 0.0, "return_prob": 0.0, "expectation": 1.0}
    i64 = {"reorder_point": 1, "restock_quantity": 5, "lead_steps": 1, "stock": 5, "reserved": 0, "incoming": 0}
    cols: dict[str, np.ndarray] = {"kind": np.zeros(n, dtype=np.int8), "active": np.ones(n, dtype=bool),
                                   "left": np.zeros(n, dtype=bool), "joined_step": np.zeros(n, dtype=np.int32),
                                   "left_step": np.full(n, -1, dtype=np.int32)}
    cols.update({k: np.full(n, v, dtype=np.float64) for k, v in f64.items()})
    cols.update({k: np.full(n, v, dtype=np.int64) for k, v in i64.items()})
    for name in ("followers", "orders", "accepted", "returned", "stockouts", "impressions", "gmv", "revenue",
                 "period_revenue", "period_cogs"):
        cols[name] = np.zeros(n, dtype=np.float64)
    for k, v in values.items():
        cols[k] = np.asarray(v, dtype=cols[k].dtype)
    return MerchantTable(**cols)


def tiny_world(*, cash: bool = False, table: MerchantTable | None = None, seed: int = 0) -> World:
    """4 users (budget 100, visible button, nobody aware) on :func:`tiny_graph`."""
    pop = Population.blank(4)
    pop.budget[:] = 100.0
    pop.mute_threshold[:] = 10.0
    mt = table if table is not None else tiny_table()
    item = Cash(mt, small_scenario(gifts={"item": "cash"}).gifts) if cash else Products(mt)
    return World(population=pop, merchants=mt, ledger=GiftLedger(), invitations=InvitationLog(),
                 graph=tiny_graph(), item=item, demand=DemandWindow(2, mt.n_merchants),
                 rng=np.random.default_rng(seed))


NOW = Now(step=3, button_share=1.0, lift=1.0)


def add_gift(world: World, sender: int, recipient: int, merchant: int = 0, price: float = 10.0,
             step: int = 2, deadline: int = 5) -> int:
    """One pending gift in the ledger (reserving its unit); returns its id."""
    ids = world.ledger.append(sender=np.array([sender]), recipient=np.array([recipient]), merchant=np.array([merchant]),
                              price=np.array([price]), tie=np.array([0.5], dtype=np.float32),
                              source=np.array([GiftSource.IMPRESSION], dtype=np.int8), step=step, deadline=deadline)
    if merchant >= 0:
        world.merchants.reserved[merchant] += 1
    return int(ids[0])


# ---------------------------------------------------------------- carriers

def test_visits_of_fills_parent_and_invitation_and_concat_keeps_order():
    a = Visits.of(np.array([2, 0]), np.array([1, 1]), GiftSource.PUSH)
    b = Visits.of(np.array([3]), np.array([0]), GiftSource.INVITE, parent=np.array([1]), invitation=np.array([7]))
    v = Visits.concat([a, b])
    assert v.size == 3
    assert v.user.tolist() == [2, 0, 3] and v.user.dtype == np.int64
    assert v.source.tolist() == [GiftSource.PUSH, GiftSource.PUSH, GiftSource.INVITE] and v.source.dtype == np.int8
    assert v.parent.tolist() == [-1, -1, 1] and v.invitation.tolist() == [-1, -1, 7]
    empty = Visits.concat([])
    assert empty.size == 0 and empty.merchant.dtype == np.int64 and empty.source.dtype == np.int8


def test_intents_take_and_concat():
    def one(u):
        return Intents(user=np.array([u]), merchant=np.array([0]), source=np.array([GiftSource.CHAT], dtype=np.int8),
                       recipient=np.array([-1]), exclude=np.array([-1]), tie=np.zeros(1, np.float32),
                       price=np.zeros(1))
    both = Intents.concat([one(3), one(1), one(2)])
    assert both.user.tolist() == [3, 1, 2]
    assert both.take(np.array([2, 0])).user.tolist() == [2, 3]
    assert both.take(np.array([False, True, False])).size == 1


def test_step_counts_are_the_series_and_the_recorder_writes_them():
    assert [f.name for f in dataclasses.fields(StepCounts)] == list(SERIES)
    rec = Recorder(3)
    rec.record(1, StepCounts(active_users=4, gifts_sent=2, paid_rmb=12.5, button_share=0.5))
    assert rec.columns["active_users"].tolist() == [0, 4, 0]
    assert rec.columns["gifts_sent"][1] == 2 and rec.columns["paid_rmb"][1] == 12.5
    assert rec.columns["button_share"][1] == 0.5 and rec.columns["muted_users"].sum() == 0


def test_gather_and_tally():
    tally = record.Tally(aware=1, senders=0, muted=0)
    settled = Settled(accepted=np.array([0]), gifts_accepted=1, newly_aware=2, cash_rmb=5.0, gmv_rmb=10.0,
                      refunded_rmb=3.0, revenue_rmb=9.0, commission_rmb=1.0, units_kept=1)
    sent = Sent(gifts_sent=2, new_senders=2, newly_aware=1, paid_rmb=20.0, stockouts=1, invites=4)
    tally.add(settled, sent, newly_muted=1)
    assert (tally.aware, tally.senders, tally.muted) == (4, 2, 1)
    assert tally.totals == {"paid": 20.0, "gmv": 10.0, "cash": 5.0, "refunded": 3.0, "returns": 0.0,
                            "commission": 1.0, "merchant_revenue": 9.0}
    traffic_ = Traffic(visits=Visits.of(np.array([0, 1, 2]), np.zeros(3), GiftSource.CHAT), commercial_impressions=7)
    row = record.gather(DayValues(0.5, 1.2), 3, settled, traffic_, sent, MerchantMoves(joined=1), tally,
                        gifts_pending=2, active_merchants=5)
    assert row.product_visits == 3 and row.commercial_impressions == 7 and row.aware_users == 4
    assert (row.gifts_sent, row.gifts_accepted, row.gifts_pending, row.active_merchants) == (2, 1, 2, 5)
    assert (row.merchants_joined, row.merchants_left, row.occasion_lift, row.invites) == (1, 0, 1.2, 4)


# ---------------------------------------------------------------- activity, annoyance

def test_activity_is_one_draw_per_user_against_activity():
    pop = Population.blank(4)
    pop.activity[:] = [0.0, 1.0, 0.0, 1.0]
    rng = np.random.default_rng(5)
    assert activity.draw_activity(pop, rng).tolist() == [False, True, False, True]
    twin = np.random.default_rng(5)
    twin.random(4)
    assert rng.random() == twin.random()  # exactly one draw per user


def test_annoyance_mutes_past_threshold_then_fades_per_day():
    pop = Population.blank(4)
    pop.annoyance[:] = [0.5, 2.0, 3.0, 0.0]
    pop.mute_threshold[:] = [1.0, 1.0, 5.0, 0.0]
    pop.muted[3] = True
    n = annoyance.update_annoyance(pop, step=6, decay=0.5, step_days=2.0)
    assert n == 1 and pop.muted.tolist() == [False, True, False, True]
    assert pop.muted_step.tolist() == [-1, 6, -1, -1]
    assert pop.annoyance.tolist() == [0.125, 0.5, 0.75, 0.0]  # * (1 - 0.5) ** 2


# ---------------------------------------------------------------- settle

SURE = {"accept_intercept": 20.0, "accept_tie": 0.0, "accept_quality": 0.0}
NEVER = {"accept_intercept": -20.0, "accept_tie": 0.0, "accept_quality": 0.0}


def test_settle_accepts_opened_gifts_and_expires_those_at_their_deadline():
    w = tiny_world()
    g_open = add_gift(w, sender=0, recipient=1, deadline=5)
    g_late = add_gift(w, sender=2, recipient=3, price=4.0, deadline=3)  # recipient inactive, last step
    add_gift(w, sender=0, recipient=2, deadline=5)  # recipient inactive: waits
    active = np.array([False, True, False, False])
    gifts = small_scenario(gifts=SURE).gifts
    s = settle.settle_gifts(w, 3, gifts, active)
    assert s.accepted.tolist() == [g_open]
    assert (s.gifts_accepted, s.gifts_expired, s.gifts_returned, s.newly_aware, s.units_kept) == (1, 1, 0, 1, 1)
    assert (s.gmv_rmb, s.refunded_rmb, s.cash_rmb) == (10.0, 4.0, 0.0)
    assert s.revenue_rmb == pytest.approx(9.0) and s.commission_rmb == pytest.approx(1.0)
    mt, pop = w.merchants, w.population
    assert mt.stock[0] == 4 and mt.reserved[0] == 1 and mt.accepted[0] == 1  # one shipped, one still reserved
    assert pop.budget[2] == 104.0  # the expired gift is refunded
    assert pop.aware[1] and pop.aware_via[1] == AwareVia.GIFT and pop.parent[1] == 0
    assert w.ledger.column("outcome")[g_late] == GiftOutcome.EXPIRED
    assert w.ledger.pending.tolist() == [2]


def test_settle_declined_gifts_stay_pending_and_seen():
    w = tiny_world()
    g = add_gift(w, sender=0, recipient=1)
    s = settle.settle_gifts(w, 3, small_scenario(gifts=NEVER).gifts, np.ones(4, dtype=bool))
    assert s.gifts_accepted == 0 and s.accepted.size == 0 and s.newly_aware == 1
    assert w.ledger.column("seen")[g] and w.ledger.pending.tolist() == [g]


def test_returned_gift_is_refunded_and_kept_out_of_sales():
    w = tiny_world(table=tiny_table(return_prob=[1.0, 1.0]))
    add_gift(w, sender=0, recipient=1)
    s = settle.settle_gifts(w, 3, small_scenario(gifts=SURE).gifts, np.ones(4, dtype=bool))
    assert (s.gifts_returned, s.units_kept, s.returns_rmb, s.revenue_rmb) == (1, 0, 10.0, 0.0)
    assert w.population.budget[0] == 110.0 and w.merchants.returned[0] == 1


def test_settle_cash_gift_moves_money_not_stock():
    w = tiny_world(cash=True)
    add_gift(w, sender=0, recipient=1, merchant=-1, price=8.0)
    s = settle.settle_gifts(w, 3, small_scenario(gifts=SURE).gifts, np.ones(4, dtype=bool))
    assert (s.gifts_accepted, s.cash_rmb, s.gmv_rmb, s.units_kept) == (1, 8.0, 0.0, 0)
    assert w.merchants.stock.tolist() == [5, 5] and w.merchants.accepted.sum() == 0


# ---------------------------------------------------------------- traffic

def test_push_visits_reach_every_active_unmuted_user_once():
    w = tiny_world(table=tiny_table(active=[False, True]))
    sc = small_scenario(policy={"commercial_share": 0.0, "push": {"enabled": True, "reach": 1.0,
                                                                   "click_through": 1.0, "annoyance": 0.5}})
    w.population.muted[2] = True
    active = np.array([True, True, True, False])
    t = traffic.allocate_traffic(w, NOW, sc, make_policy(sc.policy.allocation), active, chat_open=False)
    assert t.commercial_impressions == 0 and t.pushes == 2
    assert t.visits.user.tolist() == [0, 1] and t.visits.merchant.tolist() == [1, 1]  # only merchant 1 is active
    assert (t.visits.source == GiftSource.PUSH).all()
    assert w.population.annoyance.tolist() == [0.5, 0.5, 0.0, 0.0]


def test_impressions_split_among_active_merchants_and_clicks_become_visits():
    w = tiny_world(table=tiny_table(active=[True, False]))
    sc = small_scenario(population={"feed_impressions": 40.0}, policy={"commercial_share": 0.1},
                        gifts={"click_through": 1.0})
    active = np.ones(4, dtype=bool)
    t = traffic.allocate_traffic(w, NOW, sc, make_policy(sc.policy.allocation), active, chat_open=False)
    total = t.commercial_impressions
    assert total > 0 and w.merchants.impressions.tolist() == [total, 0]
    assert t.visits.size == total  # every impression clicked (click_through * appeal = 1)
    assert (t.visits.merchant == 0).all() and (t.visits.source == GiftSource.IMPRESSION).all()


def test_chat_entry_lands_on_cash_and_needs_the_button():
    w = tiny_world(cash=True)
    w.population.rollout_rank[:] = [0.1, 0.9, 0.2, 0.95]
    w.population.unlocked[3] = True
    sc = small_scenario(policy={"commercial_share": 0.0}, gifts={"item": "cash", "chat_entry_rate": 1.0})
    now = dataclasses.replace(NOW, button_share=0.5)
    active = np.ones(4, dtype=bool)
    t = traffic.allocate_traffic(w, now, sc, make_policy(sc.policy.allocation), active, chat_open=True)
    assert t.visits.user.tolist() == [0, 2, 3] and t.visits.merchant.tolist() == [-1, -1, -1]
    closed = traffic.allocate_traffic(w, now, sc, make_policy(sc.policy.allocation), active, chat_open=False)
    assert closed.visits.size == 0


def test_invitations_end_when_seen():
    w = tiny_world(table=tiny_table(active=[True, False]))
    log, pop = w.invitations, w.population
    ids = log.append(inviter=np.array([0, 0, 1]), invitee=np.array([1, 2, 3]), merchant=np.array([0, 0, 1]), step=2)
    pop.invite_id[[1, 2, 3]] = ids
    pop.muted[2] = True
    sc = small_scenario(policy={"commercial_share": 0.0,
                                "induced_sharing": {"enabled": True, "click_through": 1.0}})
    v = traffic.invitation_visits(w, NOW, sc, np.ones(4, dtype=bool))
    assert v.user.tolist() == [1] and v.parent.tolist() == [0] and v.invitation.tolist() == [ids[0]]
    assert log.column("outcome").tolist() == [InvitationOutcome.VISITED, InvitationOutcome.MUTED,
                                              InvitationOutcome.UNAVAILABLE]
    assert (pop.invite_id == -1).all()


# ---------------------------------------------------------------- send

def test_reciprocity_returns_to_the_giver_before_pay_forward():
    w = tiny_world()
    g0 = add_gift(w, sender=0, recipient=1)
    g1 = add_gift(w, sender=2, recipient=3)
    w.population.reciprocity[1] = 1.0
    w.population.pay_forward[3] = 1.0
    it = send.intents_from_accepted(w, NOW, small_scenario(), np.array([g1, g0]))
    assert it.user.tolist() == [1, 3] and it.recipient.tolist() == [0, -1] and it.exclude.tolist() == [-1, 2]
    assert it.source.tolist() == [GiftSource.RECIPROCITY, GiftSource.PAY_FORWARD]
    assert it.tie.tolist() == [0.5, 0.0]
    assert w.forwards.size == 0  # nobody decided both


def test_sending_back_and_paying_forward_keeps_the_forward_for_a_later_step():
    w = tiny_world()
    g0 = add_gift(w, sender=0, recipient=1)
    w.population.reciprocity[1] = 1.0
    w.population.pay_forward[1] = 1.0
    sc = small_scenario(population={"pay_forward_days": 2})
    it = send.intents_from_accepted(w, NOW, sc, np.array([g0]))
    assert it.user.tolist() == [1] and it.source.tolist() == [GiftSource.RECIPROCITY]
    f = w.forwards
    assert f.user.tolist() == [1] and f.giver.tolist() == [0] and f.deadline.tolist() == [NOW.step + 2]
    assert NOW.step < f.due[0] <= NOW.step + 2
    later = Now(step=int(f.due[0]), button_share=1.0, lift=1.0)
    it = send.intents_from_accepted(w, later, sc, np.zeros(0, dtype=np.int64))
    assert it.user.tolist() == [1] and it.source.tolist() == [GiftSource.PAY_FORWARD] and it.exclude.tolist() == [0]
    assert f.size == 0


def test_visits_make_aware_and_order_intents_by_source():
    w = tiny_world()
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 1.0})
    v = Visits.concat([Visits.of(np.array([0]), np.array([0]), GiftSource.IMPRESSION),
                       Visits.of(np.array([1]), np.array([1]), GiftSource.PUSH),
                       Visits.of(np.array([2]), np.array([0]), GiftSource.CHAT)])
    it, aware = send.intents_from_visits(w, NOW, sc, v)
    assert aware == 3 and it.user.tolist() == [2, 1, 0]  # chat, then push, then impression
    assert w.population.aware_via[[0, 1, 2]].tolist() == [AwareVia.IMPRESSION, AwareVia.PUSH, AwareVia.CHAT]


def test_cash_sends_only_from_the_chat_entry():
    w = tiny_world(cash=True)
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 1.0, "item": "cash"})
    v = Visits.concat([Visits.of(np.array([0]), np.array([0]), GiftSource.IMPRESSION),
                       Visits.of(np.array([2]), np.array([-1]), GiftSource.CHAT)])
    it, aware = send.intents_from_visits(w, NOW, sc, v)
    assert it.user.tolist() == [2] and aware == 1


def test_one_gift_per_sender_by_priority_and_only_products_on_sale():
    w = tiny_world(table=tiny_table(active=[True, False]))
    it = Intents(user=np.array([1, 1, 2, 3]), merchant=np.array([0, 0, 1, 0]),
                 source=np.full(4, GiftSource.CHAT, np.int8), recipient=np.array([0, 2, -1, -1]),
                 exclude=np.full(4, -1), tie=np.zeros(4, np.float32), price=np.zeros(4))
    w.population.muted[3] = True
    kept = send.first_per_sender(w, NOW, it)
    assert kept.user.tolist() == [1] and kept.recipient.tolist() == [0]


def test_recipients_are_friends_and_exclude_is_honoured():
    w = tiny_world()
    it = Intents(user=np.array([3, 0, 3]), merchant=np.zeros(3, np.int64), source=np.full(3, GiftSource.CHAT, np.int8),
                 recipient=np.array([-1, 1, -1]), exclude=np.array([-1, -1, 2]), tie=np.array([0, 0.5, 0], np.float32),
                 price=np.zeros(3))
    out = send.draw_recipients(w, it)
    # user 3's only friend is 2 (tie 0.75); excluding it leaves none
    assert out.recipient.tolist() == [2, 1, -1]
    assert out.tie.tolist() == [0.75, 0.5, 0.0]


def test_budget_and_stock_first_come_first_served():
    w = tiny_world(table=tiny_table(stock=[1, 5]))
    w.population.budget[3] = 5.0
    it = Intents(user=np.array([0, 1, 2, 3]), merchant=np.array([0, 0, 1, 1]),
                 source=np.full(4, GiftSource.CHAT, np.int8), recipient=np.array([1, 0, -1, 2]),
                 exclude=np.full(4, -1), tie=np.zeros(4, np.float32), price=np.zeros(4))
    gifts, unaffordable, lost = send.afford_and_stock(w, NOW, it)
    # user 2 has no recipient (not counted), user 3 cannot pay 10, users 0 and 1 race for one unit
    assert unaffordable == 1 and lost == 1 and gifts.size == 1 and gifts.user[0] in (0, 1)
    assert gifts.price.tolist() == [10.0]
    assert w.merchants.stockouts.tolist() == [1, 0] and w.demand.recent_demand.tolist() == [1, 0]


def test_write_gifts_charges_books_and_counts_first_senders():
    w = tiny_world()
    w.population.senders[1] = True
    gifts = Intents(user=np.array([0, 1]), merchant=np.array([0, 1]), source=np.full(2, GiftSource.CHAT, np.int8),
                    recipient=np.array([1, 2]), exclude=np.full(2, -1), tie=np.array([0.5, 1.0], np.float32),
                    price=np.array([10.0, 10.0]))
    assert send.write_gifts(w, NOW, gifts, expiry_steps=2) == 1
    led = w.ledger
    assert led.column("deadline").tolist() == [5, 5] and led.pending.tolist() == [0, 1]
    assert w.population.budget[:2].tolist() == [90.0, 90.0] and w.population.first_send_step[:2].tolist() == [3, -1]
    mt = w.merchants
    assert mt.reserved.tolist() == [1, 1] and mt.orders.tolist() == [1, 1]
    assert w.demand.recent_orders.tolist() == [1, 1]


def test_send_gifts_end_to_end_on_the_tiny_graph():
    w = tiny_world()
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 1.0})
    v = Visits.concat([Visits.of(np.array([3, 3]), np.array([0, 1]), GiftSource.IMPRESSION)])
    sent = send.send_gifts(w, NOW, sc, v, np.empty(0, np.int64), expiry_steps=1)
    assert (sent.gifts_sent, sent.new_senders, sent.newly_aware, sent.stockouts, sent.unaffordable) == (1, 1, 1, 0, 0)
    assert sent.paid_rmb == 10.0 and sent.invites == 0
    assert w.ledger.column("recipient").tolist() == [2]  # user 3's only friend


def test_induced_sharing_invites_fanout_friends():
    w = tiny_world()
    sc = small_scenario(policy={"induced_sharing": {"enabled": True, "fanout": 2, "annoyance": 0.5}})
    gifts = Intents(user=np.array([3]), merchant=np.array([1]), source=np.full(1, GiftSource.CHAT, np.int8),
                    recipient=np.array([2]), exclude=np.full(1, -1), tie=np.zeros(1, np.float32), price=np.ones(1))
    assert send.induced_invitations(w, NOW, sc, gifts) == 2
    log = w.invitations
    # both invitations go to user 3's only friend, 2: the first is superseded by the second
    assert log.column("invitee").tolist() == [2, 2] and log.column("merchant").tolist() == [1, 1]
    assert log.column("outcome").tolist() == [InvitationOutcome.SUPERSEDED, InvitationOutcome.PENDING]
    assert w.population.invite_id[2] == 1 and w.population.annoyance[2] == 1.0


# ---------------------------------------------------------------- merchants

def test_restock_trigger_and_demand_window():
    mt = tiny_table(n=3, stock=[1, 3, 0], reserved=[0, 1, 0], incoming=[0, 0, 2], active=[True, True, False])
    # available + incoming: 1, 2, 2 against reorder point 1; merchant 2 is off the platform
    assert mt.below_reorder_point().tolist() == [True, False, False]
    d = DemandWindow(2, 3)
    d.orders_row(0)[1] += 2
    d.demand_row(1)[1] += 1
    assert d.recent_orders.tolist() == [0, 2, 0] and d.recent_demand.tolist() == [0, 1, 0]
    d.begin(2)  # step 2 reuses step 0's row
    assert d.recent_orders.tolist() == [0, 0, 0] and d.recent_demand.tolist() == [0, 1, 0]


def test_review_schedule_and_admission_room():
    assert [is_review_step(s, 7) for s in (0, 5, 6, 13)] == [False, False, True, True]
    assert admission_room(small_scenario(merchants={"review_days": 14, "max_admissions_per_week": 3}).merchants) == 6
    assert admission_room(small_scenario().merchants) is None


@pytest.fixture
def entry_model() -> GiftModel:
    m = GiftModel(small_scenario(), seed=0)
    mt = m.merchant_table
    mt.active[:] = False
    mt.left[:] = False
    mt.active[:2] = True
    mt.fixed_cost_per_week[:] = 70.0  # 70 per 7-day review period
    mt.price[:] = 100.0
    mt.commission[:] = 0.0
    mt.unit_cost_share[:] = 0.5  # margin 50 a unit
    mt.expectation[:] = 0.0
    mt.expectation[[5, 6, 7]] = [1.0, 2.0, 1.0]  # only these three could make a profit
    return m


def test_entry_best_first_until_entry_stops_paying(entry_model):
    mt = entry_model.merchant_table
    # 9 units over 2 active + 1 entrant = 3 each: 6 expects 2*3*50-70 = 230, 5 and 7 expect 80 (by index)
    admit_entrants(entry_model.merchant_agents, mt, period_sales=9.0, room=None, step=13)
    # then 9/4 = 2.25 each: 5 gets 42.5 > 0; then 9/5 = 1.8: 7 gets 1.8*50-70 = 20 > 0
    assert np.flatnonzero(mt.active).tolist() == [0, 1, 5, 6, 7]
    assert mt.joined_step[[5, 6, 7]].tolist() == [13, 13, 13]


def test_entry_respects_the_room(entry_model):
    mt = entry_model.merchant_table
    admit_entrants(entry_model.merchant_agents, mt, period_sales=9.0, room=1, step=13)
    assert np.flatnonzero(mt.active).tolist() == [0, 1, 6]  # the best candidate only


def test_entry_stops_when_it_no_longer_pays(entry_model):
    mt = entry_model.merchant_table
    # 4 units: 4/3 each -> 2*(4/3)*50-70 = 63 > 0 joins; then 4/4 = 1 -> 1*50-70 < 0 for the others
    admit_entrants(entry_model.merchant_agents, mt, period_sales=4.0, room=None, step=13)
    assert np.flatnonzero(mt.active).tolist() == [0, 1, 6]


def test_returns_and_commission_count_only_returned_and_kept_gifts():
    w = tiny_world(table=tiny_table(return_prob=[1.0, 0.0]))
    add_gift(w, sender=0, recipient=1, merchant=0)
    add_gift(w, sender=2, recipient=3, merchant=1)
    gifts = small_scenario(gifts={**SURE, "follow_probability": 1.0}).gifts
    s = settle.settle_gifts(w, 3, gifts, np.ones(4, dtype=bool))
    assert (s.gifts_accepted, s.gifts_returned, s.gmv_rmb, s.returns_rmb) == (2, 1, 20.0, 10.0)
    assert s.commission_rmb == pytest.approx(1.0) and s.revenue_rmb == pytest.approx(9.0)
    assert w.merchants.followers.tolist() == [1, 1]  # follow_probability 1


@pytest.mark.parametrize("unlock", [True, False])
def test_opening_a_gift_unlocks_the_button_only_when_configured(unlock):
    w = tiny_world()
    add_gift(w, sender=0, recipient=1)
    settle.settle_gifts(w, 3, small_scenario(gifts={**NEVER, "unlock_on_receive": unlock}).gifts,
                        np.ones(4, dtype=bool))
    assert w.population.unlocked.tolist() == [False, unlock, False, False]


def test_cash_amounts_are_clipped_to_the_price_cap():
    gifts = small_scenario(gifts={"item": "cash", "price_cap": 5.0}).gifts  # median amount 20
    cash = Cash(tiny_table(), gifts)
    price = cash.price(np.full(6, -1), np.random.default_rng(0))
    assert price.max() == 5.0 and price.min() >= 0.01 and (price == 5.0).sum() >= 4
    assert cash.price(np.empty(0, np.int64), np.random.default_rng(0)).size == 0


def test_push_reach_is_per_active_day_with_sub_daily_steps():
    w = tiny_world()
    w.population.per_active_step[:] = [0.0, 0.0, 1.0, 1.0]
    sc = small_scenario(policy={"commercial_share": 0.0, "push": {"enabled": True, "reach": 1.0}})
    now = dataclasses.replace(NOW, steps_per_day=4, step_days=0.25)
    t = traffic.allocate_traffic(w, now, sc, make_policy(sc.policy.allocation), np.ones(4, dtype=bool),
                                 chat_open=False)
    assert t.pushes == 2


def test_induced_sharing_boosts_the_send_probability():
    w = tiny_world()
    w.population.propensity[:] = 1.0
    sc = small_scenario(gifts={"send_probability": 0.25},
                        policy={"induced_sharing": {"enabled": True, "send_boost": 4.0}})
    users = np.repeat(np.arange(4), 3)
    v = Visits.of(users, np.zeros(12), GiftSource.IMPRESSION)
    it, _ = send.intents_from_visits(w, NOW, sc, v)
    assert it.size == 12  # 0.25 * 4 = 1: every visit
