"""Rules written "per day" behave the same whatever ``time.step_hours`` (docs/model.md):
annoyance fades by ``annoyance_decay`` a day, restock orders arrive ``lead_days`` days
later, the demand window covers ``demand_window_days`` days, the cold-start age is in days,
and a review admits ``max_admissions_per_week * review_days / 7`` merchants.

Each rule is measured on a small model (the 400-user scenario of ``conftest``), in days, by
driving the model's own sub-steps (``begin_step``, ``update_annoyance``, ``update_merchants``,
``merchant_view``) step by step, for every allowed step length; a hypothesis test draws the
parameters and step length together and compares the measured effects with their closed
forms in days.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import GiftModel
from sim.model.steps.merchants import admission_room

from ..conftest import small_scenario

STEP_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)


def model(step_hours: int, **overrides) -> GiftModel:
    """The small scenario of ``conftest`` with ``step_hours``-hour steps (44 days)."""
    return GiftModel(small_scenario(time__step_hours=step_hours, **overrides), seed=0)


def to_days(steps: int, m: GiftModel) -> float:
    """``steps`` steps of ``m`` in days."""
    return steps * m.config.time.step_hours / 24.0


# ---------------------------------------------------------------- measurements, in days

def annoyance_after(m: GiftModel, days: float, start: float = 2.0) -> float:
    """Annoyance of a user with ``start`` and no stimulus after ``days`` days of the
    model's own annoyance sub-step (nobody mutes: thresholds are infinite)."""
    pop = m.population
    pop.annoyance[:] = start
    pop.mute_threshold[:] = np.inf
    for _ in range(round(days * m.steps_per_day)):
        assert m.update_annoyance() == 0
        m.step_index += 1
    assert np.all(pop.annoyance == pop.annoyance[0])
    return float(pop.annoyance[0])


def restock_arrival_days(m: GiftModel, merchant: int, order_step: int) -> float:
    """Days from a restock order placed at ``order_step`` by ``merchant`` until its units
    are in stock, stepping through the model's ``begin_step`` (deliveries)."""
    t = m.merchant_table
    m.step_index = order_step
    m.merchant_agents[merchant].restock()
    stock, incoming = int(t.stock[merchant]), int(t.incoming[merchant])
    assert incoming > 0
    for step in range(order_step + 1, m.n_steps):
        m.step_index = step
        m.begin_step()
        if t.stock[merchant] != stock:
            assert t.stock[merchant] == stock + incoming and t.incoming[merchant] == 0
            return to_days(step - order_step, m)
    raise AssertionError("the order never arrived")


def order_lifetime_days(m: GiftModel, order_step: int) -> tuple[float, float]:
    """(days during which one order placed at ``order_step`` counts in the merchants'
    recent orders, days until it has left them), stepping through the model's
    ``begin_step`` (which moves the demand window) and its policy view."""
    counted = 0
    for step in range(order_step, m.n_steps):
        m.step_index = step
        m.begin_step()
        if step == order_step:
            m.demand.orders_row(step)[0] += 1.0
        seen = m.merchant_view(0.0).recent_orders[0]
        assert seen == m.recent_orders[0]
        if seen == 0.0:
            return to_days(counted, m), to_days(step - order_step, m)
        assert seen == 1.0
        counted += 1
    raise AssertionError("the order never left the window")


def cold_start_days(m: GiftModel, budget_impressions: float) -> float:
    """Days after joining (at step 0) at which a merchant stops getting the ``cold_start``
    budget, stepping through the policy's weights: merchant 0 joined at step 0, merchant 1
    is an old one; with 4 budgets of impressions expected, merchant 0 gets a quarter while
    new, half (the same record as merchant 1) once old."""
    t = m.merchant_table
    t.active[:] = False
    t.active[:2] = True
    t.joined_step[:] = -1
    t.joined_step[0] = 0
    for step in range(m.n_steps):
        m.step_index = step
        view = m.merchant_view(4 * budget_impressions)
        assert view.days_on_platform[0] == pytest.approx(to_days(step, m))
        w = m.policy.weights(view, np.random.default_rng(0))
        if w[0] != 0.25:
            assert w[:2].tolist() == [0.5, 0.5]
            return to_days(step, m)
        assert w[:2].tolist() == [0.25, 0.75]
    raise AssertionError("the merchant never left its cold start")


