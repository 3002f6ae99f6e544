"""Paired runs with common random numbers: the causal effect of receiving on giving (issue 14: metrics)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.metrics.causal import paired_gift_effect, paired_gift_effects, paired_runs, pooled_ratio, selected_users
from sim.model.states import GiftOutcome
from sim.runner import collect
from tests.conftest import small_scenario

DAY = 10


def test_runs_are_identical_up_to_the_day_and_withheld_gifts_expire_unseen_and_refunded(small):
    pair = paired_runs(small, 4, day=DAY, first_only=False)
    a, b = collect(pair.delivered), collect(pair.withheld)
    ids = pair.withheld_ids
    assert ids.size >= 3
    assert (b.gifts.loc[ids, "step_sent"] == DAY).all()
    # every table row up to the end of the day is the same in both runs
    pd.testing.assert_frame_equal(a.series[a.series["step"] <= DAY], b.series[b.series["step"] <= DAY])
    cols = ["sender", "recipient", "merchant", "price", "source", "step_sent"]
    sent = a.gifts["step_sent"] <= DAY
    pd.testing.assert_frame_equal(a.gifts.loc[sent, cols], b.gifts.loc[b.gifts["step_sent"] <= DAY, cols])
    # ... and not after it (the withheld gifts are not opened, so the draws diverge)
    assert not a.series.equals(b.series)
    # withheld gifts: never seen, expired at their deadline, refunded to their sender
    g = b.gifts.loc[ids]
    assert not g["seen"].any() and g["withheld"].all()
    assert (g["outcome"].astype(str) == "expired").all() and (g["step_settled"] == g["deadline"]).all()
    assert b.gifts["withheld"].sum() == ids.size and not a.gifts["withheld"].any()
    # in the run as is the same gifts were delivered: most were seen
    assert a.gifts.loc[ids, "seen"].mean() > 0.5
    # the withheld gifts' money comes back: refunds = expired gifts' value, in both runs
    for r in (a, b):
        assert r.summary["refunded_rmb"] == pytest.approx(r.gifts.loc[r.gifts["outcome"] == "expired", "price"].sum())
    # treated: the selected users sent a gift on the day
    treated = np.flatnonzero(pair.treated)
    assert set(treated) == set(b.gifts.loc[ids, "recipient"])
    assert selected_users(4, 400, 0.5)[treated].all()
    day_recipients = set(a.gifts.loc[a.gifts["step_sent"] == DAY, "recipient"])
    assert set(treated) == day_recipients & set(np.flatnonzero(selected_users(4, 400, 0.5)))


def test_first_only_treats_users_sent_no_gift_before_the_day(small):
    pair = paired_runs(small, 4, day=DAY)
    g = collect(pair.delivered).gifts
    treated = set(np.flatnonzero(pair.treated))
    first_on_day = set(g.loc[g["step_sent"] == DAY, "recipient"]) - set(g.loc[g["step_sent"] < DAY, "recipient"])
    assert treated and treated == first_on_day & set(np.flatnonzero(selected_users(4, 400, 0.5)))


def test_withhold_refuses_a_gift_already_seen(small):
    pair = paired_runs(small, 4, day=DAY)
    m = pair.delivered
    seen = np.flatnonzero(m.ledger.column("seen"))[:3]
    with pytest.raises(ValueError, match="pending gifts not yet seen"):
        m.withhold(seen)
    assert (m.ledger.column("outcome")[pair.withheld_ids] != GiftOutcome.PENDING).all()


def test_effect_is_about_one_when_receiving_changes_nothing():
    # 2,000 users, every gift of the day withheld, 6 seeds x 4 days: ~120 givers per arm,
    # so the ratio's sampling sd is ~0.13
    sc = small_scenario(graph__n=2000, population__reciprocity=0.0, population__pay_forward=0.0,
                        gifts__unlock_on_receive=False)
    frames = [paired_gift_effects(sc, range(6), day=d, window_days=7, share=1.0, first_only=False)
              for d in (6, 12, 18, 24)]
    df = pd.concat(frames)
    assert df["treated"].sum() > 800 and df["gave_withheld"].sum() > 80
    assert pooled_ratio(df) == pytest.approx(1.0, abs=0.3)


def test_effect_is_large_when_receiving_pulls():
    sc = small_scenario(graph__n=2000, population__reciprocity=0.5, population__pay_forward=0.5)
    df = paired_gift_effects(sc, range(2), day=DAY, window_days=7, share=1.0, first_only=False)
    assert pooled_ratio(df) > 1.4  # exactly 1 if the withheld gifts were delivered after all
    row = df.iloc[0]
    assert row["rate_delivered"] == row["gave_delivered"] / row["treated"]


def test_bad_arguments_are_refused(small):
    with pytest.raises(ValueError, match="day must be in 0..36"):
        paired_gift_effect(small, 1, day=37, window_days=7)
    with pytest.raises(ValueError, match="share"):
        paired_runs(small, 1, day=3, share=0.0)
    with pytest.raises(ValueError, match="window_days"):
        paired_gift_effect(small, 1, day=3, window_days=0)


def test_invariants_hold_at_every_step_with_withheld_gifts(small):
    from sim.model import GiftModel
    from tests.model.test_model import check_invariants

    m = GiftModel(small, seed=2)
    while m.step_index <= DAY:
        m.step()
    led = m.ledger
    ids = np.flatnonzero(led.column("step_sent") == DAY)[::2]
    m.withhold(ids)
    assert ids.size >= 3
    while m.running:
        m.step()
        check_invariants(m)
    assert (led.column("outcome")[ids] == GiftOutcome.EXPIRED).all() and not led.column("seen")[ids].any()


def test_unclaimed_group_units_are_neither_withheld_nor_treat_anybody():
    """Group-gift units have recipient -1 until claimed (issue 14: groups): they are not a
    gift to a selected user, so they are never withheld and never make the last user (index
    -1) treated or 'received before'."""
    sc = small_scenario(gifts__send_probability=0.0, gifts__chat_entry_from="2024-12-19", gifts__chat_entry_rate=0.0,
                        groups={"enabled": True, "group_gift_rate": 0.05, "claim_probability": 0.01})
    pair = paired_runs(sc, 3, day=0, share=1.0, first_only=True)
    led = pair.withheld.ledger
    rec = led.column("recipient")
    sent_on_day = led.column("step_sent") == 0
    assert (sent_on_day & (rec < 0)).sum() > 0  # unclaimed units sent on the day exist
    ids = pair.withheld_ids
    assert (rec[ids] >= 0).all()
    assert set(np.flatnonzero(pair.treated)) == set(rec[ids].tolist())
