"""Every parameter of the scenario schema, set away from its default, moves the run as documented.

:data:`EFFECTS` is the coverage table: each entry names the dotted schema keys it covers,
a common scenario (``base``, over :data:`BASE`), the change (``set``) and a check of the
changed run against the reference run (an exact value, or a direction). The meta-tests
make the table complete and honest:

* :func:`test_every_schema_key_is_covered` walks the pydantic models of
  :class:`sim.scenario.Scenario` recursively (every graph kind, allocation rule and mode;
  list items such as ``occasions.lift``) and fails for a leaf key that no entry (and no
  test of :data:`EXPLICIT`) covers, so a new parameter needs a test here;
* :func:`test_each_entry_sets_its_keys_away_from_default_and_reference` fails when an
  entry's change leaves one of its keys equal to the schema default or to the reference.

:data:`EXEMPT` lists the pure labels, which change no number of a run.
Runs are small (150 users, 21 days; a few tenths of a second each).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import networkx as nx
import numpy as np
import pytest
from pydantic import BaseModel

from sim.model import make_model
from sim.policies import params_class, registered_rules
from sim.runner import collect
from sim.scenario import Scenario, validate_scenario

KINDS = ("brand", "sme", "white_label")
EXEMPT = {
    "name": "label: names the results folder only",
    "description": "label: free text",
    "occasions.name": "label: shown in the browser, changes no number",
}
"""Schema keys that are pure labels, with why."""

BASE: dict = {
    "name": "coverage",
    "graph": {"kind": "holme_kim", "n": 150, "m": 3, "p": 0.3, "seed": 5},
    "time": {"start": "2025-01-01", "end": "2025-01-21"},
    "rollout": {"schedule": [{"date": "2025-01-01", "share": 1.0}]},
    "occasions": [{"name": "o", "date": "2025-01-10", "lift": 1.0}],
    "policy": {"commercial_share": 0.2},
    "gifts": {"send_probability": 0.5, "accept_intercept": 0.5},
    "population": {"reciprocity": 0.3, "pay_forward": 0.3},
}
"""The reference scenario: busy gifting on a small graph; everything else at its default
(click-through and acceptance held at their values before the issue-15 calibration, so that
each effect below is measured where it was designed)."""


def merge(a: dict, b: dict) -> dict:
    """``a`` updated by ``b`` table by table; a table of another ``kind`` or ``rule`` replaces."""
    out = copy.deepcopy(a)
    for k, v in b.items():
        old = out.get(k)
        same = isinstance(v, dict) and isinstance(old, dict) and all(
            v.get(tag, old.get(tag)) == old.get(tag) for tag in ("kind", "rule"))
        out[k] = merge(old, v) if same else copy.deepcopy(v)
    return out


def scenario_of(raw: dict) -> Scenario:
    return validate_scenario(merge(BASE, raw), "<coverage>")


@dataclass
class Run:
    """A run's model (finished, or after ``steps`` steps) and its tables."""

    m: object
    res: object

    @property
    def gifts(self):
        return self.res.gifts

    @property
    def series(self):
        return self.res.series

    @property
    def merchants(self):
        return self.res.merchants

    @property
    def s(self):
        return self.res.summary

    def source(self, name: str) -> int:
        return int((self.gifts["source"] == name).sum())

    def of_kind(self, kind: str):
        """Gifts of the products of merchants of ``kind``."""
        ids = self.merchants.loc[self.merchants["kind"] == kind, "merchant"]
        return self.gifts[self.gifts["merchant"].isin(ids)]

    def kind_rows(self, kind: str):
        return self.merchants[self.merchants["kind"] == kind]


@lru_cache(maxsize=256)
def _run(raw_json: str, seed: int, steps: int | None) -> Run:
    m = make_model(scenario_of(json.loads(raw_json)), seed=seed)
    n = m.n_steps if steps is None else steps
    for _ in range(n):
        if m.running:
            m.step()
    return Run(m, collect(m))


def run_raw(raw: dict, seed: int = 1, steps: int | None = None) -> Run:
    return _run(json.dumps(raw, sort_keys=True), seed, steps)


@dataclass
class Effect:
    """A coverage entry: ``keys`` set to ``set`` (over ``base``) change the run as ``check``
    asserts, ``check(new, ref)`` with ``ref`` the run of ``base`` alone."""

    name: str
    keys: tuple[str, ...]
    set: dict
    check: Callable[[Run, Run], None]
    base: dict = field(default_factory=dict)
    steps: int | None = None
    seed: int = 1


def _top_share(x) -> float:
    x = np.sort(np.asarray(x, dtype=float))[::-1]
    return float(x[0] / x.sum())


def _hhi(x) -> float:
    x = np.asarray(x, dtype=float)
    return float(((x / x.sum()) ** 2).sum())


def _edges(r: Run) -> set[tuple[int, int]]:
    g = r.m.graph
    return {(int(a), int(b)) for a, b in zip(g.row_of_entry, g.indices) if a < b}


# --------------------------------------------------------------------------- time and graph
def _check_period(new, ref):
    assert len(new.series) == 10 and len(ref.series) == 21
    assert str(new.series["date"].iloc[0])[:10] == "2025-01-05" and str(new.series["date"].iloc[-1])[:10] == "2025-01-14"


def _check_step(new, ref):
    assert len(new.series) == 21 * 4 and new.s["days"] == 21.0
    g = new.gifts
    assert len(g) > 0 and np.all(g["deadline"] - g["step_sent"] == 4)  # 24 h expiry = 4 steps of 6 h
    assert np.all(ref.gifts["deadline"] - ref.gifts["step_sent"] == 1)


def _check_complete(new, ref):
    assert new.m.graph.n_users == 30 and new.m.graph.indices.size == 30 * 29


def _mean_degree(r):
    return r.m.graph.indices.size / r.m.graph.n_users


def _clustering(r):
    return nx.average_clustering(nx.Graph(list(_edges(r))))


def _check_ws(new, ref):
    g = new.m.graph
    assert g.n_users == 60 and np.all(np.diff(g.indptr) == 6)  # p = 0: the ring lattice, degree k


def _check_engines(new, ref):
    assert new.m.graph.n_users == ref.m.graph.n_users == 80
    assert _edges(new) != _edges(ref)


def _check_sbm_in(new, ref):
    assert new.m.graph.n_users == 30 and len(_edges(new)) == 45 + 190  # two cliques


def _check_sbm_out(new, ref):
    assert len(_edges(new)) == 10 * 20  # complete bipartite


def _check_degree_sequence(new, ref):
    assert new.m.graph.n_users == 4 and np.all(np.diff(new.m.graph.indptr) == 1)


def _check_config_constant(new, ref):
    deg = np.diff(new.m.graph.indptr)
    assert new.m.graph.n_users == 60 and deg.max() <= 4 and deg.mean() > 3.5  # a few multi-edges dropped


def _check_poisson(new, ref):
    deg = np.diff(new.m.graph.indptr)
    assert new.m.graph.n_users == 300 and abs(deg.mean() - 6.0) < 0.6


def _check_ties(new, ref):
    assert np.all(new.m.graph.weights == np.float32(0.7)) and np.all(new.gifts["tie"] == np.float32(0.7))
    assert len(np.unique(ref.m.graph.weights)) > 100