def profitable_candidates(m: GiftModel, n_active: int = 2) -> None:
    """Make every merchant off the platform a profitable entrant; nobody can leave."""
    t = m.merchant_table
    t.active[:] = False
    t.active[:n_active] = True
    t.left[:] = False
    t.joined_step[:] = np.where(t.active, 0, -1)
    t.price[:] = 100.0
    t.commission[:] = 0.0
    t.unit_cost_share[:] = 0.5
    t.fixed_cost_per_week[:] = 0.0
    t.expectation[:] = 1.0


def admissions_at_first_review(m: GiftModel, units_kept: int = 10_000) -> tuple[float, int]:
    """(the day whose last step holds the first review, merchants admitted there), with
    every candidate profitable; no merchant joins at the steps before it."""
    profitable_candidates(m)
    for step in range(m.n_steps):
        m.step_index = step
        moves = m.update_merchants(units_kept)
        assert moves.left == 0
        if moves.joined or step == m.review_steps - 1:
            assert step == m.review_steps - 1
            return to_days(step + 1, m), moves.joined
    raise AssertionError("no review")


# ---------------------------------------------------------------- the rules, every step length

@pytest.mark.parametrize("step_hours", STEP_HOURS)
def test_annoyance_fades_by_the_daily_rate_per_day(step_hours):
    decay = 0.3
    m = model(step_hours, population__annoyance_decay=decay)
    assert annoyance_after(m, 1.0) == pytest.approx(2.0 * (1 - decay) ** 1, rel=1e-12)
    assert annoyance_after(m, 3.0) == pytest.approx(2.0 * (1 - decay) ** 3, rel=1e-12)
    if m.steps_per_day % 2 == 0:  # half a day fades by the square root of the day's factor
        assert annoyance_after(m, 0.5) == pytest.approx(2.0 * (1 - decay) ** 0.5, rel=1e-12)


@pytest.mark.parametrize("step_hours", STEP_HOURS)
@pytest.mark.parametrize("lead_days", [1, 2, 5])
def test_restock_arrives_lead_days_later(step_hours, lead_days):
    m = model(step_hours, merchants__brand__lead_days=lead_days, merchants__sme__lead_days=lead_days + 1)
    t = m.merchant_table
    brand, sme = (int(np.flatnonzero(t.kind == k)[0]) for k in (0, 1))
    assert t.lead_steps[brand] == lead_days * m.steps_per_day
    order_step = 3 * m.steps_per_day + m.steps_per_day // 2  # day 3, mid-day where steps allow
    assert restock_arrival_days(m, brand, order_step) == lead_days
    assert restock_arrival_days(m, sme, order_step) == lead_days + 1


@pytest.mark.parametrize("step_hours", STEP_HOURS)
def test_restock_with_no_lead_time_arrives_the_next_step(step_hours):
    m = model(step_hours, merchants__brand__lead_days=0)
    assert restock_arrival_days(m, 0, 5) == step_hours / 24  # "at least one step"


@pytest.mark.parametrize("step_hours", STEP_HOURS)
def test_restock_order_covers_daily_demand_over_lead_and_review_days(step_hours):
    # 168 units of demand over a 7-day window = 24 a day; the order covers lead (2) + review (7) days
    m = model(step_hours, merchants__brand__lead_days=2, merchants__brand__restock_quantity=1,
              merchants__demand_window_days=7, merchants__review_days=7)
    assert m.demand.steps == 7 * m.steps_per_day
    m.demand.demand[:, 0] = 168.0 / m.demand.steps  # spread over every step of the window
    assert m.recent_demand[0] == pytest.approx(168.0)
    m.merchant_agents[0].restock()
    assert m.merchant_table.incoming[0] == 24 * (2 + 7)


