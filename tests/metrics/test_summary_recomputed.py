"""Every summary outcome recomputed from the run's own tables, independently of sim.metrics.

:func:`recompute_summary` derives each key of :data:`sim.metrics.SUMMARY_KEYS` from the
tables of a :class:`sim.runner.RunResult` (``series``, ``gifts``, ``users``,
``merchants``) and the scenario, with code written here (pandas, plain Python and
networkx for the tree distances), never with the library's metric functions: a bug in a
metric (a share summing the wrong merchants, a top-10 taken as a top-1, an index not
squared) then disagrees with the recomputation instead of with itself. The hypothesis
test runs it over random small scenarios (step lengths 6, 12 and 24 hours, expiry of one
to three steps, every allocation rule, cash gifts, push and induced sharing, merchant
turnover); the parametrised test over a few busy scenarios where every outcome is defined
and non-trivial (``GIFTSIM_SUMMARY_EXAMPLES`` sets the number of hypothesis examples).
"""

from __future__ import annotations

import math
import os

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.metrics import SUMMARY_KEYS, UNDEFINED_KEYS
from sim.scenario import validate_scenario

NAN = math.nan


def _div(a: float, b: float) -> float:
    return a / b if b else NAN


def graph_users(graph: dict) -> int:
    """Users of a generated graph, from the scenario's own numbers."""
    return sum(graph["sizes"]) if graph["kind"] == "sbm" else graph["n"]


def cascade_trees(users: pd.DataFrame) -> pd.DataFrame:
    """One row per tree of senders (linked by awareness parent): root, size, depth and the
    mean distance between its senders (networkx), sorted by size descending then root."""
    senders = users[users["first_send_step"] >= 0]
    parent = dict(zip(senders["user"].astype(int), senders["parent"].astype(int)))
    root_of, depth_of = {}, {}
    for v in parent:
        path, u = [], v
        while u not in root_of and parent[u] >= 0:
            assert parent[u] in parent, "a sender's parent is not a sender"
            path.append(u)
            u = parent[u]
        if u not in root_of:
            root_of[u], depth_of[u] = u, 0
        for d, w in enumerate(reversed(path), start=1):
            root_of[w], depth_of[w] = root_of[u], depth_of[u] + d
    rows = []
    for r in sorted({root_of[v] for v in parent}):
        members = [v for v in parent if root_of[v] == r]
        if len(members) > 1:
            tree = nx.Graph([(v, parent[v]) for v in members if parent[v] >= 0])
            sv = nx.average_shortest_path_length(tree)
        else:
            sv = 0.0
        rows.append((r, len(members), max(depth_of[v] for v in members), sv))
    df = pd.DataFrame(rows, columns=["root", "size", "depth", "sv"])
    return df.sort_values(["size", "root"], ascending=[False, True], kind="stable").reset_index(drop=True)


TRIGGERS = {"impression": "feed", "push": "push", "invite": "invitation", "reciprocity": "received_gift",
            "pay_forward": "received_gift", "chat": "chat_entry", "group": "group", "occasion": "occasion"}