EFFECTS: list[Effect] = [
    Effect("period", ("time.start", "time.end"), {"time": {"start": "2025-01-05", "end": "2025-01-14"}}, _check_period),
    Effect("step_hours", ("time.step_hours",), {"time": {"step_hours": 6}}, _check_step),
    Effect("complete_graph", ("graph.kind", "graph.n"), {"graph": {"kind": "complete", "n": 30}}, _check_complete),
    Effect("holme_kim_m", ("graph.m",), {"graph": {"m": 1}},
           lambda new, ref: (_mean_degree(new) < 2.1, _mean_degree(ref) > 5.5) == (True, True) or pytest.fail(
               f"{_mean_degree(new)} {_mean_degree(ref)}")),
    Effect("holme_kim_p", ("graph.p",), {"graph": {"p": 1.0}},
           lambda new, ref: _clustering(new) > _clustering(ref) + 0.1 or pytest.fail("triad closure")),
    Effect("watts_strogatz_k", ("graph.k",), {"graph": {"kind": "watts_strogatz", "n": 60, "k": 6, "p": 0.0}},
           _check_ws, base={"graph": {"kind": "watts_strogatz", "n": 60, "k": 2, "p": 0.0, "seed": 5}}),
    Effect("engine", ("graph.engine",), {"graph": {"engine": "numpy"}}, _check_engines,
           base={"graph": {"kind": "barabasi_albert", "n": 80, "m": 2, "engine": "networkx", "seed": 5}}),
    Effect("sbm_sizes_p_in", ("graph.sizes", "graph.p_in"), {"graph": {"sizes": [10, 20], "p_in": 1.0}},
           _check_sbm_in, base={"graph": {"kind": "sbm", "sizes": [15, 15], "p_in": 0.5, "p_out": 0.0, "seed": 5}}),
    Effect("sbm_p_out", ("graph.p_out",), {"graph": {"p_out": 1.0}}, _check_sbm_out,
           base={"graph": {"kind": "sbm", "sizes": [10, 20], "p_in": 0.0, "p_out": 0.1, "seed": 5}}),
    Effect("degree_sequence", ("graph.degree_sequence",), {"graph": {"degree_sequence": [1, 1, 1, 1]}},
           _check_degree_sequence, base={"graph": {"kind": "configuration", "degree_sequence": [2, 2, 2], "seed": 5}}),
    Effect("degree", ("graph.degree",), {"graph": {"degree": 4.0}}, _check_config_constant,
           base={"graph": {"kind": "configuration", "n": 60, "degree": 2.0, "seed": 5}}),
    Effect("mean_degree", ("graph.mean_degree",), {"graph": {"mean_degree": 6.0}}, _check_poisson,
           base={"graph": {"kind": "configuration", "n": 300, "degree": "poisson", "mean_degree": 2.0, "seed": 5}}),
    Effect("tie_strength", ("graph.tie_strength",), {"graph": {"tie_strength": 0.7}}, _check_ties),
]


# --------------------------------------------------------------------------- population
def _check_activity(new, ref):
    assert np.all(new.series["active_users"] == 150) and np.all(ref.series["active_users"] < 150)


def _check_no_impressions(new, ref):
    assert new.series["commercial_impressions"].sum() == 0 and new.source("impression") == 0
    assert ref.series["commercial_impressions"].sum() > 0 and ref.source("impression") > 0


def _check_no_gifts(new, ref):
    assert new.s["gifts_sent"] == 0 and ref.s["gifts_sent"] > 20


def _check_budget(new, ref):
    assert new.s["gifts_sent"] == 0 and new.series["unaffordable"].sum() > 20 and ref.s["gifts_sent"] > 20


def _none_of(source, least=5):
    def check(new, ref):
        assert new.source(source) == 0 and ref.source(source) >= least, (new.source(source), ref.source(source))
    return check


def _muted_more(new, ref):
    assert new.s["muted_share"] > ref.s["muted_share"] + 0.3, (new.s["muted_share"], ref.s["muted_share"])


def _muted_none(new, ref):
    assert new.s["muted_share"] == 0 and ref.s["muted_share"] > 0.2, (new.s["muted_share"], ref.s["muted_share"])


EFFECTS += [
    Effect("activity", ("population.activity",), {"population": {"activity": 1.0}}, _check_activity),
    Effect("feed_impressions", ("population.feed_impressions",), {"population": {"feed_impressions": 0.0}},
           _check_no_impressions),
    Effect("shopping_propensity", ("population.shopping_propensity",),
           {"population": {"shopping_propensity": 0.0}}, _check_no_gifts),
    Effect("budget", ("population.budget",), {"population": {"budget": 0.0}}, _check_budget),
    Effect("reciprocity", ("population.reciprocity",), {"population": {"reciprocity": 0.0}}, _none_of("reciprocity")),
    Effect("pay_forward", ("population.pay_forward",), {"population": {"pay_forward": 0.0}}, _none_of("pay_forward")),
    Effect("mute_threshold", ("population.mute_threshold",), {"population": {"mute_threshold": 0.05}}, _muted_more),
    # 4 impressions a day x 0.02: 0.08 a day; decay 1 clears it daily, far below the threshold 0.5
    Effect("annoyance_decay", ("population.annoyance_decay",), {"population": {"annoyance_decay": 1.0}}, _muted_none,
           base={"population": {"mute_threshold": 0.5, "annoyance_decay": 0.0}, "policy": {"ad_annoyance": 0.02}}),
]


# --------------------------------------------------------------------------- gifts
def _accept_rate(r):
    g = r.gifts[r.gifts["seen"] & (r.gifts["outcome"] != "pending")]
    assert len(g) > 20
    return float((g["outcome"] == "accepted").mean())


def _all_accepted(new, ref):
    assert _accept_rate(new) > 0.97 and _accept_rate(ref) < 0.3, (_accept_rate(new), _accept_rate(ref))


def _check_expiry(new, ref):
    assert np.all(new.gifts["deadline"] - new.gifts["step_sent"] == 3)
    exp = new.gifts[new.gifts["outcome"] == "expired"]
    assert len(exp) > 0 and np.all(exp["step_settled"] == exp["step_sent"] + 3)


def _check_price_cap(new, ref):
    assert new.merchants["price"].max() == 50.0 and (new.merchants["price"] == 50.0).sum() > 10
    assert new.gifts["price"].max() <= 50.0 and ref.gifts["price"].max() > 50.0


def _check_unlock(new, ref):
    rank_new = new.m.population.rollout_rank[new.gifts["sender"]]
    rank_ref = ref.m.population.rollout_rank[ref.gifts["sender"]]
    assert len(rank_new) > 0 and np.all(rank_new < 0.2)  # only the rollout shows the button
    assert np.any(rank_ref >= 0.2)  # recipients outside the rollout send too


def _check_follow(new, ref):
    acc = new.gifts[(new.gifts["outcome"] == "accepted") & (new.gifts["merchant"] >= 0)]
    per = acc.groupby("merchant").size().reindex(new.merchants["merchant"], fill_value=0).to_numpy()
    assert per.sum() > 20 and np.array_equal(new.merchants["followers"].to_numpy() - 100.0, per)
    acc_ref = ref.gifts[(ref.gifts["outcome"] == "accepted") & (ref.gifts["merchant"] >= 0)]
    assert ref.merchants["followers"].sum() - 100.0 * len(ref.merchants) < 0.3 * len(acc_ref)


def _check_chat_from(new, ref):
    assert len(new.gifts) > 10 and new.gifts["step_sent"].min() == 9 and ref.s["gifts_sent"] == 0


def _check_chat_rate(new, ref):
    assert new.source("chat") > 5 * max(ref.source("chat"), 1)


def _check_cash(new, ref):
    assert len(new.gifts) > 10 and np.all(new.gifts["merchant"] == -1) and np.all(new.gifts["source"] != "impression")
    assert new.s["gmv_rmb"] == 0 and new.s["cash_rmb"] > 0 and ref.s["cash_rmb"] == 0


def _check_cash_amount(new, ref):
    assert len(new.gifts) > 10 and np.all(new.gifts["price"] == 7.0) and ref.gifts["price"].nunique() > 10


