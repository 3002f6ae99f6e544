"""Each evidence quantity (sim.evidence.quantities) on hand-made results: exact parts, pooling,
undefined (NaN) and unbounded (inf) cases, the Spring Festival window, the push day, the
last year's brand share; and two invariants on real runs."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from sim import run
from sim.evidence import quantities as q
from sim.scenario import with_overrides

from .fakes import SCENARIOS, result, scenario, series

D = dt.date


# --------------------------------------------------------------------------- pooling
def test_pooled_is_a_ratio_of_sums_nan_without_denominator_inf_for_a_positive_numerator():
    assert q.pooled([(1, 2), (3, 4)]) == pytest.approx(4 / 6)
    assert q.pooled([(1, 2), (0, 0)]) == 0.5  # a run that adds (0, 0) changes nothing
    assert math.isnan(q.pooled([(0, 0), (0, 0)]))
    assert math.isnan(q.pooled([]))
    assert q.pooled([(2, 0)]) == math.inf


def test_summary_ratio_parts_weigh_by_the_denominator_keys_and_skip_nan():
    parts = q.summary_ratio_parts("x", ["w1", "w2"])
    assert parts(result(None, summary={"x": 0.5, "w1": 3, "w2": 1})) == (2.0, 4.0)
    assert parts(result(None, summary={"x": math.nan, "w1": 3, "w2": 1})) == (0.0, 0.0)
    assert q.summary_ratio_parts("x")(result(None, summary={"x": 0.25})) == (0.25, 1.0)


def test_receive_give_and_pay_forward_parts():
    s = {"receive_give_treated_users": 100, "receive_give_treated_rate": 0.3, "receive_give_control_rate": 0.2}
    assert q.receive_give_parts(result(None, summary=s)) == pytest.approx((30.0, 20.0))
    assert q.receive_give_parts(result(None, summary={**s, "receive_give_control_rate": math.nan})) == (0.0, 0.0)
    assert q.receive_give_parts(result(None, summary={**s, "receive_give_treated_users": 0})) == (0.0, 0.0)
    assert q.pay_forward_parts(result(None, summary={"gifts_paid_forward": 3, "gifts_sent_back": 1})) == (3.0, 4.0)


def test_within_one_step_counts_cascades_of_depth_at_most_one():
    r = result(None, cascades=pd.DataFrame({"depth": [0, 1, 1, 2, 5]}))
    assert q.within_one_step_parts(r) == (3.0, 5.0)
    assert math.isnan(q.pooled([q.within_one_step_parts(result(None, cascades=pd.DataFrame({"depth": []})))]))


# --------------------------------------------------------------------------- Spring Festival
def test_spring_festival_lookup_uses_the_lunar_new_year():
    assert q.spring_festival_in(D(2014, 1, 1), D(2014, 12, 31)) == D(2014, 1, 31)
    assert q.spring_festival_in(D(2014, 2, 1), D(2015, 12, 31)) == D(2015, 2, 19)
    assert q.spring_festival_in(D(2025, 1, 29), D(2025, 1, 29)) == D(2025, 1, 29)
    assert q.spring_festival_in(D(2015, 3, 1), D(2016, 1, 1)) is None


def test_aware_at_spring_festival_reads_the_festival_day():
    sc = scenario("wechat_gift_launch.toml")  # 2024-12-19 to 2025-02-14; Spring Festival 2025-01-29
    r = result(sc, summary={"users": 4039},
               series_table=series(sc, aware_users={D(2025, 1, 28): 999, D(2025, 1, 29): 1234, D(2025, 1, 30): 7}))
    assert q.aware_at_spring_festival_parts(r) == (1234.0, 4039.0)
    short = with_overrides(sc, [("time.end", D(2025, 1, 20))])
    assert q.aware_at_spring_festival_parts(result(short, summary={"users": 4039},
                                                   series_table=series(short))) == (0.0, 0.0)


def test_festival_steps_are_ten_days_from_the_eve_cut_to_the_run():
    assert q.festival_steps(scenario("red_envelope_2014.toml")) == (13, 23)  # 2014-01-17 + 13 days = the eve
    sc = scenario("wechat_gift_launch.toml")
    assert q.festival_steps(sc) == (40, 50)
    assert q.festival_steps(with_overrides(sc, [("time.end", D(2025, 2, 1))])) == (40, 45)
    assert q.festival_steps(sc, days=3) == (40, 43)
    assert q.festival_steps(with_overrides(sc, [("time.end", D(2025, 1, 20))])) is None


FESTIVAL_ROWS = [
    {"sender": 5, "recipient": 6, "step_sent": 13, "step_settled": 13},  # in: both take part
    {"sender": 7, "recipient": 8, "step_sent": 12, "step_settled": 14, "group": 3},  # claimed in the window
    {"sender": 9, "recipient": -1, "step_sent": 20, "step_settled": 21, "group": 3, "outcome": "expired"},
    {"sender": 10, "recipient": 11, "step_sent": 22, "step_settled": 23},  # settled after the window
    {"sender": 12, "recipient": 13, "step_sent": 25, "step_settled": 25},  # after the window
    {"sender": 5, "recipient": 8, "step_sent": 15, "step_settled": 15},
]


def test_festival_participation_counts_claims_and_participants_in_the_window():
    r = result(scenario("red_envelope_2014.toml"), summary={"users": 100}, gift_rows=FESTIVAL_ROWS)
    assert q.festival_participation(r) == (3, 5)  # claimed: rows 0, 1, 5; users 5, 6, 8, 9, 10
    assert q.envelopes_per_participant_parts(r) == (3.0, 5.0)
    assert q.participant_share_parts(r) == (5.0, 100.0)
    none = result(scenario("red_envelope_2014.toml"), summary={"users": 100}, gift_rows=[])
    assert q.envelopes_per_participant_parts(none) == (0.0, 0.0)
    assert math.isnan(q.pooled([q.envelopes_per_participant_parts(none)]))


def test_festival_participation_is_zero_without_a_spring_festival():
    sc = with_overrides(scenario("wechat_gift_launch.toml"), [("time.end", D(2025, 1, 20))])
    r = result(sc, summary={"users": 100}, gift_rows=FESTIVAL_ROWS)
    assert q.festival_participation(r) is None
    assert q.participant_share_parts(r) == (0.0, 0.0)


# --------------------------------------------------------------------------- groups, push, brands
def test_group_send_back_is_pooled_by_rmb_claimed():
    rows = [{"recipient": 3, "group": 0, "price": 10.0}, {"recipient": 4, "group": 1, "price": 30.0},
            {"recipient": -1, "group": 0, "price": 50.0, "outcome": "expired"},  # unclaimed unit
            {"recipient": 2, "group": -1, "price": 100.0}]  # person-to-person
    sc = scenario("red_envelope_2014.toml")
    assert q.group_send_back_parts(result(sc, summary={"group_send_back_per_rmb": 0.25}, gift_rows=rows)) == (
        10.0, 40.0)
    assert q.group_send_back_parts(result(sc, summary={"group_send_back_per_rmb": math.nan}, gift_rows=rows)) == (
        0.0, 0.0)
    a = result(sc, summary={"group_send_back_per_rmb": 0.1}, gift_rows=rows[:1])  # 1 RMB back of 10
    b = result(sc, summary={"group_send_back_per_rmb": 0.3}, gift_rows=rows[1:2])  # 9 RMB back of 30
    assert q.pooled([q.group_send_back_parts(a), q.group_send_back_parts(b)]) == pytest.approx(10 / 40)


def test_push_day_jump_is_the_day_over_the_mean_day_of_the_week_before():
    sc = scenario("red_envelope_2015_gala.toml")  # push event on 2015-02-18
    sent = {D(2015, 2, 18): 30, D(2015, 2, 10): 100, D(2015, 2, 19): 50}
    sent |= {D(2015, 2, 11) + dt.timedelta(days=i): 3 for i in range(7)}
    r = result(sc, series_table=series(sc, gifts_sent=sent))
    assert q.push_day_jump_parts(r) == (210.0, 21.0)
    assert q.pooled([q.push_day_jump_parts(r)]) == 10.0
    plain = scenario("red_envelope_2014.toml")  # no push event
    assert q.push_day_jump_parts(result(plain, series_table=series(plain, gifts_sent={D(2014, 1, 31): 9}))) == (
        0.0, 0.0)
    early = with_overrides(sc, [("policy.push.events", [{"date": D(2014, 1, 20), "reach": 0.5,
                                                           "click_through": 0.3}])])
    assert q.push_day_jump_parts(result(early, series_table=series(early))) == (0.0, 0.0)


def test_brand_share_last_year_counts_accepted_products_settled_in_the_last_365_days():
    sc = scenario("wechat_gift_launch_3y.toml")  # 2024-12-19 to 2027-12-31, daily steps
    last, first = sc.time.n_steps - 1, sc.time.days - 365
    merchants = pd.DataFrame({"merchant": [0, 1, 2], "kind": ["brand", "sme", "white_label"]})
    rows = [{"merchant": 0, "price": 30.0, "step_settled": last}, {"merchant": 1, "price": 70.0, "step_settled": first},
            {"merchant": 0, "price": 1000.0, "step_settled": first - 1},  # before the last year
            {"merchant": 0, "price": 500.0, "step_settled": last, "outcome": "expired"},
            {"merchant": -1, "price": 40.0, "step_settled": last},  # cash: no merchant
            {"merchant": 2, "price": 0.0, "step_settled": last}]
    r = result(sc, gift_rows=rows, merchants=merchants)
    assert q.brand_share_last_year_parts(r) == (30.0, 100.0)
    assert q.brand_share_last_year_parts(r, days=10**6) == (1030.0, 1100.0)


# --------------------------------------------------------------------------- real runs
def test_brand_share_over_the_whole_run_is_the_summary_brand_gmv_share():
    r = run(SCENARIOS / "wechat_gift_launch.toml", seed=0)
    num, den = q.brand_share_last_year_parts(r, days=10**6)
    assert den == pytest.approx(r.summary["gmv_rmb"], rel=1e-12) and den > 0
    assert num / den == pytest.approx(r.summary["brand_gmv_share"], rel=1e-12)
    assert 0 < num < den


def test_group_send_back_of_one_run_is_its_summary_value():
    r = run(SCENARIOS / "red_envelope_2014.toml", seed=0)
    num, den = q.group_send_back_parts(r)
    assert den > 0 and num / den == pytest.approx(r.summary["group_send_back_per_rmb"], rel=1e-12)
    assert den <= r.summary["cash_rmb"]  # claimed group units are part of the cash accepted
