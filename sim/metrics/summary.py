"""The final summary of a run: adoption, gifts, money, cascades and merchant concentration.

Each summary key is an :class:`sim.experiments.Outcome` declared once in
:data:`RUN_OUTCOMES` (meaning, direction, range, when undefined, and its function of the
run's :class:`RunFacts`); :data:`SUMMARY_KEYS`, :data:`UNDEFINED_KEYS` and
:data:`OUTCOME_RANGE` are read from those declarations.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..experiments import outcomes as outcome_types
from ..experiments.outcomes import NON_NEGATIVE as N
from ..experiments.outcomes import UNIT_RANGE as U
from ..experiments.outcomes import Direction, Outcome, OutcomeInterval, OutcomeRegistry
from ..model.states import GiftOutcome, GiftSource
from .cascades import cascade_table, restrict
from .concentration import gini, hhi, top_k_share
from .lift import LIFT_WINDOW_DAYS, ReceiveGiveLift, receive_give_lift
from .triggers import TRIGGER_NAMES, first_gift_triggers, first_gifts_by_trigger

__all__ = ["adoption_forest", "summarise", "run_facts", "RunFacts", "RUN_OUTCOMES", "SUMMARY_KEYS",
           "UNDEFINED_KEYS", "OUTCOME_RANGE", "OutcomeInterval", "clip_interval", "outcome_interval"]

MAX, MIN, INFO = Direction.MAXIMIZE, Direction.MINIMIZE, Direction.INFO


@dataclass(frozen=True, eq=False)
class RunFacts:
    """What the summary's outcomes are computed from: a finished (or partly run) model and
    the few arrays every outcome shares, computed once (:func:`run_facts`).

    Attributes
    ----------
    model : GiftModel
    n_users : int
    steps_done : int
        Steps run.
    outcome : ndarray of int8, shape (n_gifts,)
        Each gift's :class:`sim.model.states.GiftOutcome`.
    forest : ndarray of int64, shape (n_users,)
        :func:`adoption_forest`.
    cascades : pandas.DataFrame
        :func:`sim.metrics.cascades.cascade_table` of the forest, largest first.
    n_senders : int
    caused : int
        Senders whose awareness parent is a sender.
    gmv, kinds : ndarray, shape (n_ever,)
        GMV (RMB, float64) and kind of the merchants ever on the platform.
    """

    model: Any
    n_users: int
    steps_done: int
    outcome: np.ndarray
    forest: np.ndarray
    cascades: pd.DataFrame
    n_senders: int
    caused: int
    gmv: np.ndarray
    kinds: np.ndarray

    @property
    def total_gmv(self) -> float:
        """GMV of the merchants ever on the platform, RMB."""
        return float(self.gmv.sum())

    def recorded(self, column: str) -> np.ndarray:
        """A per-step recorder column over the steps run, shape (steps_done,)."""
        return self.model.recorder.columns[column][:self.steps_done]

    def gifts(self, outcome: GiftOutcome) -> int:
        """Gifts with ``outcome``."""
        return int((self.outcome == outcome).sum())

    @cached_property
    def first_gifts(self) -> dict[str, int]:
        """Senders by the trigger of their first gift (:mod:`sim.metrics.triggers`)."""
        led = self.model.ledger
        return first_gifts_by_trigger(first_gift_triggers(led.column("sender"), led.column("source"), self.n_users))

    @cached_property
    def lift(self) -> ReceiveGiveLift:
        """The lift from receiving to giving over :data:`sim.metrics.lift.LIFT_WINDOW_DAYS`
        days (:func:`sim.metrics.lift.receive_give_lift`); a group gift's unit counts as
        received on the day it was claimed."""
        led, spd = self.model.ledger, self.model.steps_per_day
        # a group gift's unit is received when claimed (its step_settled), any other gift when sent
        received = np.where(led.column("group") >= 0, led.column("step_settled"), led.column("step_sent")) // spd
        return receive_give_lift(led.column("sender"), led.column("recipient"), led.column("step_sent") // spd,
                                 self.n_users, self.steps_done // spd, delivered=~led.column("withheld"),
                                 receipt_day=received)


def run_facts(model) -> RunFacts:
    """The :class:`RunFacts` of ``model``."""
    pop, mt = model.population, model.merchant_table
    senders = pop.senders
    forest = adoption_forest(pop.parent, senders)
    ever = mt.joined_step >= 0
    return RunFacts(model=model, n_users=pop.n_users, steps_done=model.step_index,
                    outcome=model.ledger.column("outcome"), forest=forest, cascades=cascade_table(forest),
                    n_senders=int(senders.sum()), caused=int((forest >= 0).sum()),
                    gmv=mt.gmv[ever], kinds=mt.kind[ever])


def _half_adoption_days(first_send_step: np.ndarray, steps_per_day: int) -> float:
    """Days from the start until half of the senders had sent (NaN without senders)."""
    if first_send_step.size == 0:
        return float("nan")
    k = int(np.ceil(first_send_step.size / 2)) - 1
    return float((np.partition(first_send_step, k)[k] + 1) / steps_per_day)


def _div(a: float, b: float) -> float:
    """A / b as a float; NaN when there is nothing to divide by (b == 0)."""
    return float(a / b) if b else math.nan


def _segment_share(f: RunFacts, segment: str) -> float:
    """Share of all GMV sold by the merchants of the kinds in summary ``segment`` (``sme``
    or ``brand``: each kind's ``segment`` attribute in the scenario's merchants table)."""
    codes = f.model.gift_scenario.merchants.segment_codes(segment)
    return _div(f.gmv[np.isin(f.kinds, codes)].sum(), f.total_gmv)


def _group(f: RunFacts, name: str, default: float) -> float:
    """Counter ``name`` of the run's group gifts (:class:`sim.model.steps.groups.GroupState`);
    ``default`` without groups."""
    state = getattr(f.model, "groups", None)
    return default if state is None else getattr(state, name)


def _segment_active(f: RunFacts, segment: str) -> int:
    """Merchants of the kinds in summary ``segment`` on the platform at the end."""
    mt = f.model.merchant_table
    return int((mt.active & np.isin(mt.kind, f.model.gift_scenario.merchants.segment_codes(segment))).sum())


def _largest(f: RunFacts, column: str, default: float) -> float:
    """``column`` of the largest cascade; ``default`` without cascades."""
    return f.cascades[column].iloc[0] if len(f.cascades) else default


_NO_SENDER, _NO_CASCADE, _NO_GMV = "without senders", "without cascades", "without GMV"
_NO_COHORT = f"without a first gift received at least {LIFT_WINDOW_DAYS} days before the last day"


def _trigger_outcomes() -> list[Outcome]:
    """Issue 14 (metrics): R by trigger, first gifts by trigger and the receive-give lift."""
    n = LIFT_WINDOW_DAYS
    return [
        Outcome("reproduction_number_gift", "R by trigger: new senders whose first gift followed a received gift "
                "(sent back or paid forward), per sender", lambda f: _div(f.first_gifts["received_gift"], f.n_senders),
                MAX, N, _NO_SENDER),
        Outcome("reproduction_number_invitation", "R by trigger: new senders whose first gift followed a friend's "
                "invitation, per sender", lambda f: _div(f.first_gifts["invitation"], f.n_senders), MAX, N, _NO_SENDER),
        *[Outcome(f"first_gifts_{t}", f"senders whose first gift's trigger was {t.replace('_', ' ')}",
                  lambda f, t=t: f.first_gifts[t]) for t in TRIGGER_NAMES],
        Outcome("receive_give_lift", f"lift from receiving to giving (Kizilcec et al. 2018): chance of giving within "
                f"{n} days after a first gift received, over that of users who had received none by the window's "
                "end, pooled over days by treated cohort size", lambda f: f.lift.lift, INFO, N,
                _NO_COHORT + " or without a control user who gave"),
        Outcome("receive_give_treated_rate", f"share of users first receiving a gift on a day who gave within the "
                f"next {n} days (pooled)", lambda f: f.lift.treated_rate, INFO, U, _NO_COHORT),
        Outcome("receive_give_control_rate", f"share of users who had received nothing by a window's end who gave in "
                f"that {n}-day window (pooled, weighted as the treated)", lambda f: f.lift.control_rate, INFO, U,
                _NO_COHORT),
        Outcome("receive_give_treated_users", f"users in the lift's treated cohorts (first gift received at least "
                f"{n} days before the last day)", lambda f: f.lift.treated_users),
    ]


RUN_OUTCOMES = OutcomeRegistry([
    Outcome("users", "users in the social graph", lambda f: f.n_users),
    Outcome("days", "simulated days", lambda f: f.steps_done / f.model.steps_per_day),
    Outcome("aware_share", "share of users who learned of the gift feature",
            lambda f: _div(f.model.population.aware.sum(), f.n_users), MAX, U),
    Outcome("adoption_share", "share of users who sent at least one gift",
            lambda f: _div(f.n_senders, f.n_users), MAX, U),
    Outcome("days_to_half_adoption",
            "spread speed: days until half of the run's senders had sent their first gift",
            lambda f: _half_adoption_days(f.model.population.first_send_step[f.model.population.senders],
                                          f.model.steps_per_day), MIN, N, _NO_SENDER),
    Outcome("gifts_sent", "gifts bought and sent", lambda f: len(f.model.ledger), MAX),
    Outcome("gifts_accepted", "gifts accepted", lambda f: f.gifts(GiftOutcome.ACCEPTED), MAX),
    Outcome("gifts_expired", "gifts expired and refunded", lambda f: f.gifts(GiftOutcome.EXPIRED), MIN),
    Outcome("gifts_pending", "gifts still pending at the end", lambda f: f.gifts(GiftOutcome.PENDING)),
    Outcome("acceptance_rate", "accepted / (accepted + expired)",
            lambda f: _div((f.outcome == GiftOutcome.ACCEPTED).sum(), (f.outcome != GiftOutcome.PENDING).sum()),
            MAX, U, "without a settled gift"),
    Outcome("gifts_per_visit", "gifts sent per product-page visit (conversion); gifts sent back or on need "
            "no visit, so it can exceed 1", lambda f: _div(len(f.model.ledger), f.recorded("product_visits").sum()),
            MAX, N, "without a visit"),
    Outcome("gmv_rmb", "GMV: value of accepted product gifts, RMB", lambda f: f.model.totals["gmv"], MAX),
    Outcome("cash_rmb", "value of accepted cash gifts (red envelopes), RMB", lambda f: f.model.totals["cash"]),
    Outcome("refunded_rmb", "value of expired gifts refunded, RMB", lambda f: f.model.totals["refunded"], MIN),
    Outcome("returns_rmb", "value of returned gifts refunded, RMB", lambda f: f.model.totals["returns"], MIN),
    Outcome("commission_rmb", "platform commission net of returns, RMB",
            lambda f: f.model.totals["commission"], MAX),
    Outcome("reproduction_number", "R: senders caused per sender (children who sent / senders)",
            lambda f: _div(f.caused, f.n_senders), MAX, N, _NO_SENDER),
    Outcome("cascades", "adoption cascades (trees of senders)", lambda f: int(len(f.cascades))),
    Outcome("single_adopter_share", "share of cascades of one sender who converted nobody",
            lambda f: _div((f.cascades["size"] == 1).sum(), len(f.cascades)), MIN, U, _NO_CASCADE),
    Outcome("beyond_one_step_share", "share of cascades deeper than one step (depth >= 2)",
            lambda f: _div((f.cascades["depth"] >= 2).sum(), len(f.cascades)), MAX, U, _NO_CASCADE),
    Outcome("mean_cascade_size", "mean senders per cascade",
            lambda f: _div(f.cascades["size"].sum(), len(f.cascades)), MAX, N, _NO_CASCADE),
    Outcome("largest_cascade", "senders in the largest cascade (0 without cascades)",
            lambda f: int(_largest(f, "size", 0)), MAX),
    Outcome("max_depth", "deepest cascade, in steps (0 without cascades)",
            lambda f: int(f.cascades["depth"].max()) if len(f.cascades) else 0, MAX),
    Outcome("structural_virality_largest", "structural virality of the largest cascade (mean distance between "
            "its senders, 0 for a lone sender)", lambda f: float(_largest(f, "structural_virality", math.nan)),
            MAX, N, _NO_CASCADE),
    Outcome("structural_virality_top10", "mean structural virality of the 10 largest cascades",
            lambda f: float(f.cascades.head(10)["structural_virality"].mean()) if len(f.cascades) else math.nan,
            MAX, N, _NO_CASCADE),
    Outcome("hhi", "HHI of GMV across merchants that were on the platform", lambda f: hhi(f.gmv), MIN, U, _NO_GMV),
    Outcome("gini", "Gini of GMV across merchants that were on the platform", lambda f: gini(f.gmv), MIN, U,
            _NO_GMV),
    Outcome("top10_share", "share of GMV of the 10 largest merchants", lambda f: top_k_share(f.gmv, 10), MIN, U,
            _NO_GMV),
    Outcome("sme_gmv_share", "share of GMV of small and medium merchants",
            lambda f: _segment_share(f, "sme"), MAX, U, _NO_GMV),
    Outcome("brand_gmv_share", "share of GMV of brands",
            lambda f: _segment_share(f, "brand"), INFO, U, _NO_GMV),
    Outcome("active_merchants", "merchants on the platform at the end",
            lambda f: int(f.model.merchant_table.active.sum()), MAX),
    Outcome("active_sme_merchants", "small and medium merchants (kinds of segment sme) on the platform at the end",
            lambda f: _segment_active(f, "sme"), MAX),
    Outcome("active_brand_merchants", "brands (kinds of segment brand) on the platform at the end",
            lambda f: _segment_active(f, "brand"), INFO),
    Outcome("merchants_joined", "merchants that joined during the run",
            lambda f: int(f.recorded("merchants_joined").sum())),
    Outcome("merchants_left", "merchants that left during the run",
            lambda f: int(f.recorded("merchants_left").sum()), MIN),
    Outcome("stockouts", "purchases lost to an empty stock", lambda f: int(f.model.merchant_table.stockouts.sum()),
            MIN),
    Outcome("muted_share", "share of users who muted", lambda f: _div(f.model.population.muted.sum(), f.n_users),
            MIN, U),
    *_trigger_outcomes(),
    # issue 14: market
    Outcome("ad_revenue_rmb", "platform revenue from merchants' paid impressions (policy.paid_traffic), RMB",
            lambda f: f.model.merchant_table.market.ad_revenue),
    Outcome("mini_program_merchants", "merchants on the platform selling from their own mini program at the end",
            lambda f: int((f.model.merchant_table.market.mini_program & f.model.merchant_table.active).sum())),
    # issue 14: groups (0 / undefined without [groups])
    Outcome("group_gifts", "group gift boxes and group red envelopes sent to chat groups",
            lambda f: _group(f, "boxes", 0)),
    Outcome("group_claims", "units (shares) of group gifts claimed", lambda f: _group(f, "claims", 0)),
    Outcome("group_send_back_per_rmb", "RMB a claimer sends to the group on the step of the claim (within 24 "
            "hours with daily steps) per RMB claimed (Yuan et al. 2019: 0.18)",
            lambda f: _div(_group(f, "send_back_rmb", 0.0), _group(f, "claimed_rmb", 0.0)),
            INFO, N, "without group claims"),
    # issue 14: behaviour (reciprocity and pay-forward as separate decisions)
    Outcome("gifts_sent_back", "gifts sent back to the giver of an accepted gift (direct reciprocity)",
            lambda f: int(np.count_nonzero(f.model.ledger.column("source") == GiftSource.RECIPROCITY))),
    Outcome("gifts_paid_forward", "gifts passed on to another friend after accepting one (pay-forward)",
            lambda f: int(np.count_nonzero(f.model.ledger.column("source") == GiftSource.PAY_FORWARD))),
], views={
    "batch": ("gifts_sent", "adoption_share", "days_to_half_adoption", "reproduction_number", "gmv_rmb",
              "acceptance_rate", "hhi", "gini", "top10_share", "sme_gmv_share", "active_merchants", "muted_share",
              "reproduction_number_gift", "first_gifts_received_gift", "receive_give_lift"),
    "run": ("adoption_share", "aware_share", "days_to_half_adoption", "gifts_sent", "gifts_accepted",
            "gifts_expired", "acceptance_rate", "gmv_rmb", "reproduction_number", "cascades",
            "single_adopter_share", "max_depth", "structural_virality_largest", "hhi", "gini", "top10_share",
            "sme_gmv_share", "active_merchants", "merchants_joined", "merchants_left", "stockouts", "muted_share",
            "reproduction_number_gift", "first_gifts_received_gift", "first_gifts_feed", "receive_give_lift"),
})
"""The run summary's outcomes, declared once (:class:`sim.experiments.Outcome`), each a
function of the run's :class:`RunFacts`. Views: ``"batch"``, the outcomes a batch
compares by default; ``"run"``, those ``giftsim run`` prints."""

SUMMARY_KEYS: dict[str, str] = RUN_OUTCOMES.texts()
"""Summary key -> meaning (units in the text), from :data:`RUN_OUTCOMES`. Every value is a
float or int. A rate, share or mean with nothing to divide (no settled gift, no visit, no
sender, no cascade, no GMV) is undefined and reads NaN (``float("nan")``), never 0; the
text says when (:data:`UNDEFINED_KEYS` lists those keys). Counts and money are always
defined. ``summary.json`` writes NaN as ``null``."""

UNDEFINED_KEYS: frozenset[str] = RUN_OUTCOMES.undefined()
"""Summary keys that can be NaN (undefined); every other key is always a number."""

OUTCOME_RANGE: dict[str, tuple[float, float]] = RUN_OUTCOMES.ranges()
"""The values each summary key can take: shares in [0, 1], everything else >= 0."""


def clip_interval(key: str, lo: float, hi: float,
                  ranges: Mapping[str, tuple[float, float]] = OUTCOME_RANGE) -> tuple[float, float]:
    """:func:`sim.experiments.clip_interval` with the summary's ranges by default."""
    return outcome_types.clip_interval(key, lo, hi, ranges)