EFFECTS += [
    Effect("click_through", ("gifts.click_through",), {"gifts": {"click_through": 0.0}},
           lambda new, ref: (new.series["product_visits"].sum() == 0 and new.s["gifts_sent"] == 0
                             and ref.series["product_visits"].sum() > 0) or pytest.fail("click_through 0")),
    Effect("send_probability", ("gifts.send_probability",), {"gifts": {"send_probability": 0.0}}, _check_no_gifts),
    Effect("accept_intercept", ("gifts.accept_intercept",), {"gifts": {"accept_intercept": 20.0}}, _all_accepted,
           base={"gifts": {"accept_intercept": -3.0, "accept_tie": 0.0, "accept_quality": 0.0}}),
    Effect("accept_tie", ("gifts.accept_tie",), {"gifts": {"accept_tie": 20.0}}, _all_accepted,
           base={"gifts": {"accept_intercept": -5.0, "accept_quality": 0.0}, "graph": {"tie_strength": 0.5}}),
    Effect("accept_quality", ("gifts.accept_quality",), {"gifts": {"accept_quality": 20.0}}, _all_accepted,
           base={"gifts": {"accept_intercept": -5.0, "accept_tie": 0.0},
                 "merchants": {k: {"quality": 1.0} for k in KINDS}}),
    Effect("expiry_hours", ("gifts.expiry_hours",), {"gifts": {"expiry_hours": 72}}, _check_expiry),
    Effect("price_cap", ("gifts.price_cap",), {"gifts": {"price_cap": 50.0}}, _check_price_cap),
    Effect("price_cap_cash", ("gifts.price_cap",), {"gifts": {"price_cap": 50.0}},
           lambda new, ref: (len(new.gifts) > 10 and np.all(new.gifts["price"] == 50.0)
                             and np.all(ref.gifts["price"] == 80.0)) or pytest.fail("cash amounts capped"),
           base={"gifts": {"item": "cash", "chat_entry_rate": 0.2, "cash_amount": 80.0}}),
    Effect("unlock_on_receive", ("gifts.unlock_on_receive",), {"gifts": {"unlock_on_receive": False}}, _check_unlock,
           base={"rollout": {"schedule": [{"date": "2025-01-01", "share": 0.2}]}}),
    Effect("follow_probability", ("gifts.follow_probability",), {"gifts": {"follow_probability": 1.0}}, _check_follow,
           base={"merchants": {k: {"followers": 100.0} for k in KINDS}}),
    Effect("chat_entry_from", ("gifts.chat_entry_from",), {"gifts": {"chat_entry_from": "2025-01-10"}},
           _check_chat_from, base={"policy": {"commercial_share": 0.0}, "gifts": {"chat_entry_rate": 0.3}}),
    Effect("chat_entry_rate", ("gifts.chat_entry_rate",), {"gifts": {"chat_entry_rate": 0.3}}, _check_chat_rate,
           base={"policy": {"commercial_share": 0.0}, "gifts": {"chat_entry_from": "2025-01-01"}}),
    Effect("item", ("gifts.item",), {"gifts": {"item": "cash"}}, _check_cash, base={"gifts": {"chat_entry_rate": 0.2}}),
    Effect("cash_amount", ("gifts.cash_amount",), {"gifts": {"cash_amount": 7.0}}, _check_cash_amount,
           base={"gifts": {"item": "cash", "chat_entry_rate": 0.2}}),
]


# --------------------------------------------------------------------------- rollout and occasions
def _check_rollout(new, ref):
    share = new.series["button_share"].to_numpy()
    assert share[0] == 0.0 and share[5] == pytest.approx(0.5) and np.all(share[10:] == 1.0)
    assert np.all(np.diff(share[:11]) == pytest.approx(0.1))
    assert np.all(ref.series["button_share"] == 1.0)


def _check_occasion(new, ref):
    lift = new.series["occasion_lift"].to_numpy()
    # 2025-01-12 is step 11: 1 + 2; lead 3 rises 1/4, 2/4, 3/4 on steps 8..10; lag 2 falls 2/3, 1/3
    want = np.ones(21)
    want[8:14] += 2.0 * np.array([0.25, 0.5, 0.75, 1.0, 2 / 3, 1 / 3])
    assert lift == pytest.approx(want)
    assert ref.series["occasion_lift"].max() == pytest.approx(2.0)


EFFECTS += [
    Effect("rollout", ("rollout.schedule.date", "rollout.schedule.share"),
           {"rollout": {"schedule": [{"date": "2025-01-01", "share": 0.0}, {"date": "2025-01-11", "share": 1.0}]}},
           _check_rollout),
    Effect("occasion", ("occasions.date", "occasions.lift", "occasions.lead_days", "occasions.lag_days"),
           {"occasions": [{"name": "o", "date": "2025-01-12", "lift": 2.0, "lead_days": 3, "lag_days": 2}]},
           _check_occasion),
]


# --------------------------------------------------------------------------- merchant types
def _kind_effects(kind: str) -> list[Effect]:
    k = kind
    others = {o: {"count": 0} for o in KINDS if o != k}

    def key(name):
        return (f"merchants.{k}.{name}",)

    def count(new, ref):
        assert len(new.kind_rows(k)) == 7 and len(ref.kind_rows(k)) != 7

    def joined(new, ref):
        rows = new.kind_rows(k)
        assert np.all(rows["joined_step"] >= 0) and (rows["joined_step"] == 0).sum() == len(rows)
        assert (ref.kind_rows(k)["joined_step"] == 0).sum() < len(ref.kind_rows(k))

    def price(new, ref):
        g = new.of_kind(k)
        assert np.all(new.kind_rows(k)["price"] == 33.0) and len(g) > 5 and np.all(g["price"] == 33.0)

    def quality(new, ref):
        g = new.of_kind(k)
        assert np.all(new.kind_rows(k)["quality"] == 1.0) and (g["outcome"] == "accepted").sum() > 5
        assert not g["returned"].any() and ref.of_kind(k)["returned"].any()

    def appeal(new, ref):
        assert (new.of_kind(k)["source"] == "impression").sum() == 0
        assert (ref.of_kind(k)["source"] == "impression").sum() > 5

    def followers(new, ref):
        rows = new.kind_rows(k)
        got = rows["followers"].to_numpy() - 1234.0
        acc = new.of_kind(k)
        acc = acc[acc["outcome"] == "accepted"].groupby("merchant").size().reindex(rows["merchant"], fill_value=0)
        assert np.all(got >= 0) and np.all(got <= acc.to_numpy())

    def commission(new, ref):
        rows = new.kind_rows(k)
        g = new.of_kind(k)
        kept = g[(g["outcome"] == "accepted") & ~g["returned"]]
        assert len(kept) > 5 and np.all(rows["commission"] == 0.5)
        assert rows["revenue"].sum() == pytest.approx(0.5 * kept["price"].sum())

    def no_joins(new, ref):
        # the margin (or the expected profit) is negative: no merchant of the kind joins
        assert (new.kind_rows(k)["joined_step"] > 0).sum() == 0
        assert (ref.kind_rows(k)["joined_step"] > 0).sum() > 0

    def fixed_cost(new, ref):
        rows = new.kind_rows(k)
        start = rows[rows["joined_step"] == 0]
        assert len(start) > 0 and np.all(start["left_step"] == 6)  # all leave at the first review
        no_joins(new, ref)

    def initial_stock(new, ref):
        g = new.of_kind(k)
        assert len(g) > 0 and g["step_sent"].min() >= 3  # nothing to sell before the first delivery
        assert new.kind_rows(k)["stockouts"].sum() > ref.kind_rows(k)["stockouts"].sum()

    def reorder_point(new, ref):
        rows = new.kind_rows(k)
        rows = rows[rows["active"]]
        level = rows["stock"] - rows["reserved"] + rows["incoming"]
        assert len(rows) > 0 and np.all(level > 60)
        ref_rows = ref.kind_rows(k)
        ref_rows = ref_rows[ref_rows["active"]]
        assert np.any(ref_rows["stock"] - ref_rows["reserved"] + ref_rows["incoming"] <= 60)

    def restock_quantity(new, ref):
        # after step 0 every active merchant of the kind (stock 0) ordered max(quantity, demand)
        rows = new.kind_rows(k)
        rows = rows[rows["active"]]
        assert len(rows) > 0 and np.all(rows["incoming"] == 70)
        default = getattr(ref.m.config.merchants, k).restock_quantity
        assert np.all(ref.kind_rows(k).loc[ref.kind_rows(k)["active"], "incoming"] == default)

    def lead_days(new, ref):
        g, gr = new.of_kind(k), ref.of_kind(k)
        assert len(g) > 0 and g["step_sent"].min() >= 6 and gr["step_sent"].min() < 6

    def return_rate(new, ref):
        g = new.of_kind(k)
        acc = g[g["outcome"] == "accepted"]
        assert len(acc) > 5 and acc["returned"].all()
        assert not ref.of_kind(k)["returned"].any()

    busy = {"policy": {"commercial_share": 0.4}, "merchants": {**others}}
    joins = {"merchants": {**others, "review_days": 3, k: {"count": 12, "fixed_cost_per_week": 1.0}},
             "policy": {"commercial_share": 0.4}}
    return [
        Effect(f"{k}.count", key("count"), {"merchants": {k: {"count": 7}}}, count),
        Effect(f"{k}.joined_at_start", key("joined_at_start"), {"merchants": {k: {"joined_at_start": 1.0}}}, joined,
               base={"merchants": {k: {"count": 8}}}),
        Effect(f"{k}.price", key("price"), {"merchants": {k: {"price": 33.0}}}, price, base=busy),
        Effect(f"{k}.quality", key("quality"), {"merchants": {k: {"quality": 1.0}}}, quality,
               base=merge(busy, {"merchants": {k: {"return_rate": 1.0}}})),
        Effect(f"{k}.appeal", key("appeal"), {"merchants": {k: {"appeal": 1e-9}}}, appeal, base=busy),
        Effect(f"{k}.followers", key("followers"), {"merchants": {k: {"followers": 1234.0}}}, followers, base=busy),
        Effect(f"{k}.commission", key("commission"), {"merchants": {k: {"commission": 0.5}}}, commission, base=busy),
        Effect(f"{k}.unit_cost_share", key("unit_cost_share"), {"merchants": {k: {"unit_cost_share": 0.99}}},
               no_joins, base=joins),
        Effect(f"{k}.expectation", key("expectation"), {"merchants": {k: {"expectation": 0.0}}}, no_joins,
               base=joins),
        Effect(f"{k}.fixed_cost_per_week", key("fixed_cost_per_week"),
               {"merchants": {k: {"fixed_cost_per_week": 1e6}, "exit_after": 1, "review_days": 7}}, fixed_cost,
               base=joins),
        Effect(f"{k}.initial_stock", key("initial_stock"), {"merchants": {k: {"initial_stock": 0}}}, initial_stock,
               base=merge(busy, {"merchants": {k: {"lead_days": 3}}})),
        Effect(f"{k}.reorder_point", key("reorder_point"), {"merchants": {k: {"reorder_point": 60}}},
               reorder_point, base=merge(busy, {"merchants": {k: {"restock_quantity": 80}}})),
        Effect(f"{k}.restock_quantity", key("restock_quantity"), {"merchants": {k: {"restock_quantity": 70}}},
               restock_quantity, base={"merchants": {k: {"initial_stock": 0, "lead_days": 2}},
                                       "policy": {"commercial_share": 0.0}}, steps=1),
        Effect(f"{k}.lead_days", key("lead_days"), {"merchants": {k: {"lead_days": 6}}}, lead_days,
               base=merge(busy, {"merchants": {k: {"initial_stock": 0, "lead_days": 1}}})),
        Effect(f"{k}.return_rate", key("return_rate"), {"merchants": {k: {"return_rate": 1.0}}}, return_rate,
               base=merge(busy, {"merchants": {k: {"quality": 0.0, "return_rate": 0.0}}})),
    ]


