"""The response to stimuli (saturation, novelty decay, habit) and reciprocity and
pay-forward as two independent decisions (issue 14): closed forms and seeded runs."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import GiftModel
from sim.model.forwards import PendingForwards
from sim.model.response import Response, saturation
from sim.model.states import GiftSource
from sim.scenario import validate_scenario
from sim.scenario.behaviour_config import ResponseConfig

from .test_model import check_invariants


def response(**kw) -> Response:
    return Response(ResponseConfig(enabled=True, **kw), 10)


def test_off_response_is_one_and_stores_nothing():
    r = Response(ResponseConfig(), 1000)
    r.stimulate(np.arange(5), 1.0, 0)
    r.sent(np.arange(5), 0)
    assert r.multiplier(np.arange(5), 3) == 1.0 and r.stimulus.value.size == 0 and r.habit.value.size == 0


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_response_after_n_stimuli_without_decay_is_michaelis_menten(n):
    r = response(half_saturation=1.5, max_multiplier=3.0, gift_weight=0.7, habit_gain=0.0)
    users = np.full(n, 4)  # n stimuli in one step: no decay in between
    r.stimulate(users, r.cfg.gift_weight, 2)
    got = r.multiplier(np.array([4, 5]), 2)
    assert got[0] == pytest.approx(3.0 * n * 0.7 / (n * 0.7 + 1.5), rel=1e-12)
    assert got[1] == 0.0  # no stimulus, no habit: no response


def test_saturation_has_decreasing_returns_and_half_at_k():
    s = np.arange(0, 50, dtype=float)
    f = saturation(s, 4.0)
    assert f[4] == pytest.approx(0.5) and np.all(np.diff(f) > 0) and np.all(np.diff(f, 2) < 0) and f[-1] < 1


def test_novelty_halves_every_half_life_lazily():
    r = response(novelty_half_life_days=7.0, habit_gain=0.0)
    r.stimulate(np.array([1]), 2.0, 10)
    assert r.interest(np.array([1]), 17)[0] == pytest.approx(1.0, rel=1e-12)
    assert r.interest(np.array([1]), 24)[0] == pytest.approx(0.5, rel=1e-12)
    # adding later decays the old stock first: 2 * 2**(-3/7) + 1 at step 13
    r.stimulate(np.array([1, 1]), 0.5, 13)
    assert r.interest(np.array([1]), 13)[0] == pytest.approx(2 * 2 ** (-3 / 7) + 1.0, rel=1e-12)
    assert r.stimulus.since[1] == 13


def test_half_life_in_days_with_sub_daily_steps():
    r = Response(ResponseConfig(enabled=True, novelty_half_life_days=2.0), 3, step_days=0.25)
    r.stimulate(np.array([0]), 1.0, 0)
    assert r.interest(np.array([0]), 8)[0] == pytest.approx(0.5, rel=1e-12)  # 8 steps of 6 h = 2 days


def test_habit_raises_the_next_chance_and_fades_slowly():
    r = response(habit_gain=0.5, habit_half_life_days=90.0, novelty_half_life_days=7.0, half_saturation=1.0)
    u = np.array([2])
    r.stimulate(u, 1.0, 0)
    before = r.multiplier(u, 1)[0]
    r.sent(u, 1)
    after = r.multiplier(u, 1)[0]
    s = 2 ** (-1 / 7)
    assert before == pytest.approx(2 * s / (s + 1)) and after == pytest.approx(2 * (s + 0.5) / (s + 1.5))
    assert r.habit.at(u, 91)[0] == pytest.approx(0.25, rel=1e-12)  # one habit half-life later


def test_pending_forwards_are_due_then_dropped_after_deadline():
    f = PendingForwards()
    f.add(np.array([1, 2, 3]), np.array([7, 8, 9]), np.array([4, 5, 6]), np.array([3, 5, 5]), 6)
    active = np.array([True, True, False, True])
    u, m, g = f.take_due(active, 4)
    assert u.tolist() == [1] and m.tolist() == [7] and g.tolist() == [4] and f.size == 2
    u, _, _ = f.take_due(active, 5)
    assert u.tolist() == [3] and f.user.tolist() == [2]  # user 2 inactive: kept until its deadline
    u, _, _ = f.take_due(active, 6)
    assert u.size == 0 and f.size == 0  # deadline passed while inactive: dropped


BUSY = {
    "name": "behaviour",
    "graph": {"kind": "holme_kim", "n": 300, "m": 4, "p": 0.3, "seed": 3},
    "time": {"start": "2025-01-01", "end": "2025-01-28"},
    "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
    "policy": {"commercial_share": 0.3},
    "gifts": {"send_probability": 0.6},
    "population": {"reciprocity": 0.5, "pay_forward": 0.5, "budget": 1e5},
}


def busy(**population) -> GiftModel:
    raw = {**BUSY, "population": {**BUSY["population"], **population}}
    return GiftModel(validate_scenario(raw, "<busy>"), seed=4)


def test_reciprocity_and_pay_forward_are_independent_decisions():
    # with reciprocity 1 everyone sends back; pay_forward 1 must still give pay-forward gifts
    # (before issue 14 paying forward was drawn only when not sending back: none here)
    m = busy(reciprocity=1.0, pay_forward=1.0)
    m.run()
    src = m.ledger.column("source")
    assert (src == GiftSource.RECIPROCITY).sum() > 50 and (src == GiftSource.PAY_FORWARD).sum() > 50
    check_invariants(m)


def test_doing_both_sends_back_now_and_pays_forward_within_the_window():
    m = busy(reciprocity=1.0, pay_forward=1.0, pay_forward_days=4)
    rec_step: dict[int, list[int]] = {}
    while m.running:
        t = m.step_index
        m.step()
        led = m.ledger
        new = np.flatnonzero(led.column("step_sent") == t)
        for i in new[led.column("source")[new] == GiftSource.RECIPROCITY]:
            rec_step.setdefault(int(led.column("sender")[i]), []).append(t)
        f = m.world.forwards
        assert np.all((f.due > t - 4) & (f.due <= f.deadline) & (f.deadline <= t + 4) & (f.deadline > t))
    led = m.ledger
    fwd = np.flatnonzero(led.column("source") == GiftSource.PAY_FORWARD)
    sent = led.column("step_sent")
    # pay-forward gifts follow a gift sent back by the same user, on a later step within 4
    # days (all but those whose sending back failed: product gone, out of stock)
    delays = [min((sent[i] - s for s in rec_step.get(int(led.column("sender")[i]), []) if 0 < sent[i] - s <= 4),
                  default=None) for i in fwd]
    matched = [d for d in delays if d is not None]
    assert len(delays) > 50 and len(matched) >= 0.9 * len(delays)
    assert {1, 2, 3, 4} <= set(matched)



def test_response_on_keeps_invariants_and_is_reproducible():
    resp = {"enabled": True, "habit_gain": 1.0, "half_saturation": 0.5}
    a, b = busy(response=resp), busy(response=resp)
    while a.running:
        a.step()
        b.step()
        check_invariants(a)
    assert np.array_equal(a.ledger.column("sender"), b.ledger.column("sender"))
    assert np.array_equal(a.world.response.stimulus.value, b.world.response.stimulus.value)


def test_opened_gifts_are_the_stimulus_stock():
    # only received gifts stimulate; with 24 h expiry a gift sent in step s is opened in s + 1
    resp = {"enabled": True, "impression_weight": 0.0, "habit_gain": 0.0, "gift_weight": 1.0,
            "novelty_half_life_days": 5.0, "half_saturation": 0.2, "max_multiplier": 1.0}
    m = busy(response=resp)
    # gifts come only from those with a stimulus: a first gift needs a received one. Seed
    # the stock of a few users so that the run starts
    m.world.response.stimulate(np.arange(0, 300, 3), 5.0, 0)
    m.run()
    led, t_end = m.ledger, m.step_index - 1
    seen = led.column("seen")
    r, opened = led.column("recipient")[seen].astype(np.int64), led.column("step_sent")[seen].astype(np.int64) + 1
    want = np.zeros(300)
    np.add.at(want, r, 0.5 ** ((t_end - opened) / 5.0))
    want[np.arange(0, 300, 3)] += 5.0 * 0.5 ** (t_end / 5.0)
    got = m.world.response.stimulus.at(np.arange(300), t_end)
    assert seen.sum() > 100 and np.allclose(got, want, rtol=1e-9, atol=1e-12)
    # nobody without stimulus ever sent
    senders = np.unique(led.column("sender"))
    seeded_or_received = np.union1d(np.arange(0, 300, 3), r)
    assert np.all(np.isin(senders, seeded_or_received))


def test_default_wechat_pay_forward_outnumbers_reciprocity_and_the_pull_is_weaker(wechat):
    # Kizilcec et al. 2018: most receivers pay forward rather than reciprocate. Before issue 14
    # seeds 1-3 gave 64/46/30 gifts sent back against 36/37/25 paid forward, and 36% of
    # acceptors went on to send a gift (against 5% of users who received none). Since the
    # issue-15 calibration pass-on is rare (means 0.012 and 0.004): pooled over seeds 1-4,
    # 26 gifts paid forward against 8 sent back
    from sim import run

    shares, forward, back = [], 0, 0
    for seed in (1, 2, 3, 4):
        g = run(wechat, seed).gifts
        src = g["source"].astype(str)
        forward, back = forward + (src == "pay_forward").sum(), back + (src == "reciprocity").sum()
        acc = g[g["outcome"].astype(str) == "accepted"].groupby("recipient")["step_settled"].min()
        later = g.merge(acc.rename("first_accepted"), left_on="sender", right_index=True)
        shares.append(later.loc[later["step_sent"] >= later["first_accepted"], "sender"].nunique() / acc.size)
    assert (forward, back) == (26, 8)
    assert np.mean(shares) < 0.25


@pytest.mark.parametrize("key, value, allowed", [
    ("half_saturation", 0.0, "allowed: 0 < half_saturation <= 1000"),
    ("max_multiplier", -1.0, "allowed: 0 <= max_multiplier <= 100"),
    ("novelty_half_life_days", 0.0, "allowed: 0 < novelty_half_life_days <= 3650"),
    ("habit_gain", 1e9, "allowed: 0 <= habit_gain <= 100"),
    ("colour", 1.0, "habit_half_life_days"),  # an unknown key: the message lists the allowed keys
])
def test_bad_response_values_get_one_message_naming_the_key(tmp_path, key, value, allowed):
    from sim.scenario import load_scenario
    from tests.conftest import error_of

    p = tmp_path / "bad.toml"
    p.write_text(f'name = "bad"\n[graph]\nkind = "complete"\nn = 5\n[population.response]\nenabled = true\n'
                 f'{key} = {value}\n', encoding="utf-8")
    msg = error_of(load_scenario, p)
    assert f"population.response.{key}" in msg and "bad.toml" in msg and len(msg.splitlines()) == 1, msg
    assert allowed in msg, msg


def test_bad_pay_forward_days_names_the_key(tmp_path):
    from sim.scenario import load_scenario
    from tests.conftest import error_of

    p = tmp_path / "bad.toml"
    p.write_text('name = "bad"\n[graph]\nkind = "complete"\nn = 5\n[population]\npay_forward_days = 0\n',
                 encoding="utf-8")
    msg = error_of(load_scenario, p)
    assert "population.pay_forward_days" in msg and "1 <= pay_forward_days <= 365" in msg, msg
