"""The yearly calendar (lunar dates from lunar-python), birthdays and birthday gifts,
monthly budgets and dated push events (issue 14: calendar)."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.calendar import Calendar, birthday_index, expand_yearly, lunar_to_solar, run_occasions
from sim.model import GiftModel
from sim.model.states import GiftOutcome, GiftSource
from sim.runner import collect
from sim.scenario import load_scenario, validate_scenario, with_overrides
from sim.scenario.calendar_config import DEFAULT_YEARLY, YearlyOccasion
from sim.scenario.schema import RolloutConfig, TimeConfig

from ..conftest import error_of, write
from ..model.test_invariants import scenarios as invariant_scenarios
from ..model.test_model import check_invariants

SMALL = {
    "name": "cal",
    "graph": {"kind": "holme_kim", "n": 300, "m": 3, "p": 0.3, "seed": 5},
    "rollout": {"schedule": [{"date": "2024-12-19", "share": 1.0}]},
    "gifts": {"send_probability": 0.5},
    "policy": {"commercial_share": 0.2},
}


def scenario(**tables) -> object:
    raw = {**SMALL, **tables}
    return validate_scenario(raw, "<calendar test>")


def run(sc, seed=1):
    m = GiftModel(sc, seed=seed)
    m.run()
    return m


# --------------------------------------------------------------------------- lunar dates
@pytest.mark.parametrize("year, date", [(2025, "2025-01-29"), (2026, "2026-02-17"), (2027, "2027-02-06"),
                                        (2028, "2028-01-26"), (2029, "2029-02-13")])
def test_spring_festival_is_the_lunar_new_year(year, date):
    assert lunar_to_solar(year, 1, 1) == dt.date.fromisoformat(date)


def test_other_lunar_festivals_and_day_30_of_a_short_month():
    assert lunar_to_solar(2025, 1, 15) == dt.date(2025, 2, 12)  # Lantern Festival
    assert lunar_to_solar(2025, 7, 7) == dt.date(2025, 8, 29)  # Qixi
    assert lunar_to_solar(2025, 8, 15) == dt.date(2025, 10, 6)  # Mid-Autumn
    assert lunar_to_solar(2024, 8, 15) == dt.date(2024, 9, 17)
    # lunar 2025 month 2 has 29 days: day 30 falls on its day 29
    assert lunar_to_solar(2025, 2, 30) == lunar_to_solar(2025, 2, 29)


def test_yearly_rules_expand_to_every_year_of_the_period():
    occ = expand_yearly(list(DEFAULT_YEARLY), dt.date(2024, 12, 19), dt.date(2029, 12, 31))
    by = {}
    for o in occ:
        by.setdefault(o.name, []).append(o.date)
    assert by["Spring Festival"] == [dt.date(2025, 1, 29), dt.date(2026, 2, 17), dt.date(2027, 2, 6),
                                     dt.date(2028, 1, 26), dt.date(2029, 2, 13)]
    assert by["Christmas"] == [dt.date(y, 12, 25) for y in range(2024, 2030)]
    # New Year's Day 2030 lies after the end, but its lead window reaches 2029-12-29
    assert by["New Year's Day"] == [dt.date(y, 1, 1) for y in range(2025, 2031)]
    assert len(by["Singles' Day"]) == 5 and len(by["Qixi"]) == 5
    assert [o.date for o in occ] == sorted(o.date for o in occ)


def test_february_29_only_in_leap_years_and_fixed_dates_once():
    leap = YearlyOccasion(name="leap", month=2, day=29, lift=1.0)
    once = YearlyOccasion(name="once", date=dt.date(2026, 3, 3), lift=1.0)
    occ = expand_yearly([leap, once], dt.date(2025, 1, 1), dt.date(2029, 12, 31))
    assert [(o.name, o.date) for o in occ] == [("once", dt.date(2026, 3, 3)), ("leap", dt.date(2028, 2, 29))]


def test_the_lift_curve_recurs_each_year():
    time = TimeConfig(start=dt.date(2024, 12, 19), end=dt.date(2027, 12, 31))
    cal = Calendar.build(time, RolloutConfig(), expand_yearly(list(DEFAULT_YEARLY), time.start, time.end))
    lift = dict(zip(cal.dates.astype(str), cal.lift))
    sf_only = Calendar.build(time, RolloutConfig(), expand_yearly(list(DEFAULT_YEARLY[2:3]), time.start, time.end))
    sf_lift = dict(zip(sf_only.dates.astype(str), sf_only.lift))
    day = np.timedelta64(1, "D")
    for sf in ("2025-01-29", "2026-02-17", "2027-02-06"):
        d = np.datetime64(sf)
        assert lift[sf] == pytest.approx(3.0)
        assert cal.occasion[list(lift).index(sf)] == "Spring Festival"
        # 1 + lift on the day, rising linearly over a lead of 10 days, falling over a lag of 3
        assert sf_lift[str(d - 5 * day)] == pytest.approx(1.0 + 2.0 * (1 - 5 / 11))
        assert sf_lift[str(d + 2 * day)] == pytest.approx(1.0 + 2.0 * (1 - 2 / 4))
        assert sf_lift[str(d - 11 * day)] == 1.0 and sf_lift[str(d + 4 * day)] == 1.0
    for y in (2025, 2026, 2027):  # the Gregorian curves are the same every year
        assert [lift[f"{y}-12-{d}"] for d in range(19, 28)] == [lift[f"2025-12-{d}"] for d in range(19, 28)]
    assert lift["2026-05-20"] == pytest.approx(2.0) and lift["2027-11-11"] == pytest.approx(2.0)


def test_yearly_switch_replaces_the_dated_occasions():
    off = scenario(time={"start": "2024-12-19", "end": "2026-03-01"})
    on = scenario(time={"start": "2024-12-19", "end": "2026-03-01"}, calendar={"yearly": True})
    assert run_occasions(off) == list(off.occasions)
    names = [(o.name, o.date) for o in run_occasions(on)]
    assert ("Spring Festival", dt.date(2026, 2, 17)) in names and ("Qixi", dt.date(2025, 8, 29)) in names
    # Christmas 2024, the nine of 2025 (Christmas 2025 included), four of 2026: the Lantern
    # Festival on 2026-03-03 counts, its lead of two days reaching the last day, 2026-03-01
    assert len(names) == 1 + 9 + 4
    assert ("Lantern Festival", dt.date(2026, 3, 3)) in names
    assert {n for n, d in names if d.year == 2026} == {"New Year's Day", "Spring Festival", "Lantern Festival",
                                                       "Valentine's Day"}


# --------------------------------------------------------------------------- bad values
def test_a_year_outside_the_lunar_range_names_the_key(tmp_path):
    p = write(tmp_path, "y.toml", 'name = "y"\n[graph]\nkind = "holme_kim"\nn = 60\nm = 2\np = 0.3\n'
              "[time]\nstart = 2099-06-01\nend = 2100-02-01\n[calendar]\nyearly = true\n"
              '[[occasions]]\nname = "o"\ndate = 2099-06-02\nlift = 1.0\n')
    msg = error_of(load_scenario, p)
    assert msg.startswith(f"{p}: time.end = 2100-02-01: is outside the years the yearly calendar covers")
    assert "allowed: a date from 1901-01-01 to 2099-12-31" in msg
    # the same period without the yearly calendar is fine
    write(tmp_path, "y.toml", p.read_text().replace("yearly = true", "yearly = false"))
    assert load_scenario(p).time.end == dt.date(2100, 2, 1)


@pytest.mark.parametrize("occ, words", [
    ({"name": "x", "lift": 1.0}, "gives no date; allowed: exactly one of date, month with day"),
    ({"name": "x", "lift": 1.0, "date": "2025-01-01", "month": 1, "day": 1}, "gives date and month/day"),
    ({"name": "x", "lift": 1.0, "month": 2}, "month and day go together"),
    ({"name": "x", "lift": 1.0, "lunar_day": 2}, "lunar_month and lunar_day go together"),
    ({"name": "x", "lift": 1.0, "month": 4, "day": 31}, "month 4 has no day 31"),
])
def test_bad_yearly_occasions_get_one_message(occ, words):
    with pytest.raises(Exception) as e:
        validate_scenario({**SMALL, "calendar": {"occasions": [occ]}}, "<t>")
    assert "calendar.occasions" in str(e.value) and words in str(e.value)


# --------------------------------------------------------------------------- birthdays
def test_birthday_index_of_common_and_leap_years():
    d = np.array(["2025-01-01", "2025-03-01", "2025-12-31", "2024-02-28", "2024-02-29", "2024-03-01",
                  "2024-12-31"], dtype="datetime64[D]")
    assert birthday_index(d).tolist() == [0, 59, 364, 58, -1, 59, 364]


def test_birthdays_are_drawn_only_when_on():
    sc = scenario(time={"start": "2025-01-01", "end": "2025-01-03"})
    off = GiftModel(sc, seed=3)
    assert np.all(off.population.birthday == -1) and off.birthdays is None
    on = GiftModel(scenario(time={"start": "2025-01-01", "end": "2025-01-03"}, calendar={"birthday_gift_rate": 0.5}),
                   seed=3)
    b = on.population.birthday
    assert b.min() >= 0 and b.max() <= 364 and np.unique(b).size > 200
    # the traits drawn before the birthdays are the same draws
    assert np.array_equal(on.population.propensity, off.population.propensity)
    assert np.array_equal(on.population.start_budget, off.population.start_budget)


def test_birthday_gifts_go_to_the_birthday_user_on_the_day():
    sc = scenario(time={"start": "2025-01-01", "end": "2025-03-31"},
                  calendar={"birthday_gift_rate": 1.0}, population={"shopping_propensity": 1.0, "budget": 1e6})
    m = run(sc)
    led = m.ledger
    occ = led.column("source") == GiftSource.OCCASION
    assert occ.sum() > 50
    rec = led.column("recipient")[occ].astype(np.int64)
    step = led.column("step_sent")[occ].astype(np.int64)
    assert np.array_equal(m.population.birthday[rec], m.calendar.birthday[step])
    # the senders were aware friends who saw the button; nothing but birthdays sends OCCASION gifts
    check_invariants(m)
    none = run(scenario(time={"start": "2025-01-01", "end": "2025-03-31"},
                        population={"shopping_propensity": 1.0, "budget": 1e6}))
    assert not np.any(none.ledger.column("source") == GiftSource.OCCASION)


# --------------------------------------------------------------------------- monthly budgets
def test_monthly_budgets_renew_and_unspent_money_lapses():
    sc = scenario(time={"start": "2025-01-20", "end": "2025-04-10"},
                  population={"budget_period": "month", "budget": 300.0, "shopping_propensity": 1.0})
    m = GiftModel(sc, seed=2)
    pop, lapsed, renewals = m.population, np.zeros(m.population.n_users), 0
    while m.running:
        t = m.step_index
        if m.calendar.month_start[t]:
            lapsed += pop.budget  # what is left the evening before the first of the month
            renewals += 1
        m.step()
        check_invariants(m)
        if m.calendar.month_start[t]:
            # the month's budget, less the step's gifts, plus the step's refunds of older gifts
            led, n = m.ledger, pop.n_users
            sent_t = led.column("step_sent") == t
            back = ((led.column("step_settled") == t) & ~sent_t
                    & ((led.column("outcome") == GiftOutcome.EXPIRED) | led.column("returned")))
            spent = np.bincount(led.column("sender")[sent_t], led.column("price")[sent_t], minlength=n)
            refund = np.bincount(led.column("sender")[back], led.column("price")[back], minlength=n)
            assert np.allclose(pop.budget, pop.start_budget - spent + refund) and sent_t.any()
    assert renewals == 3 and pop.grants == 4  # 1 February, 1 March, 1 April
    assert np.allclose(pop.lapsed, lapsed) and pop.lapsed.sum() > 0
    one = run(scenario(time={"start": "2025-01-20", "end": "2025-04-10"},
                       population={"budget_period": "run", "budget": 300.0, "shopping_propensity": 1.0}), seed=2)
    assert one.population.grants == 1 and np.all(one.population.lapsed == 0)
    assert m.totals["paid"] > one.totals["paid"]  # 4 x 300 RMB to spend instead of 300


# --------------------------------------------------------------------------- push events
def test_push_events_push_only_on_their_dates():
    sc = scenario(time={"start": "2025-01-01", "end": "2025-01-20"},
                  policy={"commercial_share": 0.2, "push": {"enabled": False, "events": [
                      {"date": "2025-01-05", "reach": 0.5, "click_through": 0.3},
                      {"date": "2025-01-12", "reach": 1.0}]}})
    series = collect(run(sc)).series
    pushes = dict(zip(series["date"].astype(str), series["pushes"]))
    assert {d for d, n in pushes.items() if n} == {"2025-01-05", "2025-01-12"}
    assert pushes["2025-01-12"] > pushes["2025-01-05"] > 0


def test_a_push_campaign_for_cash_gifts_is_the_gifts_trigger():
    # the 2015 gala "shake": a campaign's click opens the red-envelope entry of the chat, and
    # the gifts it leads to are the push's (source push, trigger push), not the chat entry's;
    # an ordinary push to a product page sends no cash
    base = {"time": {"start": "2025-01-01", "end": "2025-01-10"},
            "gifts": {"item": "cash", "chat_entry_rate": 0.0, "send_probability": 0.9},
            "policy": {"commercial_share": 0.2}}
    gala = collect(run(scenario(**{**base, "policy": {"commercial_share": 0.2, "push": {"events": [
        {"date": "2025-01-05", "reach": 1.0, "click_through": 1.0}]}}}), seed=3))
    assert set(gala.gifts["source"].astype(str)) >= {"push"} and "chat" not in set(gala.gifts["source"].astype(str))
    sent_on = set(gala.gifts.loc[gala.gifts["source"].astype(str) == "push", "step_sent"])
    assert sent_on == {4} and gala.summary["first_gifts_push"] > 0
    ordinary = collect(run(scenario(**{**base, "policy": {"commercial_share": 0.2, "push": {
        "enabled": True, "reach": 1.0, "click_through": 1.0}}}), seed=3))
    assert ordinary.series["pushes"].sum() > 0 and not (ordinary.gifts["source"].astype(str) == "push").any()


# --------------------------------------------------------------------------- years
def test_a_three_year_run_has_three_spring_festival_peaks():
    sc = scenario(graph={"kind": "holme_kim", "n": 1500, "m": 4, "p": 0.3, "seed": 5},
                  time={"start": "2024-12-19", "end": "2027-12-31"},
                  calendar={"yearly": True}, population={"budget_period": "month"},
                  merchants={"review_days": 7, "brand": {"count": 4, "joined_at_start": 1.0},
                             "sme": {"count": 20, "joined_at_start": 1.0},
                             "white_label": {"count": 10, "joined_at_start": 1.0}})
    series = collect(run(sc)).series
    gifts = dict(zip(series["date"].to_numpy().astype("datetime64[D]"), series["gifts_sent"]))
    for sf in ("2025-01-29", "2026-02-17", "2027-02-06"):
        d = np.datetime64(sf)
        peak = np.mean([gifts[d + np.timedelta64(k, "D")] for k in range(-3, 2)])
        before = np.mean([gifts[d + np.timedelta64(k, "D")] for k in range(30, 60)])  # March: no occasion
        assert peak > 1.8 * before > 0, (sf, peak, before)


# --------------------------------------------------------------------------- invariants
@st.composite
def calendar_scenarios(draw):
    """The random small scenarios of the lifecycle invariants (2025-01-20 to 2025-02-02, so
    across 1 February and the Spring Festival) with the yearly calendar, birthday gifts,
    monthly budgets and a push event on."""
    raw = draw(invariant_scenarios()).model_dump(mode="json")
    raw.pop("occasions")
    raw["calendar"] = {"yearly": True, "birthday_gift_rate": draw(st.floats(0.01, 1))}
    raw["population"]["budget_period"] = "month"
    raw["policy"]["push"]["events"] = [{"date": draw(st.sampled_from(["2025-01-20", "2025-01-25", "2025-02-01"])),
                                        "reach": draw(st.floats(0, 1)), "click_through": draw(st.floats(0, 1))}]
    return validate_scenario(raw, "<calendar property>")


@settings(max_examples=int(os.environ.get("GIFTSIM_PROPERTY_EXAMPLES", 25)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(calendar_scenarios(), st.integers(0, 2**32))
def test_lifecycle_invariants_with_the_calendar_on(scenario, seed):
    m = GiftModel(scenario, seed=seed)
    while m.running:
        m.step()
        check_invariants(m)
    assert m.population.grants == 2  # renewed on 1 February


def test_the_default_wechat_launch_run_past_2026_has_a_second_and_third_spring_festival(wechat):
    # issue 14, done when: the shipped WeChat scenario (its yearly calendar), run to the end of
    # 2027, shows the 2026 and 2027 Spring Festivals in its daily gifts, not only 2025's
    sc = with_overrides(wechat, [("time.end", "2027-12-31")])
    series = collect(run(sc, seed=1)).series
    gifts = dict(zip(series["date"].to_numpy().astype("datetime64[D]"), series["gifts_sent"]))
    for sf in ("2026-02-17", "2027-02-06"):
        d = np.datetime64(sf)
        peak = np.mean([gifts[d + np.timedelta64(k, "D")] for k in range(-3, 2)])
        march = np.mean([gifts[d + np.timedelta64(k, "D")] for k in range(30, 60)])
        assert peak > 1.8 * march > 0, (sf, peak, march)


def test_a_one_off_yearly_calendar_occasion_outside_the_period_names_the_key(tmp_path):
    """A dated occasion of [[calendar.occasions]] whose window misses the period could not
    change anything: refused like a top-level dated occasion, in a file and with --set; an
    inherited one is not re-checked when an override moves the period."""
    p = write(tmp_path, "c.toml", 'name = "c"\n[graph]\nkind = "holme_kim"\nn = 60\nm = 2\np = 0.3\n'
              "[time]\nstart = 2024-12-19\nend = 2025-03-10\n[rollout]\nschedule = [{date = 2024-12-19, share = 1.0}]\n"
              '[calendar]\nyearly = true\n[[calendar.occasions]]\nname = "launch party"\ndate = 2030-01-01\n'
              "lift = 1.0\n")
    msg = error_of(load_scenario, p)
    assert msg.startswith(f"{p}: calendar.occasions[0].date = 2030-01-01: one-off occasion 'launch party' lies "
                          "outside the simulated period 2024-12-19 to 2025-03-10")
    assert "allowed: a date whose window overlaps the period, a yearly rule" in msg and len(msg.splitlines()) == 1
    write(tmp_path, "c.toml", p.read_text().replace("2030-01-01", "2025-03-01"))
    sc = load_scenario(p)
    assert error_of(load_scenario, p, ['calendar.occasions=[{name="x", date=2026-05-01, lift=1.0}]']).startswith(
        f"{p} (--set): calendar.occasions[0].date = 2026-05-01: one-off occasion 'x'")
    # moving the period away from the file's occasion names both keys, as for [[occasions]]
    assert "time.end = 2025-01-31: conflicts with calendar.occasions[0].date = 2025-03-01" in error_of(
        load_scenario, p, ["time.end=2025-01-31"])
    # a yearly rule anywhere is fine; an inherited dated one is not re-checked by with_overrides
    load_scenario(p, ['calendar.occasions=[{name="x", month=7, day=1, lift=1.0}]'])
    from sim.scenario import with_overrides
    assert with_overrides(sc, [("time.end", "2025-01-31")]).calendar.occasions[0].date == dt.date(2025, 3, 1)


def test_yearly_occasions_without_the_yearly_switch_are_refused(tmp_path):
    """[[calendar.occasions]] with calendar.yearly false (the default) would be silently
    unused: refused naming the key, as dated [[occasions]] with the switch on are."""
    p = write(tmp_path, "c.toml", 'name = "c"\n[graph]\nkind = "holme_kim"\nn = 60\nm = 2\np = 0.3\n'
              '[[calendar.occasions]]\nname = "520"\nmonth = 5\nday = 20\nlift = 1.0\n')
    msg = error_of(load_scenario, p)
    assert msg == (f"{p}: calendar.occasions = '1 yearly occasion': are used only with calendar.yearly = true "
                   "(without it the dated top-level [[occasions]] apply); allowed: calendar.yearly = true, or "
                   "leave calendar.occasions out")
    write(tmp_path, "c.toml", p.read_text().replace("[[calendar.occasions]]", "[calendar]\nyearly = true\n"
                                                     "[[calendar.occasions]]"))
    assert load_scenario(p).calendar.occasions[0].name == "520"


def test_lunar_dates_are_computed_once_per_process():
    # lunar-python's solar-term arithmetic was half of a WeChat launch run (docs/performance.md);
    # every run of a batch or calibration asks for the same few dates
    lunar_to_solar.cache_clear()
    first = lunar_to_solar(2031, 1, 1)
    assert lunar_to_solar(2031, 1, 1) is first and lunar_to_solar.cache_info().hits == 1
    assert first == dt.date(2031, 1, 23)