for _k in KINDS:
    EFFECTS += _kind_effects(_k)


# --------------------------------------------------------------------------- merchant reviews
def _event_steps(r):
    s = r.series
    return set(np.flatnonzero((s["merchants_joined"] + s["merchants_left"]).to_numpy() > 0).tolist())


def _check_review_days(new, ref):
    assert _event_steps(ref) <= {6, 13, 20} and _event_steps(ref)
    assert _event_steps(new) <= {1, 3, 5, 7, 9, 11, 13, 15, 17, 19} and _event_steps(new) - {13}


def _check_exit_after(new, ref):
    assert ref.s["merchants_left"] == 0  # four weekly reviews take 28 days: none within 21
    assert new.s["merchants_left"] > 0


def _check_admissions(new, ref):
    assert new.s["merchants_joined"] == 0 and ref.s["merchants_joined"] > 0


def _check_window(new, ref):
    g = new.gifts[new.gifts["merchant"] >= 0]
    n_m = len(new.merchants)
    last = g[g["step_sent"] >= 21 - 2]
    assert np.array_equal(new.m.recent_orders, np.bincount(last["merchant"], minlength=n_m))
    g7 = ref.gifts[(ref.gifts["merchant"] >= 0) & (ref.gifts["step_sent"] >= 21 - 7)]
    assert np.array_equal(ref.m.recent_orders, np.bincount(g7["merchant"], minlength=n_m))
    assert not np.array_equal(new.m.recent_orders, ref.m.recent_orders)


_REVIEW = {"merchants": {k: {"fixed_cost_per_week": 1.0} for k in KINDS}, "policy": {"commercial_share": 0.4}}
EFFECTS += [
    Effect("review_days", ("merchants.review_days",), {"merchants": {"review_days": 2}}, _check_review_days,
           base=merge(_REVIEW, {"merchants": {"exit_after": 1}})),
    Effect("exit_after", ("merchants.exit_after",), {"merchants": {"exit_after": 1}}, _check_exit_after,
           base={"merchants": {k: {"fixed_cost_per_week": 500.0} for k in KINDS}}),
    Effect("max_admissions", ("merchants.max_admissions_per_week",), {"merchants": {"max_admissions_per_week": 0}},
           _check_admissions, base=_REVIEW),
    Effect("demand_window", ("merchants.demand_window_days",), {"merchants": {"demand_window_days": 2}}, _check_window,
           base={"policy": {"commercial_share": 0.4}}),
]


# --------------------------------------------------------------------------- policy
def _impressions(r, kind=None):
    rows = r.merchants if kind is None else r.kind_rows(kind)
    return rows["impressions"].to_numpy(dtype=float)


def _share_of(r, kind):
    return _impressions(r, kind).sum() / _impressions(r).sum()


def _check_head_count(new, ref):
    top2 = np.sort(_impressions(new))[::-1]
    assert top2[:2].sum() / top2.sum() > 0.99
    top2r = np.sort(_impressions(ref))[::-1]
    assert top2r[:2].sum() / top2r.sum() < 0.9


def _check_exponent_zero(new, ref):
    equal = run_raw(merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "equal"}}}))
    assert np.array_equal(new.merchants["impressions"], equal.merchants["impressions"])
    assert new.s == pytest.approx(equal.s, nan_ok=True)
    assert not np.array_equal(ref.merchants["impressions"], equal.merchants["impressions"])


def _check_smoothing(new, ref):
    equal = run_raw(merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "equal"}}}))
    h_eq = _hhi(_impressions(equal))
    assert abs(_hhi(_impressions(new)) - h_eq) < 0.2 * h_eq < _hhi(_impressions(ref)) - h_eq


BASE_ALLOC = {"policy": {"commercial_share": 0.4}}
EFFECTS += [
    Effect("commercial_share", ("policy.commercial_share",), {"policy": {"commercial_share": 0.0}},
           _check_no_impressions),
    Effect("ad_annoyance", ("policy.ad_annoyance",), {"policy": {"ad_annoyance": 0.0}}, _muted_none,
           base={"population": {"mute_threshold": 0.3, "annoyance_decay": 0.0}}),
    Effect("rule", ("policy.allocation.rule",), {"policy": {"allocation": {"rule": "head_boost", "boost": 1e6,
                                                                         "head_count": 1, "head_kinds": []}}},
           lambda new, ref: (_top_share(_impressions(new)) > 0.99 > 0.5 > _top_share(_impressions(ref)))
           or pytest.fail("head_boost"), base=BASE_ALLOC),
    Effect("boost", ("policy.allocation.boost",), {"policy": {"allocation": {"boost": 1e6}}},
           lambda new, ref: (_share_of(new, "brand") > 0.999 > 0.99 > _share_of(ref, "brand")) or pytest.fail("boost"),
           base=merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "head_boost", "head_count": 0}}})),
    Effect("head_count", ("policy.allocation.head_count",), {"policy": {"allocation": {"head_count": 2}}},
           _check_head_count,
           base=merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "head_boost", "boost": 1e6, "head_kinds": []}}})),
    Effect("head_kinds", ("policy.allocation.head_kinds",), {"policy": {"allocation": {"head_kinds": ["sme"]}}},
           lambda new, ref: (_share_of(new, "sme") > 0.999 and _share_of(ref, "brand") > 0.999)
           or pytest.fail("head_kinds"),
           base=merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "head_boost", "boost": 1e6, "head_count": 0}}})),
    Effect("exponent", ("policy.allocation.exponent",), {"policy": {"allocation": {"exponent": 0.0}}},
           _check_exponent_zero,
           base=merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "sales_proportional", "exponent": 3.0}}})),
    Effect("smoothing", ("policy.allocation.smoothing",), {"policy": {"allocation": {"smoothing": 1e6}}},
           _check_smoothing,
           base=merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "sales_proportional", "exponent": 3.0,
                                                              "smoothing": 0.01}}})),
]


# --------------------------------------------------------------------------- push and induced sharing
_PUSH = {"policy": {"commercial_share": 0.0, "push": {"enabled": True, "reach": 1.0}},
         "population": {"activity": 1.0, "mute_threshold": 1e9}}


