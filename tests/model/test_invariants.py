"""Lifecycle invariants under random small graphs and parameters (hypothesis): every gift
ends exactly once, money is conserved, stock never goes negative, nobody accepts a gift
not sent to them."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import GiftModel
from sim.scenario import validate_scenario

from .test_model import check_invariants

GRAPHS = st.one_of(
    st.builds(lambda n, m, s: {"kind": "barabasi_albert", "n": n, "m": m, "seed": s},
              st.integers(5, 80), st.integers(1, 3), st.integers(0, 10**6)),
    st.builds(lambda n, k, p, s: {"kind": "watts_strogatz", "n": n, "k": k, "p": p, "seed": s},
              st.integers(10, 80), st.sampled_from([2, 4]), st.floats(0, 1), st.integers(0, 10**6)),
    st.builds(lambda sizes, pin, pout, s: {"kind": "sbm", "sizes": sizes, "p_in": pin, "p_out": pout, "seed": s},
              st.lists(st.integers(2, 20), min_size=1, max_size=3), st.floats(0, 1), st.floats(0, 0.2),
              st.integers(0, 10**6)),
)
STEP = st.sampled_from([(24, 24), (24, 48), (12, 24), (6, 24), (8, 48)])


@st.composite
def scenarios(draw):
    step_hours, expiry = draw(STEP)
    rule = draw(st.sampled_from([{"rule": "equal"}, {"rule": "sales_proportional", "exponent": 2.0},
                                 {"rule": "head_boost", "boost": 5.0, "head_count": 2},
                                 {"rule": "cold_start", "budget_impressions": 3.0}]))
    stock = draw(st.integers(0, 5))
    kind = draw(st.sampled_from(["product", "product", "cash"]))
    merchants = {k: {"count": draw(st.integers(0, 4)), "initial_stock": stock,
                     "restock_quantity": draw(st.integers(1, 5)), "lead_days": draw(st.integers(0, 3)),
                     "reorder_point": draw(st.integers(0, 3)), "joined_at_start": draw(st.floats(0, 1))}
                 for k in ("brand", "sme", "white_label")}
    raw = {
        "name": "prop",
        "graph": draw(GRAPHS),
        "time": {"start": "2025-01-20", "end": "2025-02-02", "step_hours": step_hours},
        "rollout": {"schedule": [{"date": "2025-01-20", "share": draw(st.floats(0, 1))}]},
        "gifts": {"expiry_hours": expiry, "send_probability": draw(st.floats(0, 1)),
                  "click_through": draw(st.floats(0, 1)), "accept_intercept": draw(st.floats(-3, 3)),
                  "unlock_on_receive": draw(st.booleans()),
                  "chat_entry_from": draw(st.sampled_from([None, "2025-01-20", "2025-01-27"])),
                  "chat_entry_rate": draw(st.floats(0, 1)), "item": kind},
        "population": {"activity": draw(st.floats(0, 1)), "budget": draw(st.sampled_from([0.0, 30.0, 500.0, 1e5])),
                       "reciprocity": draw(st.floats(0, 1)), "pay_forward": draw(st.floats(0, 1)),
                       "feed_impressions": draw(st.floats(0, 60)), "pay_forward_days": draw(st.integers(1, 5)),
                       "response": {"enabled": draw(st.booleans()), "half_saturation": draw(st.floats(0.01, 10)),
                                    "max_multiplier": draw(st.floats(0, 5)), "habit_gain": draw(st.floats(0, 2)),
                                    "novelty_half_life_days": draw(st.floats(0.1, 60)),
                                    "push_weight": draw(st.floats(0, 2)), "invitation_weight": draw(st.floats(0, 2))}},
        "merchants": merchants,
        "policy": {"commercial_share": draw(st.floats(0, 1)), "allocation": rule,
                   "push": {"enabled": draw(st.booleans()), "reach": draw(st.floats(0, 1))},
                   "induced_sharing": {"enabled": kind == "product" and draw(st.booleans()),
                                       "fanout": draw(st.integers(0, 5))}},
    }
    if raw["gifts"]["chat_entry_from"] is None:
        del raw["gifts"]["chat_entry_from"]
    return validate_scenario(raw, "<property>")


@settings(max_examples=int(os.environ.get("GIFTSIM_PROPERTY_EXAMPLES", 60)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenarios(), st.integers(0, 2**32))
def test_lifecycle_invariants_under_random_scenarios(scenario, seed):
    m = GiftModel(scenario, seed=seed)
    while m.running:
        m.step()
        check_invariants(m)