def outcome_interval(values, key: str, level: float = 0.95,
                     ranges: Mapping[str, tuple[float, float]] = OUTCOME_RANGE) -> OutcomeInterval:
    """:func:`sim.experiments.outcome_interval` with level 0.95 and the summary's ranges
    by default."""
    return outcome_types.outcome_interval(values, key, level, ranges)


def adoption_forest(parent: np.ndarray, senders: np.ndarray) -> np.ndarray:
    """The cascade forest of senders: each sender's parent is who made them aware.

    Parameters
    ----------
    parent : ndarray of int32, shape (n_users,)
        Awareness parent (-1 for roots and unaware users).
    senders : ndarray of bool, shape (n_users,)

    Returns
    -------
    ndarray of int64, shape (n_users,)
        Parent within the forest (-1 root, -2 not a sender). A sender's awareness
        parent always sent a gift (or an invitation with one), so the set is closed.
    """
    return restrict(parent, senders)


def summarise(model) -> tuple[dict[str, float], pd.DataFrame]:
    """The summary of a finished (or partly run) model, and its cascade table.

    Returns
    -------
    summary : dict of str to float or int
        Every outcome of :data:`RUN_OUTCOMES`, in order (meanings in
        :data:`SUMMARY_KEYS`); the keys of :data:`UNDEFINED_KEYS` are NaN when undefined
        (e.g. ``acceptance_rate`` without a settled gift).
    cascades : pandas.DataFrame
        :func:`sim.metrics.cascades.cascade_table` of the adoption forest.
    """
    facts = run_facts(model)
    return RUN_OUTCOMES.evaluate(facts), facts.cascades