def _check_push_enabled(new, ref):
    assert new.series["pushes"].sum() > 0 and new.source("push") > 0
    assert ref.series["pushes"].sum() == 0 and ref.source("push") == 0


def _check_reach(new, ref):
    assert np.array_equal(new.series["pushes"], new.series["active_users"])  # everyone active is pushed
    assert np.all(ref.series["pushes"] < 0.5 * ref.series["active_users"])


def _check_induced(new, ref):
    assert new.series["invites"].sum() > 0 and new.source("invite") > 0
    assert ref.series["invites"].sum() == 0 and ref.source("invite") == 0


_IND = {"policy": {"induced_sharing": {"enabled": True}}}
EFFECTS += [
    Effect("push_enabled", ("policy.push.enabled",), {"policy": {"push": {"enabled": True}}}, _check_push_enabled),
    Effect("push_reach", ("policy.push.reach",), {"policy": {"push": {"reach": 1.0}}}, _check_reach,
           base=merge(_PUSH, {"policy": {"push": {"reach": 0.3}}})),
    Effect("push_click_through", ("policy.push.click_through",), {"policy": {"push": {"click_through": 0.0}}},
           lambda new, ref: (new.s["gifts_sent"] == 0 and ref.source("push") > 5) or pytest.fail("push ctr"),
           base=_PUSH),
    Effect("push_annoyance", ("policy.push.annoyance",), {"policy": {"push": {"annoyance": 0.0}}}, _muted_none,
           base=merge(_PUSH, {"population": {"mute_threshold": 3.5, "annoyance_decay": 0.0}})),
    Effect("induced_enabled", ("policy.induced_sharing.enabled",), _IND, _check_induced),
    Effect("fanout", ("policy.induced_sharing.fanout",), {"policy": {"induced_sharing": {"fanout": 0}}},
           lambda new, ref: (new.series["invites"].sum() == 0 < ref.series["invites"].sum()) or pytest.fail("fanout"),
           base=_IND),
    Effect("induced_click_through", ("policy.induced_sharing.click_through",),
           {"policy": {"induced_sharing": {"click_through": 0.0}}}, _none_of("invite", least=2), base=_IND),
    Effect("induced_annoyance", ("policy.induced_sharing.annoyance",),
           {"policy": {"induced_sharing": {"annoyance": 0.0}}}, _muted_none,
           base=merge(_IND, {"policy": {"ad_annoyance": 0.0},
                             "population": {"mute_threshold": 0.5, "annoyance_decay": 0.0}})),
    Effect("send_boost", ("policy.induced_sharing.send_boost",), {"policy": {"induced_sharing": {"send_boost": 0.0}}},
           _check_no_gifts, base=_IND),
]


# --------------------------------------------------------------------------- classic modes
_IC = {"graph": {"kind": "complete", "n": 40}, "mode": {"kind": "independent_cascade", "p": 1.0, "seeds": 1}}
_BASS = {"graph": {"kind": "complete", "n": 200}, "mode": {"kind": "bass", "p": 0.05, "q": 0.4}}


def _check_ic_kind(new, ref):
    assert new.s["adoption_share"] == 1.0 and new.s["cascades"] == 1 and new.s["gifts_sent"] == 0
    assert new.s["max_depth"] == 1 and ref.s["gifts_sent"] > 0  # p = 1 on a complete graph: one generation


def _check_ic_p(new, ref):
    assert new.s["adoption_share"] == 1 / 40 and ref.s["adoption_share"] == 1.0


def _check_ic_seeds(new, ref):
    assert new.s["cascades"] == 5 and ref.s["cascades"] == 1 and new.s["adoption_share"] == 1.0


def _check_bass_q(new, ref):
    assert (new.res.users["parent"] == -1).all() and len(new.res.users) > 50  # innovators only
    assert (ref.res.users["parent"] >= 0).sum() > 50


def _check_bass_p(new, ref):
    assert len(new.res.users) == 0 and len(ref.res.users) > 50


EFFECTS += [
    Effect("mode_kind", ("mode.kind",), _IC, _check_ic_kind, base={"graph": {"kind": "complete", "n": 40}}),
    Effect("ic_p", ("mode.p",), {"mode": {"p": 0.0}}, _check_ic_p, base=_IC),
    Effect("ic_seeds", ("mode.seeds",), {"mode": {"seeds": 5}}, _check_ic_seeds, base=_IC),
    Effect("bass_q", ("mode.q",), {"mode": {"q": 0.0}}, _check_bass_q, base=_BASS),
    Effect("bass_p", ("mode.p",), {"mode": {"p": 0.0}}, _check_bass_p, base=_BASS),
]


# issue 14: calendar
_YEARLY = [{"name": "fixed", "date": "2025-01-05", "lift": 1.0, "lead_days": 0, "lag_days": 0},
           {"name": "gregorian", "month": 1, "day": 10, "lift": 2.0, "lead_days": 1, "lag_days": 1},
           {"name": "lunar", "lunar_month": 12, "lunar_day": 20, "lift": 3.0, "lead_days": 0, "lag_days": 0}]


def _check_yearly(new, ref):
    # the yearly calendar replaces the dated occasions: 2025-01-05, 01-09..11, lunar 12-20 = 2025-01-19
    want = np.ones(21)
    want[4], want[8:11], want[18] = 2.0, [2.0, 3.0, 2.0], 4.0
    assert new.series["occasion_lift"].to_numpy() == pytest.approx(want)
    assert {new.m.calendar.occasion[i] for i in (4, 9, 18)} == {"fixed", "gregorian", "lunar"}
    assert ref.series["occasion_lift"].max() == pytest.approx(2.0)


def _check_birthdays(new, ref):
    assert new.source("occasion") > 5 and ref.source("occasion") == 0
    b = new.m.population.birthday
    g = new.gifts[new.gifts["source"] == "occasion"]
    assert np.array_equal(b[g["recipient"].to_numpy()], new.m.calendar.birthday[g["step_sent"].to_numpy()])


def _check_budget_period(new, ref):
    # 100 RMB for the run instead of a month: users who spent January's budget cannot gift
    # in February, when the reference's budget is renewed
    assert new.m.population.grants == 1 and ref.m.population.grants == 2
    assert new.s["gifts_sent"] < ref.s["gifts_sent"]
    assert new.m.population.lapsed.sum() == 0 and ref.m.population.lapsed.sum() > 0


def _check_push_events(new, ref):
    pushes = new.series["pushes"].to_numpy()
    assert np.flatnonzero(pushes).tolist() == [4] and pushes[4] == new.series["active_users"][4]
    assert new.source("push") == 0 and ref.series["pushes"].sum() == 0  # click_through 0


EFFECTS += [
    Effect("calendar_yearly", ("calendar.yearly", "calendar.occasions.name", "calendar.occasions.date",
                               "calendar.occasions.month", "calendar.occasions.day", "calendar.occasions.lunar_month",
                               "calendar.occasions.lunar_day", "calendar.occasions.lift",
                               "calendar.occasions.lead_days", "calendar.occasions.lag_days"),
           {"calendar": {"yearly": True, "occasions": _YEARLY}, "occasions": []}, _check_yearly),
    Effect("birthday_gift_rate", ("calendar.birthday_gift_rate",), {"calendar": {"birthday_gift_rate": 1.0}},
           _check_birthdays, base={"time": {"start": "2025-01-01", "end": "2025-03-31"}}),
    Effect("budget_period", ("population.budget_period",), {"population": {"budget_period": "run"}},
           _check_budget_period, base={"time": {"start": "2025-01-20", "end": "2025-02-09"},
                                       "occasions": [{"name": "o", "date": "2025-01-25", "lift": 1.0}],
                                       "population": {"budget": 50.0}}),
    Effect("push_events", ("policy.push.events.date", "policy.push.events.reach", "policy.push.events.click_through"),
           {"policy": {"push": {"events": [{"date": "2025-01-05", "reach": 1.0, "click_through": 0.0}]}}},
           _check_push_events),
]


# issue 14: groups
_GRP = {"groups": {"enabled": True, "group_gift_rate": 0.05}, "gifts": {"item": "cash", "chat_entry_rate": 0.05}}


def _group_rows(r):
    return r.gifts[r.gifts["group"] >= 0]