def lift_by_definition(gifts: pd.DataFrame, n_users: int, n_days: int, spd: int, n: int = 30) -> tuple:
    """Kizilcec et al.'s lift, literally: for each day d whose n-day window ends inside the
    run, the users first sent a (delivered) gift on d (a group gift's unit: claimed on d), the users sent none by d + n, and the
    share of each who sent a gift on days d+1 .. d+n; rates pooled with the treated as
    weights. Returns (lift, treated rate, control rate, treated users)."""
    day = (gifts["step_sent"] // spd).tolist()
    received = (gifts["step_settled"].where(gifts["group"] >= 0, gifts["step_sent"]) // spd).tolist()
    delivered = (~gifts["withheld"] & (gifts["recipient"] >= 0)).tolist()
    first: dict[int, int] = {}
    for r, d, ok in zip(gifts["recipient"].tolist(), received, delivered):
        if ok:
            first[r] = min(first.get(r, d), d)
    gave: dict[int, set] = {}
    for s, d in zip(gifts["sender"].tolist(), day):
        gave.setdefault(s, set()).add(d)
    a = tn = 0
    cw = 0.0
    for d in range(n_days - n):
        treated = [u for u in range(n_users) if first.get(u) == d]
        control = [u for u in range(n_users) if first.get(u, n_days) > d + n]
        if treated and control:
            a += sum(any(d < t <= d + n for t in gave.get(u, ())) for u in treated)
            cw += len(treated) * sum(any(d < t <= d + n for t in gave.get(u, ())) for u in control) / len(control)
            tn += len(treated)
    if not tn:
        return NAN, NAN, NAN, 0
    return (a / cw if cw else NAN), a / tn, cw / tn, tn


def recompute_summary(res, n_users: int) -> dict[str, float]:
    """Every summary key from the run's tables (see the module doc)."""
    sc = res.scenario
    spd = 24 // sc.time.step_hours
    series, gifts, users, merchants = res.series, res.gifts, res.users, res.merchants
    out: dict[str, float] = {"users": n_users, "days": len(series) / spd}
    out["aware_share"] = len(users) / n_users
    fs = users["first_send_step"].to_numpy()
    fs = fs[fs >= 0]
    out["adoption_share"] = fs.size / n_users
    # the first step by whose end at least half of the senders had sent
    half = next((t for t in range(len(series)) if 2 * np.count_nonzero(fs <= t) >= fs.size), None) if fs.size else None
    out["days_to_half_adoption"] = NAN if half is None else (half + 1) / spd

    outcome = gifts["outcome"].astype(str)
    acc, exp, pend = outcome == "accepted", outcome == "expired", outcome == "pending"
    product = gifts["merchant"] >= 0
    price = gifts["price"]
    out["gifts_sent"] = len(gifts)
    out["gifts_accepted"] = int(acc.sum())
    out["gifts_expired"] = int(exp.sum())
    out["gifts_pending"] = int(pend.sum())
    out["gifts_sent_back"] = int((gifts["source"].astype(str) == "reciprocity").sum())  # issue 14: behaviour
    out["gifts_paid_forward"] = int((gifts["source"].astype(str) == "pay_forward").sum())
    out["acceptance_rate"] = _div(acc.sum(), acc.sum() + exp.sum())
    out["gifts_per_visit"] = _div(len(gifts), series["product_visits"].sum())
    out["gmv_rmb"] = float(price[acc & product].sum())
    out["cash_rmb"] = float(price[acc & ~product].sum())
    out["refunded_rmb"] = float(price[exp].sum())
    out["returns_rmb"] = float(price[gifts["returned"]].sum())
    kept = gifts[acc & product & ~gifts["returned"]]
    rate = merchants.set_index("merchant")["commission"]
    out["commission_rmb"] = float((kept["price"] * rate.reindex(kept["merchant"]).to_numpy()).sum())

    senders = users[users["first_send_step"] >= 0]
    out["reproduction_number"] = _div(int((senders["parent"] >= 0).sum()), len(senders))
    trees = cascade_trees(users)
    k = len(trees)
    out["cascades"] = k
    out["single_adopter_share"] = _div(int((trees["size"] == 1).sum()), k)
    out["beyond_one_step_share"] = _div(int((trees["depth"] >= 2).sum()), k)
    out["mean_cascade_size"] = _div(int(trees["size"].sum()), k)
    out["largest_cascade"] = int(trees["size"].max()) if k else 0
    out["max_depth"] = int(trees["depth"].max()) if k else 0
    out["structural_virality_largest"] = float(trees["sv"].iloc[0]) if k else NAN
    out["structural_virality_top10"] = float(trees["sv"].iloc[:10].mean()) if k else NAN

    # GMV per merchant from the gifts, over the merchants that were ever on the platform
    ever = merchants[merchants["joined_step"] >= 0]
    per = gifts[acc & product].groupby("merchant")["price"].sum()
    assert set(per.index) <= set(ever["merchant"]), "GMV of a merchant never on the platform"
    g = per.reindex(ever["merchant"], fill_value=0.0).to_numpy(dtype=float)
    total = g.sum()
    kind = ever["kind"].astype(str).to_numpy()
    if total > 0:
        s = g / total
        out["hhi"] = float((s ** 2).sum())
        out["gini"] = float(np.abs(g[:, None] - g[None, :]).sum() / (2 * g.size ** 2 * g.mean()))
        out["top10_share"] = float(np.sort(g)[::-1][:10].sum() / total)
        out["sme_gmv_share"] = float(g[kind == "sme"].sum() / total)
        out["brand_gmv_share"] = float(g[kind == "brand"].sum() / total)
    else:
        for key in ("hhi", "gini", "top10_share", "sme_gmv_share", "brand_gmv_share"):
            out[key] = NAN
    out["active_merchants"] = int(merchants["active"].sum())
    segment = merchants["kind"].astype(str).map({n: t.segment for n, t in sc.merchants.kinds().items()})
    for seg in ("sme", "brand"):
        out[f"active_{seg}_merchants"] = int((merchants["active"] & (segment == seg)).sum())
    at_start = sum(int(round(t.count * t.joined_at_start)) for t in sc.merchants.types())
    out["merchants_joined"] = int((merchants["joined_step"] >= 0).sum()) - at_start
    out["merchants_left"] = int(merchants["left"].sum())
    out["stockouts"] = int(series["stockouts"].sum())
    out["muted_share"] = int(series["muted_users"].iloc[-1]) / n_users

    # issue 14 (metrics): first gifts and R by trigger, the receive-give lift
    first = gifts.drop_duplicates("sender")["source"].astype(str).map(TRIGGERS)
    for t in ("received_gift", "invitation", "feed", "push", "chat_entry", "group", "occasion"):
        out[f"first_gifts_{t}"] = int((first == t).sum())
    out["reproduction_number_gift"] = _div(out["first_gifts_received_gift"], len(senders))
    out["reproduction_number_invitation"] = _div(out["first_gifts_invitation"], len(senders))
    lift = lift_by_definition(gifts, n_users, len(series) // spd, spd)
    for key, value in zip(("lift", "treated_rate", "control_rate", "treated_users"), lift, strict=True):
        out[f"receive_give_{key}"] = value
    # issue 14: market (the merchants table has these columns only when a market mechanism is on)
    shown = "ad_spend" in merchants
    out["ad_revenue_rmb"] = float(merchants["ad_spend"].sum()) if shown else 0.0
    out["mini_program_merchants"] = int((merchants["active"] & (merchants["channel"] == "mini_program")).sum()) \
        if shown else 0
    out.update(recompute_groups(gifts))  # issue 14: groups
    return out


def recompute_groups(gifts) -> dict[str, float]:
    """Group outcomes from the gifts table: a box is a (sender, step_sent) of group rows
    (one box per user per step); a claim is an accepted group row; RMB sent back are the
    boxes a user sent to a group on a step on which they claimed from it."""
    g = gifts[gifts["group"] >= 0]
    boxes = g.groupby(["sender", "group", "step_sent"], observed=True)["price"].sum().reset_index()
    claims = g[g["outcome"] == "accepted"]
    keys = set(zip(claims["recipient"], claims["group"], claims["step_settled"]))
    back = [k in keys for k in zip(boxes["sender"], boxes["group"], boxes["step_sent"])]
    claimed = float(claims["price"].sum())
    return {"group_gifts": len(boxes), "group_claims": len(claims),
            "group_send_back_per_rmb": float(boxes["price"][back].sum()) / claimed if claimed else NAN}


def assert_summary_matches(res, n_users: int) -> dict[str, float]:
    want = recompute_summary(res, n_users)
    assert set(want) == set(SUMMARY_KEYS), set(want) ^ set(SUMMARY_KEYS)
    got = res.summary
    for key, value in want.items():
        if isinstance(value, float) and math.isnan(value):
            assert key in UNDEFINED_KEYS and math.isnan(got[key]), (key, got[key])
        else:
            assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-9), (key, got[key], value)
    return want


# --------------------------------------------------------------------------- scenarios
GRAPHS = st.one_of(
    st.builds(lambda n, m, s: {"kind": "barabasi_albert", "n": n, "m": m, "seed": s},
              st.integers(20, 90), st.integers(1, 4), st.integers(0, 10**6)),
    st.builds(lambda n, k, p, s: {"kind": "watts_strogatz", "n": n, "k": k, "p": p, "seed": s},
              st.integers(20, 90), st.sampled_from([2, 4, 6]), st.floats(0, 1), st.integers(0, 10**6)),
    st.builds(lambda sizes, pin, pout, s: {"kind": "sbm", "sizes": sizes, "p_in": pin, "p_out": pout, "seed": s},
              st.lists(st.integers(5, 30), min_size=1, max_size=3), st.floats(0.1, 1), st.floats(0, 0.2),
              st.integers(0, 10**6)),
)
RULES = st.sampled_from([
    {"rule": "equal"},
    {"rule": "sales_proportional", "exponent": 2.0},
    {"rule": "head_boost", "boost": 20.0, "head_count": 2, "head_kinds": ["sme"]},
    {"rule": "head_boost", "boost": 5.0, "head_count": 0},
    {"rule": "cold_start", "budget_impressions": 5.0, "budget_days": 3.0},
])


@st.composite
def raw_scenarios(draw):
    step_hours = draw(st.sampled_from([6, 12, 24]))
    expiry = step_hours * draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["product", "product", "product", "cash"]))
    merchants = {k: {"count": draw(st.integers(0, 8)), "joined_at_start": draw(st.floats(0, 1)),
                     "initial_stock": draw(st.integers(0, 6)), "restock_quantity": draw(st.integers(1, 6)),
                     "lead_days": draw(st.integers(0, 3)), "reorder_point": draw(st.integers(0, 3)),
                     "fixed_cost_per_week": draw(st.sampled_from([0.0, 5.0, 500.0])),
                     "return_rate": draw(st.floats(0, 1))}
                 for k in ("brand", "sme", "white_label")}
    merchants.update(review_days=draw(st.integers(1, 4)), exit_after=draw(st.integers(1, 3)),
                     max_admissions_per_week=draw(st.sampled_from([None, 0, 3])))
    raw = {
        "name": "recomputed",
        "graph": draw(GRAPHS),
        "time": {"start": "2025-01-20", "end": draw(st.sampled_from(["2025-01-26", "2025-02-02"])),
                 "step_hours": step_hours},
        "rollout": {"schedule": [{"date": "2025-01-20", "share": draw(st.floats(0, 1))},
                                 {"date": "2025-01-27", "share": 1.0}]},
        "gifts": {"expiry_hours": expiry, "send_probability": draw(st.floats(0.2, 1)),
                  "click_through": draw(st.floats(0, 1)), "accept_intercept": draw(st.floats(-3, 3)),
                  "unlock_on_receive": draw(st.booleans()),
                  "chat_entry_from": draw(st.sampled_from([None, "2025-01-20", "2025-01-24"])),
                  "chat_entry_rate": draw(st.floats(0, 1)), "item": kind},
        "population": {"activity": draw(st.floats(0.2, 1)), "budget": draw(st.sampled_from([20.0, 300.0, 1e5])),
                       "reciprocity": draw(st.floats(0, 0.6)), "pay_forward": draw(st.floats(0, 0.6)),
                       "feed_impressions": draw(st.floats(0, 60)), "mute_threshold": draw(st.floats(0.5, 50))},
        "merchants": merchants,
        "policy": {"commercial_share": draw(st.floats(0, 1)), "allocation": draw(RULES),
                   "ad_annoyance": draw(st.sampled_from([0.0, 0.05, 0.5])),
                   "push": {"enabled": draw(st.booleans()), "reach": draw(st.floats(0, 1))},
                   "induced_sharing": {"enabled": kind == "product" and draw(st.booleans()),
                                       "fanout": draw(st.integers(0, 5))}},
    }
    if merchants["max_admissions_per_week"] is None:
        del merchants["max_admissions_per_week"]
    if raw["gifts"]["chat_entry_from"] is None:
        del raw["gifts"]["chat_entry_from"]
    if draw(st.booleans()):  # issue 14: groups
        raw["groups"] = {"enabled": True, "group_gift_rate": draw(st.floats(0, 0.3)),
                         "unit_share": draw(st.floats(0.1, 1)), "claim_probability": draw(st.floats(0, 1)),
                         "send_back_per_rmb": draw(st.floats(0, 0.2))}
        if raw["gifts"]["item"] == "product" and "chat_entry_from" not in raw["gifts"]:
            raw["groups"]["group_gift_rate"] = 0.0  # group gifts start from the chat entry (refused without it)
    return raw


