"""Triggers of gifts and first gifts, R by trigger, and the receive-give lift (issue 14: metrics).

The lift is checked on a hand-built ledger with a known answer, against a brute-force
users x days count on random ledgers, and on runs where receiving cannot change giving
(no reciprocity, no pay-forward, no unlock on receipt), where it must be about 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import run
from sim.metrics.lift import receive_give_lift
from sim.metrics.triggers import TRIGGER_NAMES, first_gift_triggers, first_gifts_by_trigger, gift_triggers
from sim.model.states import GiftSource, Trigger
from tests.conftest import small_scenario


def test_gift_triggers_map_every_source():
    src = np.array([GiftSource.IMPRESSION, GiftSource.PUSH, GiftSource.INVITE, GiftSource.RECIPROCITY,
                    GiftSource.PAY_FORWARD, GiftSource.CHAT, GiftSource.GROUP, GiftSource.OCCASION])
    assert gift_triggers(src).tolist() == [Trigger.FEED, Trigger.PUSH, Trigger.INVITATION, Trigger.RECEIVED_GIFT,
                                           Trigger.RECEIVED_GIFT, Trigger.CHAT_ENTRY, Trigger.GROUP,
                                           Trigger.OCCASION]
    with pytest.raises(ValueError, match="source codes"):
        gift_triggers(np.array([9]))


def test_first_gift_trigger_is_the_earliest_row_of_each_sender():
    sender = np.array([2, 0, 2, 0, 3])
    source = np.array([GiftSource.PUSH, GiftSource.RECIPROCITY, GiftSource.IMPRESSION, GiftSource.PUSH,
                       GiftSource.PAY_FORWARD])
    first = first_gift_triggers(sender, source, 5)
    assert first.tolist() == [Trigger.RECEIVED_GIFT, -1, Trigger.PUSH, Trigger.RECEIVED_GIFT, -1]
    counts = first_gifts_by_trigger(first)
    assert list(counts) == list(TRIGGER_NAMES)
    assert counts == {"received_gift": 2, "invitation": 0, "feed": 0, "push": 1, "chat_entry": 0, "group": 0,
                      "occasion": 0}


def test_run_summary_counts_first_gifts_and_r_by_trigger(small):
    res = run(small, 3)
    s, g = res.summary, res.gifts
    first = g.drop_duplicates("sender")  # gift ids are in sending order
    n_senders = int((res.users["first_send_step"] >= 0).sum())
    assert len(first) == n_senders
    for name in TRIGGER_NAMES:
        assert s[f"first_gifts_{name}"] == int((first["trigger"] == name).sum())
    assert sum(s[f"first_gifts_{t}"] for t in TRIGGER_NAMES) == n_senders
    assert s["first_gifts_received_gift"] > 0 and s["first_gifts_feed"] > 0
    assert s["reproduction_number_gift"] == pytest.approx(s["first_gifts_received_gift"] / n_senders)
    assert (g["trigger"].astype(str) == g["source"].astype(str).map(
        {"impression": "feed", "push": "push", "invite": "invitation", "reciprocity": "received_gift",
         "pay_forward": "received_gift", "chat": "chat_entry"})).all()


def test_lift_on_a_hand_built_ledger():
    # 5 users, 5 days, N = 2: cohorts d = 0..2.
    # 0 -> 1 on day 0 (1 is treated on day 0); 1 -> 2 on day 1 (1 gives in its window; 2 treated
    # on day 1, never gives); 4 -> 2 on days 2 and 3 (4, never receiving, gives); 3 -> 0 on day 4.
    sender = np.array([0, 1, 4, 4, 3])
    recipient = np.array([1, 2, 2, 2, 0])
    day = np.array([0, 1, 2, 3, 4])
    got = receive_give_lift(sender, recipient, day, 5, 5, window_days=2)
    # control of day 0 (nothing received by day 2): users 0, 3, 4; user 4 gives on days 1..2.
    # control of day 1 (nothing by day 3): users 0, 3, 4; user 4 gives on days 2..3 (counted once).
    assert got.treated_users == 2 and got.cohorts == 2
    assert got.treated_rate == pytest.approx(0.5)
    assert got.control_rate == pytest.approx(1 / 3)
    assert got.lift == pytest.approx(1.5)
    # withholding the first gift: user 1 is never treated; user 2 is the only cohort
    got = receive_give_lift(sender, recipient, day, 5, 5, window_days=2,
                            delivered=np.array([False, True, True, True, True]))
    assert got.treated_users == 1 and got.treated_rate == 0.0 and got.lift == 0.0
    # a group gift's unit nobody claimed (recipient -1) on day 0 is received by nobody: the
    # last user (4) must not become treated through index -1
    got = receive_give_lift(np.r_[sender, 3], np.r_[recipient, -1], np.r_[day, 0], 5, 5, window_days=2)
    assert got.treated_users == 2 and got.lift == pytest.approx(1.5)


def test_lift_undefined_when_the_run_is_shorter_than_the_window():
    got = receive_give_lift(np.array([0]), np.array([1]), np.array([0]), 3, 30, window_days=30)
    assert math.isnan(got.lift) and got.treated_users == 0
    with pytest.raises(ValueError, match="window_days"):
        receive_give_lift(np.array([0]), np.array([1]), np.array([0]), 3, 30, window_days=0)


def brute_force_lift(sender, recipient, day, n_users, n_days, n):
    """Users x days, plain Python: the definition of the module doc, literally."""
    first = {u: min((d for r, d in zip(recipient, day) if r == u), default=None) for u in range(n_users)}
    gave = {u: {d for s, d in zip(sender, day) if s == u} for u in range(n_users)}
    a = tn = 0
    cw = 0.0
    for d in range(n_days - n):
        treated = [u for u in range(n_users) if first[u] == d]
        control = [u for u in range(n_users) if first[u] is None or first[u] > d + n]
        if not treated or not control:
            continue
        a += sum(any(d < t <= d + n for t in gave[u]) for u in treated)
        cw += len(treated) * sum(any(d < t <= d + n for t in gave[u]) for u in control) / len(control)
        tn += len(treated)
    if not tn:
        return math.nan, math.nan, 0
    return a / tn, cw / tn, tn


@pytest.mark.parametrize("case", range(12))
def test_lift_matches_a_brute_force_count(case):
    rng = np.random.default_rng(case)
    n_users, n_days, n = int(rng.integers(3, 25)), int(rng.integers(2, 20)), int(rng.integers(1, 6))
    k = int(rng.integers(0, 60))
    sender, recipient = rng.integers(0, n_users, k), rng.integers(0, n_users, k)
    day = np.sort(rng.integers(0, n_days, k))
    got = receive_give_lift(sender, recipient, day, n_users, n_days, window_days=n)
    tr, cr, tn = brute_force_lift(sender.tolist(), recipient.tolist(), day.tolist(), n_users, n_days, n)
    assert got.treated_users == tn
    if tn:
        assert got.treated_rate == pytest.approx(tr) and got.control_rate == pytest.approx(cr)
    else:
        assert math.isnan(got.treated_rate)


def _no_pull(**extra):
    return small_scenario(population__reciprocity=0.0, population__pay_forward=0.0,
                          gifts__unlock_on_receive=False, **extra)


def test_lift_is_about_one_when_receiving_changes_nothing():
    treated = control = 0.0
    for seed in range(4):
        res = run(_no_pull(), seed)
        g = res.gifts
        got = receive_give_lift(g["sender"].to_numpy(), g["recipient"].to_numpy(), g["step_sent"].to_numpy(),
                                res.summary["users"], int(res.summary["days"]), window_days=7)
        treated += got.treated_rate * got.treated_users
        control += got.control_rate * got.treated_users
    assert treated / control == pytest.approx(1.0, abs=0.15)


def test_lift_is_large_when_receiving_pulls():
    res = run(small_scenario(population__reciprocity=0.6, population__pay_forward=0.6), 1)
    g = res.gifts
    got = receive_give_lift(g["sender"].to_numpy(), g["recipient"].to_numpy(), g["step_sent"].to_numpy(),
                            res.summary["users"], int(res.summary["days"]), window_days=7)
    assert got.lift > 1.5


def test_receipt_day_moves_the_cohorts():
    # the hand-built ledger with user 1's gift counted as received on day 1 (say, accepted then):
    # user 1 joins user 2's cohort (day 1), and its own gift on day 1 no longer lies after receipt
    sender = np.array([0, 1, 4, 4, 3])
    recipient = np.array([1, 2, 2, 2, 0])
    day = np.array([0, 1, 2, 3, 4])
    got = receive_give_lift(sender, recipient, day, 5, 5, window_days=2, receipt_day=np.array([1, 1, 2, 3, 4]))
    assert got.cohorts == 1 and got.treated_users == 2 and got.treated_rate == 0.0