def _in_group_friend_share(r) -> float:
    tab, edges = r.m.groups.table, _edges(r)
    pairs = friends = 0
    for k in range(tab.n_groups):
        mem = sorted(tab.members[tab.indptr[k]:tab.indptr[k + 1]].tolist())
        pairs += len(mem) * (len(mem) - 1) // 2
        friends += sum((a, b) in edges for i, a in enumerate(mem) for b in mem[i + 1:])
    return friends / pairs


def _check_groups_on(new, ref):
    assert new.s["group_gifts"] > 10 and len(_group_rows(new)) > 10 and (new.gifts["source"] == "group").any()
    assert ref.s["group_gifts"] == 0 and ref.m.groups is None and (ref.gifts["group"] == -1).all()


def _units_per_box(r) -> float:
    return len(_group_rows(r)) / r.s["group_gifts"]


EFFECTS += [
    Effect("groups_enabled", ("groups.enabled",), {"groups": {"enabled": True, "group_gift_rate": 0.05}},
           _check_groups_on, base={"gifts": {"item": "cash", "chat_entry_rate": 0.05}}),
    Effect("group_gift_rate", ("groups.group_gift_rate",), {"groups": {"group_gift_rate": 0.2}},
           lambda new, ref: (new.s["group_gifts"] > 2 * ref.s["group_gifts"] > 0) or pytest.fail("rate"),
           base=merge(_GRP, {"groups": {"send_back_base": 0.0, "send_back_per_rmb": 0.0}})),
    Effect("memberships_per_user", ("groups.memberships_per_user",), {"groups": {"memberships_per_user": 6.0}},
           lambda new, ref: (new.m.groups.table.members.size > 1.6 * ref.m.groups.table.members.size)
           or pytest.fail("memberships"), base=_GRP),
    Effect("group_size", ("groups.size",), {"groups": {"size": 2.0}},
           lambda new, ref: (np.all(new.m.groups.table.sizes == 2) and ref.m.groups.table.sizes.mean() > 5)
           or pytest.fail("size"), base=_GRP),
    Effect("group_max_size", ("groups.max_size",), {"groups": {"max_size": 3}},
           lambda new, ref: (new.m.groups.table.sizes.max() == 3 < ref.m.groups.table.sizes.max())
           or pytest.fail("max_size"), base=_GRP),
    Effect("friend_share", ("groups.friend_share",), {"groups": {"friend_share": 0.0}},
           lambda new, ref: (_in_group_friend_share(new) < 0.5 * _in_group_friend_share(ref))
           or pytest.fail("friend_share"), base=_GRP),
    Effect("unit_share", ("groups.unit_share",), {"groups": {"unit_share": 1.0}},
           lambda new, ref: (_units_per_box(new) > 1.5 * _units_per_box(ref)) or pytest.fail("unit_share"),
           base=_GRP),
    Effect("claim_probability", ("groups.claim_probability",), {"groups": {"claim_probability": 0.0}},
           lambda new, ref: (new.s["group_claims"] == 0 < ref.s["group_claims"]) or pytest.fail("claims"),
           base=_GRP),
    Effect("send_back_base", ("groups.send_back_base",), {"groups": {"send_back_base": 0.5}},
           lambda new, ref: (new.m.groups.send_backs > 20 and ref.m.groups.send_backs == 0)
           or pytest.fail("send_back_base"),
           base=merge(_GRP, {"groups": {"send_back_base": 0.0, "send_back_per_rmb": 0.0}})),
    Effect("send_back_per_rmb", ("groups.send_back_per_rmb",), {"groups": {"send_back_per_rmb": 0.0}},
           lambda new, ref: (new.m.groups.send_backs == 0 < ref.m.groups.send_backs
                             and new.s["group_send_back_per_rmb"] < 0.5 * ref.s["group_send_back_per_rmb"])
           or pytest.fail("send_back_per_rmb"),
           base=merge(_GRP, {"groups": {"send_back_base": 0.0, "send_back_per_rmb": 0.02}})),
    Effect("send_back_luckiest", ("groups.send_back_luckiest",), {"groups": {"send_back_luckiest": 10.0}},
           lambda new, ref: (new.m.groups.send_backs / new.s["group_claims"]
                             > 1.5 * ref.m.groups.send_backs / ref.s["group_claims"]) or pytest.fail("luckiest"),
           base=merge(_GRP, {"groups": {"send_back_base": 0.05, "send_back_per_rmb": 0.0}})),
]


# issue 14: behaviour
_RESP = {"population": {"response": {"enabled": True}, "budget": 1e5}}  # budgets never bind


def _more(key: str = "gifts_sent", source: tuple[str, ...] = ()):
    """Check: the changed run has more gifts (of ``source`` if given) than the reference."""
    def count(r):
        return sum(r.source(x) for x in source) if source else r.s[key]

    def check(new, ref):
        assert count(new) > 1.2 * count(ref) and count(ref) > 3, (count(new), count(ref))
    return check


def _fewer(key: str = "gifts_sent", source: tuple[str, ...] = ()):
    """Check: the changed run has fewer gifts (of ``source`` if given) than the reference."""
    more = _more(key, source)
    return lambda new, ref: more(ref, new)


def _check_response_on(new, ref):
    assert new.m.world.response.stimulus.value.size == 150 and ref.m.world.response.stimulus.value.size == 0
    assert new.m.world.response.stimulus.value.max() > 0 and new.s["gifts_sent"] < ref.s["gifts_sent"]


def _check_forward_days(new, ref):
    nf, rf = new.m.world.forwards, ref.m.world.forwards
    assert nf.size > rf.size and np.all(nf.deadline - nf.due < 20 * 1) and np.all(rf.deadline - rf.due < 3)
    assert (nf.deadline - nf.due).max() > 3


EFFECTS += [
    Effect("pay_forward_days", ("population.pay_forward_days",), {"population": {"pay_forward_days": 20}},
           _check_forward_days),
    Effect("response_enabled", ("population.response.enabled",), {"population": {"response": {"enabled": True}}}, _check_response_on),
    Effect("half_saturation", ("population.response.half_saturation",),
           {"population": {"response": {"half_saturation": 0.01}}}, _more(), base=_RESP),
    Effect("max_multiplier", ("population.response.max_multiplier",),
           {"population": {"response": {"max_multiplier": 0.0}}}, _check_no_gifts, base=_RESP),
    Effect("gift_weight", ("population.response.gift_weight",), {"population": {"response": {"gift_weight": 20.0}}},
           _more(source=("reciprocity", "pay_forward")), base=_RESP),
    Effect("impression_weight", ("population.response.impression_weight",),
           {"population": {"response": {"impression_weight": 1.0}}}, _more(), base=_RESP),
    Effect("push_weight", ("population.response.push_weight",), {"population": {"response": {"push_weight": 20.0}}},
           _more(source=("push",)), base=merge(_RESP, _PUSH)),
    Effect("invitation_weight", ("population.response.invitation_weight",),
           {"population": {"response": {"invitation_weight": 20.0}}}, _more(source=("invite",)),
           base=merge(_RESP, merge(_IND, {"policy": {"induced_sharing": {"fanout": 5, "click_through": 1.0}}}))),
    Effect("novelty_half_life_days", ("population.response.novelty_half_life_days",),
           {"population": {"response": {"novelty_half_life_days": 0.05}}}, _fewer(), base=_RESP),
    Effect("habit_gain", ("population.response.habit_gain",), {"population": {"response": {"habit_gain": 10.0}}},
           _more(), base=_RESP),
    Effect("habit_half_life_days", ("population.response.habit_half_life_days",),
           {"population": {"response": {"habit_half_life_days": 0.05}}}, _fewer(),
           base=merge(_RESP, {"population": {"response": {"habit_gain": 10.0}}})),
]