@settings(max_examples=int(os.environ.get("GIFTSIM_SUMMARY_EXAMPLES", 40)), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw_scenarios(), st.integers(0, 2**32))
def test_every_summary_outcome_recomputed_from_the_tables(raw, seed):
    res = run(validate_scenario(raw, "<property>"), seed)
    assert_summary_matches(res, graph_users(raw["graph"]))


# --------------------------------------------------------------------------- busy runs
def busy_base(name: str) -> dict:
    """A busy 35-day scenario on a 300-user Holme-Kim graph (gifting, pay-forward,
    reciprocity, merchants joining and leaving), as a raw document to add tables to."""
    return {"name": name, "graph": {"kind": "holme_kim", "n": 300, "m": 4, "p": 0.3, "seed": 3},
            "time": {"start": "2025-01-01", "end": "2025-02-04"},
            "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
            "gifts": {"send_probability": 0.5},
            "population": {"pay_forward": 0.5, "reciprocity": 0.2},
            "merchants": {"review_days": 3, "exit_after": 2,
                          "sme": {"count": 12, "fixed_cost_per_week": 60.0, "initial_stock": 3}},
            "policy": {}}


BUSY = {
    "daily_head_boost": {"policy": {"commercial_share": 0.06, "allocation": {"rule": "head_boost", "boost": 8.0,
                                                                            "head_count": 3}}},
    "six_hours_cold_start": {"time": {"step_hours": 6}, "gifts": {"expiry_hours": 12, "send_probability": 0.6},
                             "policy": {"commercial_share": 0.3,
                                        "allocation": {"rule": "cold_start", "budget_impressions": 10.0}}},
    "twelve_hours_push_induced": {"time": {"step_hours": 12}, "gifts": {"expiry_hours": 48},
                                  "policy": {"commercial_share": 0.1, "push": {"enabled": True, "reach": 0.3},
                                             "induced_sharing": {"enabled": True, "fanout": 3}}},
    "cash_and_products": {"gifts": {"item": "cash", "chat_entry_rate": 0.15, "send_probability": 0.6},
                          "policy": {"commercial_share": 0.3},
                          "groups": {"enabled": True, "group_gift_rate": 0.05}},  # issue 14: groups
    # issue 14: market (paid traffic, a kind in its own mini program)
    "market_paid_mini_program": {"merchants": {"white_label": {"channel": "mini_program", "joined_at_start": 1.0,
                                                               "fixed_cost_per_week": 0.0}},
                                 "policy": {"paid_traffic": {"enabled": True, "ad_budget_share": 0.3,
                                                            "max_per_user": 5.0}},
                                 "population": {"pay_forward": 0.5, "reciprocity": 0.2, "budget": 2000.0}},
}