@pytest.mark.parametrize("step_hours", STEP_HOURS)
@pytest.mark.parametrize("window", [1, 3])
def test_demand_window_covers_its_days(step_hours, window):
    m = model(step_hours, merchants__demand_window_days=window)
    assert m.demand_window_steps == window * m.steps_per_day
    # an order counts for `window` days, wherever in its day it was placed
    for order_step in (0, 2 * m.steps_per_day - 1, 5 * m.steps_per_day + m.steps_per_day // 2):
        assert order_lifetime_days(m, order_step) == (window, window)


@pytest.mark.parametrize("step_hours", STEP_HOURS)
def test_cold_start_age_is_in_days(step_hours):
    m = model(step_hours, policy__allocation={"rule": "cold_start", "budget_impressions": 10.0, "budget_days": 14.0})
    spd = m.steps_per_day
    t = m.merchant_table
    t.active[:] = False
    t.active[:3] = True
    t.joined_step[3:] = -1
    day = 20
    m.step_index = day * spd
    t.joined_step[:3] = [(day - 13) * spd, (day - 14) * spd, m.step_index - 1]
    view = m.merchant_view(40.0)
    assert view.days_on_platform[:3].tolist() == [13.0, 14.0, step_hours / 24]
    assert view.days_on_platform[3] == np.inf  # never joined
    # merchant 0 (13 days) and 2 (one step) are in their 14-day cold start, merchant 1 (14 days) is not:
    # 10 impressions a day each of 40 expected -> 0.5 to the new ones, the rest to the old one
    w = m.policy.weights(view, np.random.default_rng(0))
    assert w[:3].tolist() == [0.25, 0.5, 0.25] and not w[3:].any()


@pytest.mark.parametrize(("review_days", "cap", "room"), [(14, 3, 6), (7, 3, 3), (3, 7, 3), (10, 5, 7), (1, 6, 0)])
def test_admission_room_is_the_weekly_cap_scaled_to_the_review(review_days, cap, room):
    sc = small_scenario(merchants__review_days=review_days, merchants__max_admissions_per_week=cap)
    assert admission_room(sc.merchants) == room == int(cap * review_days / 7)


@pytest.mark.parametrize("step_hours", STEP_HOURS)
@pytest.mark.parametrize(("review_days", "cap", "admitted"), [(14, 3, 6), (3, 7, 3), (7, None, 32)])
def test_admissions_per_review_are_the_weekly_cap_scaled(step_hours, review_days, cap, admitted):
    over = {"merchants__review_days": review_days}
    if cap is not None:
        over["merchants__max_admissions_per_week"] = cap
    m = model(step_hours, **over)
    assert m.merchant_table.n_merchants == 34  # 2 on the platform, 32 candidates
    # the first review closes day review_days - 1 (its last step), then admits cap * review_days / 7
    assert admissions_at_first_review(m) == (review_days, admitted)


# ---------------------------------------------------------------- property: effects in days

@st.composite
def day_rules(draw) -> dict:
    return {"decay": draw(st.floats(0.0, 1.0)), "lead_days": draw(st.integers(1, 5)),
            "window": draw(st.integers(1, 8)), "review_days": draw(st.integers(1, 15)),
            "cap": draw(st.integers(0, 14)), "budget_days": draw(st.integers(1, 20))}


def day_effects(step_hours: int, r: dict) -> dict:
    """Each per-day rule's effect, measured in days on a fresh model with ``step_hours``."""
    def fresh() -> GiftModel:
        return model(step_hours, population__annoyance_decay=r["decay"], merchants__brand__lead_days=r["lead_days"],
                     merchants__demand_window_days=r["window"], merchants__review_days=r["review_days"],
                     merchants__max_admissions_per_week=r["cap"],
                     policy__allocation={"rule": "cold_start", "budget_days": float(r["budget_days"])})

    return {"annoyance_after_a_day": annoyance_after(fresh(), 1.0, start=1.0),
            "lead_days": restock_arrival_days(fresh(), 0, 1),
            "window_days": order_lifetime_days(fresh(), 1),
            "cold_start_days": cold_start_days(fresh(), 20.0),
            "first_review": admissions_at_first_review(fresh())}


@settings(max_examples=int(os.environ.get("GIFTSIM_PROPERTY_EXAMPLES", 25)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(day_rules(), st.sampled_from(STEP_HOURS[:-1]))
def test_per_day_rules_do_not_depend_on_the_step_length(r, step_hours):
    got, daily = day_effects(step_hours, r), day_effects(24, r)
    expected = {"annoyance_after_a_day": 1.0 - r["decay"], "lead_days": r["lead_days"],
                "window_days": (r["window"], r["window"]), "cold_start_days": r["budget_days"],
                "first_review": (r["review_days"], math.floor(r["cap"] * r["review_days"] / 7))}
    for effects in (got, daily):
        assert effects["annoyance_after_a_day"] == pytest.approx(expected["annoyance_after_a_day"], rel=1e-9, abs=1e-12)
        assert {k: v for k, v in effects.items() if k != "annoyance_after_a_day"} == {
            k: v for k, v in expected.items() if k != "annoyance_after_a_day"}