# --------------------------------------------------------------------------- explicit tests
def test_graph_file_and_file_tie_strengths(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("0 1 2\n1 2 4\n2 3 1\n3 0 4\n0 2 2\n", encoding="utf-8")
    base = {"graph": {"kind": "edgelist", "path": str(p), "tie_strength": "file"}, "policy": {"commercial_share": 0.5}}
    r = run_raw(base)
    g = r.m.graph
    assert g.n_users == 4 and len(_edges(r)) == 5
    w = {(int(a), int(b)): float(x) for a, b, x in zip(g.row_of_entry, g.indices, g.weights)}
    assert w[(0, 1)] == 0.5 and w[(1, 2)] == 1.0 and w[(2, 3)] == 0.25  # scaled by the largest weight
    q = tmp_path / "h.txt"
    q.write_text("0 1\n1 2\n", encoding="utf-8")
    r2 = run_raw(merge(base, {"graph": {"path": str(q), "tie_strength": 0.3}}))
    assert r2.m.graph.n_users == 3 and len(_edges(r2)) == 2 and np.all(r2.m.graph.weights == np.float32(0.3))


def test_graph_seed_keeps_one_graph_across_run_seeds():
    fixed = [_edges(run_raw({}, seed=s)) for s in (1, 2)]
    assert fixed[0] == fixed[1]
    other = _edges(run_raw({"graph": {"seed": 6}}))
    assert other != fixed[0]
    free = [_edges(run_raw({"graph": {"seed": None}}, seed=s)) for s in (1, 2)]
    assert free[0] != free[1]


def _cold_start_weights(m, p):
    """The cold-start rule's weights computed here from the model's merchant table."""
    t = m.merchant_table
    day = m.step_index
    days_on = np.where(t.joined_step >= 0, (day - t.joined_step) * m.step_days, np.inf)
    new = t.active & (days_on < p["budget_days"])
    old = t.active & ~new
    expected = 1000.0
    share = min(1.0, p["budget_impressions"] * new.sum() / expected) if old.any() else float(new.any())
    conv = (t.orders + p["prior_conversion"] * p["prior_impressions"]) / (t.impressions + p["prior_impressions"])
    w = np.zeros(t.n_merchants)
    w[new] = share / new.sum() if new.any() else 0.0
    c = np.where(old, conv, 0.0)
    if old.any():
        w += (1 - share) * c / c.sum()
    return w


COLD = {"budget_impressions": 20.0, "budget_days": 14.0, "prior_conversion": 0.002, "prior_impressions": 500.0}


@pytest.mark.parametrize("key, value", [("budget_impressions", 300.0), ("budget_days", 2.0),
                                        ("prior_conversion", 0.5), ("prior_impressions", 1.0)])
def test_cold_start_parameters(key, value):
    # after 3 steps with reviews every 3 days, merchants that joined at step 2 are new and
    # those from the start are old (budget_days 2, or 14 when budget_days is the key)
    params = {**COLD, "budget_days": 2.0, key: value} if key != "budget_days" else {**COLD, key: value}
    raw = {"policy": {"commercial_share": 0.4, "allocation": {"rule": "cold_start", **params}},
           "merchants": {"review_days": 3, **{k: {"fixed_cost_per_week": 1.0} for k in KINDS}}}
    r = run_raw(raw, steps=3)
    m = r.m
    view = m.merchant_view(expected_impressions=1000.0)
    got = m.policy.weights(view, np.random.default_rng(0))
    assert got == pytest.approx(_cold_start_weights(m, params))
    # the same state under the default value gives other weights: the key moves the allocation
    assert not np.allclose(_cold_start_weights(m, params), _cold_start_weights(m, {**COLD, "budget_days": 2.0}
                                                                               if key != "budget_days" else COLD))
    # and the run: impressions over the steps in which the newcomers are new differ from the
    # run with the default value
    ref_params = {**COLD, "budget_days": 2.0} if key != "budget_days" else COLD
    ref = run_raw(merge(raw, {"policy": {"allocation": ref_params}}), steps=5)
    assert not np.array_equal(run_raw(raw, steps=5).merchants["impressions"], ref.merchants["impressions"])


# --------------------------------------------------------------------------- merchant kinds' roles
def _kind_role_effects(kind: str) -> list[Effect]:
    seg = {"brand": "sme", "sme": "brand", "white_label": "sme"}[kind]  # a segment the kind is not in

    def segment(new, ref):
        m = new.merchants[new.merchants["joined_step"] >= 0]
        names = [n for n, t in new.res.scenario.merchants.kinds().items() if t.segment == seg]
        assert kind in names and m.loc[m["kind"] == kind, "gmv"].sum() > 0
        want = m.loc[m["kind"].isin(names), "gmv"].sum() / m["gmv"].sum()
        assert new.s[f"{seg}_gmv_share"] == pytest.approx(want) and new.s[f"{seg}_gmv_share"] > ref.s[f"{seg}_gmv_share"]

    def head(new, ref):
        if new.res.scenario.merchants.kinds()[kind].head:  # made a head kind: boosted like the brands
            assert _share_of(new, kind) > 0.1 > 0.001 > _share_of(ref, kind)
        else:  # the brands no longer head: the split is equal
            assert _share_of(new, kind) < 0.5 < 0.999 < _share_of(ref, kind)

    boosted = merge(BASE_ALLOC, {"policy": {"allocation": {"rule": "head_boost", "boost": 1e6, "head_count": 0}}})
    return [
        Effect(f"{kind}.segment", (f"merchants.{kind}.segment",), {"merchants": {kind: {"segment": seg}}}, segment,
               base=BASE_ALLOC),
        Effect(f"{kind}.head", (f"merchants.{kind}.head",), {"merchants": {kind: {"head": kind != "brand"}}}, head,
               base=boosted),
    ]


for _k in KINDS:
    EFFECTS += _kind_role_effects(_k)
    EXEMPT[f"merchants.{_k}.colour"] = "chart colour only, changes no number"
    EXEMPT[f"merchants.{_k}.label"] = "chart label only, changes no number"


# issue 14: categories
CATEGORIES = ("books", "small_appliances", "food", "apparel", "beauty", "luxury")


def _category_effects(c: str) -> list[Effect]:
    """Every merchant sells category ``c``: its price, returns and gift suitability show."""
    only = {"merchants": {k: {"categories": {c: 1.0}} for k in KINDS}, "population": {"budget": 1e5}}
    at_q0 = merge(only, {"merchants": {k: {"quality": 0.0} for k in KINDS},
                         "categories": {c: {"return_rate": 0.0}}})

    def price(new, ref):
        assert np.all(new.merchants["price"] == 33.0) and np.all(new.merchants["category"] == c)
        assert not np.any(ref.merchants["price"] == 33.0)
        sold = new.gifts[new.gifts["merchant"] >= 0]
        assert len(sold) > 5 and np.all(sold["price"] == 33.0)

    def return_rate(new, ref):
        acc, acc_ref = (r.gifts[r.gifts["outcome"] == "accepted"] for r in (new, ref))
        assert len(acc) > 5 and acc["returned"].all() and len(acc_ref) > 5 and not acc_ref["returned"].any()

    def suitability(new, ref):
        assert new.s["gifts_sent"] == 0 and ref.s["gifts_sent"] > 20
        assert np.all(new.merchants["gift_suitability"] == 0.0)

    key = f"categories.{c}."
    return [
        Effect(f"{c}.price", (key + "price",), {"categories": {c: {"price": 33.0}}}, price, base=only),
        Effect(f"{c}.return_rate", (key + "return_rate",), {"categories": {c: {"return_rate": 1.0}}}, return_rate,
               base=at_q0),
        Effect(f"{c}.gift_suitability", (key + "gift_suitability",), {"categories": {c: {"gift_suitability": 0.0}}},
               suitability, base=only),
    ]


def _kind_categories_effect(k: str) -> Effect:
    def categories(new, ref):
        rows, rows_ref = new.kind_rows(k), ref.kind_rows(k)
        assert len(rows) > 0 and (rows["category"] == "luxury").all() and rows_ref["category"].isna().all()
        assert rows["price"].median() > 1000 > rows_ref["price"].median()
        others = new.merchants[new.merchants["kind"] != k]
        assert others["category"].isna().all()

    return Effect(f"{k}.categories", (f"merchants.{k}.categories",), {"merchants": {k: {"categories": {"luxury": 1.0}}}},
                  categories)


for _c in CATEGORIES:
    EFFECTS += _category_effects(_c)
EFFECTS += [_kind_categories_effect(_k) for _k in KINDS]



# issue 14: market
def _market_kind_effects(k: str) -> list[Effect]:
    def per_capita(new, ref):
        assert len(new.kind_rows(k)) == 6 != len(ref.kind_rows(k))  # round(400 * 150 / 10,000)

    def channel(new, ref):
        rows = new.kind_rows(k)
        assert (rows["impressions"] == 0).all() and (rows["commission"] == 0).all()
        assert (rows["channel"] == "mini_program").all() and ref.kind_rows(k)["impressions"].sum() > 0

    return [
        Effect(f"{k}.per_10k_users", (f"merchants.{k}.per_10k_users",),
               {"merchants": {k: {"per_10k_users": 400.0}}}, per_capita),
        Effect(f"{k}.channel", (f"merchants.{k}.channel",), {"merchants": {k: {"channel": "mini_program"}}}, channel,
               base={"merchants": {k: {"joined_at_start": 1.0}}}),
    ]


for _k in KINDS:
    EFFECTS += _market_kind_effects(_k)


def _check_visibility(new, ref):
    assert new.s["merchants_joined"] > ref.s["merchants_joined"]


def _came_back(r) -> int:
    t = r.m.merchant_table
    return int(((t.joined_step > t.left_step) & (t.left_step >= 0)).sum())


def _check_reentry(new, ref):
    assert _came_back(new) > 0 == _came_back(ref)


def _check_mini_cost(new, ref):
    assert new.kind_rows("brand")["left"].all() and not ref.kind_rows("brand")["left"].any()


def _check_paid_on(new, ref):
    assert new.s["ad_revenue_rmb"] > 0 == ref.s["ad_revenue_rmb"]
    assert new.merchants["paid_impressions"].sum() > 0 and "paid_impressions" not in ref.merchants


def _check_budget_share(new, ref):
    assert new.s["ad_revenue_rmb"] == 0 < ref.s["ad_revenue_rmb"]


def _check_cpm(new, ref):
    for r, cpm in ((new, 100.0), (ref, 40.0)):
        assert r.merchants["paid_impressions"].sum() > 0
        assert np.allclose(r.merchants["ad_spend"], r.merchants["paid_impressions"] * cpm / 1000)


def _check_ad_load(new, ref):
    per_step = 0.02 * 150  # at most max_per_user * active users a step
    assert 0 < new.merchants["paid_impressions"].sum() <= per_step * 21 < ref.merchants["paid_impressions"].sum()


_ENTRY = {"merchants": {"sme": {"joined_at_start": 0.2, "fixed_cost_per_week": 150.0}}}
_BACK = {"merchants": {"review_days": 3, "exit_after": 1, "sme": {"fixed_cost_per_week": 100.0, "expectation": 5.0}}}
_MINI = {"merchants": {"brand": {"channel": "mini_program", "joined_at_start": 1.0, "fixed_cost_per_week": 0.0,
                                 "unit_cost_share": 0.0}, "exit_after": 1}}
_PAID = {"policy": {"paid_traffic": {"enabled": True, "ad_budget_share": 0.5}}}
EFFECTS += [
    Effect("market.visibility_weight", ("merchants.market.visibility_weight",),
           {"merchants": {"market": {"visibility_weight": 5.0}}}, _check_visibility, base=_ENTRY),
    Effect("market.reentry_after_days", ("merchants.market.reentry_after_days",),
           {"merchants": {"market": {"reentry_after_days": 3}}}, _check_reentry, base=_BACK),
    Effect("market.mini_program_cost_per_week", ("merchants.market.mini_program_cost_per_week",),
           {"merchants": {"market": {"mini_program_cost_per_week": 1e6}}}, _check_mini_cost, base=_MINI),
    Effect("paid_traffic.enabled", ("policy.paid_traffic.enabled",),
           {"policy": {"paid_traffic": {"enabled": True}}}, _check_paid_on,
           base={"policy": {"paid_traffic": {"ad_budget_share": 0.5}}}),
    Effect("paid_traffic.ad_budget_share", ("policy.paid_traffic.ad_budget_share",),
           {"policy": {"paid_traffic": {"ad_budget_share": 0.0}}}, _check_budget_share, base=_PAID),
    Effect("paid_traffic.cpm_rmb", ("policy.paid_traffic.cpm_rmb",),
           {"policy": {"paid_traffic": {"cpm_rmb": 100.0}}}, _check_cpm, base=_PAID),
    Effect("paid_traffic.max_per_user", ("policy.paid_traffic.max_per_user",),
           {"policy": {"paid_traffic": {"max_per_user": 0.02}}}, _check_ad_load, base=_PAID),
]

EXPLICIT: dict[str, str] = {
    "graph.path": "test_graph_file_and_file_tie_strengths",
    "graph.seed": "test_graph_seed_keeps_one_graph_across_run_seeds",
    "policy.allocation.budget_impressions": "test_cold_start_parameters",
    "policy.allocation.budget_days": "test_cold_start_parameters",
    "policy.allocation.prior_conversion": "test_cold_start_parameters",
    "policy.allocation.prior_impressions": "test_cold_start_parameters",
    "groups.file": "test_groups_file",  # issue 14: groups
}
"""Keys covered by a test of their own (named) rather than an :data:`EFFECTS` entry."""


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: e.name)
def test_parameter_moves_the_run(effect):
    ref = run_raw(effect.base, seed=effect.seed, steps=effect.steps)
    new = run_raw(merge(effect.base, effect.set), seed=effect.seed, steps=effect.steps)
    effect.check(new, ref)