@pytest.mark.parametrize("name", list(BUSY))
def test_busy_runs_define_every_outcome_and_match_the_recomputation(name):
    raw = busy_base(name)
    for table, values in BUSY[name].items():
        raw[table] = {**raw.get(table, {}), **values}
    res = run(validate_scenario(raw, "<busy>"), 5)
    want = assert_summary_matches(res, 300)
    # every outcome is defined (but GMV shares with cash gifts only), and the ones a wrong
    # definition could leave at 0 are not
    cash = name.startswith("cash")
    gmv_keys = {"hhi", "gini", "top10_share", "sme_gmv_share", "brand_gmv_share"}
    no_groups = set() if "groups" in BUSY[name] else {"group_send_back_per_rmb"}
    assert {k for k, v in want.items() if isinstance(v, float) and math.isnan(v)} == (gmv_keys if cash else set()) | no_groups
    if "groups" in BUSY[name]:
        assert want["group_gifts"] > 0 and want["group_claims"] > 0 and want["group_send_back_per_rmb"] > 0
    for key in ("gifts_accepted", "gifts_expired", "refunded_rmb", "cascades", "merchants_left", "reproduction_number",
                "beyond_one_step_share", "reproduction_number_gift", "first_gifts_received_gift",
                "receive_give_lift", "receive_give_treated_users") + (("cash_rmb",) if cash else ("gmv_rmb", "returns_rmb", "commission_rmb")):
        assert want[key] > 0, key
    assert want["largest_cascade"] >= 3 and want["max_depth"] >= 2
    if name.startswith("market"):
        assert want["ad_revenue_rmb"] > 0 and want["mini_program_merchants"] > 0
    if not cash:
        assert 0 < want["sme_gmv_share"] < 1 and 0 < want["brand_gmv_share"] < 1
        # several merchants sell, so a top-10 share differs from a top-1 share
        acc = res.gifts[res.gifts["outcome"] == "accepted"]
        assert acc["merchant"].nunique() >= 5
