"""The reference model as a test oracle: the same outcomes from both models, replicated
over seeds, compared by two-sample tests.

Both models run the same scenario on the same graph; their random streams differ (the
engine draws in bulk, the reference agent by agent), so single runs differ and only
distributions over replicates can agree.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from ..graph import CSRGraph
from ..model import GiftModel
from ..scenario import validate_scenario, with_overrides
from ..scenario.schema import Scenario
from .agents import User
from .model import ReferenceModel

__all__ = ["OUTCOMES", "ORACLE_SCENARIO", "TESTED_OUTCOMES", "Comparison", "engine_outcomes", "replicate",
           "compare", "oracle_scenario", "altered_rules"]

OUTCOMES: dict[str, str] = {
    "gifts_sent": "gifts bought and sent",
    "gifts_accepted": "gifts accepted",
    "gifts_expired": "gifts expired and refunded",
    "gifts_returned": "accepted gifts returned",
    "gifts_pending": "gifts pending at the end",
    "paid_rmb": "money paid by senders, RMB",
    "gmv_rmb": "GMV (accepted product gifts), RMB",
    "refunded_rmb": "refunds of expired gifts, RMB",
    "returns_rmb": "refunds of returned gifts, RMB",
    "stockouts": "purchases lost to an empty stock",
    "unaffordable": "gift intents above the remaining budget",
    "commercial_impressions": "commercial impressions shown",
    "product_visits": "product-page visits (clicks)",
    "senders": "users who sent at least one gift",
    "aware_users": "users aware of the feature",
    "aware_by_gift": "aware users with a cascade parent (made aware by a gift)",
    "muted_users": "users who muted",
    "merchants_joined": "merchants that joined",
    "merchants_left": "merchants that left",
    "active_merchants": "merchants on the platform at the end",
}
"""Run totals reported by both models: name -> meaning."""

ORACLE_SCENARIO: dict = {
    "name": "oracle",
    "graph": {"kind": "holme_kim", "n": 600, "m": 4, "p": 0.3, "seed": 11},
    "policy": {"commercial_share": 0.2, "ad_annoyance": 0.08},
    "gifts": {"send_probability": 0.5},
    "population": {"reciprocity": {"dist": "beta", "a": 2.0, "b": 8.0},
                   "pay_forward": {"dist": "beta", "a": 3.0, "b": 7.0},
                   "budget": {"dist": "lognormal", "median": 400.0, "sigma": 1.0}},
    "merchants": {
        "sme": {"initial_stock": 2, "restock_quantity": 2, "lead_days": 4, "reorder_point": 1},
        "white_label": {"initial_stock": 2, "restock_quantity": 2, "lead_days": 4, "reorder_point": 1},
    },
}
"""The scenario of the oracle comparison: the default WeChat rules (staged rollout,
occasions, equal allocation, merchants' reviews) on a 600-user Holme-Kim graph, made
busy: 8x the commercial share, twice the send probability, reciprocity and pay-forward
(means 0.2 and 0.3, so that many recipients do both and pay forward on a later day), monthly
budgets of median 400 RMB (renewed on 2025-01-01 and 02-01: budgets bind, but not so tightly
that refunds and renewals hide a 10% change of acceptance), scarce
stock for small merchants and white labels, and enough ad annoyance that about a quarter of users mute."""

TESTED_OUTCOMES: list[str] = [
    "gifts_sent", "gifts_accepted", "gifts_expired", "gifts_returned", "gmv_rmb", "refunded_rmb", "senders",
    "stockouts", "unaffordable", "aware_users", "aware_by_gift", "muted_users", "product_visits",
    "merchants_joined", "merchants_left",
]
"""Outcomes compared by the oracle test (the rest of :data:`OUTCOMES` follow from them)."""


def oracle_scenario() -> Scenario:
    """:data:`ORACLE_SCENARIO`, validated."""
    return validate_scenario(ORACLE_SCENARIO, "<oracle>")


class _HesitantUser(User):
    """Accepts 10% fewer gifts: the acceptance probability is multiplied by 0.9."""

    def open_gift(self, gift) -> bool:
        return super().open_gift(gift) and self.random.random() < 0.9


class _HesitantReference(ReferenceModel):
    user_class = _HesitantUser


def altered_rules(scenario: Scenario) -> dict[str, tuple[Scenario, type[ReferenceModel], str]]:
    """Deliberately wrong references, each with one rule changed by 10%, for checking that
    the comparison has the power to see such a change.

    Returns
    -------
    dict of name to (scenario, reference model class, the outcome it should move)
    """
    p = scenario.gifts.send_probability
    return {
        "send probability x 1.1": (with_overrides(scenario, [("gifts.send_probability", 1.1 * p)]),
                                   ReferenceModel, "gifts_sent"),
        "acceptance probability x 0.9": (scenario, _HesitantReference, "gifts_accepted"),
    }


_SERIES_TOTALS = ("gifts_sent", "gifts_accepted", "gifts_expired", "gifts_returned", "paid_rmb", "gmv_rmb",
                  "refunded_rmb", "returns_rmb", "stockouts", "unaffordable", "commercial_impressions",
                  "product_visits", "merchants_joined", "merchants_left")


def engine_outcomes(model: GiftModel) -> dict[str, float]:
    """The :data:`OUTCOMES` of a (finished) engine run."""
    done = model.step_index
    cols = model.recorder.columns
    out: dict[str, float] = {k: float(cols[k][:done].sum()) for k in _SERIES_TOTALS}
    pop = model.population
    out["gifts_pending"] = float(model.ledger.pending.size)
    out["senders"] = float(np.count_nonzero(pop.senders))
    out["aware_users"] = float(np.count_nonzero(pop.aware))
    out["aware_by_gift"] = float(np.count_nonzero(pop.aware & (pop.parent >= 0)))
    out["muted_users"] = float(np.count_nonzero(pop.muted))
    out["active_merchants"] = float(np.count_nonzero(model.merchant_table.active))
    return out


def replicate(scenario: Scenario, graph: CSRGraph, seeds: list[int], *, reference: bool,
              model_class: type[ReferenceModel] = ReferenceModel) -> dict[str, np.ndarray]:
    """Run one model over ``seeds`` on ``graph``.

    Parameters
    ----------
    scenario : Scenario
    graph : CSRGraph
        Shared by every replicate (and by both models, when comparing).
    seeds : list of int
    reference : bool
        Run ``model_class`` (the reference) if True, else the engine (:class:`GiftModel`).
    model_class : type, default ReferenceModel
        A reference model class (a subclass can alter a rule).

    Returns
    -------
    dict of str to ndarray of float64, shape (len(seeds),)
        Each of :data:`OUTCOMES` per replicate.
    """
    rows = []
    for seed in seeds:
        if reference:
            m = model_class(scenario, seed=seed, graph=graph)
            m.run()
            rows.append(m.outcomes())
        else:
            e = GiftModel(scenario, seed=seed, graph=graph)
            e.run()
            rows.append(engine_outcomes(e))
    return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in OUTCOMES}


@dataclass(frozen=True)
class Comparison:
    """Welch's two-sample t-test of one outcome's mean, engine against reference.

    Attributes
    ----------
    outcome : str
    engine_mean, reference_mean : float
    engine_sd, reference_sd : float
        Sample standard deviations over replicates.
    t, p : float
        Welch's t statistic and two-sided p-value (t = 0, p = 1 when both samples are
        constant and equal).
    alpha : float
        Level this outcome is tested at.
    """

    outcome: str
    engine_mean: float
    reference_mean: float
    engine_sd: float
    reference_sd: float
    t: float
    p: float
    alpha: float

    @property
    def agrees(self) -> bool:
        """Whether the engine and the reference agree on this outcome: ``p >= alpha``."""
        return self.p >= self.alpha

    def line(self) -> str:
        """One fixed-width line for the console: both means and standard deviations, t, p and
        ``ok`` or ``DIFFERENT``."""
        return (f"{self.outcome:24s} engine {self.engine_mean:11.2f} ± {self.engine_sd:9.2f}   "
                f"reference {self.reference_mean:11.2f} ± {self.reference_sd:9.2f}   "
                f"t = {self.t:+7.2f}  p = {self.p:.2g}  {'ok' if self.agrees else 'DIFFERENT'}")


def compare(engine: dict[str, np.ndarray], reference: dict[str, np.ndarray], outcomes: list[str],
            *, family_alpha: float = 0.001) -> list[Comparison]:
    """Welch's t-test per outcome at ``family_alpha / len(outcomes)`` (Bonferroni).

    Returns
    -------
    list of Comparison, one per outcome, in the order given.
    """
    alpha = family_alpha / len(outcomes)
    out = []
    for k in outcomes:
        a, b = engine[k], reference[k]
        if np.ptp(a) == 0 and np.ptp(b) == 0:
            t, p = (0.0, 1.0) if a[0] == b[0] else (np.inf, 0.0)
        else:
            with warnings.catch_warnings():  # one sample may be constant (e.g. every merchant joined)
                warnings.simplefilter("ignore", RuntimeWarning)
                res = stats.ttest_ind(a, b, equal_var=False)
            t, p = float(res.statistic), float(res.pvalue)
        out.append(Comparison(k, float(a.mean()), float(b.mean()), float(a.std(ddof=1)),
                              float(b.std(ddof=1)), t, p, alpha))
    return out