def test_groups_file(tmp_path):
    # issue 14: groups. A file of two groups replaces the generated ones.
    f = tmp_path / "groups.txt"
    f.write_text("0 1 2 3\n4 5\n", encoding="utf-8")
    r = run_raw(merge(_GRP, {"groups": {"file": str(f)}}))
    tab = r.m.groups.table
    assert tab.n_groups == 2 and tab.members.tolist() == [0, 1, 2, 3, 4, 5]
    assert set(_group_rows(r)["sender"]) <= set(range(6)) and len(_group_rows(r)) > 0
    assert run_raw(_GRP).m.groups.table.n_groups > 2


# --------------------------------------------------------------------------- the meta-tests
def _models_in(ann) -> list[type[BaseModel]]:
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return [ann]
    return [m for a in typing.get_args(ann) for m in _models_in(a)]


def schema_keys(model: type[BaseModel] = Scenario, prefix: str = "") -> set[str]:
    """Dotted leaf keys of the scenario schema: fields of nested models (every member of a
    union: graph kinds, modes; every registered allocation rule; list items by the list's
    key), distributions counting as leaves."""
    keys: set[str] = set()
    for name, f in model.model_fields.items():
        key = prefix + name
        if name == "allocation" and model.__name__ == "PolicyConfig":
            sub = [params_class(r) for r in registered_rules()]
        else:
            sub = [m for m in _models_in(f.annotation) if not m.__module__.endswith("distributions")]
        if sub:
            for m in sub:
                keys |= schema_keys(m, key + ".")
        else:
            keys.add(key)
    return keys


def test_every_schema_key_is_covered():
    covered = {k for e in EFFECTS for k in e.keys} | set(EXPLICIT)
    keys = schema_keys()
    assert len(keys) > 100
    missing = sorted(keys - covered - set(EXEMPT))
    assert not missing, f"schema keys without a test that sets them away from their default: {missing}"
    stale = sorted((covered | set(EXEMPT)) - keys)
    assert not stale, f"coverage entries for keys the schema does not have: {stale}"
    names = {n for n, obj in globals().items() if n.startswith("test_") and callable(obj)}
    assert set(EXPLICIT.values()) <= names


_MISSING = object()


def value_at(sc: Scenario, key: str):
    """The value of a dotted key (a tuple over list items), or a sentinel if absent."""
    node: object = sc
    parts = key.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, list | tuple) and node and isinstance(node[0], BaseModel):
            return tuple(value_at_obj(x, parts[i:]) for x in node)
        node = getattr(node, part, _MISSING)
        if node is _MISSING:
            return node
    return node


def value_at_obj(obj, parts):
    for p in parts:
        obj = getattr(obj, p, _MISSING)
    return obj


def test_each_entry_sets_its_keys_away_from_default_and_reference():
    default = validate_scenario({"name": "d", "graph": BASE["graph"]}, "<default>")
    for e in EFFECTS:
        ref = scenario_of(e.base)
        new = scenario_of(merge(e.base, e.set))
        for key in e.keys:
            v = value_at(new, key)
            assert v is not _MISSING, (e.name, key)
            assert v != value_at(ref, key), f"{e.name}: {key} equals the reference's {v!r}"
            assert v != value_at(default, key), f"{e.name}: {key} is left at its default {v!r}"


def test_base_scenario_dates():
    # the reference period the entries count steps in
    sc = scenario_of({})
    assert sc.time.start == dt.date(2025, 1, 1) and sc.time.n_steps == 21
